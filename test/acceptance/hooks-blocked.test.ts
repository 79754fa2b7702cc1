// Issue acceptance for the hooks, as a new user would try it: the blocked dry-run of the
// release acceptance (crate demo 0.2.0, issue 7, branch issue-7-feature, real cargo, a
// loopback registry named `local`), hooks installed by `policy hooks install`, a local bare
// remote, and real `git tag`, `git commit` and `git push`; every refusal is checked by its
// exit code and by what the repository and the remote hold afterwards.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cargoEnv, startRegistry, writeCargoConfig, writeCrate } from '../../scripts/loopback-registry.mjs';
import { PROJECT_ROOT, runAsync, runPolicyAsync, type CliResult } from '../helpers/cli.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_CARGO, HAS_GIT } from '../helpers/tools.js';

const CARGO_TIMEOUT = 180_000;
const BROKEN = 'pub fn answer() -> u32 {\n    "forty-two"\n}\n';
const FIXED = 'pub fn answer() -> u32 {\n    42\n}\n';

if (!HAS_CARGO) console.warn('test/acceptance/hooks-blocked.test.ts: skipped, cargo is not on PATH');

interface Setup {
  registry: Awaited<ReturnType<typeof startRegistry>>;
  repo: TempRepo;
  remote: string;
  env: Record<string, string>;
  /** git with the hooks as installed; async, since hooks may run cargo-free policy commands only, but the registry shares this loop. */
  git: (args: string[], cwd?: string) => Promise<CliResult>;
  policy: (args: string[], cwd?: string) => Promise<CliResult>;
}

const run = (command: string, args: string[], cwd: string, env: Record<string, string>): Promise<CliResult> =>
  runAsync(command, args, { cwd, env });

/** The crate at 0.2.0 with a compile error, pushed to a bare remote as main and as its branch; the dry-run has failed. */
async function blockedRelease(extraFiles: Record<string, string> = {}): Promise<Setup> {
  const registry = await startRegistry();
  const repo = makeRepo({ branch: 'issue-7-feature' });
  writeCrate(repo.dir, { name: 'demo', version: '0.2.0', lib: BROKEN });
  writeCargoConfig(repo.dir, registry);
  repo.commit('release demo 0.2.0 (#7)', {
    'release-policy.yml': 'version: 1\npackages:\n  - name: demo\n    registry: local\nissues:\n  branch: "issue-{issue}-*"\n',
    'RELEASE_v0.2.0.md': "# demo v0.2.0\n\n## What's in this release\n\n- the answer\n\n## Validation\n\n- cargo test\n",
    '.gitignore': '/target\n/.cargo-home\n/.cargo/\n/node_modules\n',
    ...extraFiles,
  });
  const remote = mkdtempSync(join(tmpdir(), 'release-policy-remote-'));
  repo.git('init', '-q', '--bare', remote);
  repo.git('remote', 'add', 'origin', remote);
  repo.git('push', '-q', 'origin', 'issue-7-feature:main', 'issue-7-feature');
  const env = { ...(cargoEnv(registry, join(repo.dir, '.cargo-home')) as Record<string, string>), ...hermeticGitEnv, NO_COLOR: '1' };
  const setup: Setup = {
    registry,
    repo,
    remote,
    env,
    git: (args, cwd = repo.dir) => run('git', args, cwd, env),
    policy: (args, cwd = repo.dir) => runPolicyAsync(args, { cwd, env }),
  };
  return setup;
}

async function failDryRun(s: Setup): Promise<void> {
  const dry = await s.policy(['run', '--', 'cargo', 'publish', '--registry', 'local', '--dry-run']);
  expect(dry.code).not.toBe(0);
  expect(JSON.parse((await s.policy(['status', '--format', 'json'])).stdout)).toMatchObject({ status: 'blocked', issue: 7 });
}

const remoteRefs = async (s: Setup): Promise<Record<string, string>> => {
  const { stdout } = await run('git', ['ls-remote', s.remote], s.repo.dir, s.env);
  return Object.fromEntries(stdout.trim().split('\n').filter(Boolean).map((line) => line.split('\t').reverse() as [string, string]));
};

describe.skipIf(!HAS_CARGO || !HAS_GIT)('hooks installed with --manager git hold the blocked release', () => {
  let s: Setup;

  beforeAll(async () => {
    s = await blockedRelease();
    const install = await s.policy(['hooks', 'install', '--manager', 'git']);
    expect(install.code).toBe(0);
    await failDryRun(s);
  }, CARGO_TIMEOUT);

  afterAll(async () => {
    await s?.registry.close();
    s?.repo.remove();
    if (s) rmSync(s.remote, { recursive: true, force: true });
  });

  it('git tag v0.2.0 fails and the tag does not exist afterwards', async () => {
    const tag = await s.git(['tag', 'v0.2.0']);
    expect(tag.code).not.toBe(0);
    expect(tag.stderr).toContain('dry-run-failure-no-tag');
    expect(tag.stderr).toContain('Dry-Run Failure: Do not create or push a release tag.');
    expect((await s.git(['tag', '-l', 'v0.2.0'])).stdout).toBe('');
  });

  it('a tag made with hooks disabled cannot be pushed, and the remote has no v0.2.0', async () => {
    expect((await s.git(['-c', 'core.hooksPath=/dev/null', 'tag', 'v0.2.0'])).code).toBe(0);
    const push = await s.git(['push', 'origin', 'v0.2.0']);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('dry-run-failure-no-tag');
    expect(Object.keys(await remoteRefs(s))).not.toContain('refs/tags/v0.2.0');
    // Deleting a local tag is a ref update too: the hook lets it through.
    expect((await s.git(['tag', '-d', 'v0.2.0'])).code).toBe(0);
  });

  it('a bump to 0.2.1 cannot be committed; committed with --no-verify, it cannot be pushed', async () => {
    const before = await remoteRefs(s);
    const manifest = join(s.repo.dir, 'Cargo.toml');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('version = "0.2.0"', 'version = "0.2.1"'));
    const commit = await s.git(['commit', '-am', 'bump']);
    expect(commit.code).not.toBe(0);
    expect(commit.stderr).toContain('blocked-no-version-change');
    expect((await s.git(['log', '-1', '--format=%s'])).stdout.trim()).toBe('release demo 0.2.0 (#7)');
    expect((await s.git(['commit', '--no-verify', '-qam', 'bump'])).code).toBe(0);
    const push = await s.git(['push', 'origin', 'HEAD']);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/pushing commit [0-9a-f]{12} \("bump"\) is refused: it changes demo 0\.2\.0 -> 0\.2\.1/);
    expect(await remoteRefs(s)).toEqual(before);
    expect((await s.git(['reset', '-q', '--hard', 'HEAD~1'])).code).toBe(0);
  });

  it('work on issue-8-next is refused at the commit, and its push fails', async () => {
    const before = await remoteRefs(s);
    expect((await s.git(['checkout', '-q', '-b', 'issue-8-next'])).code).toBe(0);
    writeFileSync(join(s.repo.dir, 'src', 'next.rs'), 'pub fn next() {}\n');
    expect((await s.git(['add', '-A'])).code).toBe(0);
    const commit = await s.git(['commit', '-m', 'start the parser']);
    expect(commit.code).not.toBe(0);
    expect(commit.stderr).toContain('committing on branch issue-8-next (issue #8) is refused');
    expect((await s.git(['commit', '--no-verify', '-qm', 'start the parser'])).code).toBe(0);
    const push = await s.git(['push', 'origin', 'issue-8-next']);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('pushing branch issue-8-next (issue #8) is refused');
    expect(await remoteRefs(s)).toEqual(before);
    expect((await s.git(['checkout', '-q', 'issue-7-feature'])).code).toBe(0);
    expect((await s.git(['branch', '-q', '-D', 'issue-8-next'])).code).toBe(0);
  });

  it('a commit whose message says "Fixes #7" cannot be pushed to main', async () => {
    const before = await remoteRefs(s);
    writeFileSync(join(s.repo.dir, 'RELEASE_v0.2.0.md'), `${readFileSync(join(s.repo.dir, 'RELEASE_v0.2.0.md'), 'utf8')}\n- more\n`);
    const commit = await s.git(['commit', '-am', 'notes\n\nFixes #7']);
    expect(commit.code).not.toBe(0);
    expect(commit.stderr).toContain('blocked-keep-issue-open');
    expect((await s.git(['commit', '--no-verify', '-qam', 'notes\n\nFixes #7'])).code).toBe(0);
    const push = await s.git(['push', 'origin', 'HEAD:main']);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/its message closes\s+#7/);
    expect(await remoteRefs(s)).toEqual(before);
    expect((await s.git(['reset', '-q', '--hard', 'HEAD~1'])).code).toBe(0);
  });

  it('committing the fix itself (the crate source) is allowed while blocked', async () => {
    writeFileSync(join(s.repo.dir, 'src', 'lib.rs'), FIXED);
    const commit = await s.git(['commit', '-am', 'fix the answer (#7)']);
    expect(commit.code).toBe(0);
    expect(commit.stderr).not.toMatch(/\berror\b/);
    expect((await s.git(['log', '-1', '--format=%s'])).stdout.trim()).toBe('fix the answer (#7)');
  });

  it('after a passing dry-run, an ordinary commit and git push origin HEAD succeed', async () => {
    const dry = await s.policy(['run', '--', 'cargo', 'publish', '--registry', 'local', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(readFileSync(join(s.repo.dir, '.git', 'release-policy', 'state'), 'utf8').trim()).toBe('in-progress');
    writeFileSync(join(s.repo.dir, 'src', 'lib.rs'), `${FIXED}\n/// Documented.\npub fn documented() {}\n`);
    expect((await s.git(['commit', '-qam', 'document (#7)'])).code).toBe(0);
    const push = await s.git(['push', 'origin', 'HEAD']);
    expect(push.code).toBe(0);
    const head = (await s.git(['rev-parse', 'HEAD'])).stdout.trim();
    expect((await remoteRefs(s))['refs/heads/issue-7-feature']).toBe(head);
  }, CARGO_TIMEOUT);
});

describe.skipIf(!HAS_CARGO || !HAS_GIT)('hooks installed with --manager husky, in a repository with package.json and a second worktree', () => {
  let s: Setup;
  let second: string;

  beforeAll(async () => {
    s = await blockedRelease({ 'package.json': '{\n  "name": "demo-tools",\n  "private": true,\n  "devDependencies": { "husky": "^9.1.7" }\n}\n' });
    // The project's own husky, as `npm install` would have put it.
    mkdirSync(join(s.repo.dir, 'node_modules'), { recursive: true });
    symlinkSync(join(PROJECT_ROOT, 'node_modules', 'husky'), join(s.repo.dir, 'node_modules', 'husky'));
    const install = await s.policy(['hooks', 'install', '--manager', 'husky']);
    expect(install.code).toBe(0);
    expect((await s.git(['config', 'core.hooksPath'])).stdout.trim()).toBe('.husky/_');
    expect((await s.git(['add', '.husky'])).code).toBe(0);
    expect((await s.git(['commit', '-qm', 'release-policy hooks (#7)'])).code).toBe(0);
    await failDryRun(s);
    second = join(s.repo.dir, '..', `${s.repo.dir.split('/').pop()}-second`);
  }, CARGO_TIMEOUT);

  afterAll(async () => {
    await s?.registry.close();
    if (second) rmSync(second, { recursive: true, force: true });
    s?.repo.remove();
    if (s) rmSync(s.remote, { recursive: true, force: true });
  });

  it('git tag v0.2.0 fails through husky, and the tag does not exist', async () => {
    const tag = await s.git(['tag', 'v0.2.0']);
    expect(tag.code).not.toBe(0);
    expect(tag.stderr).toContain('dry-run-failure-no-tag');
    expect((await s.git(['tag', '-l', 'v0.2.0'])).stdout).toBe('');
  });

  it('a tag made with HUSKY=0 cannot be pushed through husky either', async () => {
    expect((await run('git', ['tag', 'v0.2.0'], s.repo.dir, { ...s.env, HUSKY: '0' })).code).toBe(0);
    const push = await s.git(['push', 'origin', 'v0.2.0']);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('dry-run-failure-no-tag');
    expect(Object.keys(await remoteRefs(s))).not.toContain('refs/tags/v0.2.0');
    expect((await s.git(['tag', '-d', 'v0.2.0'])).code).toBe(0);
  });

  it('a bump cannot be committed through husky', async () => {
    const manifest = join(s.repo.dir, 'Cargo.toml');
    const text = readFileSync(manifest, 'utf8');
    writeFileSync(manifest, text.replace('version = "0.2.0"', 'version = "0.2.1"'));
    const commit = await s.git(['commit', '-am', 'bump']);
    expect(commit.code).not.toBe(0);
    expect(commit.stderr).toContain('blocked-no-version-change');
    writeFileSync(manifest, text);
  });

  it('a second worktree: doctor names the gap, install fixes it, and the tag is refused there', async () => {
    expect((await s.git(['worktree', 'add', '-q', '-b', 'issue-7-second', second])).code).toBe(0);
    expect(existsSync(join(second, '.husky', '_'))).toBe(false);
    const gap = await s.policy(['hooks', 'doctor'], second);
    expect(gap.code).toBe(1);
    expect(gap.stdout).toContain('does not exist in this worktree');
    expect(gap.stdout).toContain('fix: npx husky && policy hooks install --manager husky');
    const install = await s.policy(['hooks', 'install', '--manager', 'husky'], second);
    expect(install.code).toBe(0);
    expect((await s.policy(['hooks', 'doctor'], second)).code).toBe(0);
    const tag = await s.git(['tag', 'v0.2.0'], second);
    expect(tag.code).not.toBe(0);
    expect(tag.stderr).toContain('dry-run-failure-no-tag');
    expect((await s.git(['tag', '-l', 'v0.2.0'])).stdout).toBe('');
  });
});
