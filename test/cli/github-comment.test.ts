// The GitHub connection end to end: the built `policy` command against the loopback GraphQL
// server (GitHub's published schema, in-memory issues), real git, plain shell commands as
// release steps. The status comment is posted once per release version and then updated in
// place; the token reaches no output, journal or comment; every fault is exit 3 naming
// `github` and the reason, without a stack trace.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { CLI, type CliResult } from '../helpers/cli.js';
import { TEST_TOKEN, useGitHubSandbox, githubRule } from '../helpers/github-sandbox.js';
import { HAS_GIT } from '../helpers/tools.js';

const TOKEN = TEST_TOKEN;
const POLICY = 'version: 1\npackages:\n  - name: demo\n    registry: local\nissues:\n  branch: "issue-{issue}-*"\ngithub:\n  repository: acme/demo\n';
// A rule that reads the github fact, so that `check --gate ci` needs it.
const RULE = githubRule({ id: 'issue-seen', title: 'GitHub answered about the release issue', gates: 'ci', facts: 'github', expression: 'github.available' });

const sandbox = useGitHubSandbox(POLICY);
const { env, policy } = sandbox;
const failDryRun = (): Promise<CliResult> => policy(['run', '--phase', 'dry-run', '--', 'sh', '-c', 'echo "error: failed to verify package tarball" >&2; exit 1']);
const toolComments = () => (sandbox.github.issues.get(7)?.comments ?? []).filter((c) => c.body.includes('<!-- release-policy:state '));
const journal = (): string => readFileSync(join(sandbox.repo.dir, '.git', 'release-policy', 'journal.jsonl'), 'utf8');

describe.skipIf(!HAS_GIT)('the status comment on GitHub', () => {
  it('a failing run posts it, a second failing run updates the same comment, and the token shows nowhere', async () => {
    const first = await failDryRun();
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/policy run: created the status comment on acme\/demo#7/);
    expect(toolComments()).toHaveLength(1);
    const posted = toolComments()[0]!;
    expect(posted.body.split('\n')[0]).toBe('Release blocked for demo v0.2.0.');
    expect(posted.body).toContain("Failed step:\n- `sh -c 'echo \"error: failed to verify package tarball\" >&2; exit 1'`");
    expect(posted.body).toContain('- crate published: no');
    expect(posted.author).toBe('release-bot');
    // The repository has a status:blocked label: the issue carries it now.
    expect(sandbox.github.issues.get(7)?.labels).toContain('status:blocked');

    const second = await failDryRun();
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/policy run: (updated|the status comment on acme\/demo#7 is up to date)/);
    expect(toolComments()).toHaveLength(1);
    expect(toolComments()[0]!.id).toBe(posted.id);
    expect(sandbox.github.issues.get(7)?.comments).toHaveLength(1);

    const everything = [first.stdout, first.stderr, second.stdout, second.stderr, journal(), ...toolComments().map((c) => c.body)].join('\n');
    expect(everything).not.toContain(TOKEN);
  });

  it('on a busy issue the status comment past the newest 50 is found on an older page and updated, not written again', async () => {
    expect((await failDryRun()).code).toBe(1);
    const [first] = toolComments();
    for (let i = 0; i < 120; i++) sandbox.github.addComment(7, { author: 'alice', authorAssociation: 'MEMBER', body: `a comment ${i}` });
    const before = sandbox.github.requests.length;
    expect((await failDryRun()).code).toBe(1);
    expect(toolComments()).toHaveLength(1);
    expect(toolComments()[0]!.id).toBe(first!.id);
    const operations = sandbox.github.requests.slice(before).map((r) => r.operation);
    expect(operations).toContain('ReleasePolicyOlderComments');
    expect(operations.filter((o) => o === 'ReleasePolicyAddComment')).toHaveLength(0);
  });

  it('`policy comment --post` twice: one comment, updated in place after the state changed', async () => {
    const quiet = { GITHUB_TOKEN: '' };
    await policy(['run', '--phase', 'dry-run', '--', 'sh', '-c', 'exit 1'], quiet);
    const first = await policy(['comment', '--post']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^policy: created the status comment on acme\/demo#7/);
    expect(toolComments()).toHaveLength(1);
    const id = toolComments()[0]!.id;
    await policy(['run', '--phase', 'dry-run', '--', 'sh', '-c', 'exit 2'], quiet);
    const second = await policy(['comment', '--post']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^policy: updated the status comment on acme\/demo#7/);
    expect(toolComments().map((c) => c.id)).toEqual([id]);
    expect(toolComments()[0]!.body).toContain("Failed step:\n- sh -c 'exit 2'\n");
  });

  it('a status comment someone else wrote for the same version is never updated: the tool writes its own', async () => {
    await failDryRun();
    const mine = toolComments()[0]!;
    const copied = sandbox.github.addComment(7, { author: 'mallory', authorAssociation: 'NONE', body: mine.body });
    sandbox.github.issues.get(7)!.comments.splice(sandbox.github.issues.get(7)!.comments.indexOf(mine), 1);
    await failDryRun();
    const theirs = sandbox.github.issues.get(7)!.comments.find((c) => c.id === copied.id)!;
    expect(theirs.body).toBe(mine.body);
    expect(toolComments().filter((c) => c.author === 'release-bot')).toHaveLength(1);
  });

  it('the issue\'s status label follows the state: the other status:* labels come off, the rest stay', async () => {
    sandbox.github.issues.get(7)!.labels = ['status:in-progress', 'bug'];
    await failDryRun();
    expect([...sandbox.github.issues.get(7)!.labels].sort()).toEqual(['bug', 'status:blocked']);
  });

  it('a repository without status:* labels keeps the issue\'s labels as they are', async () => {
    for (const name of [...sandbox.github.labels]) if (name.startsWith('status:')) sandbox.github.labels.delete(name);
    await failDryRun();
    expect(toolComments()).toHaveLength(1);
    expect(sandbox.github.issues.get(7)!.labels).toEqual([]);
    expect(sandbox.github.requests.map((r) => r.operation)).toEqual(['ReleasePolicyFacts', 'ReleasePolicyAddComment']);
  });

  it('`policy comment` hides the hidden state unless asked; --raw prints it', async () => {
    await policy(['run', '--phase', 'dry-run', '--', 'sh', '-c', 'exit 1'], { GITHUB_TOKEN: '' });
    const text = await policy(['comment', '--format', 'text']);
    expect(text.stdout.split('\n')[0]).toBe('Release blocked for demo v0.2.0.');
    expect(text.stdout).not.toContain('release-policy:state');
    const raw = await policy(['comment', '--raw']);
    expect(raw.stdout).toContain('<!-- release-policy:state {');
    // Piped without a choice: whole, ready for `gh issue comment --body-file -`.
    expect((await policy(['comment'])).stdout).toBe(raw.stdout);
  });

  // `script` gives the command a terminal, as a user at a shell has.
  const HAS_SCRIPT = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!HAS_SCRIPT)('on a terminal, `policy comment` shows what the issue shows, without the hidden state', async () => {
    await policy(['run', '--phase', 'dry-run', '--', 'sh', '-c', 'exit 1'], { GITHUB_TOKEN: '' });
    const shown = spawnSync('script', ['-qec', `${process.execPath} ${CLI} comment`, '/dev/null'], {
      cwd: sandbox.repo.dir,
      encoding: 'utf8',
      env: { ...process.env, ...env({ GITHUB_TOKEN: '' }), NO_COLOR: '1', POLICY_OFFLINE: '1' },
    });
    expect(shown.status).toBe(0);
    expect(shown.stdout.replace(/\r/g, '').split('\n')[0]).toBe('Release blocked for demo v0.2.0.');
    expect(shown.stdout).toContain('- crate published: no');
    expect(shown.stdout).not.toContain('release-policy:state');
  });

  it.skipIf(!HAS_SCRIPT)('on a terminal, a failing `policy run` shows the status comment without the hidden state; piped, whole', async () => {
    const shown = spawnSync('script', ['-qec', `${process.execPath} ${CLI} run --phase dry-run -- sh -c 'exit 1'`, '/dev/null'], {
      cwd: sandbox.repo.dir,
      encoding: 'utf8',
      env: { ...process.env, ...env({ GITHUB_TOKEN: '' }), NO_COLOR: '1', POLICY_OFFLINE: '1' },
    });
    expect(shown.stdout).toContain('Release blocked for demo v0.2.0.');
    expect(shown.stdout).toContain('- crate published: no');
    expect(shown.stdout).not.toContain('release-policy:state');
    const piped = await policy(['run', '--phase', 'dry-run', '--', 'sh', '-c', 'exit 1'], { GITHUB_TOKEN: '' });
    expect(piped.stderr).toContain('<!-- release-policy:state ');
  });

  it('a run without a token posts nothing and says nothing about GitHub', async () => {
    const result = await policy(['run', '--phase', 'dry-run', '--', 'sh', '-c', 'exit 1'], { GITHUB_TOKEN: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(/status comment (was not posted|on acme)/);
    expect(sandbox.github.requests).toHaveLength(0);
  });

  it('sandbox.github.comment: off: policy run posts nothing; comment --post still does', async () => {
    sandbox.repo.commit('comments off', { 'release-policy.yml': `${POLICY}  comment: "off"\n` });
    const run = await failDryRun();
    expect(run.code).toBe(1);
    // The step's gate reads the issue's state (one request); nothing is written.
    expect(sandbox.github.requests.map((r) => r.operation)).toEqual(['ReleasePolicyFacts']);
    expect(sandbox.github.issues.get(7)!.comments).toHaveLength(0);
    expect((await policy(['comment', '--post'])).code).toBe(0);
    expect(toolComments()).toHaveLength(1);
  });

  it('a posting failure is one line and keeps the step\'s exit code', async () => {
    sandbox.github.faults.next = '502';
    const result = await failDryRun();
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/policy run: the status comment was not posted: GitHub \(http:\/\/127\.0\.0\.1:\d+\/graphql\): 502 server error/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(JSON.parse((await policy(['status', '--format', 'json'])).stdout).status).toBe('blocked');
  });
});

describe.skipIf(!HAS_GIT)('the github fact in `policy check --gate ci`', () => {
  beforeEach(() => {
    sandbox.repo.commit('a rule reading github', { 'policy-rules/issue-seen.yml': RULE, 'release-policy.yml': `${POLICY}rulesDir: policy-rules\n` });
  });

  it('one GraphQL request, and the gate passes on its answer', async () => {
    const result = await policy(['check', '--gate', 'ci', '--format', 'json']);
    expect(sandbox.github.requests.map((r) => r.operation)).toEqual(['ReleasePolicyFacts']);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout).findings.filter((f: { rule: string }) => f.rule === 'issue-seen')).toEqual([]);
  });

  it.each([
    ['401', /401 bad credentials/],
    ['502', /502 server error/],
    ['rate-limited', /rate limited \(RATE_LIMITED\) until \d{4}-\d\d-\d\dT/],
    ['403-secondary', /403 rate limited \(secondary limit\); retry after 60 s/],
    ['hang', /did not answer within 2 s/],
    ['malformed', /malformed answer/],
  ] as const)('fault %s: exit 3 naming github and the reason, no stack trace', async (fault, reason) => {
    sandbox.github.faults.next = fault;
    const result = await policy(['check', '--gate', 'ci']);
    expect(result.code).toBe(3);
    const output = result.stdout + result.stderr;
    expect(output).toMatch(/github/);
    expect(output).toMatch(reason);
    expect(output).not.toMatch(/\n\s+at /);
    expect(output).not.toContain(TOKEN);
    // The local journal still answers.
    const status = await policy(['status', '--format', 'json']);
    expect([status.code, JSON.parse(status.stdout).status]).toEqual([0, 'idle']);
  });

  it('without a token, or offline, GitHub is not asked and the fact is unavailable', async () => {
    const noToken = await policy(['check', '--gate', 'ci'], { GITHUB_TOKEN: '' });
    expect(noToken.code).toBe(3);
    expect(noToken.stdout + noToken.stderr).toMatch(/no GitHub token: set GITHUB_TOKEN/);
    const offline = await policy(['facts'], { POLICY_OFFLINE: '1' });
    expect(JSON.parse(offline.stdout).unavailable.github).toMatch(/^offline/);
    expect(sandbox.github.requests).toHaveLength(0);
  });
});
