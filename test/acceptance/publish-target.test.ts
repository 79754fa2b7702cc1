// The right crate on the right registry: a publish that went elsewhere than the policy says
// (`--registry local2`, `--index URL`, `-p othercrate` of a workspace) is confirmed where it
// went. Real cargo through `policy run`, two loopback sparse registries, each case in its own
// repository; the upload is stored and answered with a 500, so only `policy verify` can settle it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cargoEnv, indexPath, startRegistry, writeCrate } from '../../scripts/loopback-registry.mjs';
import { DEMO_GITIGNORE, DEMO_NOTES } from '../helpers/demo-crate.js';
import { runPolicyAsync, type CliResult } from '../helpers/cli.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_CARGO, HAS_GIT } from '../helpers/tools.js';

const CARGO_TIMEOUT = 240_000;

if (!HAS_CARGO) console.warn('test/acceptance/publish-target.test.ts: skipped, cargo is not on PATH');

type Registry = Awaited<ReturnType<typeof startRegistry>>;

interface Scene {
  repo: TempRepo;
  local: Registry;
  local2: Registry;
  policy: (...args: string[]) => Promise<CliResult>;
  status: () => Promise<Record<string, unknown>>;
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const uploads = (registry: Registry): number => registry.requests.filter((r) => r.method === 'PUT' && r.path === '/api/v1/crates/new').length;

/**
 * A repository on issue-7-feature whose policy says `demo` on `local`, with cargo's
 * configuration defining `local` and `local2` (one loopback registry each, one token for both).
 * The caller writes and commits the crates, then publishes.
 */
async function scene(policy: string): Promise<Scene> {
  const local = await startRegistry();
  const local2 = await startRegistry({ token: local.token });
  const repo = makeRepo({ branch: 'issue-7-feature' });
  cleanups.push(async () => {
    await local.close().catch(() => undefined);
    await local2.close().catch(() => undefined);
    repo.remove();
  });
  mkdirSync(join(repo.dir, '.cargo'), { recursive: true });
  writeFileSync(
    join(repo.dir, '.cargo', 'config.toml'),
    `[registries.local]\nindex = "sparse+${local.indexUrl}"\n\n[registries.local2]\nindex = "sparse+${local2.indexUrl}"\n`,
  );
  repo.commit('release demo 0.2.0 (#7)', {
    'release-policy.yml': `version: 1\npackages:\n${policy}issues:\n  branch: "issue-{issue}-*"\n`,
    'RELEASE_v0.2.0.md': DEMO_NOTES,
    '.gitignore': DEMO_GITIGNORE,
  });
  const env = {
    ...(cargoEnv(local, join(repo.dir, '.cargo-home')) as Record<string, string>),
    CARGO_REGISTRIES_LOCAL2_TOKEN: local.token,
    ...hermeticGitEnv,
    POLICY_OFFLINE: '0',
  };
  const run = (...args: string[]): Promise<CliResult> => runPolicyAsync(args, { cwd: repo.dir, env });
  return {
    repo,
    local,
    local2,
    policy: run,
    status: async () => JSON.parse((await run('status', '--format', 'json')).stdout) as Record<string, unknown>,
  };
}

const DEMO_ON_LOCAL = '  - name: demo\n    registry: local\n';

/** The journal's last verification event. */
function lastVerification(s: Scene): { published: string; content?: string; asked?: Record<string, string>; evidence: { source: string }[] } {
  const lines = readFileSync(join(s.repo.dir, '.git', 'release-policy', 'journal.jsonl'), 'utf8').trim().split('\n');
  const events = lines.map((line) => JSON.parse(line) as { type: string });
  return events.filter((e) => e.type === 'verification').at(-1) as never;
}

/** Dry-run, then the publish that the registry stores and answers with a 500. */
async function publishStoredThen500(s: Scene, registry: Registry, publish: string[]): Promise<void> {
  const dryRun = await s.policy('run', '--', ...publish, '--dry-run');
  expect(dryRun.code, dryRun.stderr).toBe(0);
  registry.faults.publish = 'accept-then-500';
  const run = await s.policy('run', '--', ...publish);
  expect(run.code).not.toBe(0);
  expect(uploads(registry)).toBe(1);
  expect(await s.status()).toMatchObject({ status: 'unknown', published: 'unknown', failure: { phase: 'publish' } });
}

describe.skipIf(!HAS_CARGO || !HAS_GIT)('policy verify asks the registry and crate the publish used', () => {
  it('--registry local2 while the policy says local: verify says yes from local2, and the publish gate refuses a re-publish', async () => {
    const s = await scene(DEMO_ON_LOCAL);
    writeCrate(s.repo.dir, { name: 'demo', version: '0.2.0' });
    s.repo.commit('the crate');
    await publishStoredThen500(s, s.local2, ['cargo', 'publish', '--registry', 'local2']);
    s.local2.faults.publish = null;

    const asked = s.local.requests.length;
    const verify = await s.policy('verify');
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain(`demo 0.2.0 on local2 (${s.local2.indexUrl}): published yes`);
    expect(verify.stdout).toContain('our upload landed');
    expect(verify.stdout).toContain('`--registry local2` of the recorded publish');
    expect(s.local.requests.length).toBe(asked); // the policy's registry was not asked
    const event = lastVerification(s);
    expect(event).toMatchObject({ published: 'yes', content: 'ours', asked: { crate: 'demo', registry: 'local2', url: s.local2.indexUrl } });
    expect(event.asked?.from).toContain('--registry local2');
    for (const e of event.evidence) expect(e.source.startsWith(s.local2.url)).toBe(true);
    expect(await s.status()).toMatchObject({ status: 'released', published: 'yes' });

    expect((await s.policy('gate', 'publish')).code).toBe(1);
    const again = await s.policy('run', '--', 'cargo', 'publish', '--registry', 'local2');
    expect(again.code).toBe(1);
    expect(again.stdout + again.stderr).toContain('publish-no-blind-retry');
    expect(uploads(s.local2)).toBe(1);

    // CI asks the registry the publish went to about the release tag: local2 lists 0.2.0, local does not.
    s.repo.git('-c', 'core.hooksPath=/dev/null', 'tag', 'v0.2.0');
    const ci = await s.policy('check', '--gate', 'ci', '--format', 'json');
    const findings = (JSON.parse(ci.stdout) as { findings: { rule: string }[] }).findings;
    expect(findings.filter((f) => f.rule === 'tagged-version-published')).toEqual([]);
    expect(s.local.requests.filter((r) => r.path === `/index/${indexPath('demo')}`)).toEqual([]);

    // The recorded registry no longer defined: a usage error naming the recorded command, nothing recorded.
    const journal = join(s.repo.dir, '.git', 'release-policy', 'journal.jsonl');
    const before = readFileSync(journal, 'utf8');
    writeFileSync(join(s.repo.dir, '.cargo', 'config.toml'), `[registries.local]\nindex = "sparse+${s.local.indexUrl}"\n`);
    const undefinedRegistry = await s.policy('verify');
    expect(undefinedRegistry.code).toBe(2);
    expect(undefinedRegistry.stderr).toContain('cargo registry `local2` is not defined');
    expect(undefinedRegistry.stderr).toContain('`cargo publish --registry local2`');
    expect(readFileSync(journal, 'utf8')).toBe(before);
  }, CARGO_TIMEOUT);

  it('-p othercrate in a workspace: verify asks about othercrate, not the policy\'s package', async () => {
    const s = await scene(`  - name: demo\n    manifest: crates/demo/Cargo.toml\n    registry: local\n`);
    writeCrate(join(s.repo.dir, 'crates', 'demo'), { name: 'demo', version: '0.2.0' });
    writeCrate(join(s.repo.dir, 'crates', 'othercrate'), { name: 'othercrate', version: '0.2.0' });
    s.repo.commit('a workspace', { 'Cargo.toml': '[workspace]\nmembers = ["crates/demo", "crates/othercrate"]\nresolver = "2"\n' });
    await publishStoredThen500(s, s.local, ['cargo', 'publish', '--registry', 'local', '-p', 'othercrate']);
    s.local.faults.publish = null;
    expect([...s.local.crates.keys()]).toEqual(['othercrate']);

    const before = s.local.requests.length;
    const verify = await s.policy('verify');
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain('othercrate 0.2.0 on local');
    expect(verify.stdout).toContain('published yes');
    expect(verify.stdout).toContain('our upload landed');
    const paths = s.local.requests.slice(before).map((r) => r.path);
    expect(paths).toContain(`/index/${indexPath('othercrate')}`);
    expect(paths).not.toContain(`/index/${indexPath('demo')}`);
    expect(lastVerification(s)).toMatchObject({ published: 'yes', content: 'ours', asked: { crate: 'othercrate', registry: 'local' } });
    expect((await s.policy('gate', 'publish')).code).toBe(1);
  }, CARGO_TIMEOUT);

  it('--index URL: verify asks that index', async () => {
    const s = await scene(DEMO_ON_LOCAL);
    writeCrate(s.repo.dir, { name: 'demo', version: '0.2.0' });
    s.repo.commit('the crate');
    const index = `sparse+${s.local2.indexUrl}`;
    await publishStoredThen500(s, s.local2, ['cargo', 'publish', '--index', index, '--token', s.local.token]);
    s.local2.faults.publish = null;

    const journal = readFileSync(join(s.repo.dir, '.git', 'release-policy', 'journal.jsonl'), 'utf8');
    expect(journal).not.toContain(s.local.token);
    const asked = s.local.requests.length;
    const verify = await s.policy('verify');
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain('published yes');
    expect(verify.stdout).toContain('`--index` of the recorded publish');
    expect(s.local.requests.length).toBe(asked);
    expect(lastVerification(s)).toMatchObject({ published: 'yes', content: 'ours', asked: { crate: 'demo', registry: index, url: s.local2.indexUrl } });
    expect(await s.status()).toMatchObject({ status: 'released', published: 'yes' });
  }, CARGO_TIMEOUT);
});
