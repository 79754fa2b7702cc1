// Hostile text from a repository (tag names, commit subjects) and from users (a decision's
// reason, a command) end to end: real git, the built `policy`, and the Markdown it prints
// rendered by a CommonMark renderer as GitHub renders job summaries and issue comments.
import MarkdownIt from 'markdown-it';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findStateInComment } from '../../src/release/comment.js';
import { runPolicy, type CliResult } from '../helpers/cli.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_GIT } from '../helpers/tools.js';

const md = new MarkdownIt({ html: true, linkify: true });
md.linkify.set({ fuzzyLink: false });

const POLICY = `version: 1
packages:
  - name: demo
    registry: local
    tag: "v{version}"
issues:
  branch: "issue-{issue}-*"
`;

const manifest = (version: string) => `[package]\nname = "demo"\nversion = "${version}"\nedition = "2021"\n`;

// git accepts both names as written: backticks, `<`, `>` and `/` are allowed in a ref name.
const TAGS = ['v9.9.3-``<b>INJ</b>`a`', 'v9.9.4-`<b>INJ</b>`a'];
const SUBJECT = 'Lower it <img src=x onerror=alert(1)> <a href="https://evil.example/">see</a> <!-- hide';

/** What the renderer made into elements: any `<b>`, `<img>`, `<a>` or HTML comment. */
function injected(html: string): string[] {
  return [...html.matchAll(/<(b|img|a)\b[^>]*>|<!--/gi)].map((m) => m[0]);
}

/** Rendered HTML's text with the entities markdown-it writes decoded. */
function shown(html: string): string {
  return html.replace(/<\/?[a-z][^>]*>/gi, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

describe.skipIf(!HAS_GIT)('hostile tag names and commit subjects in the markdown format', () => {
  let repo: TempRepo;
  const policy = (args: string[]): CliResult => runPolicy(args, { cwd: repo.dir, env: hermeticGitEnv });

  beforeAll(() => {
    repo = makeRepo();
    repo.commit('Release 0.2.0', { 'release-policy.yml': POLICY, 'Cargo.toml': manifest('0.2.0') });
    // A lowered version: version-not-lowered quotes this commit's subject.
    repo.commit(SUBJECT, { 'Cargo.toml': manifest('0.1.0') });
    // Tags that match the template but are not SemVer: version-valid names them.
    for (const tag of TAGS) repo.tag(tag);
    expect(repo.git('tag', '-l').split('\n').sort()).toEqual([...TAGS].sort());
  });
  afterAll(() => repo?.remove());

  it.each([
    ['audit', ['audit', '--format', 'markdown']],
    ['check', ['check', '--format', 'markdown']],
  ])('policy %s --format markdown renders no <b>, <img>, <a> or HTML comment, and shows the text', (_name, args) => {
    const result = policy(args);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    // The findings this test is about are there.
    expect(result.stdout).toMatch(/\| error \| version-valid \|/);
    expect(result.stdout).toMatch(/\| error \| version-not-lowered \|/);
    const html = md.render(result.stdout);
    expect(injected(html)).toEqual([]);
    const text = shown(html);
    for (const tag of TAGS) expect(text).toContain(`tag ${tag}`); // the subject cell: exactly the name
    expect(text).toContain('<img src=x onerror=alert(1)> <a href="https://evil.example/">see</a> <!-- hide');
  });

  it('the text format shows the names and subject as they are', () => {
    const result = policy(['audit']);
    expect(result.code).toBe(1);
    for (const tag of TAGS) expect(result.stdout).toContain(tag);
    expect(result.stdout).toContain(SUBJECT);
  });
});

describe.skipIf(!HAS_GIT)('hostile reason and command in the status comment', () => {
  let repo: TempRepo;
  const policy = (args: string[]): CliResult => runPolicy(args, { cwd: repo.dir, env: hermeticGitEnv });
  const REASON = 'x --> <img src=x> <!-- y';
  const ECHOED = '``` --> <img src=x onerror=alert(1)> <!-- z';
  const SCRIPT = `echo '${ECHOED}'; exit 101`;

  beforeAll(() => {
    repo = makeRepo({ branch: 'issue-7-feature' });
    repo.commit('release 0.2.0', { 'release-policy.yml': POLICY, 'Cargo.toml': manifest('0.2.0') });
    expect(policy(['run', '--phase', 'dry-run', '--', 'sh', '-c', SCRIPT]).code).toBe(101);
    const decided = policy(['decide', '--version', '0.2.1', '--reason', REASON]);
    expect(decided.stderr).toBe('');
    expect(decided.code).toBe(0);
  });
  afterAll(() => repo?.remove());

  it('policy comment renders no <img> and one HTML comment, whose state still parses', () => {
    const result = policy(['comment']);
    expect(result.code).toBe(0);
    const html = md.render(result.stdout);
    expect(html).not.toMatch(/<img/);
    expect(html.match(/<!--/g)).toHaveLength(1);
    expect(html.trimEnd().endsWith('-->')).toBe(true);
    const status = JSON.parse(policy(['status', '--format', 'json']).stdout) as { status: string; failure: { command: string } };
    expect(status.failure.command).toContain(ECHOED);
    const text = shown(html);
    expect(text).toContain(status.failure.command); // the failed command, exactly
    expect(text).toContain(REASON);

    const state = findStateInComment(result.stdout);
    expect(state).toMatchObject({ status: status.status, issue: 7, decisions: [{ version: '0.2.1', reason: REASON }] });
    expect(state?.failure?.command).toBe(status.failure.command);
  });

  it('policy status (text) shows the reason and the command as they are', () => {
    const result = policy(['status']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(REASON);
    expect(result.stdout).toContain(ECHOED);
  });
});
