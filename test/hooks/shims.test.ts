// The shims' decision in shell (hooks/release-policy.sh), through real git: which hook calls
// reach the engine and which end in shell. The settings file's command is pointed at a
// recorder script, so each test sees exactly the arguments and stdin the engine would get,
// and can make it refuse. The engine itself is tested through the real command elsewhere.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPolicy } from '../helpers/cli.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_GIT } from '../helpers/tools.js';

const POLICY = 'version: 1\npackages:\n  - name: demo\n    releaseNotes: RELEASE_v{version}.md\nissues:\n  branch: "issue-{issue}-*"\n';
const CARGO = '[package]\nname = "demo"\nversion = "0.2.0"\n';

describe.skipIf(!HAS_GIT)('the hook shims decide in shell', () => {
  let repo: TempRepo;
  let remote: TempRepo;
  let log: string;
  let exitFile: string;

  const git = (...args: string[]) => {
    const result = spawnSync('git', args, { cwd: repo.dir, encoding: 'utf8', env: { ...process.env, ...hermeticGitEnv } });
    return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  };
  const calls = (): { argv: string[]; stdin: string }[] =>
    existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line)) : [];
  const conf = () => join(repo.dir, '.git', 'release-policy', 'hooks.conf');

  beforeEach(() => {
    repo = makeRepo({ files: { 'release-policy.yml': POLICY, 'Cargo.toml': CARGO, 'src/lib.rs': '', 'RELEASE_v0.2.0.md': '# notes\n' } });
    remote = makeRepo();
    remote.git('config', 'receive.denyCurrentBranch', 'ignore');
    repo.git('remote', 'add', 'origin', remote.dir);
    repo.git('push', '-q', 'origin', 'main');
    expect(runPolicy(['hooks', 'install', '--manager', 'git'], { cwd: repo.dir }).code).toBe(0);
    // The recorder stands in for `policy`: one JSON line per call, exit code from a file.
    log = join(repo.dir, '.git', 'calls.jsonl');
    exitFile = join(repo.dir, '.git', 'engine-exit');
    const recorder = join(repo.dir, '.git', 'recorder.cjs');
    writeFileSync(recorder, `const fs = require('fs');
let stdin = '';
try { stdin = fs.readFileSync(0, 'utf8'); } catch {}
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ argv: process.argv.slice(2), stdin }) + '\\n');
process.exit(fs.existsSync(${JSON.stringify(exitFile)}) ? Number(fs.readFileSync(${JSON.stringify(exitFile)}, 'utf8')) : 0);
`);
    writeFileSync(conf(), readFileSync(conf(), 'utf8').replace(/^rp_cli=.*$/m, `rp_cli='${recorder}'`));
    // The settings must be newer than the policy and the command, or the shims ask the engine.
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(repo.dir, 'release-policy.yml'), past, past);
    utimesSync(recorder, past, past);
    // File times tick with the kernel's coarse clock: keep later writes distinguishable.
    utimesSync(conf(), new Date(Date.now() - 10_000), new Date(Date.now() - 10_000));
  });

  afterEach(() => {
    repo?.remove();
    remote?.remove();
  });

  const block = (word: string) => {
    const dir = join(repo.dir, '.git', 'release-policy');
    writeFileSync(join(dir, 'journal.jsonl'), '');
    const past = new Date(Date.now() - 30_000);
    utimesSync(join(dir, 'journal.jsonl'), past, past);
    writeFileSync(join(dir, 'state'), `${word}\n`);
  };

  it('with no release blocked, pushing a branch and pushing nothing never start the engine', () => {
    repo.commit('work', { 'src/lib.rs': 'pub fn x() {}\n' });
    expect(git('push', '-q', 'origin', 'main').code).toBe(0);
    expect(git('push', '-q', 'origin', 'main').code).toBe(0); // up to date: git still runs pre-push, with no lines
    expect(git('tag', 'nightly').code).toBe(0);
    expect(git('push', '-q', 'origin', 'nightly').code).toBe(0);
    expect(calls()).toEqual([]);
  });

  it('pushing a release tag goes to the engine with git\'s arguments and stdin; its refusal stops the push', () => {
    expect(git('-c', 'core.hooksPath=/dev/null', 'tag', 'v0.2.0').code).toBe(0);
    writeFileSync(exitFile, '1');
    const push = git('push', 'origin', 'v0.2.0');
    expect(push.code).not.toBe(0);
    const sha = repo.git('rev-parse', 'v0.2.0');
    expect(calls()).toEqual([{ argv: ['hook', 'pre-push', 'origin', remote.dir], stdin: `refs/tags/v0.2.0 ${sha} refs/tags/v0.2.0 ${'0'.repeat(40)}\n` }]);
    expect(remote.git('tag', '-l')).toBe('');
  });

  it('moving a tag the remote has goes to the engine even when it is no release tag', () => {
    expect(git('tag', 'nightly').code).toBe(0);
    expect(git('push', '-q', 'origin', 'nightly').code).toBe(0);
    repo.commit('more', { 'src/more.rs': '' });
    expect(git('tag', '-f', 'nightly').code).toBe(0);
    git('push', '-q', '--force', 'origin', 'nightly');
    expect(calls().map((c) => c.argv[1])).toEqual(['pre-push']);
  });

  it('while a release is blocked (or the state file is older than the journal), every commit and push goes to the engine', () => {
    block('blocked');
    repo.commit('work', { 'src/lib.rs': 'pub fn x() {}\n' });
    expect(git('push', '-q', 'origin', 'main').code).toBe(0);
    expect(calls().map((c) => c.argv[1])).toEqual(['pre-commit', 'commit-msg', 'pre-push']);
    block('idle');
    utimesSync(join(repo.dir, '.git', 'release-policy', 'state'), new Date(Date.now() - 90_000), new Date(Date.now() - 90_000));
    expect(git('commit', '-q', '--allow-empty', '-m', 'more').code).toBe(0);
    expect(git('push', '-q', 'origin', 'main').code).toBe(0);
    expect(calls().map((c) => c.argv[1])).toEqual(['pre-commit', 'commit-msg', 'pre-push', 'pre-commit', 'commit-msg', 'pre-push']);
    block('in-progress');
    expect(git('commit', '-q', '--allow-empty', '-m', 'again').code).toBe(0);
    expect(git('push', '-q', 'origin', 'main').code).toBe(0);
    expect(calls()).toHaveLength(6);
  });

  it('reference-transaction sends only release tags to the engine, in the prepared state, and a refusal leaves no tag', () => {
    expect(git('tag', 'nightly').code).toBe(0);
    repo.commit('work', { 'src/lib.rs': 'pub fn x() {}\n' });
    expect(calls()).toEqual([]); // commits and branch updates stay in shell, blocked or not
    writeFileSync(exitFile, '1');
    const tag = git('tag', 'v0.2.0');
    expect(tag.code).not.toBe(0);
    expect(tag.stderr).toContain('ref updates aborted by hook');
    expect(repo.git('tag', '-l', 'v0.2.0')).toBe('');
    const [call] = calls();
    expect(call?.argv).toEqual(['hook', 'reference-transaction', 'prepared']);
    expect(call?.stdin).toMatch(/^0{40} [0-9a-f]{40} refs\/tags\/v0\.2\.0\n$/);
  });

  it('with no release blocked, a commit goes to the engine only when it stages a manifest or release notes', () => {
    repo.commit('source only', { 'src/lib.rs': 'pub fn x() {}\n' });
    expect(calls()).toEqual([]);
    repo.commit('notes', { 'RELEASE_v0.3.0.md': '# next\n' });
    expect(calls().map((c) => c.argv.slice(0, 2))).toEqual([['hook', 'pre-commit'], ['hook', 'commit-msg']]);
    repo.commit('manifest', { 'Cargo.toml': CARGO.replace('0.2.0', '0.3.0') });
    expect(calls()).toHaveLength(4);
    expect(calls()[3]?.argv).toEqual(['hook', 'commit-msg', '.git/COMMIT_EDITMSG']);
  });

  it('settings older than the policy file send the call to the engine (which refreshes them)', () => {
    writeFileSync(join(repo.dir, 'release-policy.yml'), `${POLICY}# edited\n`);
    repo.commit('work', { 'src/lib.rs': 'pub fn x() {}\n' });
    expect(calls().map((c) => c.argv[1])).toEqual(['pre-commit', 'commit-msg']);
  });

  it('a hook that was there before is kept, runs after ours, and gets the same stdin', () => {
    const hooks = join(repo.dir, '.git', 'hooks');
    const seen = join(repo.dir, '.git', 'old-hook-saw');
    rmSync(join(hooks, 'pre-push'));
    writeFileSync(join(hooks, 'pre-push'), `#!/bin/sh\necho "$1" > ${seen}\ncat >> ${seen}\nexit 0\n`);
    chmodSync(join(hooks, 'pre-push'), 0o755);
    const install = runPolicy(['hooks', 'install', '--manager', 'git'], { cwd: repo.dir });
    expect(install.code).toBe(0);
    expect(install.stdout).toContain('kept  .git/hooks/pre-push.before-release-policy');
    repo.commit('work', { 'src/lib.rs': 'pub fn x() {}\n' });
    expect(git('push', '-q', 'origin', 'main').code).toBe(0);
    const head = repo.git('rev-parse', 'HEAD');
    expect(readFileSync(seen, 'utf8')).toMatch(new RegExp(`^origin\nrefs/heads/main ${head} refs/heads/main [0-9a-f]{40}\n$`));
    // Installing again keeps the chain as it is.
    expect(runPolicy(['hooks', 'install', '--manager', 'git'], { cwd: repo.dir }).code).toBe(0);
    expect(existsSync(join(hooks, 'pre-push.before-release-policy'))).toBe(true);
  });
});
