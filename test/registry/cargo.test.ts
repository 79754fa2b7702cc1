// The cargo registry client against the loopback registry, over real HTTP on 127.0.0.1.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LoopbackRegistry } from '../../scripts/loopback-registry.mjs';
import { askRegistry } from '../../src/registry/ask.js';
import { combineCargo, type IndexAnswer } from '../../src/registry/cargo.js';
import type { AskRequest, RegistryAnswer, SourceAnswer } from '../../src/registry/model.js';
import { closedPort, isolatedEnv, publish, registry, tempDir, write } from './fixtures.js';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Asks `local` (as registry `local`, through CARGO_REGISTRIES_LOCAL_INDEX) about name@version. */
function ask(local: { indexUrl: string }, name: string, version: string, more: Partial<AskRequest> = {}): Promise<RegistryAnswer> {
  return askRegistry({
    ecosystem: 'cargo',
    name,
    version,
    registry: 'local',
    cwd: tempDir(),
    env: isolatedEnv({ CARGO_REGISTRIES_LOCAL_INDEX: `sparse+${local.indexUrl}` }),
    toolVersion: '1.2.3',
    ...more,
  });
}

const apiRequests = (local: LoopbackRegistry): LoopbackRegistry['requests'] =>
  local.requests.filter((r) => r.path.startsWith('/api/v1/crates/') && !r.path.endsWith('/download'));

describe('askRegistry (cargo): yes and no', () => {
  it('says yes when the index and the API list the version, with its checksum and the versions', async () => {
    const local = await registry();
    const file = Buffer.from('demo 0.2.0 crate');
    local.seed('demo', '0.1.0');
    local.seed('demo', '0.2.0', file);
    const answer = await ask(local, 'demo', '0.2.0');
    expect(answer).toMatchObject({
      package: 'demo',
      ecosystem: 'cargo',
      registry: 'local',
      url: local.indexUrl,
      version: '0.2.0',
      published: 'yes',
      checksum: sha256(file),
      yanked: false,
      reachable: true,
      reason: '',
    });
    expect(answer.versions.map((v) => v.version)).toEqual(['0.1.0', '0.2.0']);
    expect(answer.evidence.map((e) => [e.source, e.status])).toEqual([
      [`${local.indexUrl}config.json`, 200],
      [`${local.indexUrl}de/mo/demo`, 200],
      [`${local.url}/api/v1/crates/demo/0.2.0`, 200],
    ]);
    expect(answer.evidence[1]?.detail).toBe(`index lists 0.2.0 (cksum ${sha256(file).slice(0, 8)}…)`);
    expect(answer.evidence[2]?.detail).toContain('API lists 0.2.0');
    // Every request identifies the tool, as crates.io requires.
    expect(new Set(local.requests.map((r) => r.headers['user-agent']))).toEqual(
      new Set(['release-policy/1.2.3 (+https://github.com/release-policy/release-policy)']),
    );
  });

  it('says no for a missing version of an existing crate, and names it in the evidence', async () => {
    const local = await registry();
    local.seed('demo', '0.1.0');
    const answer = await ask(local, 'demo', '0.2.0');
    expect(answer).toMatchObject({ published: 'no', checksum: '', reachable: true, reason: '' });
    expect(answer.versions.map((v) => v.version)).toEqual(['0.1.0']);
    expect(answer.evidence[1]?.detail).toBe('index lists 1 version (last listed 0.1.0), not 0.2.0');
    expect(answer.evidence[2]).toMatchObject({ status: 404 });
    expect(answer.evidence[2]?.detail).toBe('404: crate `demo` does not have a version `0.2.0` (the crate exists, the version does not)');
  });

  it('says no for a crate that does not exist', async () => {
    const local = await registry();
    const answer = await ask(local, 'nope', '1.0.0');
    expect(answer).toMatchObject({ published: 'no', reachable: true, versions: [] });
    expect(answer.evidence.map((e) => e.status)).toEqual([200, 404, 404]);
    expect(answer.evidence[1]?.detail).toBe('404: the index has no crate `nope`');
    expect(answer.evidence[2]?.detail).toBe('404: crate `nope` does not exist (the crate does not exist)');
  });

  it('finds names of every length and case at their index paths', async () => {
    const local = await registry();
    for (const name of ['a', 'ab', 'abc', 'MyCrate']) local.seed(name, '1.0.0');
    const answers = await Promise.all(['a', 'ab', 'abc', 'MyCrate'].map((name) => ask(local, name, '1.0.0')));
    expect(answers.map((a) => a.published)).toEqual(['yes', 'yes', 'yes', 'yes']);
    const indexPaths = local.requests.filter((r) => r.path.startsWith('/index/') && !r.path.endsWith('config.json')).map((r) => r.path);
    expect(indexPaths.sort()).toEqual(['/index/1/a', '/index/2/ab', '/index/3/a/abc', '/index/my/cr/mycrate']);
  });

  it('treats versions that differ only in build metadata as the same version', async () => {
    const local = await registry();
    local.seed('demo', '1.0.7+build.1');
    const plain = await ask(local, 'demo', '1.0.7');
    expect(plain.published).toBe('yes');
    expect(plain.evidence[1]?.detail).toContain('index lists 1.0.7+build.1 (the same version as 1.0.7: build metadata is ignored)');
    // The API is asked for the spelling the index lists.
    expect(plain.evidence[2]?.source).toBe(`${local.url}/api/v1/crates/demo/1.0.7%2Bbuild.1`);
    const other = await ask(local, 'demo', '1.0.7+other');
    expect(other.published).toBe('yes');
  });

  it('says yes for a yanked version, and says it is yanked', async () => {
    const local = await registry();
    local.seed('demo', '0.1.0');
    const stored = local.crates.get('demo')?.[0];
    if (!stored) throw new Error('not seeded');
    stored.yanked = true;
    const answer = await ask(local, 'demo', '0.1.0');
    expect(answer).toMatchObject({ published: 'yes', yanked: true });
    expect(answer.versions).toEqual([{ version: '0.1.0', checksum: stored.cksum, yanked: true }]);
  });

  it('resolves the registry from .cargo/config.toml above a nested folder', async () => {
    const local = await registry();
    local.seed('demo', '0.1.0');
    const root = tempDir();
    write(join(root, '.cargo', 'config.toml'), `[registries.local]\nindex = "sparse+${local.indexUrl}"\n`);
    const answer = await askRegistry({
      ecosystem: 'cargo',
      name: 'demo',
      version: '0.1.0',
      registry: 'local',
      cwd: join(root, 'a', 'b'),
      env: isolatedEnv(),
    });
    expect(answer).toMatchObject({ published: 'yes', url: local.indexUrl });
  });

  it('keeps credentials out of the evidence and sends them as basic auth', async () => {
    const local = await registry();
    local.seed('demo', '0.1.0');
    const withUser = local.indexUrl.replace('http://', 'http://reader:s3cret@');
    const answer = await ask({ indexUrl: withUser }, 'demo', '0.1.0');
    expect(answer.published).toBe('yes');
    expect(JSON.stringify(answer)).not.toContain('s3cret');
    expect(answer.url).toBe(local.indexUrl);
    const basic = `Basic ${Buffer.from('reader:s3cret').toString('base64')}`;
    expect(local.requests.find((r) => r.path === '/index/config.json')?.headers.authorization).toBe(basic);
  });
});

describe('askRegistry (cargo): the sources disagree or do not answer', () => {
  it('answers unknown while the index lags behind the API after a publish, then yes', async () => {
    const local = await registry();
    local.seed('demo', '0.1.0');
    local.faults.indexLag = true;
    expect((await publish(local, 'demo', '0.2.0')).status).toBe(200);
    const lagging = await ask(local, 'demo', '0.2.0');
    expect(lagging).toMatchObject({ published: 'unknown', reachable: true, checksum: '' });
    expect(lagging.reason).toContain('the web API lists demo@0.2.0 but the index does not yet');
    expect(lagging.reason).toContain('lagging');
    expect(lagging.reason).toContain(`registry \`local\` (${local.indexUrl})`);
    local.faults.indexLag = false;
    expect((await ask(local, 'demo', '0.2.0')).published).toBe('yes');
  });

  it('answers unknown when the API answers 500, though the index says no', async () => {
    const local = await registry();
    local.seed('demo', '0.1.0');
    local.faults.api = '500';
    const answer = await ask(local, 'demo', '0.2.0');
    expect(answer).toMatchObject({ published: 'unknown', reachable: true });
    expect(answer.evidence[2]).toMatchObject({ status: 500, detail: '500: injected fault: internal server error' });
    expect(answer.reason).toContain('the index says it is not, but the API at');
    expect(answer.reason).toContain('answered 500');
    // The index still lists what it lists.
    expect(answer.versions.map((v) => v.version)).toEqual(['0.1.0']);
  });

  it('answers unknown on a 429, quoting Retry-After, without retrying', async () => {
    const local = await registry();
    local.seed('demo', '0.1.0');
    local.faults.api = '429';
    const answer = await ask(local, 'demo', '0.1.0');
    expect(answer.published).toBe('unknown');
    expect(answer.evidence[2]).toMatchObject({ status: 429 });
    expect(answer.evidence[2]?.detail).toContain('429 (Retry-After: 30)');
    expect(answer.reason).toContain('Retry-After: 30');
    expect(apiRequests(local)).toHaveLength(1);
  });

  it('answers unknown when the index file connection is reset, though the API says yes', async () => {
    const local = await registry();
    local.seed('demo', '0.1.0');
    local.faults.index = 'reset';
    const answer = await ask(local, 'demo', '0.1.0');
    expect(answer).toMatchObject({ published: 'unknown', reachable: true, versions: [] });
    expect(answer.evidence[1]).toMatchObject({ status: null, detail: 'connection reset before a complete answer' });
    expect(answer.reason).toContain('the web API says it is, but the index file');
  });

  it('answers unknown after the deadline when the API does not answer', async () => {
    const local = await registry();
    local.seed('demo', '0.1.0');
    local.faults.api = 'hang';
    const answer = await ask(local, 'demo', '0.1.0', { timeoutMs: 300 });
    expect(answer.published).toBe('unknown');
    expect(answer.evidence[2]).toMatchObject({ status: null, detail: 'timed out after 300 ms' });
  });

  it('answers unknown and unreachable when nothing listens', async () => {
    const port = await closedPort();
    const answer = await ask({ indexUrl: `http://127.0.0.1:${port}/index/` }, 'demo', '0.1.0');
    expect(answer).toMatchObject({ published: 'unknown', reachable: false, versions: [] });
    expect(answer.evidence.map((e) => [e.status, e.detail])).toEqual([
      [null, 'config.json: connection refused'],
      [null, 'connection refused'],
    ]);
    expect(answer.reason).toContain(`registry \`local\` (http://127.0.0.1:${port}/index/)`);
    expect(answer.reason).toContain('config.json gave no answer (connection refused), so the web API is not known');
  });
});

describe('askRegistry (cargo): requests', () => {
  it('revalidates with If-None-Match and uses the cached copy on 304', async () => {
    const local = await registry();
    local.seed('demo', '0.1.0');
    const cacheDir = join(tempDir(), 'cache');
    const first = await ask(local, 'demo', '0.1.0', { cacheDir });
    expect(first.published).toBe('yes');
    // config.json and the index file; never the API answer.
    expect(readdirSync(cacheDir)).toHaveLength(2);
    const second = await ask(local, 'demo', '0.1.0', { cacheDir });
    expect(second).toMatchObject({ published: 'yes', checksum: first.checksum });
    const index = local.requests.filter((r) => r.path.startsWith('/index/'));
    expect(index.map((r) => [r.path, r.status, r.headers['if-none-match'] !== undefined])).toEqual(
      expect.arrayContaining([
        ['/index/config.json', 200, false],
        ['/index/de/mo/demo', 200, false],
        ['/index/config.json', 304, true],
        ['/index/de/mo/demo', 304, true],
      ]),
    );
    expect(index).toHaveLength(4);
    expect(second.evidence[1]).toMatchObject({ status: 304 });
    expect(second.evidence[1]?.detail).toMatch(/^304 not modified, cached copy used: index lists 0\.1\.0 /);
  });

  it('does not cache an error answer', async () => {
    const local = await registry();
    local.seed('demo', '0.1.0');
    local.faults.index = '500';
    const cacheDir = join(tempDir(), 'cache');
    await ask(local, 'demo', '0.1.0', { cacheDir });
    expect(readdirSync(cacheDir)).toHaveLength(1); // config.json only
  });

  it('spaces two API requests to one host by at least a second', async () => {
    const local = await registry();
    local.seed('demo', '0.1.0');
    const [a, b] = await Promise.all([ask(local, 'demo', '0.1.0'), ask(local, 'demo', '0.2.0')]);
    expect([a.published, b.published]).toEqual(['yes', 'no']);
    const arrivals = apiRequests(local)
      .map((r) => r.at)
      .sort((x, y) => x - y);
    expect(arrivals).toHaveLength(2);
    expect((arrivals[1] ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it('stamps the evidence with the given clock', async () => {
    const local = await registry();
    const answer = await ask(local, 'demo', '0.1.0', { now: () => new Date('2030-01-02T03:04:05Z') });
    expect(new Set(answer.evidence.map((e) => e.at))).toEqual(new Set(['2030-01-02T03:04:05.000Z']));
  });
});

describe('combineCargo', () => {
  const base = { package: 'demo', registry: 'local', url: 'http://127.0.0.1:1/index/', version: '0.1.0' };
  const source = (said: SourceAnswer['said'], checksum = ''): SourceAnswer => ({
    said,
    listed: said === 'yes' ? '0.1.0' : '',
    checksum,
    yanked: false,
    versions: said === 'yes' ? [{ version: '0.1.0', checksum, yanked: false }] : [],
    evidence: [],
    why: said === 'unknown' ? 'the API at x answered 503' : '',
  });
  const index = (said: SourceAnswer['said'], checksum = '', api: string | null = 'http://127.0.0.1:1'): IndexAnswer => ({
    ...source(said, checksum),
    configured: true,
    api,
  });

  it('answers unknown when the index and the API give different checksums', () => {
    const answer = combineCargo(base, index('yes', 'a'.repeat(64)), source('yes', 'b'.repeat(64)));
    expect(answer.published).toBe('unknown');
    expect(answer.reason).toContain(`the index ${'a'.repeat(64)}, the API ${'b'.repeat(64)}`);
  });

  it('lets the index answer alone when config.json advertises no API', () => {
    expect(combineCargo(base, index('yes', 'c'.repeat(64), null), null)).toMatchObject({ published: 'yes', checksum: 'c'.repeat(64), reachable: true });
    expect(combineCargo(base, index('no', '', null), null).published).toBe('no');
  });

  it('answers unknown when the index lists a version the API does not', () => {
    const answer = combineCargo(base, index('yes', 'a'.repeat(64)), source('no'));
    expect(answer.published).toBe('unknown');
    expect(answer.reason).toContain('the index lists demo@0.1.0 but the web API does not');
  });
});
