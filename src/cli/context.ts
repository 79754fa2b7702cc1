// What every command receives; only src/cli touches `process`, and only through this.
export interface CliContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Colour only on a terminal and never with NO_COLOR; see useColor. */
  color: boolean;
  /** Whether standard output is a terminal (`policy comment` shows a reader's view there). */
  tty: boolean;
  debug: boolean;
  /** Today as YYYY-MM-DD, UTC. */
  today: string;
  toolVersion: string;
  readStdin: () => Promise<string>;
  /** The running command's script (real path) and Node binary: what the hook shims run. */
  cliPath: string;
  nodePath: string;
}

/** Whether network facts are skipped: `--offline`, or POLICY_OFFLINE=1 (the hooks, the tests). */
export function isOffline(ctx: Pick<CliContext, 'env'>, flag?: unknown): boolean {
  return flag === true || ctx.env.POLICY_OFFLINE === '1';
}

/** A mistake in how the command was called: exit 2 with the message, no stack. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint = '',
  ) {
    super(message);
  }
}

/** Problems in the policy or rules, already formatted: exit 2. */
export class PolicyError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}

/**
 * Colour only on a terminal, not for TERM=dumb, and never when NO_COLOR is set to a
 * non-empty value: no-color.org says an empty NO_COLOR does not disable colour.
 */
export function useColor(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  return isTTY && !env.NO_COLOR && env.TERM !== 'dumb';
}
