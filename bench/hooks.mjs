// Git hook latency against the budgets of ARCHITECTURE.md ("Performance budgets") and issue 4:
//   (a) with no release blocked, a `git push` that touches no release ref and `git tag` of a
//       non-release name cost within 5 ms (median) of the same with no hooks;
//   (b) `policy hook pre-push` on the Node path (local facts), 10,000 tags: at most 1.5x
//       `node -e 0`.
// Prints figures and writes them to bench/out/hooks.json; asserts nothing.
//
// How: the 10,000-tag repository of bench/make-repo.mjs is cloned twice with
// `--no-hardlinks` (nothing shared): A has no hooks, B has `policy hooks install --manager
// git`. Each clone has its own local bare remote, to which main is pushed once before timing.
// Both clones drop the tag of the manifest's version (v1.99.99, so 9,999 tags remain) so
// that "tag the blocked release" can be timed. Every timing is paired and alternating (A then
// B, then B then A, ...), and differences (B - A) or ratios are taken within each pair, then
// the median; BENCH_RUNS pairs (default 31). Commits and pushes that only set up a timed push
// are untimed and made with --no-verify; the hooks' own cost on a commit is its own row.
//
//   1. fast path (no journal in B): `git push -q origin HEAD:main` of one new commit,
//      `git tag bench-<i>`, and `git commit --allow-empty` (pre-commit, commit-msg and
//      reference-transaction run; informative, no budget);
//   2. the shims alone, run with `sh` as git would (against `sh -c :`), to show where the
//      fast path's time goes;
//   2b. first push: a clone with no remote-tracking refs pushes main (every commit new) to an
//      empty remote, no release open: `policy hook pre-push` in its own process against
//      `node -e 0` (budget 3x);
//   3. Node path: B's release is blocked the real way (`policy run --phase dry-run` of a
//      command that fails), then `policy hook pre-push origin URL` with a one-commit push on
//      stdin (against `node -e 0`, after 3 warm-ups for the load and code caches), served by
//      the hook daemon as on a developer's machine, and in its own process (POLICY_DAEMON=0,
//      as in CI and on the first call after the daemon idled out); for
//      comparison `policy check --gate pre-push --offline` (nothing pushed, as bench/run.mjs);
//      a real one-commit `git push` in B (through the shim to the engine) against one in A;
//      and `git tag v1.99.99` in B (refused by the reference-transaction hook: git exits 128)
//      against the same in A (deleted after each, untimed). Exit codes are recorded, not judged.
//
// The command under test is a snapshot of dist/ (with rules/, hooks/, schema/, package.json)
// in bench/out/hooks-pkg, so that a rebuild of dist/ during the run changes nothing here.
// Git runs hermetic: no system or global config, fixed identity, gc off, POLICY_OFFLINE=1;
// the daemon's socket is under bench/out/runtime, and the bench stops the daemon at the end.
//
// Usage: node bench/hooks.mjs [BASE_REPO]   (default bench/out/repo-10k, built if missing)
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', 'out');
const baseRepo = process.argv[2] ?? join(out, 'repo-10k');
const runs = Number(process.env.BENCH_RUNS ?? 31);
const FAST_BUDGET_MS = 5;
const NODE_BUDGET_RATIO = 1.5;
/** The manifest's version at the bench repository's HEAD (make-repo: 1.0.0 ... 1.99.99). */
const RELEASE_TAG = 'v1.99.99';

// ---- Environment ---------------------------------------------------------------------------

const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_')));
Object.assign(env, {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
  // No automatic gc or maintenance in the clones or the remotes while timing.
  GIT_CONFIG_COUNT: '3',
  GIT_CONFIG_KEY_0: 'gc.auto',
  GIT_CONFIG_VALUE_0: '0',
  GIT_CONFIG_KEY_1: 'maintenance.auto',
  GIT_CONFIG_VALUE_1: 'false',
  GIT_CONFIG_KEY_2: 'receive.autogc',
  GIT_CONFIG_VALUE_2: 'false',
  POLICY_OFFLINE: '1',
  NO_COLOR: '1',
  // The hook daemon as a developer's machine has it (src/cli/daemon.ts), with its socket here;
  // the engine path is measured with it and without it (POLICY_DAEMON=0).
  POLICY_DAEMON: '1',
  XDG_RUNTIME_DIR: join(out, 'runtime'),
});
delete env.CI;
mkdirSync(env.XDG_RUNTIME_DIR, { recursive: true, mode: 0o700 });
chmodSync(env.XDG_RUNTIME_DIR, 0o700);

/** Runs a command untimed; throws unless it exits with one of `ok`. */
function run(cmd, args, { cwd, input, ok = [0] } = {}) {
  const result = spawnSync(cmd, args, { cwd, env, input, encoding: 'utf8' });
  if (!ok.includes(result.status)) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${result.status}:\n${result.stdout}${result.stderr}`);
  }
  return result.stdout.trim();
}

/** One timed run: milliseconds and exit code. */
function time(cmd, args, { cwd, input, ok = [0], extraEnv = {} } = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(cmd, args, { cwd, env: { ...env, ...extraEnv }, input, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (ok !== null && !ok.includes(result.status)) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${result.status}, expected ${ok}:\n${result.stdout}${result.stderr}`);
  }
  return { ms, status: result.status };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

// ---- The command under test: a snapshot of the built package --------------------------------

function snapshotPackage() {
  const dist = join(root, 'dist');
  const files = ['cli.cjs', 'policy.cjs'].map((name) => join(dist, name));
  // Another build may be replacing dist/ right now: wait for both files to be there and settled.
  for (let waited = 0; ; waited += 1) {
    const stable = files.every((file) => existsSync(file) && Date.now() - statSync(file).mtimeMs > 1000);
    if (stable) break;
    if (waited === 30) {
      if (!files.every(existsSync)) execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
      break;
    }
    spawnSync('sleep', ['1']);
  }
  const pkg = join(out, 'hooks-pkg');
  rmSync(pkg, { recursive: true, force: true });
  mkdirSync(join(pkg, 'dist'), { recursive: true });
  for (const file of files) cpSync(file, join(pkg, 'dist', file.slice(dist.length + 1)));
  for (const folder of ['rules', 'hooks', 'schema']) cpSync(join(root, folder), join(pkg, folder), { recursive: true });
  cpSync(join(root, 'package.json'), join(pkg, 'package.json'));
  const cli = join(pkg, 'dist', 'cli.cjs');
  run(process.execPath, [cli, '--help'], { cwd: pkg });
  return cli;
}

// ---- The two clones ---------------------------------------------------------------------------

const WORK_MARKER = 'release-policy-bench-hooks';

function freshWorkDir() {
  const work = join(out, 'hooks-work');
  // Only our own earlier work folder is ever deleted.
  if (existsSync(work)) {
    if (!existsSync(join(work, WORK_MARKER))) throw new Error(`${work} exists and is not ours; move it away`);
    rmSync(work, { recursive: true, force: true });
  }
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, WORK_MARKER), '');
  return work;
}

function makeClone(work, name) {
  const dir = join(work, name);
  const remote = join(work, `${name}-remote.git`);
  run('git', ['clone', '-q', '--no-hardlinks', baseRepo, dir], { cwd: work });
  run('git', ['init', '-q', '--bare', remote], { cwd: work });
  run('git', ['remote', 'set-url', 'origin', remote], { cwd: dir });
  run('git', ['push', '-q', 'origin', 'HEAD:main'], { cwd: dir });
  run('git', ['tag', '-d', RELEASE_TAG], { cwd: dir });
  return { name, dir, remote };
}

const head = (clone) => run('git', ['rev-parse', 'HEAD'], { cwd: clone.dir });
const remoteMain = (clone) => run('git', ['--git-dir', clone.remote, 'rev-parse', 'refs/heads/main'], { cwd: clone.dir });
/** Makes the next `git push origin HEAD:main` a one-commit push: syncs the remote (untimed, no hooks), then commits. */
function oneAhead(clone) {
  if (head(clone) !== remoteMain(clone)) run('git', ['push', '-q', '--no-verify', 'origin', 'HEAD:main'], { cwd: clone.dir });
  run('git', ['commit', '-q', '--no-verify', '--allow-empty', '-m', 'bench: push me'], { cwd: clone.dir });
}

// ---- Paired, alternating measurement -------------------------------------------------------------

/**
 * Runs `pairs` pairs of (a, b), A first in even pairs and B first in odd ones, after `warmup`
 * unrecorded pairs. `a` and `b` return { ms, status }. Returns the samples and statuses.
 */
function paired(a, b, { warmup = 2 } = {}) {
  for (let i = 0; i < warmup; i += 1) {
    a(-1 - i);
    b(-1 - i);
  }
  const result = { a: [], b: [], statusA: [], statusB: [] };
  for (let i = 0; i < runs; i += 1) {
    let ra;
    let rb;
    if (i % 2 === 0) {
      ra = a(i);
      rb = b(i);
    } else {
      rb = b(i);
      ra = a(i);
    }
    result.a.push(ra.ms);
    result.b.push(rb.ms);
    result.statusA.push(ra.status);
    result.statusB.push(rb.status);
  }
  return result;
}

const rows = [];
const exitSummary = (codes) => {
  const counts = new Map();
  for (const code of codes) counts.set(code, (counts.get(code) ?? 0) + 1);
  return [...counts].map(([code, n]) => (counts.size === 1 ? `${code}` : `${code}x${n}`)).join(',');
};

/** Records a row compared by difference (B - A), with an optional budget in ms. */
function diffRow(name, samples, budget = null, labels = {}) {
  const diffs = samples.b.map((b, i) => b - samples.a[i]);
  const diff = median(diffs);
  rows.push({
    name,
    a: labels.a ?? 'no hooks',
    b: labels.b ?? 'hooks',
    medianA: median(samples.a),
    medianB: median(samples.b),
    kind: 'diff',
    value: diff,
    budget,
    within: budget === null ? null : diff <= budget,
    exitA: exitSummary(samples.statusA),
    exitB: exitSummary(samples.statusB),
    samplesA: samples.a,
    samplesB: samples.b,
  });
}

/** Records a row compared by ratio (B / A), with an optional budget. */
function ratioRow(name, samples, budget = null, labels = {}) {
  const ratio = median(samples.b.map((b, i) => b / samples.a[i]));
  rows.push({
    name,
    a: labels.a,
    b: labels.b,
    medianA: median(samples.a),
    medianB: median(samples.b),
    kind: 'ratio',
    value: ratio,
    budget,
    within: budget === null ? null : ratio <= budget,
    exitA: exitSummary(samples.statusA),
    exitB: exitSummary(samples.statusB),
    samplesA: samples.a,
    samplesB: samples.b,
  });
}

// ---- Setup ---------------------------------------------------------------------------------

mkdirSync(out, { recursive: true });
execFileSync(process.execPath, [join(root, 'bench', 'make-repo.mjs'), baseRepo], { stdio: 'inherit' });
const cli = snapshotPackage();
const work = freshWorkDir();
const A = makeClone(work, 'a-no-hooks');
const B = makeClone(work, 'b-hooks');
run(process.execPath, [cli, 'hooks', 'install', '--manager', 'git'], { cwd: B.dir });
// The fast path needs current settings (hooks.conf newer than the policy file and the command) and no journal.
const conf = join(B.dir, '.git', 'release-policy', 'hooks.conf');
const state = join(B.dir, '.git', 'release-policy', 'state');
const journal = join(B.dir, '.git', 'release-policy', 'journal.jsonl');
const confFresh = () => [cli, join(B.dir, 'release-policy.yml')].every((file) => statSync(file).mtimeMs <= statSync(conf).mtimeMs);
if (!existsSync(conf) || !confFresh() || existsSync(journal)) throw new Error(`${B.dir}: the hooks would not take the fast path`);
const git = (args, ok) => (clone) => time('git', args, { cwd: clone.dir, ok });

// ---- 1. Fast path: no release blocked ----------------------------------------------------------
// Hooks B runs: a push runs pre-push, and reference-transaction (prepared, committed) for the
// local refs/remotes/origin/main; a tag runs reference-transaction twice; a commit runs
// pre-commit and commit-msg (each `git diff-index --cached`) and reference-transaction twice.

/** A one-commit `git push` of main; `ok: null` records whatever it exits with (B while blocked). */
const push = (clone, ok = [0]) => {
  oneAhead(clone);
  return time('git', ['push', '-q', 'origin', 'HEAD:main'], { cwd: clone.dir, ok });
};
diffRow('fast: git push (branch, 1 commit)', paired(() => push(A), () => push(B)), FAST_BUDGET_MS);

const tag = (clone, i) => time('git', ['tag', `bench-${i < 0 ? `warm${-i}` : i}`], { cwd: clone.dir });
diffRow('fast: git tag bench-<i>', paired((i) => tag(A, i), (i) => tag(B, i)), FAST_BUDGET_MS);

const commit = git(['commit', '-q', '--allow-empty', '-m', 'x']);
diffRow('fast: git commit --allow-empty', paired(() => commit(A), () => commit(B)));

// ---- 2. The shims alone, as git runs them (sh HOOK ARGS < stdin), against a bare `sh` ------------

const hooksDir = join(B.dir, '.git', 'hooks');
const zero = '0'.repeat(40);
const shim = (name, args, input) => () => time('sh', [join(hooksDir, name), ...args], { cwd: B.dir, input });
const bareSh = () => time('sh', ['-c', ':'], { cwd: B.dir });
const shLabels = { a: 'sh -c :', b: 'shim' };
oneAhead(B);
const pushLine = `refs/heads/main ${head(B)} refs/heads/main ${remoteMain(B)}\n`;
diffRow('shim: pre-push (branch line)', paired(bareSh, shim('pre-push', ['origin', B.remote], pushLine)), null, shLabels);
diffRow(
  'shim: reference-transaction prepared (tag)',
  paired(bareSh, shim('reference-transaction', ['prepared'], `${zero} ${head(B)} refs/tags/bench-shim\n`)),
  null,
  shLabels,
);
diffRow('shim: reference-transaction committed', paired(bareSh, shim('reference-transaction', ['committed'], '')), null, shLabels);
diffRow('shim: pre-commit (runs git diff-index)', paired(bareSh, shim('pre-commit', [], '')), null, shLabels);

// ---- 2b. First push: the whole history to an empty remote, no release open ----------------------
// A clone without remote-tracking refs (its origin removed and added again, empty), so every
// commit of the base repository is new; `policy hook pre-push` in its own process with the
// line git writes for `git push origin main`, against `node -e 0` (budget: 3x, issue 13).

const FIRST_PUSH_BUDGET_RATIO = 3;
const firstDir = join(work, 'c-first-push');
const firstRemote = join(work, 'c-first-push-remote.git');
run('git', ['clone', '-q', '--no-hardlinks', baseRepo, firstDir], { cwd: work });
run('git', ['remote', 'remove', 'origin'], { cwd: firstDir });
run('git', ['init', '-q', '--bare', firstRemote], { cwd: work });
run('git', ['remote', 'add', 'origin', firstRemote], { cwd: firstDir });
if (run('git', ['for-each-ref', 'refs/remotes'], { cwd: firstDir }) !== '') throw new Error(`${firstDir} has remote-tracking refs`);
const firstCommits = run('git', ['rev-list', '--count', 'HEAD'], { cwd: firstDir });
const firstInput = `refs/heads/main ${head({ dir: firstDir })} refs/heads/main ${zero}\n`;
const firstPush = () =>
  time(process.execPath, [cli, 'hook', 'pre-push', 'origin', firstRemote], { cwd: firstDir, input: firstInput, ok: null, extraEnv: { POLICY_DAEMON: '0' } });
const firstNode = () => time(process.execPath, ['-e', '0'], { cwd: firstDir });
// The load cache and the V8 code cache, as any second run would find them.
for (let i = 0; i < 3; i += 1) firstPush();
ratioRow(`node: policy hook pre-push, first push of ${firstCommits} commits (idle, own process)`, paired(firstNode, firstPush, { warmup: 0 }), FIRST_PUSH_BUDGET_RATIO, {
  a: 'node -e 0',
  b: 'policy hook',
});

// ---- 3. Node path: B's release blocked ------------------------------------------------------------

run(process.execPath, [cli, 'run', '--phase', 'dry-run', '--', 'sh', '-c', 'exit 101'], { cwd: B.dir, ok: [101] });
const stateWord = readFileSync(state, 'utf8').trim();
if (stateWord !== 'blocked') throw new Error(`${state} says "${stateWord}", expected "blocked"`);

// (i) policy hook pre-push, invoked directly with a one-commit branch push on stdin.
oneAhead(B);
const newSha = head(B);
const oldSha = remoteMain(B);
if (run('git', ['rev-parse', 'HEAD~1'], { cwd: B.dir }) !== oldSha) throw new Error('B is not exactly one commit ahead of its remote');
const hookInput = `refs/heads/main ${newSha} refs/heads/main ${oldSha}\n`;
const hookWith = (extraEnv) => () =>
  time(process.execPath, [cli, 'hook', 'pre-push', 'origin', B.remote], { cwd: B.dir, input: hookInput, ok: null, extraEnv });
const hook = hookWith({});
const ownProcess = hookWith({ POLICY_DAEMON: '0' });
const nodeStart = () => time(process.execPath, ['-e', '0'], { cwd: B.dir });
// The load cache and the V8 code cache, as any second run would find them; the first call
// starts the daemon, and a moment later it answers.
for (let i = 0; i < 3; i += 1) ownProcess();
hook();
spawnSync('sleep', ['1']);
for (let i = 0; i < 3; i += 1) hook();
ratioRow('node: policy hook pre-push (blocked, daemon)', paired(nodeStart, hook, { warmup: 0 }), NODE_BUDGET_RATIO, {
  a: 'node -e 0',
  b: 'policy hook',
});
ratioRow('node: policy hook pre-push (blocked, own process)', paired(nodeStart, ownProcess, { warmup: 0 }), null, {
  a: 'node -e 0',
  b: 'POLICY_DAEMON=0',
});

// The same gate with nothing pushed (what bench/run.mjs measures), to tell the push facts' share.
const check = () => time(process.execPath, [cli, 'check', '--gate', 'pre-push', '--offline'], { cwd: B.dir, ok: null });
ratioRow('node: policy check --gate pre-push (blocked, no push)', paired(nodeStart, check, { warmup: 3 }), null, { a: 'node -e 0', b: 'policy check' });

// (ii) a real one-commit push through the shim (pre-push goes to the engine; allowed or refused, it is timed).
diffRow('node: git push (B blocked)', paired(() => push(A), () => push(B, null)));

// (iii) tagging the blocked release: refused in B by reference-transaction; created and deleted (untimed) in A.
const tagA = () => {
  const result = time('git', ['tag', RELEASE_TAG], { cwd: A.dir });
  run('git', ['tag', '-d', RELEASE_TAG], { cwd: A.dir });
  return result;
};
const tagB = () => time('git', ['tag', RELEASE_TAG], { cwd: B.dir, ok: null });
diffRow(`node: git tag ${RELEASE_TAG} (B blocked)`, paired(tagA, tagB));
const leaked = run('git', ['tag', '-l', RELEASE_TAG], { cwd: B.dir });
// The daemon leaves with the bench.
const runtimeDir = join(env.XDG_RUNTIME_DIR, `release-policy-${process.getuid()}`);
for (const name of existsSync(runtimeDir) ? readdirSync(runtimeDir) : []) {
  if (!name.endsWith('.pid')) continue;
  try {
    process.kill(Number(readFileSync(join(runtimeDir, name), 'utf8')), 'SIGTERM');
  } catch {
    // gone already
  }
}

// ---- Report ------------------------------------------------------------------------------------

const ms = (value) => `${value.toFixed(1)} ms`;
const signed = (value) => `${value >= 0 ? '+' : ''}${value.toFixed(2)} ms`;
const table = [['measure', 'A', 'median A', 'B', 'median B', 'B-A or B/A', 'budget', 'within', 'exit A/B']];
for (const row of rows) {
  table.push([
    row.name,
    row.a,
    ms(row.medianA),
    row.b,
    ms(row.medianB),
    row.kind === 'ratio' ? `${row.value.toFixed(2)}x` : signed(row.value),
    row.budget === null ? '-' : row.kind === 'ratio' ? `<= ${row.budget}x` : `<= ${row.budget} ms`,
    row.within === null ? '-' : row.within ? 'yes' : 'NO',
    `${row.exitA}/${row.exitB}`,
  ]);
}
const widths = table[0].map((_, col) => Math.max(...table.map((line) => line[col].length)));
const nproc = availableParallelism();
const gitVersion = run('git', ['--version'], { cwd: work });
console.log(`git hooks: ${baseRepo} cloned twice (A: no hooks, B: policy hooks install --manager git)`);
console.log(`${runs} paired alternating runs; medians; B-A and B/A are medians of per-pair figures; nproc ${nproc}, ${gitVersion}, node ${process.version}`);
for (const line of table) console.log(line.map((cell, col) => (col >= 2 && col !== 3 ? cell.padStart(widths[col]) : cell.padEnd(widths[col]))).join('  '));
console.log(`B's state while blocked: ${stateWord}; ${RELEASE_TAG} in B after the refused tags: ${leaked === '' ? 'absent' : 'PRESENT'}`);

const report = {
  when: new Date().toISOString(),
  baseRepo,
  runs,
  nproc,
  git: gitVersion,
  node: process.version,
  cli,
  blockedState: stateWord,
  releaseTagLeakedInB: leaked !== '',
  budgets: { fastPathMs: FAST_BUDGET_MS, nodePathRatio: NODE_BUDGET_RATIO, firstPushRatio: FIRST_PUSH_BUDGET_RATIO },
  rows,
};
writeFileSync(join(out, 'hooks.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(`figures: ${join(out, 'hooks.json')}`);
