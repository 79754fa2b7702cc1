// Issue acceptance, as a new user would try it: a real crate, real cargo, a loopback sparse
// registry named `local` in .cargo/config.toml, the crate at 0.2.0 with RELEASE_v0.2.0.md,
// branch issue-7-feature, and a compile error: the dry-run blocks the release, every hard
// stop is refused, secrets never land anywhere, and the fixed dry-run clears the block.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cargoEnv, startRegistry, writeCargoConfig, writeCrate } from '../../scripts/loopback-registry.mjs';
import { runPolicyAsync, type CliResult } from '../helpers/cli.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_CARGO, HAS_GIT } from '../helpers/tools.js';

const CARGO_TIMEOUT = 180_000;

if (!HAS_CARGO) console.warn('test/acceptance/release-blocked.test.ts: skipped, cargo is not on PATH');

describe.skipIf(!HAS_CARGO || !HAS_GIT)('a blocked dry-run with real cargo and a loopback registry', () => {
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  let repo: TempRepo;
  let env: Record<string, string>;

  beforeAll(async () => {
    registry = await startRegistry();
    repo = makeRepo({ branch: 'issue-7-feature' });
    writeCrate(repo.dir, { name: 'demo', version: '0.2.0', lib: 'pub fn answer() -> u32 {\n    "forty-two"\n}\n' });
    writeCargoConfig(repo.dir, registry);
    repo.commit('release demo 0.2.0 (#7)', {
      'release-policy.yml': 'version: 1\npackages:\n  - name: demo\n    registry: local\nissues:\n  branch: "issue-{issue}-*"\n',
      'RELEASE_v0.2.0.md': "# demo v0.2.0\n\n## What's in this release\n\n- the answer\n\n## Validation\n\n- cargo test\n",
      // cargo reads .cargo/config.toml whether or not git tracks it; ignored, it stays out of the package.
      '.gitignore': '/target\n/.cargo-home\n/.cargo/\n',
    });
    env = { ...(cargoEnv(registry, join(repo.dir, '.cargo-home')) as Record<string, string>), ...hermeticGitEnv };
  });

  afterAll(async () => {
    await registry?.close();
    repo?.remove();
  });

  // Async: the registry answers from this process's event loop.
  const policy = (...args: string[]): Promise<CliResult> => runPolicyAsync(args, { cwd: repo.dir, env });
  const journal = (): string => readFileSync(join(repo.dir, '.git', 'release-policy', 'journal.jsonl'), 'utf8');

  it('the failing dry-run exits non-zero and status says blocked at dry-run, issue 7, not published', async () => {
    const run = await policy('run', '--', 'cargo', 'publish', '--registry', 'local', '--dry-run');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('error[E0308]');
    const status = JSON.parse((await policy('status', '--format', 'json')).stdout);
    expect(status).toMatchObject({
      package: 'demo',
      version: '0.2.0',
      issue: 7,
      status: 'blocked',
      published: 'no',
      failure: { phase: 'dry-run', command: 'cargo publish --registry local --dry-run', exitCode: run.code },
    });
    expect(status.failure.error).toContain('mismatched types');
  }, CARGO_TIMEOUT);

  it('the comment follows the spec pattern', async () => {
    const { stdout, code } = await policy('comment');
    expect(code).toBe(0);
    expect(stdout).toContain('Release blocked for demo v0.2.0.\n\nFailed step:\n- cargo publish --registry local --dry-run\n');
    expect(stdout).toContain('- crate published: no\n');
    expect(stdout).toMatch(/- next action: fix packaging, manifest or validation problems, then rerun the dry-run with `policy run -- cargo publish --registry local --dry-run`/);
  });

  it.each([
    [['tag', 'v0.2.0'], 'dry-run-failure-no-tag'],
    [['start-issue', '8'], 'blocked-no-next-issue'],
    [['close-issue', '7'], 'blocked-keep-issue-open'],
    [['bump', '0.2.1'], 'blocked-no-version-change'],
    [['publish'], 'publish-requires-dry-run'],
  ])('policy gate %j exits 1 naming %s', async (args, rule) => {
    const result = await policy('gate', ...args);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(rule);
  });

  it('a token given on the command line appears nowhere', async () => {
    const run = await policy('run', '--', 'cargo', 'publish', '--registry', 'local', '--token', 'S3CRET', '--dry-run');
    expect(run.code).not.toBe(0);
    const shown = await Promise.all([policy('status'), policy('status', '--format', 'json'), policy('comment')]);
    for (const text of [run.stdout, run.stderr, journal(), ...shown.map((r) => r.stdout)]) {
      expect(text).not.toContain('S3CRET');
    }
    expect(JSON.parse((await policy('status', '--format', 'json')).stdout).failure.command).toBe(
      "cargo publish --registry local --token '***' --dry-run",
    );
  }, CARGO_TIMEOUT);

  it('after the code is fixed, the dry-run exits 0 and the release is no longer blocked', async () => {
    writeFileSync(join(repo.dir, 'src', 'lib.rs'), 'pub fn answer() -> u32 {\n    42\n}\n');
    repo.commit('fix the answer (#7)');
    const run = await policy('run', '--', 'cargo', 'publish', '--registry', 'local', '--dry-run');
    expect(run.code).toBe(0);
    const status = JSON.parse((await policy('status', '--format', 'json')).stdout);
    expect(status.status).not.toBe('blocked');
    expect(status).toMatchObject({ status: 'in-progress', failure: null, published: 'no' });
    expect((await policy('gate', 'publish')).code).toBe(0);
    expect(existsSync(join(repo.dir, 'target', 'package'))).toBe(true); // cargo really packaged it
  }, CARGO_TIMEOUT);
});
