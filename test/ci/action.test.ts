// The GitHub Action as GitHub runs it: `node action/index.cjs` (built fresh into a folder with
// the package's rules/, schema/ and package.json and no node_modules, as an action's checkout
// has none), the inputs as INPUT_* variables, a real event payload at GITHUB_EVENT_PATH, the
// GITHUB_STEP_SUMMARY and GITHUB_OUTPUT files, a clone of a bare remote as actions/checkout
// makes, and the loopback GraphQL server (GitHub's schema) holding issue 7, whose release is
// blocked by a trusted status comment only: no clone has a journal.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitHub, type LoopbackGitHub } from '../../scripts/loopback-github.mjs';
import { renderStatusComment } from '../../src/release/comment.js';
import type { JournalEvent } from '../../src/release/model.js';
import { foldRelease } from '../../src/release/state.js';
import { PROJECT_ROOT, runAsync, type CliResult } from '../helpers/cli.js';
import { gitSync, hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { TEST_TOKEN } from '../helpers/github-sandbox.js';
import { closedPort } from '../registry/fixtures.js';
import { HAS_GIT } from '../helpers/tools.js';

const POLICY = [
  'version: 1',
  'packages:',
  '  - name: demo',
  '    registry: local',
  'issues:',
  '  branch: "issue-{issue}-*"',
  'rules:',
  '  release-notes-present: "off"',
  'github:',
  '  repository: acme/demo',
  '  comment: "off"',
  '',
].join('\n');
const ENFORCE = POLICY.replace('  comment: "off"\n', '  comment: "off"\n  enforce: reopen\n');
const manifest = (version: string): string => `[package]\nname = "demo"\nversion = "${version}"\nedition = "2021"\n`;
const ZERO = '0'.repeat(40);

/** Release demo 0.2.0 of issue 7 whose dry-run failed, as `policy run` would have posted it. */
const BLOCKED = foldRelease([{
  v: 1, package: 'demo', version: '0.2.0', issue: 7, id: 'e1', at: '2026-11-24T19:01:00Z', type: 'step-finished', phase: 'dry-run',
  command: ['cargo', 'publish', '--registry', 'local', '--dry-run'], exitCode: 101, outcome: 'failed', reason: 'exit-nonzero',
  excerpt: 'error: failed to verify package tarball',
} as JournalEvent]);

let action: string;
let top: string;
let bare: string;
let origin: TempRepo;
let github: LoopbackGitHub;

beforeAll(() => {
  // The action's checkout: the bundle, the built-in rules and schemas, package.json; no node_modules.
  const pkg = mkdtempSync(join(tmpdir(), 'policy-action-'));
  execFileSync(process.execPath, [join(PROJECT_ROOT, 'scripts', 'build.mjs'), '--action', '--out', join(pkg, 'action', 'index.cjs')], { stdio: 'ignore' });
  for (const name of ['rules', 'schema', 'package.json']) cpSync(join(PROJECT_ROOT, name), join(pkg, name), { recursive: true });
  action = join(pkg, 'action', 'index.cjs');
});

afterAll(() => {
  if (action) rmSync(join(action, '..', '..'), { recursive: true, force: true });
});

beforeEach(async () => {
  github = await startGitHub({ token: TEST_TOKEN });
  github.addIssue(7, { title: 'Feature seven' });
  github.addComment(7, { author: 'alice', authorAssociation: 'MEMBER', body: renderStatusComment(BLOCKED, { ecosystem: 'cargo' }) });
  if (!HAS_GIT) return;
  top = mkdtempSync(join(tmpdir(), 'policy-ci-'));
  bare = join(top, 'origin.git');
  origin = makeRepo({ branch: 'main' });
  origin.commit('release 0.2.0', { 'release-policy.yml': POLICY, 'Cargo.toml': manifest('0.2.0'), 'README.md': 'demo\n' });
  gitSync(top, ['init', '-q', '--bare', '-b', 'main', bare]);
  origin.git('remote', 'add', 'origin', bare);
  origin.git('push', '-q', 'origin', 'main');
});

afterEach(async () => {
  await github.close();
  if (!HAS_GIT) return;
  origin.remove();
  rmSync(top, { recursive: true, force: true });
});

interface Run extends CliResult {
  summary: string;
  outputs: Record<string, string>;
  dir: string;
}

/** actions/checkout: a clone of the remote at `ref` (detached), whole history unless `depth`. */
function checkout(ref: string, depth?: number): string {
  const dir = join(top, `ws-${Math.random().toString(36).slice(2)}`);
  gitSync(top, ['clone', '-q', ...(depth === undefined ? [] : ['--depth', String(depth), '--no-single-branch']), `file://${bare}`, dir]);
  gitSync(dir, ['checkout', '-q', '--detach', ref]);
  return dir;
}

/** Parses `name<<DELIM` … `DELIM` blocks. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([\w-]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
    out[m[1]!] = value.join('\n');
  }
  return out;
}

/** Runs the bundle as the runner does: inputs as INPUT_*, the event in a file, the workspace as cwd. */
async function runAction(dir: string, event: { name: string; payload: unknown; ref?: string; sha?: string; baseRef?: string; headRef?: string }, inputs: Record<string, string> = {}): Promise<Run> {
  const files = mkdtempSync(join(top, 'runner-'));
  const eventPath = join(files, 'event.json');
  writeFileSync(eventPath, JSON.stringify(event.payload));
  const summaryFile = join(files, 'summary.md');
  const outputFile = join(files, 'output.txt');
  writeFileSync(summaryFile, '');
  writeFileSync(outputFile, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: files,
    ...hermeticGitEnv,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: event.name,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REF: event.ref ?? '',
    GITHUB_SHA: event.sha ?? '',
    GITHUB_BASE_REF: event.baseRef ?? '',
    GITHUB_HEAD_REF: event.headRef ?? '',
    GITHUB_WORKSPACE: dir,
    GITHUB_REPOSITORY: 'acme/demo',
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_OUTPUT: outputFile,
    GITHUB_GRAPHQL_URL: github.url,
    POLICY_GITHUB_TIMEOUT: '5',
    'INPUT_GITHUB-TOKEN': TEST_TOKEN,
    'INPUT_FAIL-ON': 'error',
    INPUT_FETCH: 'true',
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
  };
  const result = await runAsync(process.execPath, [action], { cwd: dir, env });
  const summary = readFileSync(summaryFile, 'utf8');
  const output = readFileSync(outputFile, 'utf8');
  // The token reaches no output the job shows or keeps.
  expect(result.stdout + result.stderr + summary + output).not.toContain(TEST_TOKEN);
  return { ...result, summary, outputs: parseOutputs(output), dir };
}

function tagPush(sha: string): { name: string; payload: unknown; ref: string; sha: string } {
  return {
    name: 'push',
    ref: 'refs/tags/v0.2.0',
    sha,
    payload: { ref: 'refs/tags/v0.2.0', before: ZERO, after: sha, created: true, deleted: false, forced: false, base_ref: null, commits: [], repository: { full_name: 'acme/demo', default_branch: 'main' } },
  };
}

function pullRequest(base: string, head: string, branch: string): { name: string; payload: unknown; ref: string; sha: string; baseRef: string; headRef: string } {
  return {
    name: 'pull_request',
    ref: 'refs/pull/3/merge',
    sha: head,
    baseRef: 'main',
    headRef: branch,
    payload: {
      action: 'synchronize',
      number: 3,
      before: base,
      after: head,
      pull_request: { number: 3, state: 'open', head: { ref: branch, sha: head }, base: { ref: 'main', sha: base } },
      repository: { full_name: 'acme/demo', default_branch: 'main' },
    },
  };
}

describe.skipIf(!HAS_GIT)('the action on a tag push', () => {
  it('tag v0.2.0 pushed while issue 7\'s release is blocked (state only on GitHub): refused with an error annotation naming #7, a findings table, verdict=refused', async () => {
    origin.tag('v0.2.0');
    origin.git('push', '-q', 'origin', 'v0.2.0');
    const sha = origin.git('rev-parse', 'HEAD');
    const dir = checkout('v0.2.0');
    expect(existsSync(join(dir, '.git', 'release-policy', 'journal.jsonl'))).toBe(false);

    const run = await runAction(dir, tagPush(sha));
    expect(run.code).toBe(1);
    const errors = run.stdout.split('\n').filter((line) => line.startsWith('::error '));
    expect(errors.some((line) => line.includes('title=dry-run-failure-no-tag') && line.includes('issue #7'))).toBe(true);
    expect(run.outputs).toMatchObject({ verdict: 'refused', sarif: '' });
    expect(Number(run.outputs.errors)).toBeGreaterThan(0);
    expect(run.summary).toContain('✖ **refused**: push of tag v0.2.0');
    expect(run.summary).toMatch(/^\| {2}\| rule \| subject \| message \| fix \|$/m);
    expect(run.summary).toMatch(/^\| ✖ error \| dry-run-failure-no-tag \| tag v0\.2\.0 \| creating release tag v0\.2\.0 is refused: the dry-run step of release demo v0\.2\.0 \(issue #7\) failed/m);
    // The release as GitHub has it, with its steps.
    expect(run.summary).toContain('| demo | 0.2.0 | blocked | no | #7 |');
    expect(run.summary).toMatch(/^\| dry-run \| ✖ failed \|$/m);
    expect(run.summary).toMatch(/^\| publish \| · pending \|$/m);
  });

  it('fail-on never: exit 0, the verdict still refused; a SARIF file when asked', async () => {
    origin.tag('v0.2.0');
    origin.git('push', '-q', 'origin', 'v0.2.0');
    const dir = checkout('v0.2.0');
    const sarif = join(dir, '..', 'results.sarif');
    const run = await runAction(dir, tagPush(origin.git('rev-parse', 'HEAD')), { 'fail-on': 'never', sarif });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ verdict: 'refused', sarif });
    const results = JSON.parse(readFileSync(sarif, 'utf8')).runs[0].results as { ruleId: string }[];
    expect(results.map((r) => r.ruleId)).toContain('dry-run-failure-no-tag');
  });
});

describe.skipIf(!HAS_GIT)('the action on a pull request', () => {
  it('a range that bumps the blocked crate\'s version is refused by the review gate; the same range without the bump is allowed', async () => {
    const base = origin.git('rev-parse', 'HEAD');
    origin.git('checkout', '-q', '-b', 'issue-7-bump');
    const bump = origin.commit('bump to 0.3.0', { 'Cargo.toml': manifest('0.3.0') });
    origin.git('checkout', '-q', 'main');
    origin.git('checkout', '-q', '-b', 'issue-7-docs');
    const docs = origin.commit('explain the failure', { 'README.md': 'demo: the dry-run failed, see #7\n' });
    origin.git('push', '-q', 'origin', 'issue-7-bump', 'issue-7-docs');

    const refused = await runAction(checkout(bump), pullRequest(base, bump, 'issue-7-bump'));
    expect(refused.code).toBe(1);
    expect(refused.outputs.verdict).toBe('refused');
    expect(refused.stdout).toMatch(/^::error title=blocked-no-version-change::pushing commit [0-9a-f]{12} \("bump to 0\.3\.0"\) is refused: it changes demo 0\.2\.0 -> 0\.3\.0/m);
    expect(refused.summary).toContain('pull request #3: main...issue-7-bump');

    const allowed = await runAction(checkout(docs), pullRequest(base, docs, 'issue-7-docs'));
    expect([allowed.code, allowed.outputs.verdict]).toEqual([0, 'allowed']);
    expect(allowed.stdout).not.toContain('::error ');
    expect(allowed.stdout).not.toContain('blocked-no-version-change');
  });
});

describe.skipIf(!HAS_GIT)('the action on an issue closed', () => {
  it('issue 7 closed while its release is blocked, with github.enforce: reopen: refused, and the issue is open again', async () => {
    origin.commit('enforce reopen', { 'release-policy.yml': ENFORCE });
    origin.git('push', '-q', 'origin', 'main');
    github.closeIssue(7, { actor: 'alice' });
    const dir = checkout('main');
    const run = await runAction(dir, {
      name: 'issues',
      ref: 'refs/heads/main',
      sha: origin.git('rev-parse', 'HEAD'),
      payload: { action: 'closed', issue: { number: 7, state: 'closed', title: 'Feature seven' }, repository: { full_name: 'acme/demo', default_branch: 'main' } },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^::error file=release-policy\.yml,line=[0-9]+(,col=[0-9]+)?,title=blocked-keep-issue-open::closing issue #7 is refused: release demo v0\.2\.0 \(issue #7\) is blocked/m);
    expect(run.stdout).toMatch(/^::error file=release-policy\.yml,line=[0-9]+(,col=[0-9]+)?,title=issue-closed-while-open::issue #7 was closed on GitHub by alice/m);
    expect(run.stderr).toMatch(/^policy ci: reopened acme\/demo#7 and said why in a comment/m);
    expect(github.issues.get(7)!.state).toBe('OPEN');
    expect(run.summary).toContain('issue #7 closed');
  });
});

describe.skipIf(!HAS_GIT)('the action on a branch push', () => {
  it('a new branch (all-zero before) brings only the commits the default branch lacks', async () => {
    // An old commit on main closes #7 (before the release); the new branch's own commit does too.
    const old = origin.commit('Fix the build\n\nCloses #7', { 'README.md': 'demo 2\n' });
    origin.git('push', '-q', 'origin', 'main');
    origin.git('checkout', '-q', '-b', 'issue-7-notes');
    const mine = origin.commit('Write the notes\n\nCloses #7', { 'NOTES.md': 'notes\n' });
    origin.git('push', '-q', 'origin', 'issue-7-notes');
    const dir = checkout(mine);
    const run = await runAction(dir, {
      name: 'push',
      ref: 'refs/heads/issue-7-notes',
      sha: mine,
      payload: { ref: 'refs/heads/issue-7-notes', before: ZERO, after: mine, created: true, deleted: false, commits: [], repository: { full_name: 'acme/demo', default_branch: 'main' } },
    });
    expect(run.code).toBe(1);
    const closing = run.stdout.split('\n').filter((line) => line.startsWith('::error title=blocked-keep-issue-open::'));
    expect(closing).toHaveLength(1);
    expect(closing[0]).toContain(`pushing commit ${mine.slice(0, 12)} ("Write the notes")`);
    expect(run.stdout).not.toContain(old.slice(0, 12));
    expect(run.summary).toContain('push of new branch issue-7-notes');
  });
});

describe.skipIf(!HAS_GIT)('the action in a shallow checkout', () => {
  it('with fetch allowed, the history and tags are fetched and the check runs; with fetch: false, exit 3 naming what is missing and the fix', async () => {
    origin.commit('second', { 'README.md': 'demo 2\n' });
    origin.tag('v0.2.0');
    origin.git('push', '-q', 'origin', 'main', 'v0.2.0');
    const sha = origin.git('rev-parse', 'HEAD');

    const without = await runAction(checkout(sha, 1), tagPush(sha), { fetch: 'false' });
    expect(without.code).toBe(3);
    expect(without.outputs.verdict).toBe('incomplete');
    expect(without.stdout).toMatch(/^::error title=fact unavailable%3A history::the checkout is shallow: .*`fetch-depth: 0`/m);
    expect(without.summary).toContain('fetch-depth: 0');

    const dir = checkout(sha, 1);
    expect(gitSync(dir, ['rev-parse', '--is-shallow-repository'])).toBe('true');
    const fetched = await runAction(dir, tagPush(sha));
    expect(fetched.stderr).toContain('policy ci: the checkout was shallow; fetched the whole history and the tags');
    expect(gitSync(dir, ['rev-parse', '--is-shallow-repository'])).toBe('false');
    expect(fetched.code).toBe(1);
    expect(fetched.outputs.verdict).toBe('refused');
    expect(fetched.stdout).toContain('title=dry-run-failure-no-tag');
  });

  it('a fetch that fails names git\'s reason without the credentials of the remote URL', async () => {
    origin.commit('second', { 'README.md': 'demo 2\n' });
    origin.tag('v0.2.0');
    origin.git('push', '-q', 'origin', 'main', 'v0.2.0');
    const sha = origin.git('rev-parse', 'HEAD');
    const dir = checkout(sha, 1);
    const secret = 'ghp_remoteUrlSecretThatMustNeverShow0123456';
    gitSync(dir, ['remote', 'set-url', 'origin', `http://x-access-token:${secret}@127.0.0.1:${await closedPort()}/acme/demo.git`]);
    const failed = await runAction(dir, tagPush(sha));
    expect(failed.code).toBe(3);
    expect(failed.stdout).toMatch(/the checkout is shallow and `git fetch --unshallow --tags origin` failed \(/);
    for (const text of [failed.stdout, failed.stderr, failed.summary, JSON.stringify(failed.outputs)]) expect(text).not.toContain(secret);
  });
});

describe.skipIf(!HAS_GIT)('the action on the daily sweep', () => {
  it('schedule runs ci and audit: a release tag made while the release is blocked is refused', async () => {
    origin.tag('v0.2.0');
    origin.git('push', '-q', 'origin', 'main', 'v0.2.0');
    const dir = checkout('main');
    const run = await runAction(dir, { name: 'schedule', ref: 'refs/heads/main', sha: origin.git('rev-parse', 'HEAD'), payload: { schedule: '17 5 * * *' } });
    expect(run.summary).toContain('scheduled sweep; gates ci, audit.');
    expect(run.code).toBe(1);
    expect(run.outputs.verdict).toBe('refused');
    expect(run.stdout).toMatch(/^::error file=release-policy\.yml,line=[0-9]+(,col=[0-9]+)?,title=dry-run-failure-no-tag::local tag v0\.2\.0 names demo 0\.2\.0/m);
  });
});
