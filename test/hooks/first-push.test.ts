// A first push of a long history to an empty remote (no remote-tracking refs: every commit is
// new). The pushed commits are listed only when a rule that applies reads them (the release
// rules, while a release is open); these tests hold the findings to what a full read gives.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runPolicy } from '../helpers/cli.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_GIT } from '../helpers/tools.js';

const ZERO = '0'.repeat(40);
const POLICY = 'version: 1\npackages:\n  - name: demo\n    registry: local\nissues:\n  branch: "issue-{issue}-*"\n';
const cargo = (version: string): string => `[package]\nname = "demo"\nversion = "${version}"\nedition = "2021"\n`;

/**
 * `count` commits on main in one `git fast-import`: the version goes up every 50 commits, and
 * every 7th commit touches docs/ and names issue #9 (what the release rules read in commits).
 */
function longHistory(repo: TempRepo, count: number): void {
  const parts: string[] = [];
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  for (let i = 1; i <= count; i += 1) {
    const message = i % 7 === 0 ? `docs ${i}\n\nRefs #9\n` : `work ${i}\n`;
    parts.push('commit refs/heads/main', `mark :${i}`, `committer T <t@example.com> ${1_700_000_000 + i} +0000`, data(message).trimEnd());
    if (i > 1) parts.push(`from :${i - 1}`);
    if (i === 1) parts.push('M 644 inline release-policy.yml', data(POLICY).trimEnd(), 'M 644 inline src/lib.rs', data('').trimEnd());
    if (i === 1 || i % 50 === 0) parts.push('M 644 inline Cargo.toml', data(cargo(`0.${Math.floor(i / 50)}.0`)).trimEnd());
    if (i % 7 === 0) parts.push(`M 644 inline docs/page-${i}.md`, data(`page ${i}\n`).trimEnd());
    parts.push('');
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: repo.dir, input: `${parts.join('\n')}\n`, env: { ...process.env, ...hermeticGitEnv } });
  repo.git('reset', '-q', '--hard', 'main');
}

describe.skipIf(!HAS_GIT)('pre-push: a first push of a long history to an empty remote', () => {
  let repo: TempRepo;
  let remote: string;
  afterEach(() => {
    repo?.remove();
    if (remote) rmSync(remote, { recursive: true, force: true });
  });

  function setUp(count: number): string {
    repo = makeRepo();
    longHistory(repo, count);
    remote = `${repo.dir}-remote.git`;
    mkdirSync(remote);
    execFileSync('git', ['init', '-q', '--bare', remote], { env: { ...process.env, ...hermeticGitEnv } });
    repo.git('remote', 'add', 'origin', remote);
    expect(repo.git('for-each-ref', 'refs/remotes')).toBe('');
    return repo.git('rev-parse', 'HEAD');
  }

  const hook = (input: string) => runPolicy(['hook', 'pre-push', 'origin', remote], { cwd: repo.dir, input, env: hermeticGitEnv });
  const ruleIds = (text: string): string[] => [...text.matchAll(/^\s+(?:error|warning)\s+(\S+)/gm)].map((m) => m[1]!).sort();

  it('with no release open: the tag rules judge the push, and nothing else is found', () => {
    const head = setUp(600);
    expect(hook(`refs/heads/main ${head} refs/heads/main ${ZERO}\n`).code).toBe(0);
    // A release tag on a commit whose manifest carries another version is still refused.
    repo.git('tag', 'v0.5.0', 'main~200');
    const tag = repo.git('rev-parse', 'v0.5.0');
    const refused = hook(`refs/heads/main ${head} refs/heads/main ${ZERO}\nrefs/tags/v0.5.0 ${tag} refs/tags/v0.5.0 ${ZERO}\n`);
    expect(refused.code).toBe(1);
    expect(ruleIds(refused.stdout + refused.stderr)).toEqual(['new-tag-matches-manifest']);
    expect(refused.stdout + refused.stderr).toContain('the tag names demo 0.5.0, but the manifest there carries 0.8.0');
  });

  it('with a release blocked: the same findings whether the commits are read at once or once the release rules apply', () => {
    const head = setUp(300);
    repo.git('checkout', '-q', '-b', 'issue-8-fix');
    const blocked = runPolicy(['run', '--phase', 'dry-run', '--', 'sh', '-c', 'exit 101'], { cwd: repo.dir, env: hermeticGitEnv });
    expect(blocked.code).toBe(101);
    const state = join(repo.dir, '.git', 'release-policy', 'state');
    expect(existsSync(state)).toBe(true);
    const input = `refs/heads/issue-8-fix ${head} refs/heads/issue-8-fix ${ZERO}\n`;

    // The state word says "blocked": every fact, commits included, is read in one step.
    const atOnce = hook(input);
    // Without it, the release rules' `when` is judged first and the commits are read after.
    if (existsSync(state)) unlinkSync(state);
    const afterWhen = hook(input);

    expect(atOnce.code).toBe(1);
    const found = ruleIds(atOnce.stdout + atOnce.stderr);
    // Commits that name another issue (#9) and change files the blocked release may not touch.
    expect(found).toEqual(expect.arrayContaining(['blocked-no-next-issue', 'preserve-no-unrelated-cleanup']));
    expect(afterWhen.code).toBe(atOnce.code);
    expect(afterWhen.stdout).toBe(atOnce.stdout);
  });
});
