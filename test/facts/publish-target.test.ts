// resolvePublishTarget reads what cargo read: the manifest the recorded publish packaged, the
// crate `-p` names (found among the tracked manifests), cargo's registry.default. Real files
// in a real git repository; no registry is asked.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePublishTarget } from '../../src/facts/publish-target.js';
import type { PackageConfig } from '../../src/policy/model.js';
import type { JournalEvent } from '../../src/release/model.js';
import { makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_GIT } from '../helpers/tools.js';

const crate = (name: string, extra = ''): string => `[package]\nname = "${name}"\nversion = "0.2.0"\nedition = "2021"\n${extra}`;

describe.skipIf(!HAS_GIT)('resolvePublishTarget', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = makeRepo();
    repo.commit('a workspace', {
      'Cargo.toml': '[workspace]\nmembers = ["crates/*"]\n\n[workspace.package]\npublish = ["ws-registry"]\n',
      'crates/demo/Cargo.toml': crate('demo', 'publish = ["local2"]\n'),
      'crates/inherits/Cargo.toml': crate('inherits', 'publish.workspace = true\n'),
      'crates/othercrate/Cargo.toml': crate('othercrate', 'publish = ["other-registry"]\n'),
      'crates/plain/Cargo.toml': crate('plain-crate'),
    });
  });
  afterAll(() => repo?.remove());

  const pkg = (over: Partial<PackageConfig> = {}): PackageConfig =>
    ({ name: 'demo', ecosystem: 'cargo', manifest: 'crates/demo/Cargo.toml', registry: 'local', tag: 'v{version}', releaseNotes: 'RELEASE_v{version}.md', ...over }) as PackageConfig;
  const published = (...command: string[]): JournalEvent[] => [
    { v: 1, id: 'abcdef01', at: '2026-11-24T19:00:00Z', type: 'step-started', package: 'demo', version: '0.2.0', issue: 7, phase: 'publish', command },
  ];
  const resolve = (events: JournalEvent[], over: Partial<PackageConfig> = {}, env: NodeJS.ProcessEnv = {}, cwd = repo.dir) =>
    resolvePublishTarget({ root: repo.dir, cwd, pkg: pkg(over), events, version: '0.2.0', env: { HOME: repo.dir, CARGO_HOME: join(repo.dir, '.no-cargo-home'), ...env } });

  it('a plain `cargo publish` goes where the manifest\'s publish = ["local2"] says', async () => {
    expect(await resolve(published('cargo', 'publish'))).toMatchObject({ crate: 'demo', registry: 'local2', manifest: 'crates/demo/Cargo.toml' });
  });

  it('publish.workspace = true takes the workspace\'s list', async () => {
    expect(await resolve(published('cargo', 'publish'), { manifest: 'crates/inherits/Cargo.toml' })).toMatchObject({ crate: 'inherits', registry: 'ws-registry' });
  });

  it('-p othercrate reads othercrate\'s own manifest, found among the tracked ones', async () => {
    expect(await resolve(published('cargo', 'publish', '-p', 'othercrate'))).toMatchObject({
      crate: 'othercrate',
      registry: 'other-registry',
      manifest: 'crates/othercrate/Cargo.toml',
    });
  });

  it('--manifest-path is read from the folder the command ran in, else the root', async () => {
    const sub = join(repo.dir, 'crates');
    expect(await resolve(published('cargo', 'publish', '--manifest-path', 'othercrate/Cargo.toml'), {}, {}, sub)).toMatchObject({ crate: 'othercrate', registry: 'other-registry' });
    expect(await resolve(published('cargo', 'publish', '--manifest-path', 'crates/othercrate/Cargo.toml'))).toMatchObject({ crate: 'othercrate', registry: 'other-registry' });
  });

  it('with nothing named: cargo\'s registry.default (the environment over config files), else crates.io', async () => {
    const plain = { manifest: 'crates/plain/Cargo.toml' };
    expect(await resolve(published('cargo', 'publish'), plain)).toMatchObject({ crate: 'plain-crate', registry: 'crates-io' });
    mkdirSync(join(repo.dir, '.cargo'), { recursive: true });
    writeFileSync(join(repo.dir, '.cargo', 'config.toml'), '[registry]\ndefault = "from-config"\n');
    expect(await resolve(published('cargo', 'publish'), plain)).toMatchObject({ registry: 'from-config' });
    expect(await resolve(published('cargo', 'publish'), plain, { CARGO_REGISTRY_DEFAULT: 'from-env' })).toMatchObject({ registry: 'from-env' });
  });

  it('without a recorded publish: the policy\'s registry', async () => {
    expect(await resolve([])).toMatchObject({ crate: 'demo', registry: 'local', command: null });
  });
});
