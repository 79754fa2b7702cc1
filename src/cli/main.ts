#!/usr/bin/env node
// The `policy` command. Only this folder touches `process`. Commands are imported lazily
// so that a hook's fast path does not pay for modules it does not use.
import { formatDiagnosticsHeader } from './messages.js';
import { PolicyError, UsageError, type CliContext } from './context.js';

declare const __TOOL_VERSION__: string | undefined;
const TOOL_VERSION = typeof __TOOL_VERSION__ === 'string' ? __TOOL_VERSION__ : '0.0.0-dev';

const HELP = `Usage: policy <command> [options]

Policy-as-code for a crate's release loop: rules in YAML + CEL over git, manifest and
release facts, enforced by hooks, gates and CI.

Commands:
  check [--gate G]     evaluate the rules of a gate (default ci)
  audit                evaluate every release tag and every version change on the default branch
  facts [--gate G]     print the facts as JSON (replay with check --facts FILE)
  rules                list the rules and their severities
  explain ID           a rule's spec line, docs, gates, facts and options
  test [PATHS]         run the rules' test tables

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
  facts: async () => (await import('./commands/facts.js')).runFacts,
  rules: async () => (await import('./commands/rules.js')).runRules,
  explain: async () => (await import('./commands/rules.js')).runExplain,
  test: async () => (await import('./commands/test.js')).runTest,
};

function createContext(argv: string[]): CliContext {
  const env = process.env;
  return {
    cwd: process.cwd(),
    env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    color: Boolean(process.stdout.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb',
    debug: argv.includes('--debug') || env.POLICY_DEBUG === '1',
    today: new Date().toISOString().slice(0, 10),
    toolVersion: TOOL_VERSION,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  const ctx = createContext(argv);
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
    return reportError(ctx, error);
  }
}

function reportError(ctx: CliContext, error: unknown): number {
  if (error instanceof PolicyError) {
    ctx.stderr(`${formatDiagnosticsHeader(error.lines.length)}\n${error.lines.join('\n')}\n`);
    return 2;
  }
  if (error instanceof UsageError) {
    ctx.stderr(`policy: ${error.message}\n${error.hint ? `  hint: ${error.hint}\n` : ''}`);
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
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`policy: ${String(error)}\n`);
    process.exitCode = 2;
  },
);
