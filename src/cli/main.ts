#!/usr/bin/env node
// The `policy` command. Only this folder touches `process`. Commands are imported lazily
// so that a hook's fast path does not pay for modules it does not use.
import { readFileSync, realpathSync } from 'node:fs';
import { isatty } from 'node:tty';
import { formatDiagnosticsHeader } from './messages.js';
import { PolicyError, UsageError, useColor, type CliContext } from './context.js';

declare const __TOOL_VERSION__: string | undefined;
const TOOL_VERSION = typeof __TOOL_VERSION__ === 'string' ? __TOOL_VERSION__ : '0.0.0-dev';

const HELP = `Usage: policy <command> [options]

Policy-as-code for a crate's release loop: rules in YAML + CEL over git, manifest and
release facts, enforced by hooks, gates and CI.

Commands:
  check [--gate G]     evaluate the rules of a gate (default ci)
  audit                evaluate every release tag and every version change on the default branch
  ci                   the CI check of one GitHub Actions event (gates chosen from the event)
  baseline             record today's findings of ci and audit; check and audit then fail only on new ones
  facts [--gate G]     print the facts as JSON (replay with check --facts FILE)
  rules                list the rules and their severities
  explain ID           a rule's spec line, docs, gates, facts and options
  test [PATHS]         run the rules' test tables

Release loop:
  run -- CMD ARGS...   run one release step, journal it, stop the release when it fails
  status               the current release state and the next action
  comment [--post]     the spec's status comment for the current state; --post: on the issue
  decide               record a deliberate next-version decision
  abandon              record that the release in progress will not happen
  verify               ask the registry whether the version under release is published; record it
  gate ACTION [ARG]    may I start-issue N, close-issue N, bump V, tag NAME, publish now?

Git hooks:
  init                 detect packages, write release-policy.yml and a CI workflow, install hooks
  hooks install        install the hook shims (--manager git|husky)
  hooks doctor         check that the hooks run in this worktree, and say how to fix them
  hook NAME [ARGS]     a hook's entry point (pre-push, pre-commit, commit-msg, reference-transaction)

Every command takes --policy FILE, --cwd DIR, --debug and --help.
Exit codes: 0 allowed, 1 refused, 2 usage or policy error, 3 facts unavailable.
`;

type Command = (ctx: CliContext, argv: string[]) => Promise<number> | number;

const COMMANDS: Record<string, () => Promise<Command>> = {
  check: async () => {
    const { runCheck } = await import('./commands/check.js');
    return (ctx, argv) => runCheck(ctx, argv, 'check');
  },
  audit: async () => {
    const { runCheck } = await import('./commands/check.js');
    return (ctx, argv) => runCheck(ctx, argv, 'audit');
  },
  baseline: async () => (await import('./commands/baseline.js')).runBaseline,
  facts: async () => (await import('./commands/facts.js')).runFacts,
  rules: async () => (await import('./commands/rules.js')).runRules,
  explain: async () => (await import('./commands/rules.js')).runExplain,
  test: async () => (await import('./commands/test.js')).runTest,
  run: async () => (await import('./commands/run.js')).runRun,
  status: async () => (await import('./commands/release.js')).runStatus,
  comment: async () => (await import('./commands/release.js')).runComment,
  decide: async () => (await import('./commands/release.js')).runDecide,
  abandon: async () => (await import('./commands/release.js')).runAbandon,
  verify: async () => (await import('./commands/verify.js')).runVerify,
  gate: async () => (await import('./commands/gate.js')).runGate,
  hook: async () => (await import('./commands/hook.js')).runHook,
  ci: async () => (await import('./commands/ci.js')).runCi,
  hooks: async () => (await import('./commands/hooks.js')).runHooks,
  init: async () => (await import('./commands/init.js')).runInit,
  // Not a user command: the hook daemon the launcher starts (src/cli/daemon.ts).
  __daemon: async () => {
    const { runDaemon } = await import('./daemon.js');
    return (ctx, argv) => runDaemon(ctx, argv, main);
  },
};

/**
 * A reader that stops early (`policy facts | head -1`) closes the pipe, and the next write
 * fails with EPIPE, emitted as an 'error' event that would crash the process with a stack.
 * Node ignores SIGPIPE, so the conventional end of a Unix filter (killed by the signal,
 * status 141) does not happen on its own. We stop writing to that stream and let the
 * command finish with its own exit code: the reader chose to read less, which changes
 * neither the verdict nor the exit code a script (or `set -o pipefail`) sees.
 * Any other write error (EIO, ENOSPC) is reported on stderr when it can be, and exits 2.
 */
const closed = { stdout: false, stderr: false };
let writeFailed = false;

const watched = { stdout: false, stderr: false };

/**
 * Writes to stdout or stderr. The streams are created on first use, and watched from then on:
 * creating one (a net.Socket for a pipe) cost ~9 ms of a hook run that prints nothing (bench/hooks.mjs).
 */
function write(name: 'stdout' | 'stderr', text: string): void {
  if (closed[name]) return;
  if (!watched[name]) {
    watched[name] = true;
    watchStream(name);
  }
  process[name].write(text);
}

function watchStream(name: 'stdout' | 'stderr'): void {
  process[name].on('error', (error: NodeJS.ErrnoException) => {
    closed[name] = true;
    if (error.code === 'EPIPE') return;
    writeFailed = true;
    write('stderr', `policy: cannot write to ${name}: ${error.message}\n`);
    process.exitCode = 2;
  });
}

/** Where a command's input and output go: this process's, or a request the hook daemon serves. */
export interface CliIo {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether standard output is a terminal (colour). */
  tty: boolean;
  readStdin: () => Promise<string>;
}

const processIo = (): CliIo => ({
  cwd: process.cwd(),
  env: process.env,
  stdout: (text) => write('stdout', text),
  stderr: (text) => write('stderr', text),
  tty: isatty(1),
  readStdin: async () => {
    // The launcher read it already when it tried the hook daemon (scripts/launcher.cjs).
    const given = (globalThis as { __policyStdin?: string }).__policyStdin;
    if (typeof given === 'string') return given;
    // Git hands hooks a blocking pipe: one synchronous read skips the stream machinery (~3 ms).
    // A non-blocking descriptor (EAGAIN) or none at all falls back to the stream.
    try {
      return readFileSync(0, 'utf8');
    } catch {
      // read below
    }
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
});

function createContext(argv: string[], io: CliIo): CliContext {
  const { tty, ...rest } = io;
  return {
    ...rest,
    tty,
    color: useColor(tty, io.env),
    debug: argv.includes('--debug') || io.env.POLICY_DEBUG === '1',
    today: new Date().toISOString().slice(0, 10),
    toolVersion: TOOL_VERSION,
    cliPath: scriptPath(),
    nodePath: process.execPath,
  };
}

/** The script node runs (dist/cli.cjs), symlinks resolved (node_modules/.bin/policy is one). */
function scriptPath(): string {
  const script = process.argv[1] ?? '';
  try {
    return script === '' ? '' : realpathSync(script);
  } catch {
    return script;
  }
}

/** Runs one command, with this process's input and output or those of a hook daemon request. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const ctx = createContext(argv, io);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout(HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    ctx.stdout(`${TOOL_VERSION}\n`);
    return 0;
  }
  try {
    const load = COMMANDS[name];
    if (!load) {
      const { didYouMean } = await import('../policy/did-you-mean.js');
      const suggestion = didYouMean(name, Object.keys(COMMANDS));
      throw new UsageError(`unknown command "${name}"${suggestion ? `; did you mean "${suggestion}"?` : ''}`, 'Run `policy --help`.');
    }
    const command = await load();
    return await command(ctx, rest);
  } catch (error) {
    return await reportError(ctx, error);
  }
}

async function reportError(ctx: CliContext, error: unknown): Promise<number> {
  const { describeIoError, ioErrorHint } = await import('./io-error.js');
  if (error instanceof PolicyError) {
    ctx.stderr(`${formatDiagnosticsHeader(error.lines.length)}\n${error.lines.join('\n')}\n`);
    return 2;
  }
  if (error instanceof UsageError) {
    ctx.stderr(`policy: ${error.message}\n${error.hint ? `  hint: ${error.hint}\n` : ''}`);
    return 2;
  }
  // A full disk, a read-only mount, a permission or a held journal lock is the user's to fix.
  const io = describeIoError(error);
  if (io !== null) {
    ctx.stderr(`policy: ${io}\n  hint: ${ioErrorHint(error)}\n`);
    return 2;
  }
  const e = error as Error;
  ctx.stderr(
    ctx.debug
      ? `policy: internal error\n${e.stack ?? String(e)}\n`
      : `policy: internal error: ${e.message ?? String(e)}\n  hint: run again with --debug for the stack trace, and report it.\n`,
  );
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = writeFailed ? 2 : code;
  },
  (error: unknown) => {
    write('stderr', `policy: ${String(error)}\n`);
    process.exitCode = 2;
  },
);
