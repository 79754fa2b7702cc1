// `policy verify` without cargo: the answers that need no local package (no, unknown), and
// the errors. The yes / taken answers, which compare checksums with `cargo package`, are in
// test/acceptance/registry-word.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, writeCrate } from '../../scripts/loopback-registry.mjs';
import { runPolicyAsync } from '../helpers/cli.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_GIT } from '../helpers/tools.js';

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
