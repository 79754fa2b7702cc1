// The local package's checksum, as `policy verify` compares it with the registry's: made at
// the commit the publish ran on, whatever the work tree holds now.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCrate } from '../../scripts/loopback-registry.mjs';
import { localChecksum } from '../../src/facts/local-package.js';
import { makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_CARGO, HAS_GIT } from '../helpers/tools.js';

if (!HAS_CARGO) console.warn('test/facts/local-package.test.ts: skipped, cargo is not on PATH');

describe.skipIf(!HAS_CARGO || !HAS_GIT)('localChecksum (cargo)', () => {
  let repo: TempRepo;
  let published: string;
  const ask = (commit: string | null, version = '0.2.0') =>
    localChecksum({ root: repo.dir, ecosystem: 'cargo', manifest: 'Cargo.toml', name: 'demo', version, commit, env: { ...process.env, CARGO_HOME: join(repo.dir, '.cargo-home') } });

  beforeAll(() => {
    repo = makeRepo();
    writeCrate(repo.dir, { name: 'demo', version: '0.2.0' });
    published = repo.commit('demo 0.2.0', { '.gitignore': '/target\n/.cargo-home\n/Cargo.lock\n' });
  });
  afterAll(() => repo?.remove());

  it('is reproducible, and is the same at the published commit after later commits and edits', async () => {
    const first = await ask(published);
    const again = await ask(published);
    expect(first).toMatchObject({ checksum: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(again).toEqual(first);

    repo.commit('later work', { 'src/lib.rs': 'pub fn answer() -> u32 {\n    43\n}\n' });
    writeFileSync(join(repo.dir, 'src', 'lib.rs'), '// uncommitted\n');
    expect(await ask(published)).toEqual(first);
    const head = await ask(null);
    expect(head).toMatchObject({ checksum: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(head).not.toEqual(first);
    expect(repo.git('worktree', 'list')).not.toContain('release-policy-package-');
  }, 120_000);

  it('says why when the package cannot be made for the version asked', async () => {
    const result = await ask(published, '9.9.9');
    expect(result).toMatchObject({ reason: expect.stringContaining('made no demo-9.9.9.crate') });
  }, 120_000);
});
