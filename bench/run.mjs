// `npm run bench`: the performance budgets of ARCHITECTURE.md, measured as ratios within
// one run on a repository of 10,000 release tags and 20,000 commits (bench/make-repo.mjs).
// Prints figures; asserts nothing (timings vary by machine; the ratios are what to compare).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.cjs');
const repo = process.argv[2] ?? join(root, 'bench', 'out', 'repo-10k');
if (!existsSync(cli)) execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
mkdirSync(dirname(repo), { recursive: true });
execFileSync(process.execPath, [join(root, 'bench', 'make-repo.mjs'), repo], { stdio: 'inherit' });
// A quarter-size repository, to show the audit's cost grows linearly with the tags.
const quarter = `${repo}-quarter`;
execFileSync(process.execPath, [join(root, 'bench', 'make-repo.mjs'), quarter, '2500'], { stdio: 'inherit' });

function time(args, { expect, cwd = repo } = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (expect !== undefined && result.status !== expect) {
    throw new Error(`${args.join(' ')} exited ${result.status}, expected ${expect}:\n${result.stdout}${result.stderr}`);
  }
  return ms;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const check = [cli, 'check', '--gate', 'pre-push', '--offline'];
// Warm-up: fills the load cache and the code cache, as any second run on a machine would.
for (let i = 0; i < 3; i += 1) time(check, { expect: 0 });

const runs = Number(process.env.BENCH_RUNS ?? 31);
const base = [];
const ours = [];
const ratios = [];
for (let i = 0; i < runs; i += 1) {
  // Paired and alternating, so machine noise hits both sides of each ratio alike.
  const a = time(['-e', '0']);
  const b = time(check, { expect: 0 });
  base.push(a);
  ours.push(b);
  ratios.push(b / a);
}

const audits = [];
const quarterAudits = [];
for (let i = 0; i < 5; i += 1) {
  audits.push(time([cli, 'audit', '--offline'], { expect: 0 }));
  quarterAudits.push(time([cli, 'audit', '--offline'], { expect: 0, cwd: quarter }));
}
const startup = median(base);

const fmt = (ms) => `${ms.toFixed(1)} ms`;
console.log(`repository: ${repo} (10,000 release tags, 20,000 commits)`);
console.log(`node -e 0                                   median ${fmt(median(base))}`);
console.log(`policy check --gate pre-push --offline      median ${fmt(median(ours))}`);
console.log(`  ratio to node -e 0 (median of ${runs} paired runs): ${median(ratios).toFixed(2)}x   (budget 1.5x)`);
console.log(`policy audit (10,000 tags, full history)    median ${fmt(median(audits))} of 5   (budget 1500 ms)`);
console.log(`policy audit (2,500 tags)                   median ${fmt(median(quarterAudits))} of 5`);
console.log(
  `  work beyond node start-up, 10,000 against 2,500 tags: ${((median(audits) - startup) / (median(quarterAudits) - startup)).toFixed(2)}x   (linear: 4x)`,
);
// Git hook latency (fast path and Node path, hooks against no hooks): bench/hooks.mjs; BENCH_HOOKS=0 skips it.
if (process.env.BENCH_HOOKS !== '0') spawnSync(process.execPath, [join(root, 'bench', 'hooks.mjs'), repo], { stdio: 'inherit' });
