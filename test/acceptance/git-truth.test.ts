// Issue acceptance for "what git shows counts": a crate published under `policy run` (real
// cargo, a loopback registry named `local`), then tagged with plain `git tag` with the hooks
// off and pushed to a local bare remote, with `policy run` or plain `git push`. The close-issue
// gate and `policy status` must believe git: the tag on a commit whose manifest carries the
// version, the remote holding the tag and a branch holding it.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cargoEnv, startRegistry, writeCargoConfig, writeCrate } from '../../scripts/loopback-registry.mjs';
import { DEMO_NOTES } from '../helpers/demo-crate.js';
import { runAsync, runPolicyAsync, type CliResult } from '../helpers/cli.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_CARGO, HAS_GIT } from '../helpers/tools.js';

const CARGO_TIMEOUT = 240_000;

if (!HAS_CARGO) console.warn('test/acceptance/git-truth.test.ts: skipped, cargo is not on PATH');

interface StepView {
  step: string;
  done: boolean;
  journal: string;
  git: string | null;
  detail: string;
  disagreement: string;
}

interface Scene {
  registry: Awaited<ReturnType<typeof startRegistry>>;
  repo: TempRepo;
  remote: string;
  /** The commit carrying 0.1.0, before the release commit. */
  previous: string;
  env: Record<string, string>;
  policy: (args: string[], env?: Record<string, string>) => Promise<CliResult>;
  git: (...args: string[]) => Promise<CliResult>;
}

const scenes: Scene[] = [];
const servers: Server[] = [];

afterEach(async () => {
  for (const s of scenes.splice(0)) {
    await s.registry.close().catch(() => undefined);
    s.repo.remove();
    rmSync(s.remote, { recursive: true, force: true });
  }
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** demo 0.1.0, then 0.2.0 on issue-7-feature with its notes; hooks installed; dry-run and publish under `policy run`. */
async function published(): Promise<Scene> {
  const registry = await startRegistry();
  const repo = makeRepo({ branch: 'issue-7-feature' });
  const policyFile = 'version: 1\npackages:\n  - name: demo\n    registry: local\nissues:\n  branch: "issue-{issue}-*"\n';
  writeCrate(repo.dir, { name: 'demo', version: '0.1.0' });
  writeCargoConfig(repo.dir, registry);
  const previous = repo.commit('demo 0.1.0', { 'release-policy.yml': policyFile, '.gitignore': '/target\n/.cargo-home\n/.cargo/\n/Cargo.lock\n' });
  writeCrate(repo.dir, { name: 'demo', version: '0.2.0' });
  repo.commit('release demo 0.2.0 (#7)', {
    'RELEASE_v0.2.0.md': DEMO_NOTES,
  });
  const remote = mkdtempSync(join(tmpdir(), 'release-policy-remote-'));
  repo.git('init', '-q', '--bare', remote);
  repo.git('remote', 'add', 'origin', remote);
  // The remote's main holds 0.1.0 (what was there before this release).
  repo.git('push', '-q', 'origin', `${previous}:refs/heads/main`);
  const env = { ...(cargoEnv(registry, join(repo.dir, '.cargo-home')) as Record<string, string>), ...hermeticGitEnv, POLICY_OFFLINE: '0', NO_COLOR: '1' };
  const s: Scene = {
    registry,
    repo,
    remote,
    previous,
    env,
    policy: (args, extra = {}) => runPolicyAsync(args, { cwd: repo.dir, env: { ...env, ...extra } }),
    git: (...args) => runAsync('git', args, { cwd: repo.dir, env: { ...process.env, ...env } }),
  };
  scenes.push(s);
  expect((await s.policy(['hooks', 'install', '--manager', 'git'])).code).toBe(0);
  const dryRun = await s.policy(['run', '--', 'cargo', 'publish', '--registry', 'local', '--dry-run']);
  expect(dryRun.code, dryRun.stderr).toBe(0);
  const publish = await s.policy(['run', '--', 'cargo', 'publish', '--registry', 'local']);
  expect(publish.code, publish.stderr).toBe(0);
  return s;
}

const status = async (s: Scene, ...args: string[]) => {
  const result = await s.policy(['status', '--format', 'json', ...args]);
  return { code: result.code, json: JSON.parse(result.stdout) as { status: string; steps: StepView[]; remote: { name: string; via: string; error: string }; nextAction: string } };
};
const step = (steps: StepView[], name: string): StepView | undefined => steps.find((x) => x.step === name);
const untracked = (s: Scene, ...args: string[]) => s.git('-c', 'core.hooksPath=/dev/null', ...args);

/** A TCP server that accepts connections and never answers: a remote that hangs. */
async function hangingServer(): Promise<number> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  server.on('close', () => sockets.forEach((socket) => socket.destroy()));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const close = server.close.bind(server);
  server.close = (callback) => {
    sockets.forEach((socket) => socket.destroy());
    return close(callback);
  };
  return address.port;
}

describe.skipIf(!HAS_CARGO || !HAS_GIT)('what git shows counts, with real cargo, hooks and a bare remote', () => {
  it('a plain `git tag` pushed with `policy run`: the issue may close; the remote is asked, and its faults are exit 3', async () => {
    const s = await published();
    expect((await untracked(s, 'tag', 'v0.2.0')).code).toBe(0);
    // The same tag again under `policy run`: git refuses, the journal records a failed tag step.
    expect((await s.policy(['run', '--', 'git', 'tag', 'v0.2.0'])).code).toBe(128);
    const push = await s.policy(['run', '--', 'git', 'push', 'origin', 'HEAD', 'v0.2.0']);
    expect(push.code, push.stdout + push.stderr).toBe(0);

    const gate = await s.policy(['gate', 'close-issue', '7']);
    expect(gate.code, gate.stdout + gate.stderr).toBe(0);
    const failedTag = await status(s);
    expect(failedTag.json).toMatchObject({ status: 'released', failure: null });
    expect(step(failedTag.json.steps, 'tag')).toMatchObject({ done: true, journal: 'failed', git: 'done' });
    expect(step(failedTag.json.steps, 'tag')?.disagreement).toMatch(/^the journal says the tag step failed, git shows v0\.2\.0 is on commit [0-9a-f]{12}, whose manifest carries 0\.2\.0$/);

    // Without --remote: the tag from git, the push from the journal and the remote-tracking branch.
    const local = await status(s);
    expect(local.code).toBe(0);
    expect(step(local.json.steps, 'publish')).toMatchObject({ done: true, journal: 'done' });
    expect(step(local.json.steps, 'tag')).toMatchObject({ done: true, journal: 'failed', git: 'done' });
    expect(step(local.json.steps, 'tag')?.detail).toContain('v0.2.0 is on commit');
    expect(step(local.json.steps, 'push')).toMatchObject({ done: true, journal: 'done', git: 'branch-only' });
    expect(step(local.json.steps, 'closeout')).toMatchObject({ done: false, journal: 'none', git: null });
    expect(local.json.remote).toEqual({ name: 'origin', via: 'tracking', error: '' });
    const remote = await status(s, '--remote');
    expect(step(remote.json.steps, 'push')).toMatchObject({ done: true, journal: 'done', git: 'done', disagreement: '' });
    expect(step(remote.json.steps, 'push')?.detail).toContain('origin/issue-7-feature holds it');
    const text = await s.policy(['status', '--remote']);
    expect(text.stdout).toMatch(/tag +done +journal: failed; git: done \(v0\.2\.0 is on commit [0-9a-f]{12}, whose manifest carries 0\.2\.0\)\n +disagree: the journal says the tag step failed, git shows v0\.2\.0 is on commit/);

    // The journal says pushed, the remote has lost the tag: git wins, and the status says they disagree.
    expect((await untracked(s, 'push', 'origin', ':refs/tags/v0.2.0')).code).toBe(0);
    const lost = await status(s, '--remote');
    expect(step(lost.json.steps, 'push')).toMatchObject({ done: false, journal: 'done', git: 'not-done' });
    expect(step(lost.json.steps, 'push')?.disagreement).toBe('the journal says the push succeeded, git shows origin has no tag v0.2.0');
    const refused = await s.policy(['gate', 'close-issue', '7']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('blocked-keep-issue-open');
    expect(refused.stdout).toContain('the push step has not succeeded (origin has no tag v0.2.0)');

    // A remote that cannot be read, or does not answer in time: exit 3, said, no stack trace.
    s.repo.git('remote', 'set-url', 'origin', join(s.remote, 'missing.git'));
    const missing = await s.policy(['gate', 'close-issue', '7']);
    expect(missing.code).toBe(3);
    expect(missing.stdout + missing.stderr).toContain('the remote origin could not be read: `git ls-remote origin` failed');
    expect(missing.stdout + missing.stderr).not.toMatch(/\n\s+at /);
    const missingStatus = await status(s, '--remote');
    expect(missingStatus.code).toBe(3);
    expect(missingStatus.json.remote.error).toContain('the remote origin could not be read');
    expect(step(missingStatus.json.steps, 'push')).toMatchObject({ git: 'unknown' });

    s.repo.git('remote', 'set-url', 'origin', 'https://maintainer:s3cret-pass-word@127.0.0.1:1/demo.git');
    const refusedConnection = await s.policy(['gate', 'close-issue', '7']);
    expect(refusedConnection.code).toBe(3);
    expect(refusedConnection.stdout + refusedConnection.stderr).toContain('the remote origin could not be read');
    expect(refusedConnection.stdout + refusedConnection.stderr).not.toContain('s3cret-pass-word');

    const port = await hangingServer();
    s.repo.git('remote', 'set-url', 'origin', `git://127.0.0.1:${port}/demo.git`);
    const hung = await s.policy(['gate', 'close-issue', '7'], { POLICY_REMOTE_TIMEOUT: '1' });
    expect(hung.code).toBe(3);
    expect(hung.stdout + hung.stderr).toContain('`git ls-remote origin` did not answer within 1 s');

    // Repaired: pushed again, the issue may close, and the closeout closes the release.
    s.repo.git('remote', 'set-url', 'origin', s.remote);
    expect((await s.policy(['run', '--', 'git', 'push', 'origin', 'HEAD', 'v0.2.0'])).code).toBe(0);
    expect((await s.policy(['gate', 'close-issue', '7'])).code).toBe(0);
    expect((await s.policy(['gate', 'start-issue', '8'])).code).toBe(1);
    expect((await s.policy(['run', '--phase', 'closeout', '--', 'true'])).code).toBe(0);
    expect((await status(s)).json.status).toBe('closed');
    expect((await s.policy(['gate', 'start-issue', '8'])).code).toBe(0);
  }, CARGO_TIMEOUT);

  it('a plain `git tag` and a plain `git push` then `git fetch`: the issue may close, asked online or read offline', async () => {
    const s = await published();
    expect((await untracked(s, 'tag', 'v0.2.0')).code).toBe(0);
    const push = await s.git('push', 'origin', 'HEAD', 'v0.2.0'); // the pre-push hook runs
    expect(push.code, push.stderr).toBe(0);
    expect((await s.git('fetch', 'origin')).code).toBe(0);

    const gate = await s.policy(['gate', 'close-issue', '7']);
    expect(gate.code, gate.stdout + gate.stderr).toBe(0);
    // Offline, the remote-tracking branch shows the branch but not the tag: not enough (fail closed).
    const offline = await s.policy(['gate', 'close-issue', '7'], { POLICY_OFFLINE: '1' });
    expect(offline.code).toBe(1);
    expect(offline.stdout).toContain('the push step has not succeeded (origin/issue-7-feature holds v0.2.0\'s commit (as of the last fetch or push); whether the remote has the tag is not visible locally');
    const { json } = await status(s, '--remote');
    expect(step(json.steps, 'tag')).toMatchObject({ done: true, journal: 'none', git: 'done' });
    expect(step(json.steps, 'push')).toMatchObject({ done: true, journal: 'none', git: 'done', disagreement: '' });
    expect(json.status).toBe('released'); // the closeout is still to be recorded
    const comment = await s.policy(['comment']);
    expect(comment.stdout).toContain('- next action: the crate is released: confirm that origin has v0.2.0 with `policy status --remote` (origin/issue-7-feature holds its commit), or push it with `policy run -- git push origin HEAD v0.2.0`, then record closeout');

    expect((await s.policy(['run', '--phase', 'closeout', '--', 'true'])).code).toBe(0);
    expect((await status(s)).json.status).toBe('closed');
    expect((await s.policy(['gate', 'start-issue', '8'])).code).toBe(0);
    // The hooks read no remote: the recorded closeout (the close-issue gate asked the remote before it ran) keeps it closed.
    expect((await s.policy(['gate', 'start-issue', '8'], { POLICY_OFFLINE: '1' })).code).toBe(0);
  }, CARGO_TIMEOUT);

  it('a tag on a commit whose manifest does not carry the version is not done, and the refusal names it', async () => {
    const s = await published();
    expect((await untracked(s, 'tag', 'v0.2.0', s.previous)).code).toBe(0);
    expect((await untracked(s, 'push', 'origin', 'HEAD', 'v0.2.0')).code).toBe(0);

    const gate = await s.policy(['gate', 'close-issue', '7']);
    expect(gate.code).toBe(1);
    expect(gate.stdout).toContain(`tag v0.2.0 is on commit ${s.previous.slice(0, 12)}, whose manifest carries 0.1.0, not 0.2.0`);
    const { json } = await status(s, '--remote');
    expect(step(json.steps, 'tag')).toMatchObject({ done: false, journal: 'none', git: 'wrong-commit' });
    expect(step(json.steps, 'tag')?.detail).toBe(`v0.2.0 is on commit ${s.previous.slice(0, 12)}, whose manifest carries 0.1.0, not 0.2.0`);
    expect(step(json.steps, 'push')).toMatchObject({ done: false, git: 'not-done' });
    expect(json.nextAction).toContain(`git tag -d v0.2.0`);
  }, CARGO_TIMEOUT);
});
