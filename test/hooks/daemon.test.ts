// The hook daemon (src/cli/daemon.ts, scripts/launcher.cjs): the first engine-path hook runs in
// its own process and starts the daemon; later ones are served by it, with the same output and
// exit code, each with its own working directory, environment and stdin.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPolicy } from '../helpers/cli.js';
import { gitSync, makeRepo, type TempRepo } from '../helpers/git-repo.js';
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

  it('serves each request with its own index (GIT_INDEX_FILE): a staged bump is refused, a staged fix is not, in any order', async () => {
    await daemonUp();
    // Two index files of the blocked repository: one stages a version bump, the other a source fix.
    const indexes = mkdtempSync(join(tmpdir(), 'release-policy-indexes-'));
    const staged = (name: string, path: string, text: string): string => {
      const index = join(indexes, name);
      const file = join(indexes, `${name}.blob`);
      writeFileSync(file, text);
      const blob = gitSync(blocked.dir, ['hash-object', '-w', file]);
      gitSync(blocked.dir, ['read-tree', 'HEAD'], { GIT_INDEX_FILE: index });
      gitSync(blocked.dir, ['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { GIT_INDEX_FILE: index });
      return index;
    };
    const bump = staged('bump', 'Cargo.toml', '[package]\nname = "demo"\nversion = "0.3.0"\n');
    const fix = staged('fix', 'src/lib.rs', 'pub fn fixed() {}\n');
    const preCommit = (index: string) => runPolicy(['hook', 'pre-commit'], { cwd: blocked.dir, env: { ...env, GIT_INDEX_FILE: index } });
    try {
      const answers = [bump, fix, bump, fix].map(preCommit);
      for (const answer of answers) expect(answer.stderr).toMatch(SERVED);
      expect(answers.map((answer) => answer.code)).toEqual([1, 0, 1, 0]);
      expect(answers[0]?.stderr).toContain('blocked-no-version-change');
      expect(answers[2]?.stderr.replace(SERVED, '')).toBe(answers[0]?.stderr.replace(SERVED, ''));
    } finally {
      rmSync(indexes, { recursive: true, force: true });
    }
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

// /proc/<pid>/environ is the environment a process was started with; Linux only.
describe.skipIf(!canRun || process.platform !== 'linux')('the hook daemon and a token in the environment (Linux: reads /proc/<pid>/environ)', () => {
  let runtime: string;
  let blocked: TempRepo;
  const TOKEN = 'secret-xyz';

  beforeAll(() => {
    // A runtime folder of its own: the daemon here is started by a call that carries the token.
    runtime = mkdtempSync(join(tmpdir(), 'release-policy-runtime-'));
    blocked = makeRepo({ files: { 'release-policy.yml': POLICY, 'Cargo.toml': '[package]\nname = "demo"\nversion = "0.2.0"\n' } });
    expect(runPolicy(['run', '--phase', 'dry-run', '--', 'sh', '-c', 'exit 101'], { cwd: blocked.dir }).code).toBe(101);
  });

  const socketDir = (): string => join(runtime, `release-policy-${process.getuid!()}`);
  const pidFile = (): string | undefined =>
    existsSync(socketDir()) ? readdirSync(socketDir()).find((name) => name.endsWith('.pid')) : undefined;

  afterAll(() => {
    const file = pidFile();
    if (file !== undefined) {
      try {
        process.kill(Number(readFileSync(join(socketDir(), file), 'utf8')), 'SIGTERM');
      } catch {
        // gone already
      }
    }
    rmSync(runtime, { recursive: true, force: true });
    blocked?.remove();
  });

  it('keeps no token in its own environment, neither from the call that started it nor from one it served', async () => {
    const env = { POLICY_DAEMON: '1', CI: '', XDG_RUNTIME_DIR: runtime, POLICY_DEBUG: '1', GITHUB_TOKEN: TOKEN, GH_TOKEN: TOKEN };
    const input = `refs/tags/v0.2.0 ${blocked.git('rev-parse', 'HEAD')} refs/tags/v0.2.0 ${ZERO}\n`;
    const push = () => runPolicy(['hook', 'pre-push', 'origin', 'url'], { cwd: blocked.dir, input, env });
    const SERVED = /policy: served by the hook daemon \(pid (\d+)\)\n$/;

    const first = push();
    expect(first.code).toBe(1);
    expect(first.stderr).not.toMatch(SERVED);
    for (let i = 0; i < 100 && pidFile() === undefined; i++) await new Promise((r) => setTimeout(r, 50));
    const served = push();
    expect(served.code).toBe(1);
    const pid = SERVED.exec(served.stderr)?.[1];
    expect(pid).toBeDefined();
    expect(readFileSync(join(socketDir(), pidFile() ?? ''), 'utf8').trim()).toBe(pid);

    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    // The daemon has an environment of its own (PATH, HOME), but nothing of the callers'.
    expect(environ.some((entry) => entry.startsWith('PATH='))).toBe(true);
    expect(environ.filter((entry) => entry.includes(TOKEN) || /^(GITHUB_TOKEN|GH_TOKEN|XDG_RUNTIME_DIR|POLICY_DEBUG)=/.test(entry))).toEqual([]);
  });
});
