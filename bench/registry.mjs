// The network-facts budget of ARCHITECTURE.md ("one index request per package, parallel, each
// with a deadline; cached where the protocol allows"), measured against the loopback registry:
// a workspace of PACKAGES crates, each with VERSIONS published versions, and
// `policy check --gate ci` asking the registry about every package.
//
//   1. requests per package and run, cold (no cache) and warm (ETag: 304s), from the registry's log;
//   2. the wall time of the check online (warm) against the same check `--offline`, as a ratio
//      within one run, and cold against warm;
//   3. parallelism: with the index delayed by DELAY ms per request, a check of PACKAGES packages
//      against one package (parallel requests cost about one delay, not PACKAGES).
//
// Prints figures; asserts nothing. Usage: node bench/registry.mjs   (BENCH_RUNS, default 15)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRegistry } from '../scripts/loopback-registry.mjs';
import { git } from '../scripts/sample-repo.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.cjs');
const PACKAGES = 8;
const VERSIONS = 200;
const DELAY = 200;
const runs = Number(process.env.BENCH_RUNS ?? 15);

const registry = await startRegistry();
const dir = mkdtempSync(join(tmpdir(), 'release-policy-bench-registry-'));

function workspace(count) {
  const names = Array.from({ length: count }, (_, i) => `bench-crate-${i}`);
  for (const name of names) {
    mkdirSync(join(dir, name, 'src'), { recursive: true });
    writeFileSync(join(dir, name, 'Cargo.toml'), `[package]\nname = "${name}"\nversion = "1.0.${VERSIONS - 1}"\nedition = "2021"\n`);
    writeFileSync(join(dir, name, 'src', 'lib.rs'), '');
  }
  writeFileSync(join(dir, 'Cargo.toml'), `[workspace]\nmembers = [${names.map((n) => `"${n}"`).join(', ')}]\nresolver = "2"\n`);
  const packages = names.map((name) => `  - name: ${name}\n    manifest: ${name}/Cargo.toml\n    registry: local\n    tag: "${name}-v{version}"\n`);
  writeFileSync(join(dir, 'release-policy.yml'), `version: 1\npackages:\n${packages.join('')}`);
  return names;
}

const names = workspace(PACKAGES);
for (const name of names) for (let v = 0; v < VERSIONS; v += 1) registry.seed(name, `1.0.${v}`);
git(dir, ['init', '-q']);
git(dir, ['add', '-A']);
git(dir, ['commit', '-q', '-m', 'bench workspace']);

const env = { ...process.env, NO_COLOR: '1', POLICY_OFFLINE: '0', CARGO_REGISTRIES_LOCAL_INDEX: `sparse+${registry.indexUrl}` };
const cacheDir = join(dir, '.git', 'release-policy', 'registry-cache');

/** One run of the CLI, asynchronous (the registry answers from this event loop); wall ms and exit code. */
function time(args, policy = 'release-policy.yml') {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, [cli, ...args, '--policy', policy], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, code, out }));
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const check = ['check', '--gate', 'ci', '--format', 'json'];

/** Requests of one run, by kind, per package. */
async function countRequests(label, before) {
  const start = registry.requests.length;
  before?.();
  const result = await time(check);
  const seen = registry.requests.slice(start);
  const index = seen.filter((r) => r.path.startsWith('/index/') && !r.path.endsWith('config.json'));
  const config = seen.filter((r) => r.path.endsWith('/config.json'));
  const api = seen.filter((r) => r.path.startsWith('/api/v1/crates/'));
  const notModified = seen.filter((r) => r.status === 304).length;
  console.log(
    `${label.padEnd(6)} exit ${result.code}: ${(index.length / PACKAGES).toFixed(1)} index, ${(api.length / PACKAGES).toFixed(1)} API, ` +
      `${(config.length / PACKAGES).toFixed(1)} config.json requests per package; ${notModified} of ${seen.length} answered 304`,
  );
  return result;
}

console.log(`Workspace of ${PACKAGES} crates with ${VERSIONS} published versions each; \`policy check --gate ci\`.\n`);
console.log('1. Requests per package and run');
await countRequests('cold', () => rmSync(cacheDir, { recursive: true, force: true }));
await countRequests('warm');

console.log(`\n2. Wall time (median of ${runs}, paired and alternating)`);
const online = [];
const offline = [];
const cold = [];
await time(check);
for (let i = 0; i < runs; i += 1) {
  offline.push((await time([...check, '--offline'])).ms);
  online.push((await time(check)).ms);
}
for (let i = 0; i < Math.min(runs, 7); i += 1) {
  rmSync(cacheDir, { recursive: true, force: true });
  cold.push((await time(check)).ms);
}
const fmt = (ms) => `${ms.toFixed(1)} ms`;
console.log(`  --offline ${fmt(median(offline))}; online, cache warm ${fmt(median(online))} (${(median(online) / median(offline)).toFixed(2)}x); cold ${fmt(median(cold))}`);

console.log(`\n3. Parallelism: the index delayed by ${DELAY} ms per request`);
writeFileSync(join(dir, 'one.yml'), `version: 1\npackages:\n  - name: ${names[0]}\n    manifest: ${names[0]}/Cargo.toml\n    registry: local\n    tag: "${names[0]}-v{version}"\n`);
registry.faults.indexDelay = DELAY;
if (registry.faults.indexDelay !== DELAY) console.log('  (the loopback registry has no indexDelay fault; skipped)');
else {
  rmSync(cacheDir, { recursive: true, force: true });
  const one = await time(check, 'one.yml');
  rmSync(cacheDir, { recursive: true, force: true });
  const all = await time(check);
  console.log(`  1 package ${fmt(one.ms)}; ${PACKAGES} packages ${fmt(all.ms)}`);
}

await registry.close();
rmSync(dir, { recursive: true, force: true });
