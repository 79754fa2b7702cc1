// preserve-release-notes with real git: it is about notes that existed. A blocked release
// whose notes were never written gets no finding from it (release-notes-present names that);
// notes deleted in the working tree or by a commit are found, and the command the finding
// names really restores them (`git checkout HEAD -- FILE` fails once a commit deleted the file).
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPolicy, type CliResult } from '../helpers/cli.js';
import { gitSync, hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_GIT } from '../helpers/tools.js';

const NOTES = "# demo v0.2.0\n\n## What's in this release\n\n- things\n\n## Validation\n\n- tests\n";
const RULE = 'preserve-release-notes';

let repo: TempRepo;

beforeEach(() => {
  if (!HAS_GIT) return;
  repo = makeRepo({ branch: 'issue-7-feature' });
  repo.commit('release 0.2.0', {
    'release-policy.yml': 'version: 1\npackages:\n  - name: demo\nissues:\n  branch: "issue-{issue}-*"\n',
    'Cargo.toml': '[package]\nname = "demo"\nversion = "0.2.0"\nedition = "2021"\n',
    'src/lib.rs': 'pub fn answer() -> u32 { 42 }\n',
  });
});

afterEach(() => {
  if (HAS_GIT) repo.remove();
});

const policy = (...args: string[]): CliResult => runPolicy(args, { cwd: repo.dir, env: hermeticGitEnv });

/** Blocks the release of 0.2.0 with a failed dry-run. */
function block(): void {
  const run = policy('run', '--phase', 'dry-run', '--', 'sh', '-c', 'echo "error: failed to verify package tarball" >&2; exit 101');
  expect(run.code).toBe(101);
}

/** The findings of one rule at a gate. */
function findings(gate: string, rule = RULE): { rule: string; message: string }[] {
  const result = policy('check', '--gate', gate, '--format', 'json');
  expect([0, 1]).toContain(result.code);
  return (JSON.parse(result.stdout).findings as { rule: string; message: string }[]).filter((f) => f.rule === rule);
}

/** The command between backticks after "restore them with", as argv. */
function restoreCommand(message: string): string[] {
  const match = /restore them with `([^`]+)`/.exec(message);
  if (match === null) throw new Error(`no restore command in: ${message}`);
  return match[1]!.split(' ');
}

describe.skipIf(!HAS_GIT)('preserve-release-notes reads notes that existed', () => {
  it('a blocked release whose notes never existed: no finding at pre-commit or review; release-notes-present names the missing file', () => {
    block();
    repo.write({ 'src/lib.rs': 'pub fn answer() -> u32 { 43 }\n' });
    gitSync(repo.dir, ['add', '-A']);
    expect(findings('pre-commit')).toEqual([]);
    expect(findings('review')).toEqual([]);
    expect(findings('review', 'release-notes-present')).toHaveLength(1);
  });

  it('notes deleted in the working tree: found, and `git checkout HEAD -- FILE` restores them', () => {
    repo.commit('notes', { 'RELEASE_v0.2.0.md': NOTES });
    block();
    rmSync(join(repo.dir, 'RELEASE_v0.2.0.md'));
    const [finding, ...more] = findings('review');
    expect(more).toEqual([]);
    const command = restoreCommand(finding!.message);
    expect(command).toEqual(['git', 'checkout', 'HEAD', '--', 'RELEASE_v0.2.0.md']);
    gitSync(repo.dir, command.slice(1));
    expect(existsSync(join(repo.dir, 'RELEASE_v0.2.0.md'))).toBe(true);
    expect(findings('review')).toEqual([]);
  });

  it('notes a commit deleted: restored from the commit before it, the command works, and HEAD alone would not', () => {
    const written = repo.commit('notes', { 'RELEASE_v0.2.0.md': NOTES });
    block();
    repo.commit('clean up the root', { 'RELEASE_v0.2.0.md': null });
    repo.commit('more work', { 'src/lib.rs': 'pub fn answer() -> u32 { 44 }\n' });
    const [finding] = findings('review');
    const command = restoreCommand(finding!.message);
    expect(command).toEqual(['git', 'checkout', written.slice(0, 12), '--', 'RELEASE_v0.2.0.md']);
    expect(() => gitSync(repo.dir, ['checkout', 'HEAD', '--', 'RELEASE_v0.2.0.md'])).toThrow();
    gitSync(repo.dir, command.slice(1));
    expect(existsSync(join(repo.dir, 'RELEASE_v0.2.0.md'))).toBe(true);
    expect(findings('review')).toEqual([]);
  });

  it('the release fact tells it: policy facts shows release.notes', () => {
    block();
    const facts = JSON.parse(policy('facts', '--gate', 'review').stdout);
    expect(facts.facts.release.notes).toEqual({ path: 'RELEASE_v0.2.0.md', existed: false, restore: '' });
  });
});
