// The loopback registry's newer faults, through plain HTTP (real cargo runs elsewhere).
import { describe, expect, it } from 'vitest';
import { publish, registry } from './fixtures.js';

const detail = async (response: Response): Promise<string> =>
  ((await response.json()) as { errors: { detail: string }[] }).errors[0]?.detail ?? '';

describe('loopback registry publish faults', () => {
  it('already-uploaded: 400 with crates.io words, nothing stored', async () => {
    const local = await registry();
    local.faults.publish = 'already-uploaded';
    const response = await publish(local, 'demo', '0.2.0');
    expect(response.status).toBe(400);
    expect(await detail(response)).toBe('crate version `0.2.0` is already uploaded');
    expect(local.crates.size).toBe(0);
  });

  it('429: Retry-After 60 and the rate-limit detail with an HTTP date, nothing stored', async () => {
    const local = await registry();
    local.faults.publish = '429';
    const response = await publish(local, 'demo', '0.2.0');
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('60');
    expect(await detail(response)).toMatch(
      /^You have published too many updates to existing crates in a short period of time\. Please try again after \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT and see https:\/\/crates\.io\/docs\/rate-limits for more details\.$/,
    );
    expect(local.crates.size).toBe(0);
  });

  it("403: crates.io's not-an-owner detail, nothing stored", async () => {
    const local = await registry();
    local.faults.publish = '403';
    const response = await publish(local, 'demo', '0.2.0');
    expect(response.status).toBe(403);
    expect(await detail(response)).toContain("this crate exists but you don't seem to be an owner");
    expect(local.crates.size).toBe(0);
  });
});

describe('loopback registry read faults and index lag', () => {
  it('api faults touch the version endpoint, not downloads', async () => {
    const local = await registry();
    local.seed('demo', '0.1.0');
    local.faults.api = '500';
    expect((await fetch(`${local.url}/api/v1/crates/demo/0.1.0`)).status).toBe(500);
    expect((await fetch(`${local.url}/api/v1/crates/demo/0.1.0/download`)).status).toBe(200);
    local.faults.api = 'reset';
    await expect(fetch(`${local.url}/api/v1/crates/demo/0.1.0`)).rejects.toThrow('fetch failed');
    expect(local.requests.at(-1)?.status).toBeNull();
    expect(() => {
      (local.faults as { api: unknown }).api = 'slow';
    }).toThrow('unknown api fault: slow');
  });

  it('index faults touch crate files; config.json keeps answering', async () => {
    const local = await registry();
    local.seed('demo', '0.1.0');
    local.faults.index = '500';
    expect((await fetch(`${local.indexUrl}de/mo/demo`)).status).toBe(500);
    expect((await fetch(`${local.indexUrl}config.json`)).status).toBe(200);
  });

  it('indexLag hides publishes (not seeds) from the index until it is unset', async () => {
    const local = await registry();
    local.faults.indexLag = true;
    local.seed('demo', '0.1.0');
    expect((await publish(local, 'demo', '0.2.0')).status).toBe(200);
    expect((await publish(local, 'late', '1.0.0')).status).toBe(200);
    const lines = async (path: string): Promise<string[]> => {
      const response = await fetch(`${local.indexUrl}${path}`);
      return response.status === 200 ? (await response.text()).trim().split('\n').map((l) => (JSON.parse(l) as { vers: string }).vers) : [String(response.status)];
    };
    expect(await lines('de/mo/demo')).toEqual(['0.1.0']);
    expect(await lines('la/te/late')).toEqual(['404']);
    expect((await fetch(`${local.url}/api/v1/crates/demo/0.2.0`)).status).toBe(200);
    expect((await fetch(`${local.url}/api/v1/crates/late/1.0.0/download`)).status).toBe(200);
    // The registry's database knows the hidden version: publishing it again is refused.
    expect((await publish(local, 'demo', '0.2.0')).status).toBe(400);
    local.faults.indexLag = false;
    expect(await lines('de/mo/demo')).toEqual(['0.1.0', '0.2.0']);
    expect(await lines('la/te/late')).toEqual(['1.0.0']);
  });

  it('serves npm packuments, scoped names both ways, 404 for unknown packages', async () => {
    const local = await registry();
    local.npm.seed('@acme/tool', '1.0.0', 'sha512-xyz==');
    expect(() => local.npm.seed('@acme/tool', '1.0.0')).toThrow('already in the loopback npm registry');
    for (const path of ['@acme%2ftool', '@acme%2Ftool', '@acme/tool']) {
      const body = (await (await fetch(`${local.npmUrl}${path}`)).json()) as { 'dist-tags': { latest: string }; versions: Record<string, { dist: { integrity: string } }> };
      expect(body['dist-tags'].latest).toBe('1.0.0');
      expect(body.versions['1.0.0']?.dist.integrity).toBe('sha512-xyz==');
    }
    expect((await fetch(`${local.npmUrl}nothing`)).status).toBe(404);
  });
});
