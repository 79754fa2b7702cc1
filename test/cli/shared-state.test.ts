// Every clone sees the release: a dry-run fails in clone A, whose `policy run` posts the status
// comment on issue 7 of a loopback GitHub (GitHub's schema); clone B of the same bare remote has
// no journal and reads the blocked release from that comment. A comment by an untrusted author
// carrying the same marker blocks nothing and is reported. The hooks of an idle repository ask
// GitHub nothing. Real git, the built CLI, plain shell commands as the failing steps.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGitHub, type LoopbackGitHub } from '../../scripts/loopback-github.mjs';
import { CLI, runAsync, runPolicyAsync, type CliResult } from '../helpers/cli.js';
import { gitSync, hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { githubRule } from '../helpers/github-sandbox.js';
import { HAS_GIT } from '../helpers/tools.js';

const TOKEN = 'ghp_sharedStateTokenThatMustNeverShow012345';
const POLICY = 'version: 1\npackages:\n  - name: demo\n    registry: local\nissues:\n  branch: "issue-{issue}-*"\nrulesDir: policy-rules\ngithub:\n  repository: acme/demo\n';
// A hook rule that always applies and reads the github fact: an idle repository's hooks must
// still not ask GitHub for it.
const HOOK_RULE = githubRule({
  id: 'hook-sees-issue',
  title: 'GitHub answered about the open release',
  gates: 'pre-commit, pre-push',
  facts: 'release, github',
  expression: '\'!(release.status in ["blocked", "unknown", "released"]) || github.available\'',
});
const MANIFEST = '[package]\nname = "demo"\nversion = "0.2.0"\nedition = "2021"\n';

let a: TempRepo;
let top: string;
let bare: string;
let b: string;
let github: LoopbackGitHub;

beforeEach(async () => {
  github = await startGitHub({ token: TOKEN });
  github.addIssue(7, { title: 'Feature seven' });
  github.addIssue(8, { title: 'Feature eight' });
  github.addIssue(9, { title: 'Feature nine' });
  if (!HAS_GIT) return;
  top = mkdtempSync(join(tmpdir(), 'shared-state-'));
  bare = join(top, 'origin.git');
  b = join(top, 'b');
  a = makeRepo({ branch: 'main' });
  a.commit('release 0.2.0', { 'release-policy.yml': POLICY, 'Cargo.toml': MANIFEST, 'policy-rules/hook-sees-issue.yml': HOOK_RULE });
  gitSync(top, ['init', '-q', '--bare', '-b', 'main', bare]);
  gitSync(a.dir, ['remote', 'add', 'origin', bare]);
  gitSync(a.dir, ['push', '-q', 'origin', 'main']);
  gitSync(a.dir, ['checkout', '-q', '-b', 'issue-7-feature']);
  gitSync(a.dir, ['push', '-q', 'origin', 'issue-7-feature']);
  gitSync(top, ['clone', '-q', bare, b]);
});

afterEach(async () => {
  await github.close();
  if (!HAS_GIT) return;
  a.remove();
  rmSync(top, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}): Record<string, string> => ({
  ...hermeticGitEnv,
  POLICY_OFFLINE: '0',
  GITHUB_TOKEN: TOKEN,
  GITHUB_GRAPHQL_URL: github.url,
  POLICY_GITHUB_TIMEOUT: '5',
  ...extra,
});
const inA = (args: string[]): Promise<CliResult> => runPolicyAsync(args, { cwd: a.dir, env: env() });
const inB = (args: string[], extra: Record<string, string> = {}): Promise<CliResult> => runPolicyAsync(args, { cwd: b, env: env(extra) });
const failDryRun = (): Promise<CliResult> => inA(['run', '--phase', 'dry-run', '--', 'sh', '-c', 'echo "error: failed to verify package tarball" >&2; exit 1']);

describe.skipIf(!HAS_GIT)('the release state shared through the issue', () => {
  it('a fresh clone without a journal sees the release blocked on issue 7 and is refused', async () => {
    expect((await failDryRun()).code).toBe(1);
    expect(github.issues.get(7)!.comments).toHaveLength(1);
    expect(existsSync(join(b, '.git', 'release-policy', 'journal.jsonl'))).toBe(false);

    github.requests.length = 0;
    const status = await inB(['status', '--format', 'json']);
    expect(status.code).toBe(0);
    const json = JSON.parse(status.stdout);
    expect(json.status).toBe('blocked');
    expect(json.issue).toBe(7);
    expect(json.version).toBe('0.2.0');
    expect(json.shared.source).toBe('issue');
    expect(json.shared.issue).toBe(7);
    expect(json.shared.comment).not.toBe('');
    expect(github.requests).toHaveLength(1);

    expect((await inB(['gate', 'start-issue', '8'])).code).toBe(1);
    const tag = await inB(['gate', 'tag', 'v0.2.0']);
    expect(tag.code).toBe(1);
    expect(tag.stdout).toContain('dry-run-failure-no-tag');

    gitSync(b, ['tag', 'v0.2.0']);
    github.requests.length = 0;
    const ci = await inB(['check', '--gate', 'ci']);
    expect(ci.code).toBe(1);
    expect(ci.stdout).toContain('issue #7');
    expect(ci.stdout).toContain('dry-run-failure-no-tag');
    expect(github.requests).toHaveLength(1);

    // `policy facts` reads the release and github facts with the same single request.
    github.requests.length = 0;
    const facts = await inB(['facts']);
    expect(facts.code).toBe(0);
    const collected = JSON.parse(facts.stdout);
    expect(collected.facts.release.status).toBe('blocked');
    expect(collected.facts.release.issue).toBe(7);
    expect(collected.facts.github.available).toBe(true);
    expect(github.requests).toHaveLength(1);

    // Without GitHub, clone B has only its (empty) journal: idle, and status says why.
    const offline = await inB(['status'], { GITHUB_TOKEN: '' });
    expect(offline.code).toBe(0);
    expect(offline.stdout).toMatch(/^demo: idle/);
    expect(offline.stdout).toMatch(/shared: +the issue was not read \(no GitHub token/);
    // Clone A abandons the release without a token (nothing posted): its journal is newer than
    // the comment, wins, and status says the two disagree.
    const abandoned = await runPolicyAsync(['abandon', '--reason', 'the API changes first'], { cwd: a.dir, env: env({ GITHUB_TOKEN: '' }) });
    expect(abandoned.code).toBe(0);
    const disagree = await inA(['status']);
    expect(disagree.code).toBe(0);
    expect(disagree.stdout).toMatch(/^demo v0\.2\.0 \(issue #7\): abandoned/);
    expect(disagree.stdout).toMatch(/shared: +the journal here says demo v0\.2\.0 is abandoned .*issue #7's status comment says demo v0\.2\.0 is blocked .*the newer, the journal's, is used/);
    const disagreeJson = JSON.parse((await inA(['status', '--format', 'json'])).stdout);
    expect(disagreeJson.shared.source).toBe('journal');
    expect(disagreeJson.shared.disagreement).toContain("the newer, the journal's, is used");

    for (const text of [status.stdout, status.stderr, ci.stdout, ci.stderr, offline.stdout]) expect(text).not.toContain(TOKEN);
  });

  it('the marker and a Status: line from an author with association NONE block nothing and are reported', async () => {
    const stranger = github.addComment(9, { author: 'mallory', authorAssociation: 'NONE', body: `Status: blocked\n\n${blockedMarker(9)}` });

    const status = await inB(['status', '--format', 'json']);
    expect(status.code).toBe(0);
    const json = JSON.parse(status.stdout);
    expect(json.status).toBe('idle');
    expect(json.shared.source).toBe('journal');
    expect(json.shared.ignored).toHaveLength(1);
    expect(json.shared.ignored[0]).toMatchObject({ issue: 9, author: 'mallory', authorAssociation: 'NONE' });
    expect(status.stderr).toMatch(/ignored comment .* by mallory on issue #9: .*NONE/);

    expect((await inB(['gate', 'start-issue', '8'])).code).toBe(0);
    expect((await inB(['gate', 'tag', 'v0.2.0'])).code).toBe(0);

    // The same comment by a member of the repository is the release state.
    github.issues.get(9)!.comments.find((c) => c.id === stranger.id)!.authorAssociation = 'MEMBER';
    const counted = JSON.parse((await inB(['status', '--format', 'json'])).stdout);
    expect(counted.status).toBe('blocked');
    expect(counted.issue).toBe(9);
    expect((await inB(['gate', 'tag', 'v0.2.0'])).code).toBe(1);
  });

  it('pre-commit and pre-push on an idle repository ask GitHub nothing', async () => {
    const hooks = await inB(['hooks', 'install']);
    expect(hooks.code).toBe(0);
    gitSync(b, ['checkout', '-q', '-b', 'issue-8-next']);
    // git runs the installed hooks; the loopback GitHub answers from this process, so git runs beside it.
    const git = (args: string[]) => runAsync('git', args, { cwd: b, env: { ...process.env, ...env(), POLICY_DAEMON: '0' } });
    expect((await git(['commit', '-q', '--allow-empty', '-m', 'Start issue 8'])).code).toBe(0);
    expect((await git(['push', '-q', 'origin', 'issue-8-next'])).code).toBe(0);
    expect(gitSync(bare, ['rev-parse', 'refs/heads/issue-8-next'])).toBe(gitSync(b, ['rev-parse', 'HEAD']));
    // The same through the policy command itself (not the shims' shell fast path).
    const commit = await inB(['hook', 'pre-commit']);
    expect(commit.code).toBe(0);
    const head = gitSync(b, ['rev-parse', 'HEAD']).trim();
    const zero = '0'.repeat(40);
    const branchPush = await hookWithInput(['pre-push', 'origin', bare], env(),  `refs/heads/issue-8-next ${head} refs/heads/issue-8-next ${zero}\n`);
    expect(branchPush.code).toBe(0);
    expect(github.requests).toHaveLength(0);
  });

  it('a push carrying a release tag asks GitHub once, and is refused by the release blocked on the issue', async () => {
    expect((await failDryRun()).code).toBe(1);
    github.requests.length = 0;
    gitSync(b, ['tag', 'v0.2.0']);
    const head = gitSync(b, ['rev-parse', 'HEAD']).trim();
    const push = await hookWithInput(['pre-push', 'origin', bare], env(),  `refs/tags/v0.2.0 ${head} refs/tags/v0.2.0 ${'0'.repeat(40)}\n`);
    expect(push.code).toBe(1);
    expect(push.stdout + push.stderr).toContain('v0.2.0');
    expect(github.requests).toHaveLength(1);
    // GitHub not answering within the hook's deadline (not POLICY_GITHUB_TIMEOUT's 5 s): the rule
    // that reads the github fact cannot be checked, said with the setting to change.
    github.faults.next = 'hang';
    const slow = await hookWithInput(['pre-push', 'origin', bare], env({ POLICY_GITHUB_HOOK_TIMEOUT: '0.5' }), `refs/tags/v0.2.0 ${head} refs/tags/v0.2.0 ${'0'.repeat(40)}\n`);
    expect(slow.code).toBe(3);
    expect(slow.stdout + slow.stderr).toContain('did not answer within 0.5 s (POLICY_GITHUB_HOOK_TIMEOUT)');
    expect(github.requests.length).toBeGreaterThanOrEqual(2);
  });
});

/** A hidden state saying demo v0.2.0 is blocked on `issue`, as the tool writes it. */
function blockedMarker(issue: number): string {
  const state = { package: 'demo', version: '0.2.0', issue, status: 'blocked', published: 'no', failure: { phase: 'dry-run', command: 'cargo publish --dry-run', exitCode: 1, error: '', at: '2026-01-01T00:00:00Z', reason: '' } };
  return `<!-- release-policy:state ${JSON.stringify(state)} -->`;
}

/** `policy hook NAME ARGS` with git's lines on stdin, beside this process (it serves the loopback GitHub). */
function hookWithInput(args: string[], environment: Record<string, string>, input: string): Promise<CliResult> {
  return runAsync(process.execPath, [CLI, 'hook', ...args], {
    cwd: b,
    env: { ...process.env, NO_COLOR: '1', POLICY_DAEMON: '0', GH_TOKEN: '', ...environment },
    input,
  });
}
