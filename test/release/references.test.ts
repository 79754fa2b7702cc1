import { describe, expect, it } from 'vitest';
import { branchIssue, closingReferences, issueReferences, matchesAnyGlob } from '../../src/release/references.js';

describe('branchIssue', () => {
  const defaults = ['*issue-{issue}-*'];

  it.each([
    ['issue-12-fix-tags', ['issue-{issue}-*'], 12],
    ['codex/issue-7-retry', ['codex/issue-{issue}-*'], 7],
    ['feature/issue-345-x', defaults, 345],
    ['issue-12-x', defaults, 12],
    ['user/topic/issue-9-a-b-c', defaults, 9],
    ['issue-007-x', ['issue-{issue}-*'], 7],
    ['issue-12', ['issue-{issue}'], 12],
    ['12-fix', ['{issue}-*'], 12],
  ])('%s with %j names issue %i', (branch, patterns, expected) => {
    expect(branchIssue(branch, patterns)).toBe(expected);
  });

  it('requires the whole branch name to match', () => {
    expect(branchIssue('xissue-12-y', ['issue-{issue}-*'])).toBe(0);
    expect(branchIssue('issue-12', ['issue-{issue}-*'])).toBe(0); // the trailing `-` is literal
    expect(branchIssue('issue-12-x', ['issue-{issue}'])).toBe(0);
    expect(branchIssue('codex/issue-12-x', ['issue-{issue}-*'])).toBe(0);
  });

  it('needs digits where {issue} stands', () => {
    expect(branchIssue('issue-abc-x', ['issue-{issue}-*'])).toBe(0);
    expect(branchIssue('issue--x', ['issue-{issue}-*'])).toBe(0);
    expect(branchIssue('issue-12a-x', ['issue-{issue}-*'])).toBe(0);
  });

  it('returns 0 when no pattern matches, for no patterns, and for an empty branch', () => {
    expect(branchIssue('main', defaults)).toBe(0);
    expect(branchIssue('feature/login', ['issue-{issue}-*', 'codex/issue-{issue}-*'])).toBe(0);
    expect(branchIssue('issue-12-x', [])).toBe(0);
    expect(branchIssue('', defaults)).toBe(0);
    expect(branchIssue('', ['*'])).toBe(0);
  });

  it('treats issue 0 as no issue', () => {
    expect(branchIssue('issue-0-x', ['issue-{issue}-*'])).toBe(0);
    expect(branchIssue('issue-000-x', defaults)).toBe(0);
  });

  it('treats a number beyond the safe integers as no issue', () => {
    expect(branchIssue('issue-99999999999999999999-x', ['issue-{issue}-*'])).toBe(0);
  });

  it('ignores a pattern without {issue} even when it matches', () => {
    expect(branchIssue('main', ['main'])).toBe(0);
    expect(branchIssue('main', ['main', 'm{issue}'])).toBe(0);
  });

  it('uses the first pattern that matches', () => {
    const branch = 'fix-3-issue-7-x';
    expect(branchIssue(branch, ['fix-{issue}-*', '*issue-{issue}-*'])).toBe(3);
    expect(branchIssue(branch, ['*issue-{issue}-*', 'fix-{issue}-*'])).toBe(7);
  });

  it('goes on to later patterns when an earlier one does not match or names issue 0', () => {
    expect(branchIssue('codex/issue-5-x', ['issue-{issue}-*', 'codex/issue-{issue}-*'])).toBe(5);
    expect(branchIssue('issue-0-x', ['issue-{issue}-*', 'issue-0-{issue}'])).toBe(0);
    expect(branchIssue('fix-0-issue-4-x', ['fix-{issue}-*', '*issue-{issue}-*'])).toBe(4);
  });

  it('takes dots, brackets and other regular-expression characters literally', () => {
    expect(branchIssue('release.12', ['release.{issue}'])).toBe(12);
    expect(branchIssue('releaseX12', ['release.{issue}'])).toBe(0);
    expect(branchIssue('[12]-x', ['[{issue}]-*'])).toBe(12);
    expect(branchIssue('1-x', ['[{issue}]-*'])).toBe(0);
    expect(branchIssue('a+b(12)$', ['a+b({issue})$'])).toBe(12);
    expect(branchIssue('aab(12)', ['a+b({issue})$'])).toBe(0);
    expect(branchIssue('x?12', ['x?{issue}'])).toBe(12);
    expect(branchIssue('12', ['x?{issue}'])).toBe(0);
    expect(branchIssue('a|12', ['a|{issue}'])).toBe(12);
    expect(branchIssue('a', ['a|{issue}'])).toBe(0);
    expect(branchIssue('^12', ['^{issue}'])).toBe(12);
    expect(branchIssue('a\\12', ['a\\{issue}'])).toBe(12);
  });

  it('lets `*` match any text, including slashes and nothing at all', () => {
    expect(branchIssue('issue-12-', ['issue-{issue}-*'])).toBe(12);
    expect(branchIssue('issue-12-', defaults)).toBe(12);
    expect(branchIssue('a/b/c/issue-12-d/e', defaults)).toBe(12);
  });
});

describe('issueReferences', () => {
  it('finds #N, GH-N and owner/repo#N', () => {
    expect(issueReferences('Fix tagging (#12)')).toEqual([12]);
    expect(issueReferences('See GH-34')).toEqual([34]);
    expect(issueReferences('See gh-34')).toEqual([34]);
    expect(issueReferences('See acme/widgets#56')).toEqual([56]);
    expect(issueReferences('See my-org/my.repo_2#57')).toEqual([57]);
    expect(issueReferences('#1 at the very start')).toEqual([1]);
  });

  it('keeps the order of first appearance and lists each number once', () => {
    expect(issueReferences('#3 then #1, then #3 again and GH-1 and #2')).toEqual([3, 1, 2]);
    expect(issueReferences('a/b#9 and #9')).toEqual([9]);
  });

  it('finds references after the usual punctuation and on later lines', () => {
    expect(issueReferences('x (#1) [#2] {#3} a,#4 b;#5 c:#6 \'#7\' "#8"')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(issueReferences('subject\n\nbody\n#9\n\tGH-10')).toEqual([9, 10]);
    expect(issueReferences('ends with #11.')).toEqual([11]);
  });

  it('returns nothing for a message without references', () => {
    expect(issueReferences('')).toEqual([]);
    expect(issueReferences('Bump version to 0.2.0')).toEqual([]);
    expect(issueReferences('a lone # and GH- without number')).toEqual([]);
  });

  it('does not take a # inside a word', () => {
    expect(issueReferences('Port to C#9')).toEqual([]);
    expect(issueReferences('abc#1')).toEqual([]);
    expect(issueReferences('F#7 and C#9 but #4')).toEqual([4]);
    expect(issueReferences('xGH-12')).toEqual([]);
  });

  it('does not take a number that runs into letters', () => {
    expect(issueReferences('#12abc')).toEqual([]);
    expect(issueReferences('GH-12x')).toEqual([]);
  });

  it('does not take a URL fragment', () => {
    expect(issueReferences('See https://x.org/page#12')).toEqual([]);
    expect(issueReferences('https://x.org/page#12')).toEqual([]);
    expect(issueReferences('(https://example.com/docs/a/b#3)')).toEqual([]);
    expect(issueReferences('see http://x.org/#4 and #5')).toEqual([5]);
  });

  it('skips #0', () => {
    expect(issueReferences('#0 and GH-0 and #00')).toEqual([]);
  });
});

describe('closingReferences', () => {
  it.each(['close', 'closes', 'closed', 'fix', 'fixes', 'fixed', 'resolve', 'resolves', 'resolved'])(
    'takes the keyword %s',
    (keyword) => {
      expect(closingReferences(`${keyword} #7`)).toEqual([7]);
    },
  );

  it('matches the keywords in any case', () => {
    expect(closingReferences('FIXES #7')).toEqual([7]);
    expect(closingReferences('Closes #8')).toEqual([8]);
    expect(closingReferences('ReSoLvEd #9')).toEqual([9]);
  });

  it('allows a colon after the keyword', () => {
    expect(closingReferences('Fixes: #7')).toEqual([7]);
    expect(closingReferences('closes:   #8')).toEqual([8]);
  });

  it('takes every reference of a list after one keyword', () => {
    expect(closingReferences('Closes #7, #8')).toEqual([7, 8]);
    expect(closingReferences('Fixes #7 and #8')).toEqual([7, 8]);
    expect(closingReferences('Fixes #7,#8 , #9 and #10')).toEqual([7, 8, 9, 10]);
  });

  it('takes owner/repo#N', () => {
    expect(closingReferences('Resolves acme/widgets#7')).toEqual([7]);
    expect(closingReferences('Fixes #1 and acme/widgets#2')).toEqual([1, 2]);
  });

  it('finds several keywords in one message, in order, each number once', () => {
    const message = 'Fix tag order\n\nFixes #7\nCloses #3, #7\nresolves #5';
    expect(closingReferences(message)).toEqual([7, 3, 5]);
  });

  it('stops the list at a word that is not a reference', () => {
    expect(closingReferences('Fixes #7 and also #8')).toEqual([7]);
    expect(closingReferences('Fixes #7 then see #8')).toEqual([7]);
  });

  it('does not take references without a closing keyword', () => {
    expect(closingReferences('Refs #7')).toEqual([]);
    expect(closingReferences('See #7')).toEqual([]);
    expect(closingReferences('fixes the bug in #7')).toEqual([]);
    expect(closingReferences('Fixed a typo (#7)')).toEqual([]);
    expect(closingReferences('')).toEqual([]);
  });

  it('does not take a keyword inside a longer word', () => {
    expect(closingReferences('prefixes #7')).toEqual([]);
    expect(closingReferences('unresolved #7')).toEqual([]);
    expect(closingReferences('Fixesx #7')).toEqual([]);
    expect(closingReferences('Closer #7')).toEqual([]);
  });

  it('does not take a # inside a word after the keyword', () => {
    expect(closingReferences('Fixes C#9')).toEqual([]);
  });

  it('only closes issues that are also issue references (no number running into letters)', () => {
    // `#7abc` is no issue reference (issueReferences agrees), so it closes nothing.
    expect(issueReferences('Fixes #7abc')).toEqual([]);
    expect(closingReferences('Fixes #7abc')).toEqual([]);
  });

  it('skips #0', () => {
    expect(closingReferences('Fixes #0')).toEqual([]);
    expect(closingReferences('Fixes #0, #4')).toEqual([4]);
  });
});

describe('matchesAnyGlob', () => {
  it('matches **/ at any depth, including the root', () => {
    expect(matchesAnyGlob('Cargo.toml', ['**/Cargo.toml'])).toBe(true);
    expect(matchesAnyGlob('crates/a/Cargo.toml', ['**/Cargo.toml'])).toBe(true);
    expect(matchesAnyGlob('crates/a/Cargo.lock', ['**/Cargo.toml'])).toBe(false);
    expect(matchesAnyGlob('crates/a/xCargo.toml', ['**/Cargo.toml'])).toBe(false);
  });

  it('matches /** across folders', () => {
    expect(matchesAnyGlob('src/a/b.rs', ['src/**'])).toBe(true);
    expect(matchesAnyGlob('src/lib.rs', ['src/**'])).toBe(true);
    expect(matchesAnyGlob('tests/src/lib.rs', ['src/**'])).toBe(false);
    expect(matchesAnyGlob('srcx/lib.rs', ['src/**'])).toBe(false);
  });

  it('keeps * within one folder', () => {
    expect(matchesAnyGlob('RELEASE_v0.2.0.md', ['RELEASE_v*.md'])).toBe(true);
    expect(matchesAnyGlob('docs/RELEASE_v0.2.0.md', ['RELEASE_v*.md'])).toBe(false);
    expect(matchesAnyGlob('src/a/b.rs', ['src/*'])).toBe(false);
    expect(matchesAnyGlob('src/b.rs', ['src/*'])).toBe(true);
  });

  it('matches dotfiles and dot folders like any other name', () => {
    expect(matchesAnyGlob('.cargo/config.toml', ['**/*.toml'])).toBe(true);
    expect(matchesAnyGlob('.cargo/config.toml', ['.cargo/**'])).toBe(true);
    expect(matchesAnyGlob('.github/workflows/ci.yml', ['**'])).toBe(true);
    expect(matchesAnyGlob('.env', ['*'])).toBe(true);
  });

  it('supports ?, [...] and {a,b}', () => {
    expect(matchesAnyGlob('a1.txt', ['a?.txt'])).toBe(true);
    expect(matchesAnyGlob('a12.txt', ['a?.txt'])).toBe(false);
    expect(matchesAnyGlob('v3.md', ['v[0-9].md'])).toBe(true);
    expect(matchesAnyGlob('vx.md', ['v[0-9].md'])).toBe(false);
    expect(matchesAnyGlob('Cargo.lock', ['Cargo.{toml,lock}'])).toBe(true);
    expect(matchesAnyGlob('Cargo.json', ['Cargo.{toml,lock}'])).toBe(false);
  });

  it('is true when any pattern matches, false when none does or there are none', () => {
    expect(matchesAnyGlob('README.md', ['src/**', '*.md'])).toBe(true);
    expect(matchesAnyGlob('README.md', ['src/**', '**/Cargo.toml'])).toBe(false);
    expect(matchesAnyGlob('README.md', [])).toBe(false);
  });

  it('gives the same answer for a pattern used again (cached matcher)', () => {
    for (let i = 0; i < 3; i++) {
      expect(matchesAnyGlob('crates/a/Cargo.toml', ['**/Cargo.toml'])).toBe(true);
      expect(matchesAnyGlob('crates/a/Cargo.lock', ['**/Cargo.toml'])).toBe(false);
    }
  });
});
