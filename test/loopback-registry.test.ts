// The loopback Cargo registry: its protocol over plain HTTP, then a real `cargo publish`
// against it. What cargo 1.95 prints (all on stderr) is recorded next to each assertion.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cargoEnv,
  indexPath,
  startRegistry,
  writeCargoConfig,
  writeCrate,
  type LoopbackRegistry,
} from '../scripts/loopback-registry.mjs';
import { gitSync } from './helpers/git-repo.js';
import { publishBody } from './registry/fixtures.js';
import { HAS_CARGO } from './helpers/tools.js';

const CARGO_TIMEOUT_MS = 120_000;

const registries: LoopbackRegistry[] = [];
const folders: string[] = [];

afterAll(async () => {
  await Promise.all(registries.map((registry) => registry.close()));
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

async function registry(): Promise<LoopbackRegistry> {
  const started = await startRegistry();
  registries.push(started);
  return started;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('loopback registry protocol', () => {
  it('keeps index files where cargo looks for them', () => {
    expect(['a', 'ab', 'abc', 'demo', 'Cargo', 'serde_json'].map(indexPath)).toEqual([
      '1/a',
      '2/ab',
      '3/a/abc',
      'de/mo/demo',
      'ca/rg/cargo',
      'se/rd/serde_json',
    ]);
  });

  it('serves config.json with the download and API roots, on 127.0.0.1', async () => {
    const local = await registry();
    expect(local.url).toBe(`http://127.0.0.1:${local.port}`);
    expect(await (await fetch(`${local.indexUrl}config.json`)).json()).toEqual({
      dl: `${local.url}/api/v1/crates`,
      api: local.url,
      'auth-required': false,
    });
  });

  it('answers 404 with crates.io messages for unknown crates and versions', async () => {
    const local = await registry();
    local.seed('demo', '0.1.0');
    expect((await fetch(`${local.indexUrl}no/pe/nope`)).status).toBe(404);
    const missingCrate = await fetch(`${local.url}/api/v1/crates/nope/1.0.0`);
    expect(missingCrate.status).toBe(404);
    expect(await missingCrate.json()).toEqual({ errors: [{ detail: 'crate `nope` does not exist' }] });
    const missingVersion = await fetch(`${local.url}/api/v1/crates/demo/0.2.0/download`);
    expect(missingVersion.status).toBe(404);
    expect(await missingVersion.json()).toEqual({ errors: [{ detail: 'crate `demo` does not have a version `0.2.0`' }] });
  });

  it('publishes with the token, then serves the index line, the download and a 304; refuses the same version', async () => {
    const local = await registry();
    const crate = Buffer.from('stands in for a .crate');
    const metadata = {
      name: 'Demo',
      vers: '0.1.0',
      deps: [
        // A renamed dependency: the publish API names the package, the index the alias.
        { name: 'serde', version_req: '^1', features: ['derive'], optional: true, default_features: false, target: null, kind: 'normal', registry: null, explicit_name_in_toml: 'serde1' },
      ],
      features: { extra: ['dep:serde1'] },
      links: null,
    };
    const put = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${local.url}/api/v1/crates/new`, { method: 'PUT', headers, body: publishBody(metadata, crate) });

    const anonymous = await put({});
    expect(anonymous.status).toBe(403);
    expect(local.crates.size).toBe(0);

    const published = await put({ authorization: local.token });
    expect(published.status).toBe(200);
    expect(await published.json()).toEqual({ warnings: { invalid_categories: [], invalid_badges: [], other: [] } });

    const index = await fetch(`${local.indexUrl}de/mo/demo`);
    expect(index.status).toBe(200);
    expect((await index.text()).split('\n')).toEqual([
      JSON.stringify({
        name: 'Demo',
        vers: '0.1.0',
        deps: [{ name: 'serde1', req: '^1', features: ['derive'], optional: true, default_features: false, target: null, kind: 'normal', registry: null, package: 'serde' }],
        features: { extra: ['dep:serde1'] },
        links: null,
        cksum: sha256(crate),
        yanked: false,
      }),
      '',
    ]);
    const etag = index.headers.get('etag');
    expect((await fetch(`${local.indexUrl}de/mo/demo`, { headers: { 'if-none-match': etag ?? '' } })).status).toBe(304);

    const download = await fetch(`${local.url}/api/v1/crates/demo/0.1.0/download`);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(crate);

    const again = await put({ authorization: local.token });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ errors: [{ detail: 'crate version `0.1.0` is already uploaded' }] });
    expect(local.requests.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([403, 200, 400]);
  });

  it('rejects a truncated publish body and an unknown fault', async () => {
    const local = await registry();
    const body = publishBody({ name: 'demo', vers: '0.1.0' }, Buffer.from('crate')).subarray(0, -1);
    const response = await fetch(`${local.url}/api/v1/crates/new`, { method: 'PUT', headers: { authorization: local.token }, body });
    expect(response.status).toBe(400);
    expect(() => {
      (local.faults as { publish: unknown }).publish = 'timeout';
    }).toThrow('unknown publish fault: timeout');
  });
});

interface CargoRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

interface Project {
  registry: LoopbackRegistry;
  /** Writes the crate `demo` at `version` (with `lib` as src/lib.rs) and commits everything. */
  commitCrate(version: string, lib?: string): void;
  cargo(...args: string[]): Promise<CargoRun>;
}

/**
 * A registry and a git repository for one test. Around the repository, in one temp folder:
 * the cargo config naming the registry (inside the repository cargo would package it), the
 * test's own CARGO_HOME and its target directory (inside, `git add -A` would commit it).
 */
async function project(): Promise<Project> {
  const local = await registry();
  const base = mkdtempSync(join(tmpdir(), 'release-policy-cargo-'));
  folders.push(base);
  const repo = join(base, 'repo');
  mkdirSync(repo);
  writeCargoConfig(base, local);
  gitSync(repo, ['-c', 'init.defaultBranch=main', 'init', '-q']);
  const env = { ...cargoEnv(local, join(base, 'cargo-home')), CARGO_TARGET_DIR: join(base, 'target') };
  return {
    registry: local,
    commitCrate(version, lib) {
      writeCrate(repo, { name: 'demo', version, ...(lib === undefined ? {} : { lib }) });
      gitSync(repo, ['add', '-A']);
      gitSync(repo, ['commit', '-q', '-m', `demo ${version}`]);
    },
    // Asynchronous on purpose: the registry answers from this process's event loop, which
    // spawnSync would block, leaving cargo to time out on its first index request.
    cargo: (...args) =>
      new Promise((resolve, reject) => {
        const child = spawn('cargo', args, { cwd: repo, env, timeout: CARGO_TIMEOUT_MS });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        child.on('error', reject);
        child.on('close', (status) => resolve({ status, stdout, stderr }));
      }),
  };
}

const PUBLISH = ['publish', '--registry', 'local'];

// Each test compiles a tiny crate (about half a second with a warm toolchain) and may run
// cargo twice, each run limited to CARGO_TIMEOUT_MS.
describe.skipIf(!HAS_CARGO)('cargo publish against the loopback registry', { timeout: 3 * CARGO_TIMEOUT_MS }, () => {
  it('dry-runs a crate that compiles: exit 0, nothing uploaded', async () => {
    const { registry, commitCrate, cargo } = await project();
    commitCrate('0.2.0');
    const run = await cargo(...PUBLISH, '--dry-run');
    expect(run.status, run.stderr).toBe(0);
    // "   Uploading demo v0.2.0 (<repo>)" then "warning: aborting upload due to dry run"
    expect(run.stderr).toMatch(/^ {3}Uploading demo v0\.2\.0 /m);
    expect(run.stderr).toContain('warning: aborting upload due to dry run');
    expect(registry.requests.some((r) => r.method === 'PUT')).toBe(false);
  });

  it('dry-runs a crate that does not compile: exit 101 with the compiler error', async () => {
    const { registry, commitCrate, cargo } = await project();
    commitCrate('0.2.0', 'pub fn answer() -> u32 {\n    "forty-two"\n}\n');
    const run = await cargo(...PUBLISH, '--dry-run');
    expect(run.status).toBe(101);
    // "error[E0308]: mismatched types", "error: could not compile `demo` (lib) due to 1
    // previous error", "error: failed to verify package tarball"
    expect(run.stderr).toContain('error[E0308]: mismatched types');
    expect(run.stderr).toContain('error: failed to verify package tarball');
    expect(registry.crates.size).toBe(0);
  });

  it('publishes: Uploaded and Published, then the index and the web API serve the version', async () => {
    const { registry, commitCrate, cargo } = await project();
    commitCrate('0.2.0');
    const run = await cargo(...PUBLISH);
    expect(run.status, run.stderr).toBe(0);
    // After "   Uploading demo v0.2.0 (<repo>)":
    //     Uploaded demo v0.2.0 to registry `local`
    // note: waiting for demo v0.2.0 to be available at registry `local`
    // help: you may press ctrl-c to skip waiting; the crate should be available shortly
    //    Published demo v0.2.0 at registry `local`
    expect(run.stderr).toContain('    Uploaded demo v0.2.0 to registry `local`\n');
    expect(run.stderr).toContain('   Published demo v0.2.0 at registry `local`\n');
    // After the upload cargo polled the index until the version appeared.
    expect(registry.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /index/config.json 200',
      'GET /index/de/mo/demo 404',
      'PUT /api/v1/crates/new 200',
      'GET /index/config.json 200',
      'GET /index/de/mo/demo 200',
    ]);

    // The stored bytes are cargo's .crate: a gzipped tar of demo-0.2.0/.
    const stored = registry.crates.get('demo')?.[0]?.file;
    if (!stored) throw new Error('the registry stored nothing');
    const tar = gunzipSync(stored).toString('latin1');
    expect(tar).toContain('demo-0.2.0/src/lib.rs');
    expect(tar).toContain('pub fn answer() -> u32');

    const checksum = sha256(stored);
    const line = JSON.parse(await (await fetch(`${registry.indexUrl}de/mo/demo`)).text()) as Record<string, unknown>;
    expect(line).toMatchObject({ name: 'demo', vers: '0.2.0', deps: [], cksum: checksum, yanked: false });
    const download = Buffer.from(await (await fetch(`${registry.url}/api/v1/crates/demo/0.2.0/download`)).arrayBuffer());
    expect(sha256(download)).toBe(checksum);
    expect(await (await fetch(`${registry.url}/api/v1/crates/demo/0.2.0`)).json()).toEqual({
      version: { crate: 'demo', num: '0.2.0', checksum, yanked: false },
    });
  });

  it('refuses to publish a version the index already has, before uploading', async () => {
    const { registry, commitCrate, cargo } = await project();
    commitCrate('0.2.0');
    expect((await cargo(...PUBLISH)).status).toBe(0);
    const again = await cargo(...PUBLISH);
    expect(again.status).toBe(101);
    // The whole output: "    Updating `local` index" and this line.
    expect(again.stderr).toContain('error: crate demo@0.2.0 already exists on `local` index');
    expect(again.stderr).not.toContain('Uploading');
    expect(registry.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });

  it('dry-runs a version the index already has: a warning, then the usual dry run, exit 0', async () => {
    const { registry, commitCrate, cargo } = await project();
    registry.seed('demo', '0.2.0');
    commitCrate('0.2.0');
    const run = await cargo(...PUBLISH, '--dry-run');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain('warning: crate demo@0.2.0 already exists on `local` index');
    expect(run.stderr).toContain('warning: aborting upload due to dry run');
  });

  it('fails when the upload is answered 500: Uploading without Uploaded, nothing stored', async () => {
    const { registry, commitCrate, cargo } = await project();
    registry.faults.publish = '500';
    commitCrate('0.2.0');
    const run = await cargo(...PUBLISH);
    expect(run.status).toBe(101);
    expect(run.stderr).toMatch(/^ {3}Uploading demo v0\.2\.0 /m);
    expect(run.stderr).not.toContain('Uploaded');
    // error: failed to publish demo v0.2.0 to registry at http://127.0.0.1:<port>
    //
    // Caused by:
    //   the remote server responded with an error (status 500 Internal Server Error): <detail>
    expect(run.stderr).toContain(`error: failed to publish demo v0.2.0 to registry at ${registry.url}`);
    expect(run.stderr).toContain('(status 500 Internal Server Error): injected fault: nothing was stored');
    expect(registry.crates.size).toBe(0);
  });

  it('fails when the upload is stored but answered 500; the retry then finds the version', async () => {
    const { registry, commitCrate, cargo } = await project();
    registry.faults.publish = 'accept-then-500';
    commitCrate('0.2.0');
    const run = await cargo(...PUBLISH);
    expect(run.status).toBe(101);
    expect(run.stderr).toContain('(status 500 Internal Server Error): injected fault: the version was stored');
    expect(registry.crates.get('demo')?.map((v) => v.vers)).toEqual(['0.2.0']);
    registry.faults.publish = null;
    const retry = await cargo(...PUBLISH);
    expect(retry.status).toBe(101);
    expect(retry.stderr).toContain('error: crate demo@0.2.0 already exists on `local` index');
  });

  it('fails when the connection drops after the upload is stored', async () => {
    const { registry, commitCrate, cargo } = await project();
    registry.faults.publish = 'store-then-reset';
    commitCrate('0.2.0');
    const run = await cargo(...PUBLISH);
    expect(run.status).toBe(101);
    // libcurl's words, under "Caused by:".
    expect(run.stderr).toContain('[52] Server returned nothing (no headers, no data) (Empty reply from server)');
    expect(registry.crates.get('demo')?.map((v) => v.vers)).toEqual(['0.2.0']);
    expect(registry.requests.find((r) => r.method === 'PUT')?.status).toBeNull();
  });
});
