// The release's issue as the rules see it on GitHub, end to end: the built `policy` command
// against the loopback GraphQL server (GitHub's published schema), real git, a failing shell
// command as the dry-run. Closed on GitHub while the journal says blocked, `policy check
// --gate ci` refuses naming issue-closed-while-open; with `github.enforce: reopen` it opens
// the issue again with one comment saying why, and a second run posts nothing.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { CliResult } from '../helpers/cli.js';
import { TEST_TOKEN, useGitHubSandbox } from '../helpers/github-sandbox.js';
import { HAS_GIT } from '../helpers/tools.js';

const TOKEN = TEST_TOKEN;
const BASE = 'version: 1\npackages:\n  - name: demo\n    registry: local\nissues:\n  branch: "issue-{issue}-*"\n';
const POLICY = `${BASE}github:\n  repository: acme/demo\n  comment: "off"\n`;
const RULE = 'issue-closed-while-open';

interface Finding { rule: string; severity: string; message: string; subject: { name: string } }

const sandbox = useGitHubSandbox(POLICY);
const { policy } = sandbox;
/** The rule's findings, and the one finding that says it could not be judged (one per unavailable cause). */
const ci = async (extra: Record<string, string> = {}): Promise<{ result: CliResult; findings: Finding[]; unjudged: Finding | undefined; unavailable: Record<string, string> }> => {
  const result = await policy(['check', '--gate', 'ci', '--format', 'json'], extra);
  const report = JSON.parse(result.stdout) as { findings: Finding[]; unavailable: Record<string, string> };
  return {
    result,
    findings: report.findings.filter((f) => f.rule === RULE),
    unjudged: report.findings.find((f) => f.rule === 'facts-unavailable' && f.message.includes(RULE)),
    unavailable: report.unavailable,
  };
};
const issue = () => sandbox.github.issues.get(7)!;
/** The dry-run of issue 7 fails: the journal says blocked; then alice closes the issue on GitHub. */
const blockAndClose = async (): Promise<void> => {
  const run = await policy(['run', '--phase', 'dry-run', '--', 'sh', '-c', 'echo "error: failed to verify package tarball" >&2; exit 1']);
  expect(run.code).toBe(1);
  sandbox.github.closeIssue(7, { actor: 'alice' });
  sandbox.github.requests.length = 0;
};
const enforce = (): void => void sandbox.repo.commit('enforce reopen', { 'release-policy.yml': POLICY.replace('  comment: "off"\n', '  comment: "off"\n  enforce: reopen\n') });

describe.skipIf(!HAS_GIT)('the release issue closed on GitHub while the release is blocked', () => {
  it('policy check --gate ci exits 1 naming the rule, who closed it and the release, with one GraphQL request and no change to the issue', async () => {
    await blockAndClose();
    const { result, findings } = await ci();
    expect(result.code).toBe(1);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'error', subject: { name: '#7' } });
    expect(findings[0]!.message).toMatch(/^issue #7 was closed on GitHub by alice at \d{4}-\d\d-\d\dT[^,]+, but release demo v0\.2\.0 \(issue #7\) is blocked \(the dry-run step failed: /);
    expect(sandbox.github.requests.map((r) => r.operation)).toEqual(['ReleasePolicyFacts']);
    expect(issue().state).toBe('CLOSED');
    expect(issue().comments).toHaveLength(0);
  });

  it('with sandbox.github.enforce: reopen the issue is open again with one comment saying why; a second run posts nothing', async () => {
    enforce();
    await blockAndClose();
    const { result, findings } = await ci();
    expect(result.code).toBe(1);
    expect(findings).toHaveLength(1);
    expect(result.stderr).toMatch(/^policy check: reopened acme\/demo#7 and said why in a comment/m);
    expect(issue().state).toBe('OPEN');
    expect(issue().events.at(-1)).toMatchObject({ type: 'reopened', actor: 'release-bot' });
    expect(issue().comments).toHaveLength(1);
    const said = issue().comments[0]!;
    expect(said.author).toBe('release-bot');
    expect(said.body).toContain('`issue-closed-while-open`');
    expect(said.body).toContain('Issue #7 was closed on GitHub by alice at ');
    expect(said.body).toContain('release demo v0.2.0 (issue #7) is blocked (the dry-run step failed');
    expect(sandbox.github.requests.map((r) => r.operation)).toEqual(['ReleasePolicyFacts', 'ReleasePolicyFacts', 'ReleasePolicyReopenIssue', 'ReleasePolicyAddComment']);
    expect(result.stdout + result.stderr + said.body).not.toContain(TOKEN);

    sandbox.github.requests.length = 0;
    const again = await ci();
    expect(again.findings).toEqual([]);
    expect(again.result.stderr).not.toContain('reopen');
    expect(issue().comments).toHaveLength(1);
    expect(sandbox.github.requests.map((r) => r.operation)).toEqual(['ReleasePolicyFacts']);
  });

  it('a token GitHub does not let reopen the issue: said in one line, exit 1 as the finding made it, nothing posted', async () => {
    enforce();
    await blockAndClose();
    // GitHub's answer to a mutation the token's permissions do not cover (an Actions token
    // without `issues: write`); every other request goes through to the loopback server.
    const proxy = await forbidReopen(sandbox.github.url);
    try {
      const result = await policy(['check', '--gate', 'ci'], { GITHUB_GRAPHQL_URL: proxy.url });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^policy check: could not reopen issue #7 \(github\.enforce: reopen\): .*Resource not accessible by integration.*; reopen it by hand \(`gh issue reopen 7`\), the token needs issues: write$/m);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stdout + result.stderr).not.toContain(TOKEN);
      expect(issue().state).toBe('CLOSED');
      expect(issue().comments).toHaveLength(0);
    } finally {
      await new Promise((done) => proxy.server.close(done));
    }
  });

  it('offline, or without enforce, the issue is never reopened', async () => {
    await blockAndClose();
    await ci();
    enforce();
    const offline = await policy(['check', '--gate', 'ci'], { POLICY_OFFLINE: '1' });
    expect(offline.stdout + offline.stderr).toMatch(new RegExp(`facts-unavailable[^\\n]*without the github fact[^\\n]*${RULE}`));
    expect(offline.stdout + offline.stderr).toMatch(/unavailable: github — offline/);
    expect(issue().state).toBe('CLOSED');
    expect(issue().comments).toHaveLength(0);
    expect(sandbox.github.requests.map((r) => r.operation)).toEqual(['ReleasePolicyFacts']);
  });

  it.each([
    ['502', /502 server error/],
    ['401', /401 bad credentials/],
    ['rate-limited', /rate limited \(RATE_LIMITED\)/],
  ] as const)('GitHub answering %s: exit 3 naming github and the reason, nothing reopened, no stack trace', async (fault, reason) => {
    enforce();
    await blockAndClose();
    sandbox.github.faults.next = fault;
    const result = await policy(['check', '--gate', 'ci']);
    expect(result.code).toBe(3);
    const output = result.stdout + result.stderr;
    expect(output).toMatch(new RegExp(`facts-unavailable[^\\n]*without the github fact[^\\n]*${RULE}`));
    expect(output).toMatch(reason);
    expect(output).not.toMatch(/\n\s+at /);
    expect(output).not.toContain(TOKEN);
    expect(sandbox.github.requests.map((r) => r.operation)).toEqual(['ReleasePolicyFacts']);
    sandbox.github.faults.next = null;
    expect(issue().state).toBe('CLOSED');
  });

  it('without a token: a policy naming its GitHub fails closed (exit 3); one that does not is warned and not refused by this rule', async () => {
    await blockAndClose();
    const named = await ci({ GITHUB_TOKEN: '' });
    expect(named.result.code).toBe(3);
    expect(named.unjudged?.severity).toBe('error');
    expect(named.unavailable.github).toContain('no GitHub token');
    sandbox.repo.commit('no github', { 'release-policy.yml': BASE });
    const plain = await ci({ GITHUB_TOKEN: '' });
    expect(plain.result.code).not.toBe(3);
    expect(plain.unjudged?.severity).toBe('warn');
    expect(plain.unavailable.github).toContain('no GitHub token');
    expect(sandbox.github.requests).toHaveLength(0);
  });
});

/** A loopback proxy to `target` that refuses the reopenIssue mutation as GitHub does for a token without issues: write. */
async function forbidReopen(target: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (body.toString('utf8').includes('reopenIssue(')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: { reopenIssue: null }, errors: [{ type: 'FORBIDDEN', path: ['reopenIssue'], locations: [{ line: 2, column: 3 }], message: 'Resource not accessible by integration' }] }));
        return;
      }
      const forward = httpRequest(target, { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` };
}

describe.skipIf(!HAS_GIT)('policy check --gate ci sees the blocked release from the journal, without GitHub', () => {
  it('a branch for issue 8 and a tag of the version whose dry-run failed are refused naming their rules; exit 1, not 3', async () => {
    sandbox.repo.commit('no github', { 'release-policy.yml': BASE });
    const run = await policy(['run', '--phase', 'dry-run', '--', 'sh', '-c', 'exit 1'], { GITHUB_TOKEN: '' });
    expect(run.code).toBe(1);
    sandbox.repo.git('checkout', '-q', '-b', 'issue-8-next');
    sandbox.repo.git('-c', 'core.hooksPath=/dev/null', 'tag', 'v0.2.0');
    const result = await policy(['check', '--gate', 'ci', '--format', 'json'], { GITHUB_TOKEN: '' });
    expect(result.code).toBe(1);
    const { findings, unavailable } = JSON.parse(result.stdout) as { findings: Finding[]; unavailable: Record<string, string> };
    const by = (rule: string) => findings.filter((f) => f.rule === rule && f.severity === 'error').map((f) => f.subject.name);
    expect(by('blocked-no-next-issue')).toEqual(['issue-8-next']);
    expect(by('dry-run-failure-no-tag')).toEqual(['v0.2.0']);
    expect(by('tag-requires-publish')).toEqual([]);
    expect(findings.find((f) => f.rule === 'facts-unavailable' && f.message.includes(RULE))?.severity).toBe('warn');
    expect(unavailable.github).toContain('no GitHub token');
    expect(sandbox.github.requests).toHaveLength(0);
  });

  it('a pull request checked out detached in CI: the branch GITHUB_HEAD_REF names is the one asked about', async () => {
    sandbox.repo.commit('no github', { 'release-policy.yml': BASE });
    expect((await policy(['run', '--phase', 'dry-run', '--', 'sh', '-c', 'exit 1'], { GITHUB_TOKEN: '' })).code).toBe(1);
    sandbox.repo.git('checkout', '-q', '--detach');
    const pr = await policy(['check', '--gate', 'ci', '--format', 'json'], { GITHUB_TOKEN: '', GITHUB_HEAD_REF: 'issue-8-next' });
    expect(pr.code).toBe(1);
    const findings = (JSON.parse(pr.stdout) as { findings: Finding[] }).findings;
    expect(findings.filter((f) => f.rule === 'blocked-no-next-issue' && f.severity === 'error').map((f) => f.subject.name)).toEqual(['issue-8-next']);
    const own = await policy(['check', '--gate', 'ci', '--format', 'json'], { GITHUB_TOKEN: '', GITHUB_HEAD_REF: 'issue-7-feature' });
    expect((JSON.parse(own.stdout) as { findings: Finding[] }).findings.filter((f) => f.rule === 'blocked-no-next-issue')).toEqual([]);
  });
});
