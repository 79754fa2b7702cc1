// `policy verify` without cargo: the answers that need no local package (no, unknown), and
// the errors. The yes / taken answers, which compare checksums with `cargo package`, are in
// test/acceptance/registry-word.test.ts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, writeCrate } from '../../scripts/loopback-registry.mjs';
import { runPolicyAsync } from '../helpers/cli.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_GIT, HAS_NPM } from '../helpers/tools.js';

describe.skipIf(!HAS_GIT)('policy verify', () => {
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  let repo: TempRepo;
  let env: Record<string, string>;

  beforeAll(async () => {
    registry = await startRegistry();
    repo = makeRepo({ branch: 'issue-7-feature' });
    writeCrate(repo.dir, { name: 'demo', version: '0.2.0' });
    repo.commit('demo 0.2.0', {
      'release-policy.yml': 'version: 1\npackages:\n  - name: demo\n    registry: local\n  - name: other\n    manifest: other/Cargo.toml\n    registry: nowhere\n',
    });
    env = { ...hermeticGitEnv, POLICY_OFFLINE: '0', CARGO_HOME: join(repo.dir, '.no-cargo-home'), CARGO_REGISTRIES_LOCAL_INDEX: `sparse+${registry.indexUrl}` };
  });
  afterAll(async () => {
    await registry?.close();
    repo?.remove();
  });

  const verify = (...args: string[]) => runPolicyAsync(['verify', ...args], { cwd: repo.dir, env });
  const events = () =>
    readFileSync(join(repo.dir, '.git', 'release-policy', 'journal.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

  it('records "no" when the registry has never heard of the crate', async () => {
    const result = await verify('--package', 'demo');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('demo 0.2.0 on local');
    expect(result.stdout).toContain('published no');
    const last = events().at(-1)!;
    expect(last).toMatchObject({ type: 'verification', package: 'demo', version: '0.2.0', published: 'no' });
    const statuses = (last.evidence as { source: string; status: number | null }[]).map((e) => e.status);
    expect(statuses).toContain(404);
    for (const e of last.evidence as { source: string }[]) expect(e.source).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  });

  it('records "unknown" with its evidence and exits 3 when the index answers 500', async () => {
    registry.faults.index = '500';
    try {
      const result = await verify('--package', 'demo');
      expect(result.code).toBe(3);
      expect(result.stdout).toContain('published unknown');
      const last = events().at(-1)!;
      expect(last).toMatchObject({ type: 'verification', published: 'unknown' });
      expect((last.evidence as { status: number | null }[]).map((e) => e.status)).toContain(500);
    } finally {
      registry.faults.index = null;
    }
  });

  it('refuses a registry name cargo does not define with exit 2, recording nothing', async () => {
    const before = events().length;
    const result = await verify('--package', 'other');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cargo registry `nowhere` is not defined');
    expect(result.stderr).toContain('[registries.nowhere]');
    expect(events().length).toBe(before);
  });

  it('the ci gate asks the index once per package, no web API, and checks release tags against it', async () => {
    repo.tag('v0.2.0');
    const findings = async (): Promise<{ rule: string; message: string }[]> => {
      const start = registry.requests.length;
      const result = await runPolicyAsync(['check', '--gate', 'ci', '--format', 'json', '--policy', 'demo-only.yml'], { cwd: repo.dir, env });
      const asked = registry.requests.slice(start);
      expect(asked.filter((r) => r.path.startsWith('/api/'))).toEqual([]);
      expect(asked.filter((r) => r.path === '/index/de/mo/demo' || r.path === '/index/4/demo' || r.path.endsWith('/demo')).length).toBe(1);
      return (JSON.parse(result.stdout) as { findings: { rule: string; message: string }[] }).findings;
    };
    repo.write({ 'demo-only.yml': 'version: 1\npackages:\n  - name: demo\n    registry: local\n' });
    const before = await findings();
    expect(before.find((f) => f.rule === 'tagged-version-published')?.message).toContain('release tag v0.2.0 names demo 0.2.0, which the registry local does not list');
    registry.seed('demo', '0.2.0');
    const after = await findings();
    expect(after.filter((f) => f.rule === 'tagged-version-published')).toEqual([]);
    expect(after.filter((f) => f.rule === 'published-version-tagged')).toEqual([]);
  });

  it('keeps credentials in the index URL and token-like values out of the output and the journal', async () => {
    const url = registry.indexUrl.replace('http://', 'http://ci-bot:S3CRET-PASSWORD@');
    const result = await runPolicyAsync(['verify', '--package', 'demo'], {
      cwd: repo.dir,
      env: { ...env, CARGO_REGISTRIES_LOCAL_INDEX: `sparse+${url}`, CARGO_REGISTRIES_LOCAL_TOKEN: 'S3CRET-TOKEN-VALUE' },
    });
    expect(result.code, result.stderr).toBe(0);
    const journal = readFileSync(join(repo.dir, '.git', 'release-policy', 'journal.jsonl'), 'utf8');
    for (const text of [result.stdout, result.stderr, journal]) {
      expect(text).not.toContain('S3CRET');
    }
    expect(result.stdout).toMatch(/http:\/\/127\.0\.0\.1:\d+\/index\//);
  });

  it('asks nothing and records nothing offline (exit 3)', async () => {
    const before = events().length;
    const requests = registry.requests.length;
    const result = await runPolicyAsync(['verify', '--package', 'demo'], { cwd: repo.dir, env: { ...env, POLICY_OFFLINE: '1' } });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('POLICY_OFFLINE=1');
    expect(events().length).toBe(before);
    expect(registry.requests.length).toBe(requests);
  });
});

if (!HAS_NPM) console.warn('test/cli/verify.test.ts: the npm cases are skipped, npm is not on PATH');

describe.skipIf(!HAS_GIT || !HAS_NPM)('policy verify for an npm package', () => {
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  let repo: TempRepo;
  let env: Record<string, string>;

  beforeAll(async () => {
    registry = await startRegistry();
    repo = makeRepo({ branch: 'issue-7-feature' });
    repo.commit('two npm packages', {
      'ours/package.json': '{ "name": "demo-js", "version": "1.0.0" }\n',
      'theirs/package.json': '{ "name": "other-js", "version": "1.0.0" }\n',
      'release-policy.yml':
        'version: 1\npackages:\n  - name: demo-js\n    ecosystem: npm\n    manifest: ours/package.json\n  - name: other-js\n    ecosystem: npm\n    manifest: theirs/package.json\n',
    });
    env = { ...hermeticGitEnv, POLICY_OFFLINE: '0', npm_config_registry: registry.npmUrl, npm_config_cache: join(repo.dir, '.npm-cache') };
    // What `npm publish` would upload: the registry gets our tarball's integrity for demo-js,
    // and another tarball's for other-js.
    const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: join(repo.dir, 'ours'), env: { ...process.env, ...env }, encoding: 'utf8' })) as { integrity: string }[];
    registry.npm.seed('demo-js', '1.0.0', packed[0]!.integrity);
    registry.npm.seed('other-js', '1.0.0');
  });
  afterAll(async () => {
    await registry?.close();
    repo?.remove();
  });

  const verify = (name: string) => runPolicyAsync(['verify', '--package', name], { cwd: repo.dir, env });

  it('says yes, ours, when the packument carries our tarball\'s integrity', async () => {
    const result = await verify('demo-js');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('published yes');
    expect(result.stdout).toContain('our upload landed');
  });

  it('says taken when the packument carries another integrity', async () => {
    const result = await verify('other-js');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('published taken');
    const status = JSON.parse((await runPolicyAsync(['status', '--format', 'json', '--package', 'other-js'], { cwd: repo.dir, env })).stdout);
    expect(status).toMatchObject({ taken: true, published: 'no', status: 'blocked' });
  });
});
