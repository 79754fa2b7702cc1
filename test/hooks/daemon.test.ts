// The hook daemon (src/cli/daemon.ts, scripts/launcher.cjs): the first engine-path hook runs in
// its own process and starts the daemon; later ones are served by it, with the same output and
// exit code, each with its own working directory, environment and stdin.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPolicy } from '../helpers/cli.js';
import { makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_GIT } from '../helpers/tools.js';

const POLICY = 'version: 1\npackages:\n  - name: demo\n';
const ZERO = '0'.repeat(40);
const canRun = HAS_GIT && typeof process.getuid === 'function';

describe.skipIf(!canRun)('the hook daemon', () => {
  let runtime: string;
  let blocked: TempRepo;
  let idle: TempRepo;
  let env: Record<string, string>;

  beforeAll(() => {
    runtime = mkdtempSync(join(tmpdir(), 'release-policy-runtime-'));
    // CI turns the daemon off (one-shot machines): this test turns it on for itself.
    env = { POLICY_DAEMON: '1', CI: '', XDG_RUNTIME_DIR: runtime, POLICY_DEBUG: '1' };
    const files = { 'release-policy.yml': POLICY, 'Cargo.toml': '[package]\nname = "demo"\nversion = "0.2.0"\n' };
    blocked = makeRepo({ files });
    idle = makeRepo({ files });
    const failed = runPolicy(['run', '--phase', 'dry-run', '--', 'sh', '-c', 'exit 101'], { cwd: blocked.dir });
    expect(failed.code).toBe(101);
  });

  afterAll(() => {
    for (const pidFile of socketFiles().filter((name) => name.endsWith('.pid'))) {
      try {
        process.kill(Number(readFileSync(join(socketDir(), pidFile), 'utf8')), 'SIGTERM');
      } catch {
        // gone already
      }
    }
    rmSync(runtime, { recursive: true, force: true });
    blocked?.remove();
    idle?.remove();
  });

  const socketDir = (): string => join(runtime, `release-policy-${process.getuid!()}`);
  const socketFiles = (): string[] => (existsSync(socketDir()) ? readdirSync(socketDir()) : []);
  const tagPush = (repo: TempRepo): string => `refs/tags/v0.2.0 ${repo.git('rev-parse', 'HEAD')} refs/tags/v0.2.0 ${ZERO}\n`;
  const prePush = (repo: TempRepo, extra: Record<string, string> = {}) =>
    runPolicy(['hook', 'pre-push', 'origin', 'url'], { cwd: repo.dir, input: tagPush(repo), env: { ...env, ...extra } });
  const SERVED = /policy: served by the hook daemon \(pid \d+\)\n$/;

  async function daemonUp(): Promise<void> {
    for (let i = 0; i < 100 && !socketFiles().some((name) => name.endsWith('.pid')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(socketFiles().some((name) => name.endsWith('.sock'))).toBe(true);
  }

  it('runs the first hook itself, then serves the next with the same refusal and exit code', async () => {
    const first = prePush(blocked);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('release-policy: git push to origin refused by the release policy (pre-push hook)');
    expect(first.stderr).not.toMatch(SERVED);
    await daemonUp();

    const second = prePush(blocked);
    expect(second.stderr).toMatch(SERVED);
    expect(second.code).toBe(1);
    expect(second.stderr.replace(SERVED, '')).toBe(first.stderr);
  });

  it('serves each request with its own working directory: an idle repository is allowed', async () => {
    await daemonUp();
    const allowed = prePush(idle);
    expect(allowed.stderr).toMatch(SERVED);
    expect(allowed.code).toBe(0);
    const refused = prePush(blocked);
    expect(refused.stderr).toMatch(SERVED);
    expect(refused.code).toBe(1);
  });

  it('serves each request with its own environment (GIT_DIR names the repository)', async () => {
    await daemonUp();
    // Run from the idle repository's folder, but git's environment points at the blocked one.
    const refused = runPolicy(['hook', 'pre-push', 'origin', 'url'], {
      cwd: idle.dir,
      input: tagPush(blocked),
      env: { ...env, GIT_DIR: join(blocked.dir, '.git') },
    });
    expect(refused.stderr).toMatch(SERVED);
    expect(refused.code).toBe(1);
    // The next request has no GIT_DIR: nothing of the previous one's environment stays.
    const allowed = prePush(idle);
    expect(allowed.stderr).toMatch(SERVED);
    expect(allowed.code).toBe(0);
  });

  it('is not asked with POLICY_DAEMON=0 or under CI', async () => {
    await daemonUp();
    for (const extra of [{ POLICY_DAEMON: '0' }, { CI: 'true' }] as Record<string, string>[]) {
      const result = prePush(blocked, extra);
      expect(result.code).toBe(1);
      expect(result.stderr).not.toMatch(SERVED);
    }
  });
});
