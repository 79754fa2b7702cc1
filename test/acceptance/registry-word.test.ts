// Issue acceptance for the registry's word, as a new user would try it: a crate at 0.2.0 on
// branch issue-7-feature, real cargo publishing through `policy run` to a loopback sparse
// registry named `local`, a local bare remote, and `policy verify` settling what the publish
// left unknown. Each case has its own repository and registry.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cargoEnv, startRegistry } from '../../scripts/loopback-registry.mjs';
import { runPolicyAsync, type CliResult } from '../helpers/cli.js';
import { commitDemoRelease } from '../helpers/demo-crate.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_CARGO, HAS_GIT } from '../helpers/tools.js';

const CARGO_TIMEOUT = 240_000;

if (!HAS_CARGO) console.warn('test/acceptance/registry-word.test.ts: skipped, cargo is not on PATH');

type Registry = Awaited<ReturnType<typeof startRegistry>>;

interface Scene {
  registry: Registry;
  repo: TempRepo;
  remote: string;
  policy: (...args: string[]) => Promise<CliResult>;
  status: () => Promise<Record<string, unknown>>;
  uploads: () => number;
}

const scenes: Scene[] = [];

afterEach(async () => {
  for (const scene of scenes.splice(0)) {
    await scene.registry.close().catch(() => undefined);
    scene.repo.remove();
    rmSync(scene.remote, { recursive: true, force: true });
  }
});

/** The crate at 0.2.0 on issue-7-feature with its notes, a bare remote, and a passing dry-run. */
async function scene(): Promise<Scene> {
  const registry = await startRegistry();
  const repo = makeRepo({ branch: 'issue-7-feature' });
  commitDemoRelease(repo, registry);
  const remote = mkdtempSync(join(tmpdir(), 'release-policy-remote-'));
  repo.git('init', '-q', '--bare', remote);
  repo.git('remote', 'add', 'origin', remote);
  // Online, to ask the loopback registry (the test helpers run offline by default).
  const env = { ...(cargoEnv(registry, join(repo.dir, '.cargo-home')) as Record<string, string>), ...hermeticGitEnv, POLICY_OFFLINE: '0' };
  const policy = (...args: string[]): Promise<CliResult> => runPolicyAsync(args, { cwd: repo.dir, env });
  const made: Scene = {
    registry,
    repo,
    remote,
    policy,
    status: async () => JSON.parse((await policy('status', '--format', 'json')).stdout) as Record<string, unknown>,
    uploads: () => registry.requests.filter((r) => r.method === 'PUT' && r.path === '/api/v1/crates/new').length,
  };
  scenes.push(made);
  const dryRun = await policy('run', '--', 'cargo', 'publish', '--registry', 'local', '--dry-run');
  expect(dryRun.code, dryRun.stderr).toBe(0);
  return made;
}

const publish = (s: Scene): Promise<CliResult> => s.policy('run', '--', 'cargo', 'publish', '--registry', 'local');
const gate = async (s: Scene, ...args: string[]): Promise<number> => (await s.policy('gate', ...args)).code;

/** Every registry answer behind the recorded verifications came from loopback. */
function evidenceSources(s: Scene): string[] {
  const lines = readFileSync(join(s.repo.dir, '.git', 'release-policy', 'journal.jsonl'), 'utf8').trim().split('\n');
  return lines.map((line) => JSON.parse(line) as { evidence?: { source: string }[] }).flatMap((e) => (e.evidence ?? []).map((x) => x.source));
}

describe.skipIf(!HAS_CARGO || !HAS_GIT)('the registry word with real cargo and a loopback registry', () => {
  it('stored, then 500: unknown, no second upload, verify says yes, then tag, push and closeout', async () => {
    const s = await scene();
    s.registry.faults.publish = 'accept-then-500';
    const first = await publish(s);
    expect(first.code).not.toBe(0);
    expect(await s.status()).toMatchObject({ status: 'unknown', published: 'unknown', failure: { phase: 'publish' } });
    expect(s.uploads()).toBe(1);

    const again = await publish(s);
    expect(again.code).toBe(1);
    expect(again.stdout + again.stderr).toContain('publish-no-blind-retry');
    expect(s.uploads()).toBe(1);
    expect(await gate(s, 'tag', 'v0.2.0')).toBe(1);

    s.registry.faults.publish = null;
    const verify = await s.policy('verify');
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain('published yes');
    expect(verify.stdout).toContain('our upload landed');
    expect(await s.status()).toMatchObject({ status: 'released', published: 'yes' });
    expect(evidenceSources(s).length).toBeGreaterThan(0);
    for (const source of evidenceSources(s)) expect(source).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);

    expect(await gate(s, 'tag', 'v0.2.0')).toBe(0);
    expect(await gate(s, 'start-issue', '8')).toBe(1);
    expect(await gate(s, 'close-issue', '7')).toBe(1);

    expect((await s.policy('run', '--', 'git', 'tag', 'v0.2.0')).code).toBe(0);
    expect(await gate(s, 'close-issue', '7')).toBe(1); // the tag is not on the remote yet
    const push = await s.policy('run', '--', 'git', 'push', 'origin', 'HEAD', 'v0.2.0');
    expect(push.code, push.stderr).toBe(0);
    expect(s.repo.git('ls-remote', '--tags', 'origin')).toContain('refs/tags/v0.2.0');
    expect(await gate(s, 'close-issue', '7')).toBe(0);
    expect(await gate(s, 'start-issue', '8')).toBe(1); // closeout not recorded yet
    expect((await s.policy('run', '--phase', 'closeout', '--', 'true')).code).toBe(0);
    expect(await gate(s, 'start-issue', '8')).toBe(0);
  }, CARGO_TIMEOUT);

  it('500 without storing: unknown, verify says no, and a retry is allowed and succeeds', async () => {
    const s = await scene();
    s.registry.faults.publish = '500';
    expect((await publish(s)).code).not.toBe(0);
    expect(await s.status()).toMatchObject({ published: 'unknown' });
    expect(await gate(s, 'publish')).toBe(1);

    s.registry.faults.publish = null;
    const verify = await s.policy('verify');
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain('published no');
    expect(await s.status()).toMatchObject({ status: 'blocked', published: 'no', verifiedSinceFailure: true });

    expect(await gate(s, 'publish')).toBe(0);
    const retry = await publish(s);
    expect(retry.code, retry.stderr).toBe(0);
    expect(s.registry.crates.get('demo')?.map((v) => v.vers)).toEqual(['0.2.0']);
    expect(await s.status()).toMatchObject({ status: 'released', published: 'yes' });
  }, CARGO_TIMEOUT);

  it('a version taken by other content: the publish fails, verify says taken, bump waits for a decision', async () => {
    const s = await scene();
    s.registry.seed('demo', '0.2.0'); // someone else's 0.2.0
    const run = await publish(s);
    expect(run.code).not.toBe(0);
    expect(s.uploads()).toBe(0); // cargo saw the version in the index and stopped
    // "already exists" may be our own earlier upload: policy run concludes nothing and names verify.
    const before = await s.status();
    expect(before).toMatchObject({ status: 'unknown', published: 'unknown' });
    expect(before.nextAction).toContain('policy verify');

    const verify = await s.policy('verify');
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain('published taken');
    expect(await s.status()).toMatchObject({ status: 'blocked', published: 'no', taken: true });
    expect(await gate(s, 'publish')).toBe(1);
    expect(await gate(s, 'tag', 'v0.2.0')).toBe(1);
    expect(await gate(s, 'bump', '0.2.1')).toBe(1);

    const decide = await s.policy('decide', '--version', '0.2.1', '--reason', '0.2.0 is taken on the registry by other content');
    expect(decide.code).toBe(0);
    expect(await gate(s, 'bump', '0.2.1')).toBe(0);
  }, CARGO_TIMEOUT);

  it('a push the remote rejects after a publish: released with the push failure until a later push and the closeout', async () => {
    const s = await scene();
    const hook = join(s.remote, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "remote: pushes are closed for maintenance" >&2\nexit 1\n');
    chmodSync(hook, 0o755);

    expect((await publish(s)).code).toBe(0);
    expect((await s.policy('run', '--', 'git', 'tag', 'v0.2.0')).code).toBe(0);
    const push = await s.policy('run', '--', 'git', 'push', 'origin', 'HEAD', 'v0.2.0');
    expect(push.code).not.toBe(0);
    expect(await s.status()).toMatchObject({ status: 'released', published: 'yes', failure: { phase: 'push' } });
    const comment = await s.policy('comment');
    expect(comment.stdout).toContain('- crate published: yes\n');
    expect(await gate(s, 'close-issue', '7')).toBe(1);
    expect(await gate(s, 'start-issue', '8')).toBe(1);

    rmSync(hook);
    const again = await s.policy('run', '--', 'git', 'push', 'origin', 'HEAD', 'v0.2.0');
    expect(again.code, again.stderr).toBe(0);
    expect(s.repo.git('ls-remote', 'origin')).toMatch(/refs\/heads\/issue-7-feature[\s\S]*refs\/tags\/v0\.2\.0/);
    expect(await gate(s, 'close-issue', '7')).toBe(0);
    expect(await gate(s, 'start-issue', '8')).toBe(1);
    expect((await s.policy('run', '--phase', 'closeout', '--', 'true')).code).toBe(0);
    expect(await gate(s, 'start-issue', '8')).toBe(0);
  }, CARGO_TIMEOUT);

  it.each([
    ['already-uploaded', 'unknown', 'unknown', 'version-exists'],
    ['429', 'blocked', 'no', 'rate-limited'],
    ['403', 'blocked', 'no', 'upload-refused'],
  ] as const)('the registry refuses the upload with %s: recorded as %s, published %s; verify says no and a retry is allowed', async (fault, status, published, reason) => {
    const s = await scene();
    s.registry.faults.publish = fault;
    const run = await publish(s);
    expect(run.code).not.toBe(0);
    expect(s.uploads()).toBe(1);
    expect(await s.status()).toMatchObject({ status, published, failure: { phase: 'publish', reason } });
    expect(await gate(s, 'publish')).toBe(1); // never blindly, even after a clear refusal
    if (fault === '429') expect(((await s.status()).failure as { error: string }).error).toContain('Please try again after');

    s.registry.faults.publish = null;
    const verify = await s.policy('verify');
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain('published no');
    expect(await gate(s, 'publish')).toBe(0);
    expect((await publish(s)).code).toBe(0);
    expect(await s.status()).toMatchObject({ status: 'released', published: 'yes' });
  }, CARGO_TIMEOUT);

  it('an index lagging behind the API keeps the answer unknown until it catches up', async () => {
    const s = await scene();
    s.registry.faults.publish = 'accept-then-500';
    s.registry.faults.indexLag = true;
    expect((await publish(s)).code).not.toBe(0);
    s.registry.faults.publish = null;

    const lagging = await s.policy('verify');
    expect(lagging.code).toBe(3);
    expect(lagging.stdout).toContain('published unknown');
    expect(lagging.stdout).toMatch(/lagging behind the API/);
    expect(await s.status()).toMatchObject({ status: 'unknown', published: 'unknown' });
    expect(await gate(s, 'tag', 'v0.2.0')).toBe(1);

    s.registry.faults.indexLag = false;
    const caughtUp = await s.policy('verify');
    expect(caughtUp.code, caughtUp.stdout).toBe(0);
    expect(await s.status()).toMatchObject({ status: 'released', published: 'yes' });
    expect(await gate(s, 'tag', 'v0.2.0')).toBe(0);
  }, CARGO_TIMEOUT);

  it('with the registry down every answer is unknown, recorded, and the gates stay closed', async () => {
    const s = await scene();
    s.registry.faults.publish = 'store-then-reset';
    expect((await publish(s)).code).not.toBe(0);
    expect(await s.status()).toMatchObject({ published: 'unknown' });
    await s.registry.close();

    const verify = await s.policy('verify');
    expect(verify.code).toBe(3);
    expect(verify.stdout).toContain('published unknown');
    expect(verify.stdout).toMatch(/127\.0\.0\.1:\d+/);
    expect(await s.status()).toMatchObject({ status: 'unknown', published: 'unknown' });
    expect(await gate(s, 'tag', 'v0.2.0')).toBe(1);
    expect(await gate(s, 'publish')).toBe(1);
    expect(await gate(s, 'start-issue', '8')).toBe(1);

    // CI asks the registry itself: a release tag it cannot confirm is a finding naming the registry.
    s.repo.git('-c', 'core.hooksPath=/dev/null', 'tag', 'v0.2.0');
    const ci = await s.policy('check', '--gate', 'ci', '--format', 'json');
    expect(ci.code).toBe(1);
    const findings = (JSON.parse(ci.stdout) as { findings: { rule: string; message: string }[] }).findings;
    expect(findings.find((f) => f.rule === 'tagged-version-published')?.message).toMatch(
      /release tag v0\.2\.0 of demo cannot be confirmed: the registry local \(http:\/\/127\.0\.0\.1:\d+\/index\/\) gave no answer when asked for demo 0\.2\.0 \(.*connection refused/,
    );
  }, CARGO_TIMEOUT);
});
