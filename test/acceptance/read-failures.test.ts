// Failures read right, as a user meets them through `policy run`: a dry-run that cannot reach
// its registry (real cargo against an unresolvable host and a closed loopback port) is the
// registry unreachable, not a packaging problem; a command that cannot start exits 127/126
// and says it could not run; the next action repeats the user's own command, and following
// it runs that command (real cargo publishing to the loopback registry).
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cargoEnv, startRegistry, writeCrate } from '../../scripts/loopback-registry.mjs';
import { closedPort } from '../registry/fixtures.js';
import { runPolicy, runPolicyAsync, type CliResult } from '../helpers/cli.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_CARGO, HAS_GIT } from '../helpers/tools.js';

const CARGO_TIMEOUT = 180_000;

if (!HAS_CARGO) console.warn('test/acceptance/read-failures.test.ts: the cargo part is skipped, cargo is not on PATH');


/** The `policy run ...` command a next action names, as argv (the tests use no quoting). */
function advisedRun(action: string): string[] {
  const match = /`policy run (--phase \S+ )?-- ([^`]+)`/.exec(action);
  if (match === null) throw new Error(`no policy run command in: ${action}`);
  return ['run', ...(match[1] ? match[1].trim().split(' ') : []), '--', ...match[2]!.split(' ')];
}

const journalOf = (repo: TempRepo): string[] =>
  readFileSync(join(repo.dir, '.git', 'release-policy', 'journal.jsonl'), 'utf8').trim().split('\n');

describe.skipIf(!HAS_GIT)('a command that could not run', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = makeRepo({ branch: 'issue-7-notes' });
    repo.commit('release demo 0.2.0', {
      'release-policy.yml': 'version: 1\npackages:\n  - name: demo\nissues:\n  branch: "issue-{issue}-*"\n',
      'Cargo.toml': '[package]\nname = "demo"\nversion = "0.2.0"\nedition = "2021"\n',
      'check-notes.sh': '#!/bin/sh\nexit 0\n',
    });
  });
  afterAll(() => repo?.remove());
  const policy = (...args: string[]): CliResult => runPolicy(args, { cwd: repo.dir, env: hermeticGitEnv });

  it('not found: exit 127, "could not run", recorded as command-not-run with exit 127', () => {
    const run = policy('run', '--phase', 'dry-run', '--', 'no-such-command-3f9a', 'publish', '--dry-run', '-p', 'demo');
    expect(run.code).toBe(127);
    expect(run.stderr).toContain('could not run the command, exit 127: not found');
    expect(run.stderr).not.toMatch(/killed/);
    const status = JSON.parse(policy('status', '--format', 'json').stdout);
    expect(status.failure).toMatchObject({ phase: 'dry-run', exitCode: 127, reason: 'command-not-run' });
    expect(status.nextAction).toContain('could not be run (exit 127: not found)');
    expect(status.nextAction).toContain('`policy run --phase dry-run -- no-such-command-3f9a publish --dry-run -p demo`');
    expect(JSON.parse(journalOf(repo).at(-1)!)).toMatchObject({ type: 'step-finished', exitCode: 127, reason: 'command-not-run' });
  });

  it('not executable: exit 126, recorded as command-not-run with exit 126', () => {
    chmodSync(join(repo.dir, 'check-notes.sh'), 0o644);
    const run = policy('run', '--phase', 'notes', '--', './check-notes.sh');
    expect(run.code).toBe(126);
    expect(run.stderr).toContain('could not run the command, exit 126: not executable');
    const status = JSON.parse(policy('status', '--format', 'json').stdout);
    expect(status.failure).toMatchObject({ phase: 'notes', exitCode: 126, reason: 'command-not-run' });
    expect(status.nextAction).toContain('could not be run (exit 126: found but not executable)');
  });

  it('a command that ran and failed is not called one that could not run', () => {
    writeFileSync(join(repo.dir, 'check-notes.sh'), '#!/bin/sh\nexit 3\n');
    chmodSync(join(repo.dir, 'check-notes.sh'), 0o755);
    const run = policy('run', '--phase', 'notes', '--', './check-notes.sh');
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('failed (exit 3)');
    expect(JSON.parse(policy('status', '--format', 'json').stdout).failure).toMatchObject({ exitCode: 3, reason: 'exit-nonzero' });
  });
});

describe.skipIf(!HAS_GIT)('an npm package is told npm commands', () => {
  it('idle: the dry-run named is npm publish --dry-run', () => {
    const repo = makeRepo();
    try {
      repo.commit('sdk', {
        'release-policy.yml': 'version: 1\npackages:\n  - name: demo-sdk\n    ecosystem: npm\n',
        'package.json': '{ "name": "demo-sdk", "version": "1.2.0" }\n',
      });
      const status = JSON.parse(runPolicy(['status', '--format', 'json'], { cwd: repo.dir, env: hermeticGitEnv }).stdout);
      expect(status.nextAction).toBe('no release in progress: start with the dry-run, `policy run -- npm publish --dry-run`');
      // A publish without a dry-run is refused, and the refusal names npm's dry-run, not cargo's.
      const gate = runPolicy(['gate', 'publish'], { cwd: repo.dir, env: hermeticGitEnv });
      expect(gate.code).toBe(1);
      expect(gate.stdout).toContain('publish-requires-dry-run');
      expect(gate.stdout).toContain('`policy run -- npm publish --dry-run`');
      const refusal = gate.stdout.split('\n').find((line) => line.includes('publishing demo-sdk 1.2.0 is refused'));
      expect(refusal).not.toContain('cargo');
    } finally {
      repo.remove();
    }
  });
});

describe.skipIf(!HAS_CARGO || !HAS_GIT)('a dry-run that cannot reach its registry, with real cargo', () => {
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  let repo: TempRepo;
  let env: Record<string, string>;
  const policy = (...args: string[]): Promise<CliResult> => runPolicyAsync(args, { cwd: repo.dir, env });
  const status = async () => JSON.parse((await policy('status', '--format', 'json')).stdout);

  beforeAll(async () => {
    registry = await startRegistry();
    repo = makeRepo({ branch: 'issue-7-release' });
    writeCrate(repo.dir, { name: 'oris-runtime', version: '0.2.0' });
    repo.write({
      '.cargo/config.toml':
        `[registries.local]\nindex = "sparse+${registry.indexUrl}"\n` +
        `[registries.closed]\nindex = "sparse+http://127.0.0.1:${await closedPort()}/index/"\n` +
        '[registries.nohost]\nindex = "sparse+http://registry.example.invalid/index/"\n',
    });
    repo.commit('release oris-runtime 0.2.0 (#7)', {
      'release-policy.yml': 'version: 1\npackages:\n  - name: oris-runtime\n    registry: local\nissues:\n  branch: "issue-{issue}-*"\n',
      'RELEASE_v0.2.0.md': "# oris-runtime v0.2.0\n\n## What's in this release\n\n- the answer\n\n## Validation\n\n- cargo test\n",
      '.gitignore': '/target\n/.cargo-home\n/.cargo/\n',
    });
    env = {
      ...(cargoEnv(registry, join(repo.dir, '.cargo-home')) as Record<string, string>),
      ...hermeticGitEnv,
      CARGO_NET_RETRY: '0',
      CARGO_REGISTRIES_CLOSED_TOKEN: 'unused-token',
      CARGO_REGISTRIES_NOHOST_TOKEN: 'unused-token',
    };
  });

  afterAll(async () => {
    await registry?.close();
    repo?.remove();
  });

  it.each([
    ['nohost', /resolve/i],
    ['closed', /connect/i],
  ])('--registry %s: cargo fails, the release says the registry was unreachable and names the same command', async (name, words) => {
    const args = ['cargo', 'publish', '-p', 'oris-runtime', '--registry', name, '--dry-run'];
    const run = await policy('run', '--', ...args);
    expect(run.code).toBe(101);
    expect(run.stderr).toMatch(words);
    const state = await status();
    expect(state).toMatchObject({ status: 'blocked', published: 'no', failure: { phase: 'dry-run', exitCode: 101, reason: 'registry-unreachable' } });
    expect(state.failure.error).toMatch(words);
    expect(state.nextAction).toMatch(/^the registry could not be reached/);
    expect(state.nextAction).not.toMatch(/packaging/);
    expect(advisedRun(state.nextAction)).toEqual(['run', '--', ...args]);
    const comment = (await policy('comment')).stdout;
    expect(comment).toContain('- next action: the registry could not be reached');
  }, CARGO_TIMEOUT);

  it('the dry-run against the reachable registry passes, and following its advice publishes with the same arguments', async () => {
    const dry = await policy('run', '--', 'cargo', 'publish', '-p', 'oris-runtime', '--registry', 'local', '--dry-run');
    expect(dry.code).toBe(0);
    const before = await status();
    expect(before).toMatchObject({ status: 'in-progress', failure: null });
    const advice = advisedRun(before.nextAction);
    expect(advice).toEqual(['run', '--', 'cargo', 'publish', '-p', 'oris-runtime', '--registry', 'local']);
    const publish = await policy(...advice);
    expect(publish.code).toBe(0);
    expect(await status()).toMatchObject({ status: 'released', published: 'yes' });
    const last = JSON.parse(journalOf(repo).at(-1)!);
    expect(last).toMatchObject({ type: 'step-finished', phase: 'publish', command: advice.slice(2), outcome: 'published' });
  }, CARGO_TIMEOUT);
});
