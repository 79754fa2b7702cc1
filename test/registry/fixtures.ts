// Shared set-up for the registry client tests: loopback registries, temporary folders that
// stand for a project and a home, and an environment that sees neither the developer's
// ~/.cargo nor their ~/.npmrc.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';
import { startRegistry, type LoopbackRegistry } from '../../scripts/loopback-registry.mjs';

const registries: LoopbackRegistry[] = [];
const folders: string[] = [];

afterAll(async () => {
  await Promise.all(registries.map((registry) => registry.close()));
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

export async function registry(): Promise<LoopbackRegistry> {
  const started = await startRegistry();
  registries.push(started);
  return started;
}

export function tempDir(prefix = 'release-policy-registry-'): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  folders.push(folder);
  return folder;
}

export function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** An environment with HOME and CARGO_HOME in an empty temp folder and no npm settings. */
export function isolatedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = tempDir('release-policy-home-');
  return { PATH: process.env.PATH, HOME: home, CARGO_HOME: join(home, '.cargo'), ...extra };
}

/** A 127.0.0.1 port nothing listens on: one a server had, closed again. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Cargo's publish body: u32 LE length + JSON metadata, u32 LE length + .crate bytes. A
 * Uint8Array copy, as fetch's types take no Buffer<ArrayBufferLike>.
 */
export function publishBody(metadata: object, crate: Buffer): Uint8Array<ArrayBuffer> {
  const json = Buffer.from(JSON.stringify(metadata));
  const length = (n: number): Buffer => {
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32LE(n);
    return buffer;
  };
  return new Uint8Array(Buffer.concat([length(json.length), json, length(crate.length), crate]));
}

/** Publishes `name@version` through the HTTP publish endpoint, as cargo would. */
export function publish(local: LoopbackRegistry, name: string, version: string, crate = Buffer.from(`${name}-${version}`)): Promise<Response> {
  return fetch(`${local.url}/api/v1/crates/new`, {
    method: 'PUT',
    headers: { authorization: local.token },
    body: publishBody({ name, vers: version, deps: [], features: {}, links: null }, crate),
  });
}
