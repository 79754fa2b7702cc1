// The npm registry client against the loopback registry's packument route (127.0.0.1).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { askRegistry } from '../../src/registry/ask.js';
import type { AskRequest, RegistryAnswer } from '../../src/registry/model.js';
import { NPMJS_REGISTRY, packumentPath, parseNpmrc, resolveNpmRegistry } from '../../src/registry/npm.js';
import { closedPort, isolatedEnv, registry, tempDir, write } from './fixtures.js';

function ask(registryUrl: string, name: string, version: string, more: Partial<AskRequest> = {}): Promise<RegistryAnswer> {
  return askRegistry({
    ecosystem: 'npm',
    name,
    version,
    registry: 'npmjs',
    cwd: tempDir(),
    env: isolatedEnv({ npm_config_registry: registryUrl }),
    ...more,
  });
}

describe('askRegistry (npm)', () => {
  it('says yes with dist.integrity and the packument versions', async () => {
    const local = await registry();
    local.npm.seed('left-pad', '1.0.0');
    local.npm.seed('left-pad', '1.1.0', 'sha512-abc==');
    const answer = await ask(local.npmUrl, 'left-pad', '1.1.0');
    expect(answer).toMatchObject({
      ecosystem: 'npm',
      registry: 'npmjs',
      url: local.npmUrl,
      published: 'yes',
      checksum: 'sha512-abc==',
      yanked: false,
      reachable: true,
      reason: '',
    });
    expect(answer.versions.map((v) => v.version)).toEqual(['1.0.0', '1.1.0']);
    expect(answer.versions[0]?.checksum).toMatch(/^sha512-/);
    expect(answer.evidence).toMatchObject([{ source: `${local.npmUrl}left-pad`, status: 200 }]);
    expect(local.requests[0]?.headers.accept).toBe('application/json');
  });

  it('says no for a version the packument does not list', async () => {
    const local = await registry();
    local.npm.seed('left-pad', '1.0.0');
    const answer = await ask(local.npmUrl, 'left-pad', '2.0.0');
    expect(answer).toMatchObject({ published: 'no', reachable: true, checksum: '' });
    expect(answer.evidence[0]?.detail).toBe('packument lists 1 version, not 2.0.0');
  });

  it('says no for a package the registry does not have (404)', async () => {
    const local = await registry();
    const answer = await ask(local.npmUrl, 'no-such-package', '1.0.0');
    expect(answer).toMatchObject({ published: 'no', reachable: true, versions: [] });
    expect(answer.evidence[0]).toMatchObject({ status: 404, detail: '404: no package `no-such-package` on the registry' });
  });

  it('asks for a scoped package as @scope%2fname', async () => {
    const local = await registry();
    local.npm.seed('@acme/tool', '0.3.0');
    const answer = await ask(local.npmUrl, '@acme/tool', '0.3.0');
    expect(answer.published).toBe('yes');
    expect(local.requests.map((r) => r.path)).toEqual(['/npm/@acme%2Ftool']);
    expect(packumentPath('@acme/tool')).toBe('@acme%2Ftool');
  });

  it('answers unknown on a 500, a reset and a closed port', async () => {
    const local = await registry();
    local.npm.seed('left-pad', '1.0.0');
    local.faults.npm = '500';
    const failed = await ask(local.npmUrl, 'left-pad', '1.0.0');
    expect(failed).toMatchObject({ published: 'unknown', reachable: false, versions: [] });
    expect(failed.evidence[0]).toMatchObject({ status: 500 });
    expect(failed.reason).toContain(`Cannot tell whether left-pad@1.0.0 is on registry \`npmjs\` (${local.npmUrl})`);
    expect(failed.reason).toContain('answered 500');

    local.faults.npm = 'reset';
    const reset = await ask(local.npmUrl, 'left-pad', '1.0.0');
    expect(reset.published).toBe('unknown');
    expect(reset.evidence[0]).toMatchObject({ status: null, detail: 'connection reset before a complete answer' });

    const port = await closedPort();
    const down = await ask(`http://127.0.0.1:${port}/`, 'left-pad', '1.0.0');
    expect(down).toMatchObject({ published: 'unknown', reachable: false });
    expect(down.evidence[0]?.detail).toBe('connection refused');
  });

  it('takes the registry from .npmrc above the folder when the environment names none', async () => {
    const local = await registry();
    local.npm.seed('left-pad', '1.0.0');
    const root = tempDir();
    write(join(root, '.npmrc'), `# project settings\nregistry = "${local.npmUrl}"\n`);
    const answer = await askRegistry({
      ecosystem: 'npm',
      name: 'left-pad',
      version: '1.0.0',
      registry: 'npmjs',
      cwd: join(root, 'packages', 'tool'),
      env: isolatedEnv(),
    });
    expect(answer).toMatchObject({ published: 'yes', url: local.npmUrl });
  });
});

describe('resolveNpmRegistry', () => {
  it('defaults to registry.npmjs.org', () => {
    expect(resolveNpmRegistry('left-pad', tempDir(), isolatedEnv())).toEqual({ url: NPMJS_REGISTRY, from: 'built-in' });
  });

  it('prefers npm_config_registry (any case) over .npmrc files, and adds the final slash', () => {
    const root = tempDir();
    write(join(root, '.npmrc'), 'registry=http://127.0.0.1:1/file/\n');
    expect(resolveNpmRegistry('x', root, isolatedEnv({ NPM_CONFIG_REGISTRY: 'http://127.0.0.1:1/env' }))).toMatchObject({
      url: 'http://127.0.0.1:1/env/',
      from: 'the environment (registry)',
    });
    expect(resolveNpmRegistry('x', root, isolatedEnv()).url).toBe('http://127.0.0.1:1/file/');
  });

  it('uses @scope:registry for a scoped name, from any layer, and ~/.npmrc last', () => {
    const root = tempDir();
    const env = isolatedEnv({ npm_config_registry: 'http://127.0.0.1:1/env/' });
    write(join(env.HOME ?? '', '.npmrc'), '@acme:registry=http://127.0.0.1:1/acme/\n');
    expect(resolveNpmRegistry('@acme/tool', root, env).url).toBe('http://127.0.0.1:1/acme/');
    expect(resolveNpmRegistry('@other/tool', root, env).url).toBe('http://127.0.0.1:1/env/');
    write(join(root, '.npmrc'), '@acme:registry=http://127.0.0.1:1/project/\n');
    expect(resolveNpmRegistry('@acme/tool', root, env).url).toBe('http://127.0.0.1:1/project/');
  });

  it('reads .npmrc values with quotes, comments and ${VAR}', () => {
    const values = parseNpmrc('; comment\nregistry = "${HOST}/npm/"\n//host/:_authToken=${TOKEN}\n', { HOST: 'http://127.0.0.1:1', TOKEN: 't' });
    expect(values.get('registry')).toBe('http://127.0.0.1:1/npm/');
    expect(values.get('//host/:_authtoken')).toBe('t');
  });
});
