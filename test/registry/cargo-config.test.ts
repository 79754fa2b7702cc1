// Where a cargo registry is: resolution only, no request is sent.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { askRegistry } from '../../src/registry/ask.js';
import { cargoConfigCandidates, cargoIndexLocation, defaultCargoRegistry, registryEnvName, resolveCargoRegistry } from '../../src/registry/cargo-config.js';
import { indexFilePath } from '../../src/registry/cargo.js';
import { RegistryConfigError } from '../../src/registry/model.js';
import { isolatedEnv, tempDir, write } from './fixtures.js';

/** A project with a nested folder to resolve from. */
function project(): { root: string; nested: string } {
  const root = tempDir();
  return { root, nested: join(root, 'crates', 'demo', 'src') };
}

describe('resolveCargoRegistry', () => {
  it('resolves crates-io to the built-in sparse index without reading any file', () => {
    const { nested } = project();
    // A broken config on the way does not matter: crates-io is built in.
    write(join(nested, '.cargo', 'config.toml'), 'this is [not toml');
    expect(resolveCargoRegistry('crates-io', nested, isolatedEnv())).toEqual({
      name: 'crates-io',
      index: 'sparse+https://index.crates.io/',
      protocol: 'sparse',
      url: 'https://index.crates.io/',
      from: 'built-in',
    });
  });

  it('finds [registries.NAME] in .cargo/config.toml of a parent folder, the deeper file winning', () => {
    const { root, nested } = project();
    write(join(root, '.cargo', 'config.toml'), '[registries.local]\nindex = "sparse+http://127.0.0.1:1/outer/"\n[registries.other]\nindex = "sparse+http://127.0.0.1:1/other"\n');
    write(join(root, 'crates', '.cargo', 'config.toml'), '[registries]\nlocal = { index = "sparse+http://127.0.0.1:1/inner/" }\n');
    const env = isolatedEnv();
    expect(resolveCargoRegistry('local', nested, env)).toMatchObject({
      url: 'http://127.0.0.1:1/inner/',
      from: join(root, 'crates', '.cargo', 'config.toml'),
    });
    // Missing in the deeper file, found in the outer one; the final slash is added.
    expect(resolveCargoRegistry('other', nested, env)).toMatchObject({ url: 'http://127.0.0.1:1/other/', protocol: 'sparse' });
  });

  it('reads the legacy .cargo/config, which shadows config.toml beside it as in cargo', () => {
    const { root, nested } = project();
    write(join(root, '.cargo', 'config'), '[registries.local]\nindex = "sparse+http://127.0.0.1:1/legacy/"\n');
    write(join(root, '.cargo', 'config.toml'), '[registries.local]\nindex = "sparse+http://127.0.0.1:1/toml/"\n');
    expect(resolveCargoRegistry('local', nested, isolatedEnv()).url).toBe('http://127.0.0.1:1/legacy/');
  });

  it('falls back to $CARGO_HOME/config.toml', () => {
    const { nested } = project();
    const env = isolatedEnv();
    const home = env.CARGO_HOME ?? '';
    write(join(home, 'config.toml'), '[registries.company]\nindex = "sparse+https://cargo.example.com/index/"\n');
    expect(resolveCargoRegistry('company', nested, env)).toMatchObject({
      url: 'https://cargo.example.com/index/',
      from: join(home, 'config.toml'),
    });
    expect(cargoConfigCandidates(nested, env).slice(-2)).toEqual([join(home, 'config'), join(home, 'config.toml')]);
  });

  it('lets CARGO_REGISTRIES_<NAME>_INDEX win over every file', () => {
    const { root, nested } = project();
    write(join(root, '.cargo', 'config.toml'), '[registries.my-reg]\nindex = "sparse+http://127.0.0.1:1/file/"\n');
    expect(registryEnvName('my-reg')).toBe('CARGO_REGISTRIES_MY_REG_INDEX');
    const env = isolatedEnv({ CARGO_REGISTRIES_MY_REG_INDEX: 'sparse+http://127.0.0.1:1/env/' });
    expect(resolveCargoRegistry('my-reg', nested, env)).toMatchObject({ url: 'http://127.0.0.1:1/env/', from: 'CARGO_REGISTRIES_MY_REG_INDEX' });
  });

  it('explains an undefined registry: the name, the files read and the fix', () => {
    const { root, nested } = project();
    write(join(root, '.cargo', 'config.toml'), '[registries.local]\nindex = "sparse+http://127.0.0.1:1/"\n');
    let error: unknown;
    try {
      resolveCargoRegistry('staging', nested, isolatedEnv());
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RegistryConfigError);
    const message = (error as RegistryConfigError).message;
    expect(message).toContain('cargo registry `staging` is not defined');
    expect(message).toContain(join(root, '.cargo', 'config.toml'));
    expect(message).toContain('[registries.staging]');
    expect(message).toContain('index = "sparse+https://');
    expect(message).toContain('CARGO_REGISTRIES_STAGING_INDEX');
    expect((error as RegistryConfigError).files).toEqual([join(root, '.cargo', 'config.toml')]);
  });

  it('names a malformed config file', () => {
    const { root, nested } = project();
    write(join(root, '.cargo', 'config.toml'), '[registries.local\nindex = 1\n');
    expect(() => resolveCargoRegistry('local', nested, isolatedEnv())).toThrow(
      new RegExp(`cannot read cargo config ${join(root, '.cargo', 'config.toml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `),
    );
  });

  it('returns a git index as such (askRegistry then answers unknown)', () => {
    const env = isolatedEnv({ CARGO_REGISTRIES_OLD_INDEX: 'https://github.com/example/index.git' });
    expect(resolveCargoRegistry('old', tempDir(), env)).toMatchObject({ protocol: 'git', url: 'https://github.com/example/index.git' });
  });

  it('refuses a sparse index that is not http(s)', () => {
    const env = isolatedEnv({ CARGO_REGISTRIES_ODD_INDEX: 'sparse+file:///srv/index/' });
    expect(() => resolveCargoRegistry('odd', tempDir(), env)).toThrow('a sparse index must be http(s)://');
  });
});

describe('askRegistry with a configuration problem', () => {
  const ask = (registry: string, cwd: string, env: NodeJS.ProcessEnv): ReturnType<typeof askRegistry> =>
    askRegistry({ ecosystem: 'cargo', name: 'demo', version: '0.1.0', registry, cwd, env });

  it('answers unknown with the message, no URL and no evidence, for an undefined name', async () => {
    const answer = await ask('nowhere', tempDir(), isolatedEnv());
    expect(answer).toMatchObject({ published: 'unknown', reachable: false, url: '', evidence: [] });
    expect(answer.reason).toContain('cargo registry `nowhere` is not defined');
    expect(answer.reason).toContain('CARGO_REGISTRIES_NOWHERE_INDEX');
  });

  it('answers unknown for a git index, saying how to switch to sparse', async () => {
    const answer = await ask('old', tempDir(), isolatedEnv({ CARGO_REGISTRIES_OLD_INDEX: 'https://user:secret@git.example.com/index.git' }));
    expect(answer).toMatchObject({ published: 'unknown', reachable: false, url: 'https://git.example.com/index.git', evidence: [] });
    expect(answer.reason).toContain('uses a git index');
    expect(answer.reason).toContain('index = "sparse+https://');
    expect(answer.reason).not.toContain('secret');
  });

  it('answers unknown naming a malformed config file', async () => {
    const root = tempDir();
    write(join(root, '.cargo', 'config.toml'), 'registries = [');
    const answer = await ask('local', root, isolatedEnv());
    expect(answer.published).toBe('unknown');
    expect(answer.reason).toContain(`cannot read cargo config ${join(root, '.cargo', 'config.toml')}`);
  });
});

describe('cargoIndexLocation (a publish\'s --index URL)', () => {
  it('reads a sparse index without the credentials written in it', () => {
    expect(cargoIndexLocation('sparse+https://ci-bot:S3CRET@r.example/index', '--index')).toEqual({
      name: 'sparse+https://r.example/index',
      index: 'sparse+https://r.example/index',
      protocol: 'sparse',
      url: 'https://r.example/index/',
      from: '--index',
    });
  });
  it('takes an index without sparse+ as git, as cargo does', () => {
    expect(cargoIndexLocation('https://r.example/index', '--index')).toMatchObject({ protocol: 'git' });
  });
  it('refuses a sparse index that is not http(s)', () => {
    expect(() => cargoIndexLocation('sparse+ftp://r.example/', '--index')).toThrow(RegistryConfigError);
  });
});

describe('defaultCargoRegistry', () => {
  it('is CARGO_REGISTRY_DEFAULT, else the deepest config file\'s [registry] default, else null', () => {
    const { root, nested } = project();
    expect(defaultCargoRegistry(nested, isolatedEnv())).toBeNull();
    write(join(root, '.cargo', 'config.toml'), '[registry]\ndefault = "outer"\n');
    write(join(root, 'crates', '.cargo', 'config.toml'), '[registry]\ndefault = "inner"\n');
    expect(defaultCargoRegistry(nested, isolatedEnv())).toEqual({ name: 'inner', from: join(root, 'crates', '.cargo', 'config.toml') });
    expect(defaultCargoRegistry(nested, { ...isolatedEnv(), CARGO_REGISTRY_DEFAULT: 'env' })).toEqual({ name: 'env', from: 'CARGO_REGISTRY_DEFAULT' });
  });
});

describe('indexFilePath', () => {
  it('follows the sparse index layout for 1, 2, 3 and 4+ character names, lowercased', () => {
    expect(['a', 'ab', 'abc', 'abcd', 'cargo', 'oris-runtime', 'A', 'AbC', 'Serde_JSON'].map(indexFilePath)).toEqual([
      '1/a',
      '2/ab',
      '3/a/abc',
      'ab/cd/abcd',
      'ca/rg/cargo',
      'or/is/oris-runtime',
      '1/a',
      '3/a/abc',
      'se/rd/serde_json',
    ]);
  });
});
