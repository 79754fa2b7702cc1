// The request layer against a small server on 127.0.0.1: Last-Modified revalidation (the
// loopback registry sends ETags only) and the cache's cap.
import { readdirSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConditionalCache, httpGet, userAgent, type HttpContext } from '../../src/registry/http.js';
import { tempDir } from './fixtures.js';

const LAST_MODIFIED = 'Wed, 21 Oct 2025 07:28:00 GMT';
const seen: IncomingHttpHeaders[] = [];
const server = createServer((req, res) => {
  seen.push(req.headers);
  if (req.url === '/boom') {
    res.writeHead(503, { 'last-modified': LAST_MODIFIED }).end('down');
  } else if (req.headers['if-modified-since'] === LAST_MODIFIED) {
    res.writeHead(304).end();
  } else {
    res.writeHead(200, { 'last-modified': LAST_MODIFIED }).end(`body of ${req.url}`);
  }
});
const base = await new Promise<string>((resolve) => {
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    resolve(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
  });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function context(cache: ConditionalCache | null): HttpContext {
  return { timeoutMs: 2000, userAgent: userAgent('9.9.9'), now: () => new Date(), cache };
}

describe('httpGet', () => {
  it('revalidates with If-Modified-Since and answers a 304 with the cached body', async () => {
    const cache = new ConditionalCache(join(tempDir(), 'cache'));
    const first = await httpGet(`${base}/file`, context(cache), { conditional: true });
    expect(first).toMatchObject({ ok: true, status: 200, cached: false, body: 'body of /file' });
    const second = await httpGet(`${base}/file`, context(cache), { conditional: true });
    expect(second).toMatchObject({ ok: true, status: 304, cached: true, body: 'body of /file' });
    expect(seen.at(-1)?.['if-modified-since']).toBe(LAST_MODIFIED);
    expect(seen.at(-1)?.['user-agent']).toBe('release-policy/9.9.9 (+https://github.com/release-policy/release-policy)');
  });

  it('never caches an error answer', async () => {
    const dir = join(tempDir(), 'cache');
    const answer = await httpGet(`${base}/boom`, context(new ConditionalCache(dir)), { conditional: true });
    expect(answer).toMatchObject({ status: 503 });
    expect(() => readdirSync(dir)).toThrow();
  });

  it('keeps at most `limit` cache entries, dropping the oldest', async () => {
    const dir = join(tempDir(), 'cache');
    const cache = new ConditionalCache(dir, 3);
    for (const n of [1, 2, 3, 4, 5]) {
      await httpGet(`${base}/file${n}`, context(cache), { conditional: true });
    }
    expect(readdirSync(dir)).toHaveLength(3);
    expect(await cache.get(`${base}/file5`)).toMatchObject({ body: 'body of /file5' });
  });

  it('removes credentials from the source it reports', async () => {
    const answer = await httpGet(`${base.replace('://', '://me:pw@')}/file?token=abc&x=1`, context(null));
    expect(answer.source).toBe(`${base}/file?x=1`);
    expect(seen.at(-1)?.authorization).toBe(`Basic ${Buffer.from('me:pw').toString('base64')}`);
  });
});
