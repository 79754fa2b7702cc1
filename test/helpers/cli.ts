import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(PROJECT_ROOT, 'dist', 'cli.cjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Tests never ask a registry beyond loopback: every run is offline (POLICY_OFFLINE=1) unless
 * the test's own env turns it off to ask its loopback registry; no GitHub token of the machine
 * running the tests reaches them (a test gives its loopback GitHub's).
 */
const OFFLINE = { POLICY_OFFLINE: '1', POLICY_DAEMON: '0', GITHUB_TOKEN: '', GH_TOKEN: '' };

/** Runs the built `policy` command as a user would. */
export function runPolicy(args: string[], options: { cwd: string; env?: Record<string, string>; input?: string }): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    encoding: 'utf8',
    input: options.input ?? '',
    env: { ...process.env, NO_COLOR: '1', ...OFFLINE, ...options.env },
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs the built `policy` command without blocking this process: needed whenever the command
 * talks to a server this process runs (the loopback registry answers from this event loop,
 * so a spawnSync'd cargo would wait on it forever).
 */
export function runPolicyAsync(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  return runAsync(process.execPath, [CLI, ...args], { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', ...OFFLINE, ...options.env } });
}

/** Runs any command without blocking this process (see runPolicyAsync); stdin is `input`, else empty. */
export function runAsync(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; input?: string }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    child.stdin?.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
