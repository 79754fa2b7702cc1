// The GitHub connection's inputs (endpoint, token, repository, deadline) and how every
// failure becomes one reason: real git for the origin remote, the loopback GraphQL server
// (GitHub's schema) for the answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHub, type LoopbackGitHub } from '../../scripts/loopback-github.mjs';
import { connect, graphqlEndpoint, githubTimeoutMs, GitHubUnavailable, repositoryFromUrl, type GitHubConnection } from '../../src/facts/github.js';
import { parseFactAnswer, readGitHub } from '../../src/facts/github-fact.js';
import { makeRepo } from '../helpers/git-repo.js';
import { HAS_GIT } from '../helpers/tools.js';

describe('repositoryFromUrl', () => {
  it.each([
    ['https://github.com/acme/demo.git', 'acme/demo'],
    ['https://github.com/acme/demo', 'acme/demo'],
    ['https://x-access-token:abc@github.com/acme/demo.git', 'acme/demo'],
    ['git@github.com:acme/demo.git', 'acme/demo'],
    ['git@ghe.example.com:acme/demo', 'acme/demo'],
    ['ssh://git@github.com/acme/demo', 'acme/demo'],
    ['ssh://git@github.com:2222/acme/demo.git', 'acme/demo'],
    ['/srv/git/demo.git', null],
    ['https://gitlab.com/group/sub/demo.git', null],
    ['file:///srv/acme/demo', null],
    ['', null],
  ])('%s -> %s', (url, expected) => {
    expect(repositoryFromUrl(url)).toBe(expected);
  });
});

describe('the endpoint and the deadline', () => {
  it('GITHUB_GRAPHQL_URL, else the policy, else GITHUB_API_URL/graphql, else github.com', () => {
    expect(graphqlEndpoint({ GITHUB_GRAPHQL_URL: 'http://a/graphql', GITHUB_API_URL: 'http://b' }, 'http://c/graphql')).toBe('http://a/graphql');
    expect(graphqlEndpoint({ GITHUB_API_URL: 'http://b' }, 'http://c/graphql')).toBe('http://c/graphql');
    expect(graphqlEndpoint({ GITHUB_API_URL: 'https://ghe.example.com/api/' }, '')).toBe('https://ghe.example.com/api/graphql');
    expect(graphqlEndpoint({}, '')).toBe('https://api.github.com/graphql');
  });

  it('POLICY_GITHUB_TIMEOUT seconds, else 10 s', () => {
    expect(githubTimeoutMs({ POLICY_GITHUB_TIMEOUT: '2.5' })).toBe(2500);
    expect(githubTimeoutMs({ POLICY_GITHUB_TIMEOUT: 'soon' })).toBe(10_000);
    expect(githubTimeoutMs({ POLICY_GITHUB_TIMEOUT: '0' })).toBe(10_000);
    expect(githubTimeoutMs({})).toBe(10_000);
  });
});

describe.skipIf(!HAS_GIT)('connect', () => {
  const config = { repository: '', graphqlUrl: '' };

  it('offline or without a token: GitHub is not asked, and the reason says why', async () => {
    const repo = makeRepo();
    try {
      await expect(connect({ cwd: repo.dir, env: { GITHUB_TOKEN: 't' }, config, offline: true })).rejects.toThrow(/^offline: GitHub is not asked/);
      await expect(connect({ cwd: repo.dir, env: {}, config, offline: false })).rejects.toThrow(/^no GitHub token: set GITHUB_TOKEN/);
    } finally {
      repo.remove();
    }
  });

  it('the repository: the policy, else GITHUB_REPOSITORY, else origin; none is a reason', async () => {
    const repo = makeRepo();
    try {
      const env = { GH_TOKEN: 'secret-value' };
      await expect(connect({ cwd: repo.dir, env, config, offline: false })).rejects.toThrow(/origin` remote is not set/);
      repo.git('remote', 'add', 'origin', 'git@github.com:acme/from-origin.git');
      expect((await connect({ cwd: repo.dir, env, config, offline: false })).repository).toBe('acme/from-origin');
      expect((await connect({ cwd: repo.dir, env: { ...env, GITHUB_REPOSITORY: 'acme/from-env' }, config, offline: false })).repository).toBe('acme/from-env');
      const fromPolicy = await connect({ cwd: repo.dir, env: { ...env, GITHUB_REPOSITORY: 'acme/from-env' }, config: { ...config, repository: 'acme/from-policy' }, offline: false });
      expect(fromPolicy).toMatchObject({ repository: 'acme/from-policy', owner: 'acme', name: 'from-policy', token: 'secret-value' });
    } finally {
      repo.remove();
    }
  });
});

describe('the fact answer is checked field by field', () => {
  const answer = () => ({
    viewer: { login: 'bot' },
    rateLimit: { remaining: 10, resetAt: '2030-01-01T00:00:00Z', cost: 1 },
    repository: {
      labels: { nodes: [{ id: 'L1', name: 'status:blocked' }, { id: 'L2', name: 'bug' }] },
      issue: {
        id: 'I7', number: 7, state: 'CLOSED', stateReason: 'COMPLETED', title: 't', labels: { nodes: [] },
        comments: { nodes: [{ id: 'C1', author: null, authorAssociation: 'NONE', createdAt: 'a', updatedAt: 'b', body: 'hi', url: 'u' }] },
        timelineItems: { nodes: [{ __typename: 'ClosedEvent', actor: { login: 'maint' }, createdAt: 'c' }] },
      },
      issues: { nodes: [
        { number: 9, title: 'marked', labels: { nodes: [] }, comments: { nodes: [{ id: 'C2', author: { login: 'x' }, authorAssociation: 'NONE', createdAt: 'a', updatedAt: 'a', body: '<!-- release-policy:state {} -->', url: 'u' }] } },
        { number: 10, title: 'plain', labels: { nodes: [{ name: 'bug' }] }, comments: { nodes: [] } },
      ] },
      labelled: { nodes: [
        { number: 3, title: 'old, labelled', labels: { nodes: [{ name: 'status:blocked' }] }, comments: { nodes: [] } },
        { number: 9, title: 'marked', labels: { nodes: [{ name: 'status:blocked' }] }, comments: { nodes: [] } },
      ] },
    },
  });

  it('a well-formed answer becomes the fact', () => {
    const view = parseFactAnswer(answer(), 'acme/demo', 7);
    expect(view.fact.issue).toMatchObject({ number: 7, state: 'CLOSED', stateReason: 'COMPLETED', events: [{ type: 'closed', actor: 'maint', at: 'c' }] });
    expect(view.fact.issue.comments[0]?.author).toBe('ghost');
    expect(view.fact.blocked.map((issue) => issue.number)).toEqual([9, 3]);
    expect(view.statusLabels).toEqual([{ id: 'L1', name: 'status:blocked' }]);
  });

  it('a field missing or of another type is named', () => {
    const noState = answer();
    delete (noState.repository.issue as Partial<typeof noState.repository.issue>).state;
    expect(() => parseFactAnswer(noState, 'acme/demo', 7)).toThrow('repository.issue.state is not a string');
    const badCount = answer();
    (badCount.rateLimit as { remaining: unknown }).remaining = '10';
    expect(() => parseFactAnswer(badCount, 'acme/demo', 7)).toThrow('rateLimit.remaining is not an integer');
    expect(() => parseFactAnswer({ ...answer(), repository: null }, 'acme/demo', 7)).toThrow(/repository acme\/demo not found \(404\)/);
  });
});

describe('against the loopback GitHub', () => {
  let github: LoopbackGitHub;
  let connection: GitHubConnection;
  beforeAll(async () => {
    github = await startGitHub();
    github.addIssue(7, { title: 'Feature', labels: ['status:blocked'] });
    connection = { endpoint: github.url, token: github.token, owner: 'acme', name: 'demo', repository: 'acme/demo', timeoutMs: 2000, toolVersion: 'test' };
  });
  afterAll(async () => github.close());

  it('reads the issue and the blocked open issues in one request', async () => {
    const before = github.requests.length;
    const view = await readGitHub(connection, 7);
    expect(github.requests.length - before).toBe(1);
    expect(view.fact).toMatchObject({ available: true, viewer: 'release-bot', issue: { number: 7, state: 'OPEN', labels: ['status:blocked'] } });
    expect(view.fact.blocked.map((issue) => issue.number)).toEqual([7]);
  });

  it('a missing issue and an unknown repository are 404 reasons', async () => {
    const missing = (await readGitHub(connection, 99).catch((e: unknown) => e)) as GitHubUnavailable;
    expect(missing.kind).toBe('not-found');
    expect(missing.message).toMatch(/404: the issue does not exist in acme\/demo|issue #99 not found in acme\/demo/);
    const other = { ...connection, name: 'nope', repository: 'acme/nope' };
    const error = await readGitHub(other, 7).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubUnavailable);
    expect((error as GitHubUnavailable).kind).toBe('not-found');
    expect((error as Error).message).toContain('acme/nope');
  });

  it('credentials in the endpoint URL are in no reason', async () => {
    const withCredentials = { ...connection, endpoint: github.url.replace('http://', 'http://user:endpoint-password@') };
    const error = (await readGitHub(withCredentials, 7).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^GitHub \(http:\/\/127\.0\.0\.1:\d+\/graphql\)/);
    expect(error.message).not.toContain('endpoint-password');
  });

  it('a port nothing listens on is "could not be reached", not a server error', async () => {
    const closed = await startGitHub();
    const url = closed.url;
    await closed.close();
    const error = (await readGitHub({ ...connection, endpoint: url }, 7).catch((e: unknown) => e)) as GitHubUnavailable;
    expect(error.kind).toBe('network');
    expect(error.message).toMatch(/could not be reached: connect ECONNREFUSED 127\.0\.0\.1:\d+; check the endpoint/);
  });

  it('a wrong token is 401, and the token is in no reason', async () => {
    const error = (await readGitHub({ ...connection, token: 'wrong-token-value' }, 7).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/401 bad credentials/);
    expect(error.message).not.toContain('wrong-token-value');
  });
});
