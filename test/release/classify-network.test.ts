// Network failures read from real cargo output: cargo run against a registry whose port is
// closed and one whose host cannot resolve (`.invalid` never resolves), before any upload.
// The dry-run and the publish both fail before `Uploading`: the registry was unreachable,
// not a packaging problem, and nothing was published.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCrate } from '../../scripts/loopback-registry.mjs';
import { classifyOutcome } from '../../src/release/classify.js';
import type { Phase } from '../../src/release/model.js';
import { closedPort } from '../registry/fixtures.js';
import { HAS_CARGO } from '../helpers/tools.js';

if (!HAS_CARGO) console.warn('test/release/classify-network.test.ts: skipped, cargo is not on PATH');


describe.skipIf(!HAS_CARGO)('classifyOutcome on real cargo network failures', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'release-policy-net-'));
    writeCrate(dir, { name: 'oris-runtime', version: '0.2.0' });
    mkdirSync(join(dir, '.cargo'));
    writeFileSync(
      join(dir, '.cargo', 'config.toml'),
      `[registries.closed]\nindex = "sparse+http://127.0.0.1:${await closedPort()}/index/"\n` +
        '[registries.nohost]\nindex = "sparse+http://registry.example.invalid/index/"\n',
    );
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CARGO_')));
    env = {
      ...inherited,
      CARGO_HOME: join(dir, '.cargo-home'),
      CARGO_TARGET_DIR: join(dir, 'target'),
      CARGO_TERM_COLOR: 'never',
      // No retries: the first failure is the answer, and the test stays fast.
      CARGO_NET_RETRY: '0',
      CARGO_REGISTRIES_CLOSED_TOKEN: 'unused-token',
      CARGO_REGISTRIES_NOHOST_TOKEN: 'unused-token',
    };
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function cargo(args: string[]): { exitCode: number | null; output: string } {
    const result = spawnSync('cargo', args, { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
    return { exitCode: result.status, output: `${result.stdout}${result.stderr}` };
  }

  it.each([
    ['dry-run', 'closed', ['publish', '--allow-dirty', '--registry', 'closed', '--dry-run'], /connect/i],
    ['dry-run', 'nohost', ['publish', '--allow-dirty', '--registry', 'nohost', '--dry-run'], /resolve/i],
    ['publish', 'closed', ['publish', '--allow-dirty', '--registry', 'closed'], /connect/i],
    ['publish', 'nohost', ['publish', '--allow-dirty', '--registry', 'nohost'], /resolve/i],
  ] as const)('a %s against the %s registry: registry-unreachable', (phase, _registry, args, words) => {
    const run = cargo([...args]);
    expect(run.exitCode).not.toBe(0);
    expect(run.output).not.toMatch(/^\s*Uploading\b/m);
    expect(run.output).toMatch(words); // cargo's own words, not a fixture
    const classified = classifyOutcome({ phase: phase as Phase, exitCode: run.exitCode, output: run.output });
    expect(classified.reason).toBe('registry-unreachable');
    if (phase === 'publish') expect(classified).toMatchObject({ outcome: 'not-published', published: 'no' });
    else expect(classified).toMatchObject({ outcome: 'failed', published: null });
    expect(classified.excerpt).toMatch(words);
  }, 150_000);

  it('a packaging failure of the same crate is not read as a network one', () => {
    writeFileSync(join(dir, 'src', 'lib.rs'), 'pub fn answer() -> u32 {\n    "forty-two"\n}\n');
    try {
      const run = cargo(['package', '--allow-dirty', '--offline']);
      expect(run.exitCode).not.toBe(0);
      expect(classifyOutcome({ phase: 'dry-run', exitCode: run.exitCode, output: run.output }).reason).toBe('exit-nonzero');
    } finally {
      writeFileSync(join(dir, 'src', 'lib.rs'), 'pub fn answer() -> u32 {\n    42\n}\n');
    }
  }, 150_000);
});
