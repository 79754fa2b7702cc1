// The loopback GitHub GraphQL server, through the real @octokit/graphql client over real HTTP:
// what the client sees for reads, mutations, schema-invalid queries, NOT_FOUND and each fault.
import { graphql, GraphqlResponseError } from '@octokit/graphql';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startGitHub, validateGitHubQuery, type LoopbackGitHub } from '../scripts/loopback-github.mjs';

type Graphql = typeof graphql;

const servers: LoopbackGitHub[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function server(options?: Parameters<typeof startGitHub>[0]): Promise<LoopbackGitHub> {
  const started = await startGitHub(options);
  servers.push(started);
  return started;
}

function client(gh: LoopbackGitHub, token: string | null = gh.token, scheme = 'bearer'): Graphql {
  return graphql.defaults({ url: gh.url, headers: token === null ? {} : { authorization: `${scheme} ${token}` } });
}

/** The rejection of `promise`, failing the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the request to fail');
}

// The query the tool's client sends for the release issue (common brief's `github` fact).
const ISSUE_QUERY = `
  query ReleaseIssue($owner: String!, $name: String!, $number: Int!) {
    viewer { login }
    rateLimit { remaining resetAt cost limit used }
    repository(owner: $owner, name: $name) {
      issue(number: $number) {
        id number title state stateReason url
        labels(first: 20) { nodes { name } }
        comments(last: 50) {
          nodes { id author { login } authorAssociation createdAt updatedAt body url }
          pageInfo { hasPreviousPage startCursor }
        }
        timelineItems(itemTypes: [CLOSED_EVENT, REOPENED_EVENT], last: 50) {
          nodes {
            __typename
            ... on ClosedEvent { actor { login } createdAt stateReason }
            ... on ReopenedEvent { actor { login } createdAt }
          }
        }
      }
    }
  }`;

const ISSUE_ID = `query IssueId($number: Int!) { repository(owner: "acme", name: "demo") { issue(number: $number) { id } } }`;

describe('loopback GitHub: reads', () => {
  let gh: LoopbackGitHub;
  beforeEach(async () => {
    gh = await server();
  });

  it('answers the release issue with its labels, comments (oldest first) and closed/reopened events', async () => {
    gh.addIssue(7, {
      title: 'Add a feature',
      labels: ['status:blocked'],
      events: [
        { type: 'closed', actor: 'carol', at: '2026-01-02T10:00:00.000Z' },
        { type: 'reopened', actor: 'release-bot', at: '2026-01-02T11:00:00.000Z' },
      ],
    });
    gh.issues.get(7)!.stateReason = 'REOPENED';
    gh.addComment(7, { author: 'alice', authorAssociation: 'NONE', body: 'first', createdAt: '2026-01-02T09:00:00.250Z' });
    const { id } = gh.addComment(7, { author: 'release-bot', authorAssociation: 'OWNER', body: 'Release blocked', createdAt: '2026-01-02T12:00:00.000Z' });

    const answer: any = await client(gh)(ISSUE_QUERY, { owner: 'acme', name: 'demo', number: 7 });

    expect(answer.viewer).toEqual({ login: 'release-bot' });
    expect(answer.rateLimit).toMatchObject({ limit: 5000, cost: 1, used: 1, remaining: 4999 });
    expect(answer.rateLimit.resetAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const issue = answer.repository.issue;
    expect(issue).toMatchObject({ number: 7, title: 'Add a feature', state: 'OPEN', stateReason: 'REOPENED', url: 'https://github.com/acme/demo/issues/7' });
    expect(issue.labels.nodes).toEqual([{ name: 'status:blocked' }]);
    expect(issue.comments.nodes.map((c: any) => [c.author.login, c.authorAssociation, c.body])).toEqual([
      ['alice', 'NONE', 'first'],
      ['release-bot', 'OWNER', 'Release blocked'],
    ]);
    // GitHub's DateTime is to the second.
    expect(issue.comments.nodes[0].createdAt).toBe('2026-01-02T09:00:00Z');
    expect(issue.comments.nodes[1]).toMatchObject({ id, updatedAt: '2026-01-02T12:00:00Z' });
    expect(issue.comments.nodes[1].url).toMatch(/^https:\/\/github\.com\/acme\/demo\/issues\/7#issuecomment-\d+$/);
    expect(issue.comments.pageInfo.hasPreviousPage).toBe(false);
    expect(issue.timelineItems.nodes).toEqual([
      { __typename: 'ClosedEvent', actor: { login: 'carol' }, createdAt: '2026-01-02T10:00:00Z', stateReason: 'COMPLETED' },
      { __typename: 'ReopenedEvent', actor: { login: 'release-bot' }, createdAt: '2026-01-02T11:00:00Z' },
    ]);
    expect(gh.requests.map((request) => [request.operation, request.status, request.variables])).toEqual([
      ['ReleaseIssue', 200, { owner: 'acme', name: 'demo', number: 7 }],
    ]);
  });

  it('pages comments: last N are the newest, oldest first, and `before` reaches the older ones', async () => {
    gh.addIssue(3);
    for (const body of ['one', 'two', 'three']) gh.addComment(3, { author: 'bob', authorAssociation: 'MEMBER', body });
    const query = `query Comments($before: String) { repository(owner: "acme", name: "demo") { issue(number: 3) {
      comments(last: 2, before: $before) { totalCount nodes { body } pageInfo { hasPreviousPage startCursor } } } } }`;
    const newest: any = await client(gh)(query);
    expect(newest.repository.issue.comments.totalCount).toBe(3);
    expect(newest.repository.issue.comments.nodes.map((c: any) => c.body)).toEqual(['two', 'three']);
    expect(newest.repository.issue.comments.pageInfo.hasPreviousPage).toBe(true);
    const older: any = await client(gh)(query, { before: newest.repository.issue.comments.pageInfo.startCursor });
    expect(older.repository.issue.comments.nodes.map((c: any) => c.body)).toEqual(['one']);
    expect(older.repository.issue.comments.pageInfo.hasPreviousPage).toBe(false);
  });

  it('lists open issues by label, repository labels, and finds issues by search', async () => {
    gh.addIssue(7, { labels: ['status:blocked'] });
    gh.addIssue(8);
    gh.addIssue(9, { labels: ['status:blocked'], state: 'CLOSED' });
    gh.addComment(8, { author: 'release-bot', authorAssociation: 'OWNER', body: 'x <!-- release-policy:state {} -->' });
    const answer: any = await client(gh)(`{
      repository(owner: "acme", name: "demo") {
        issues(states: OPEN, labels: ["status:blocked"], first: 10) { totalCount nodes { number } pageInfo { hasNextPage endCursor } }
        labels(first: 100) { nodes { name } }
        label(name: "status:blocked") { name id }
        missing: label(name: "status:nope") { name }
      }
      search(query: "repo:acme/demo is:issue is:open \\"release-policy:state\\"", type: ISSUE, first: 10) {
        issueCount nodes { __typename ... on Issue { number } }
      }
      blocked: search(query: "repo:acme/demo is:issue label:status:blocked", type: ISSUE, first: 10) { issueCount }
    }`);
    expect(answer.repository.issues).toMatchObject({ totalCount: 1, nodes: [{ number: 7 }], pageInfo: { hasNextPage: false } });
    expect(answer.repository.labels.nodes.map((label: any) => label.name)).toEqual(expect.arrayContaining(['status:blocked', 'status:released']));
    expect(answer.repository.label.name).toBe('status:blocked');
    expect(answer.repository.missing).toBeNull();
    expect(answer.search).toEqual({ issueCount: 1, nodes: [{ __typename: 'Issue', number: 8 }] });
    expect(answer.blocked.issueCount).toBe(2);
  });

  it('orders open issues by last update and filters repository labels by name', async () => {
    gh.addIssue(1, { createdAt: '2026-01-01T00:00:00.000Z' });
    gh.addIssue(2, { createdAt: '2026-01-02T00:00:00.000Z' });
    gh.addIssue(3, { createdAt: '2026-01-03T00:00:00.000Z', state: 'CLOSED' });
    // Issue 1, the oldest, has the newest comment: it comes first by UPDATED_AT DESC.
    gh.addComment(1, { author: 'bob', authorAssociation: 'NONE', body: 'ping', createdAt: '2026-01-05T00:00:00.000Z' });
    const query = `query Open($withIssue: Boolean!) { repository(owner: "acme", name: "demo") {
      labels(first: 100, query: "status:") { nodes { name } }
      issue(number: 0) @include(if: $withIssue) { id }
      issues(states: [OPEN], first: 50, orderBy: { field: UPDATED_AT, direction: DESC }) { nodes { number updatedAt } }
      byCreation: issues(states: [OPEN, CLOSED], first: 50, orderBy: { field: CREATED_AT, direction: DESC }) { nodes { number } }
    } }`;
    const answer: any = await client(gh)(query, { withIssue: false });
    expect(answer.repository.labels.nodes.map((label: any) => label.name)).toEqual(['status:blocked', 'status:released', 'status:in-progress']);
    expect(answer.repository.issue).toBeUndefined();
    expect(answer.repository.issues.nodes).toEqual([
      { number: 1, updatedAt: '2026-01-05T00:00:00Z' },
      { number: 2, updatedAt: '2026-01-02T00:00:00Z' },
    ]);
    expect(answer.repository.byCreation.nodes.map((issue: any) => issue.number)).toEqual([3, 2, 1]);
  });

  it('answers on the GitHub Enterprise Server path for a /api/v3 base URL', async () => {
    const enterprise = graphql.defaults({ baseUrl: gh.url.replace(/\/graphql$/, '/api/v3'), headers: { authorization: `token ${gh.token}` } });
    expect(await enterprise('{ viewer { login } }')).toEqual({ viewer: { login: 'release-bot' } });
  });

  it('sends GitHub rate-limit headers that count the requests', async () => {
    const first: any = await client(gh)('{ rateLimit { remaining used } }');
    expect(first.rateLimit).toEqual({ remaining: 4999, used: 1 });
    const response = await fetch(gh.url, {
      method: 'POST',
      headers: { authorization: `bearer ${gh.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ viewer { login } }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-limit')).toBe('5000');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('4998');
    expect(response.headers.get('x-ratelimit-used')).toBe('2');
    expect(Number(response.headers.get('x-ratelimit-reset'))).toBe(Math.floor(gh.rateLimit.resetAt.getTime() / 1000));
  });
});

describe('loopback GitHub: mutations', () => {
  let gh: LoopbackGitHub;
  beforeEach(async () => {
    gh = await server({ viewer: 'ci-bot', viewerAssociation: 'MEMBER' });
    gh.addIssue(7, { title: 'Feature' });
  });

  async function issueId(number = 7): Promise<string> {
    const answer: any = await client(gh)(ISSUE_ID, { number });
    return answer.repository.issue.id;
  }

  it('adds a comment as the viewer and updates it in place; a read gives it back', async () => {
    const subjectId = await issueId();
    const added: any = await client(gh)(
      `mutation AddComment($subjectId: ID!, $body: String!) {
        addComment(input: { subjectId: $subjectId, body: $body }) { commentEdge { node { id url author { login } authorAssociation body } } subject { id } } }`,
      { subjectId, body: 'Release blocked for demo v0.2.0.' },
    );
    const node = added.addComment.commentEdge.node;
    expect(node).toMatchObject({ author: { login: 'ci-bot' }, authorAssociation: 'MEMBER', body: 'Release blocked for demo v0.2.0.' });
    expect(added.addComment.subject.id).toBe(subjectId);

    const updated: any = await client(gh)(
      `mutation UpdateComment($id: ID!, $body: String!) { updateIssueComment(input: { id: $id, body: $body }) { issueComment { id body } } }`,
      { id: node.id, body: 'Release blocked for demo v0.2.0. (attempt 2)' },
    );
    expect(updated.updateIssueComment.issueComment).toEqual({ id: node.id, body: 'Release blocked for demo v0.2.0. (attempt 2)' });

    const read: any = await client(gh)(ISSUE_QUERY, { owner: 'acme', name: 'demo', number: 7 });
    expect(read.repository.issue.comments.nodes).toHaveLength(1);
    expect(read.repository.issue.comments.nodes[0]).toMatchObject({ id: node.id, url: node.url, body: 'Release blocked for demo v0.2.0. (attempt 2)' });
    expect(gh.issues.get(7)!.comments.map((comment) => [comment.author, comment.body])).toEqual([['ci-bot', 'Release blocked for demo v0.2.0. (attempt 2)']]);
    // Updated after it was written (stored to the millisecond).
    const stored = gh.issues.get(7)!.comments[0]!;
    expect(Date.parse(stored.updatedAt)).toBeGreaterThan(Date.parse(stored.createdAt));
  });

  it('closes with a reason and reopens; the timeline records both, by the viewer', async () => {
    const id = await issueId();
    const closed: any = await client(gh)(`mutation Close($id: ID!) { closeIssue(input: { issueId: $id, stateReason: NOT_PLANNED }) { issue { state stateReason } } }`, { id });
    expect(closed.closeIssue.issue).toEqual({ state: 'CLOSED', stateReason: 'NOT_PLANNED' });
    const reopened: any = await client(gh)(`mutation Reopen($id: ID!) { reopenIssue(input: { issueId: $id }) { issue { state stateReason } } }`, { id });
    expect(reopened.reopenIssue.issue).toEqual({ state: 'OPEN', stateReason: 'REOPENED' });
    const read: any = await client(gh)(ISSUE_QUERY, { owner: 'acme', name: 'demo', number: 7 });
    expect(read.repository.issue.timelineItems.nodes.map((item: any) => [item.__typename, item.actor.login, item.stateReason])).toEqual([
      ['ClosedEvent', 'ci-bot', 'NOT_PLANNED'],
      ['ReopenedEvent', 'ci-bot', undefined],
    ]);
    expect(gh.issues.get(7)!.events.map((event) => event.type)).toEqual(['closed', 'reopened']);
  });

  it('adds and removes labels by their node ids', async () => {
    const labelableId = await issueId();
    const ids: any = await client(gh)(`{ repository(owner: "acme", name: "demo") {
      blocked: label(name: "status:blocked") { id } released: label(name: "status:released") { id } } }`);
    const add: any = await client(gh)(
      `mutation Add($labelableId: ID!, $labelIds: [ID!]!) { addLabelsToLabelable(input: { labelableId: $labelableId, labelIds: $labelIds }) {
        labelable { ... on Issue { labels(first: 10) { nodes { name } } } } } }`,
      { labelableId, labelIds: [ids.repository.blocked.id, ids.repository.released.id] },
    );
    expect(add.addLabelsToLabelable.labelable.labels.nodes.map((label: any) => label.name)).toEqual(['status:blocked', 'status:released']);
    await client(gh)(
      `mutation Remove($labelableId: ID!, $labelIds: [ID!]!) { removeLabelsFromLabelable(input: { labelableId: $labelableId, labelIds: $labelIds }) { clientMutationId } }`,
      { labelableId, labelIds: [ids.repository.blocked.id] },
    );
    expect(gh.issues.get(7)!.labels).toEqual(['status:released']);
  });

  it('shows an issue closed on GitHub by someone else, with its reason, actor and event', async () => {
    gh.closeIssue(7, { actor: 'carol', stateReason: 'NOT_PLANNED' });
    const read: any = await client(gh)(ISSUE_QUERY, { owner: 'acme', name: 'demo', number: 7 });
    expect(read.repository.issue).toMatchObject({ state: 'CLOSED', stateReason: 'NOT_PLANNED' });
    expect(read.repository.issue.timelineItems.nodes).toEqual([
      expect.objectContaining({ __typename: 'ClosedEvent', actor: { login: 'carol' }, stateReason: 'NOT_PLANNED' }),
    ]);
  });

  it('looks nodes up by id, and answers NOT_FOUND for an id it never made', async () => {
    const id = await issueId();
    const found: any = await client(gh)(`query Node($id: ID!) { node(id: $id) { __typename ... on Issue { number } } }`, { id });
    expect(found.node).toEqual({ __typename: 'Issue', number: 7 });
    const some = await rejection(client(gh)(`query Nodes($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [id, 'nope'] }));
    expect(some.data.nodes).toEqual([{ id }, null]);
    expect(some.errors).toEqual([
      expect.objectContaining({ type: 'NOT_FOUND', path: ['nodes', 1], message: "Could not resolve to a node with the global id of 'nope'" }),
    ]);
    const error = await rejection(
      client(gh)(`mutation { addComment(input: { subjectId: "I_nope", body: "x" }) { commentEdge { node { id } } } }`),
    );
    expect(error).toBeInstanceOf(GraphqlResponseError);
    expect(error.errors).toEqual([
      expect.objectContaining({ type: 'NOT_FOUND', path: ['addComment'], message: "Could not resolve to a node with the global id of 'I_nope'" }),
    ]);
    expect(gh.issues.get(7)!.comments).toEqual([]);
  });
});

describe('loopback GitHub: errors as GitHub answers them', () => {
  let gh: LoopbackGitHub;
  beforeEach(async () => {
    gh = await server({ repository: 'acme/demo' });
    gh.addIssue(7);
  });

  it('answers NOT_FOUND with data.repository null for an unknown repository', async () => {
    const error = await rejection(client(gh)(ISSUE_QUERY, { owner: 'acme', name: 'other', number: 7 }));
    expect(error).toBeInstanceOf(GraphqlResponseError);
    expect(error.data.repository).toBeNull();
    expect(error.errors).toEqual([
      expect.objectContaining({ type: 'NOT_FOUND', path: ['repository'], message: "Could not resolve to a Repository with the name 'acme/other'." }),
    ]);
  });

  it('answers NOT_FOUND with issue null for an unknown issue number', async () => {
    const error = await rejection(client(gh)(ISSUE_QUERY, { owner: 'acme', name: 'demo', number: 99 }));
    expect(error.data.repository).toEqual({ issue: null });
    expect(error.data.viewer).toEqual({ login: 'release-bot' });
    expect(error.errors).toEqual([
      expect.objectContaining({ type: 'NOT_FOUND', path: ['repository', 'issue'], message: 'Could not resolve to an Issue with the number of 99.' }),
    ]);
  });

  it('rejects a query the schema does not allow before running it (a misspelled field)', async () => {
    const error = await rejection(client(gh)(`{ repository(owner: "acme", name: "demo") { issue(number: 7) { labelz(first: 1) { nodes { name } } } } }`));
    expect(error).toBeInstanceOf(GraphqlResponseError);
    expect(error.data).toBeUndefined();
    expect(error.errors).toEqual([
      expect.objectContaining({
        message: "Field 'labelz' doesn't exist on type 'Issue'",
        extensions: { code: 'undefinedField', typeName: 'Issue', fieldName: 'labelz' },
      }),
    ]);
    expect(gh.requests.at(-1)).toMatchObject({ operation: 'repository', status: 200 });
    // Rejected before execution: no rate-limit point spent.
    expect(gh.rateLimit.used).toBe(0);
  });

  it('checks query strings against the same schema without a request', async () => {
    expect(await validateGitHubQuery(ISSUE_QUERY)).toEqual([]);
    expect(await validateGitHubQuery('mutation { closeIssue(input: { issueId: "x", stateReason: DONE }) { issue { id } } }')).toEqual([
      'Value "DONE" does not exist in "IssueClosedStateReason" enum.',
    ]);
    expect(await validateGitHubQuery('{ viewer { login }')).toEqual(['Syntax Error: Expected Name, found <EOF>.']);
  });

  it('answers RATE_LIMITED once the primary limit is spent', async () => {
    gh.rateLimit.used = gh.rateLimit.limit - 1;
    const last: any = await client(gh)('{ rateLimit { remaining } }');
    expect(last.rateLimit.remaining).toBe(0);
    const error = await rejection(client(gh)('{ viewer { login } }'));
    expect(error.errors).toEqual([expect.objectContaining({ type: 'RATE_LIMITED' })]);
    expect(error.headers['x-ratelimit-remaining']).toBe('0');
  });

  it('rejects a wrong argument type and a missing required variable', async () => {
    const badType = await rejection(client(gh)(`{ repository(owner: "acme", name: "demo") { issue(number: "7") { id } } }`));
    expect(badType.errors[0].message).toBe('Int cannot represent non-integer value: "7"');
    const missing = await rejection(client(gh)(ISSUE_ID));
    expect(missing.errors[0].message).toBe('Variable "$number" of required type "Int!" was not provided.');
  });

  it("enforces GitHub's pagination bounds on connections", async () => {
    const none = await rejection(client(gh)(`{ repository(owner: "acme", name: "demo") { issue(number: 7) { comments { totalCount } } } }`));
    expect(none.errors[0]).toMatchObject({
      type: 'MISSING_PAGINATION_BOUNDARIES',
      message: 'You must provide a `first` or `last` value to properly paginate the `comments` connection.',
    });
    const tooMany = await rejection(client(gh)(`{ repository(owner: "acme", name: "demo") { issue(number: 7) { comments(last: 101) { totalCount } } } }`));
    expect(tooMany.errors[0]).toMatchObject({
      type: 'EXCESSIVE_PAGINATION',
      message: 'Requesting 101 records on the `comments` connection exceeds the `last` limit of 100 records.',
    });
  });

  it('names a schema field this server does not implement instead of answering null', async () => {
    const error = await rejection(client(gh)(`{ repository(owner: "acme", name: "demo") { issue(number: 7) { milestone { title } } } }`));
    expect(error.errors[0].message).toBe('loopback GitHub: Issue.milestone is not implemented');
  });

  it('answers 401 Bad credentials without a token or with another one, and accepts both auth schemes', async () => {
    for (const token of [null, 'ghp_wrong']) {
      const error = await rejection(client(gh, token)('{ viewer { login } }'));
      expect(error.name).toBe('HttpError');
      expect(error.status).toBe(401);
      expect(error.response.data).toMatchObject({ message: 'Bad credentials' });
    }
    expect(await client(gh, gh.token, 'token')('{ viewer { login } }')).toEqual({ viewer: { login: 'release-bot' } });
    expect(gh.requests.map((request) => request.status)).toEqual([401, 401, 200]);
  });
});

describe('loopback GitHub: faults as the client sees them', () => {
  let gh: LoopbackGitHub;
  beforeEach(async () => {
    gh = await server();
  });

  it("'401': HttpError 401 Bad credentials even with the right token, on every request while set", async () => {
    gh.faults.next = '401';
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await rejection(client(gh)('{ viewer { login } }'));
      expect(error.status).toBe(401);
      expect(error.message).toContain('Bad credentials');
    }
    gh.faults.next = null;
    expect(await client(gh)('{ viewer { login } }')).toEqual({ viewer: { login: 'release-bot' } });
  });

  it("'403-secondary': HttpError 403 with retry-after 60 and GitHub's secondary rate limit message", async () => {
    gh.faults.next = '403-secondary';
    const error = await rejection(client(gh)('{ viewer { login } }'));
    expect(error.name).toBe('HttpError');
    expect(error.status).toBe(403);
    expect(error.response.headers['retry-after']).toBe('60');
    expect(error.message).toContain('You have exceeded a secondary rate limit');
  });

  it("'rate-limited': HTTP 200 with a RATE_LIMITED error, x-ratelimit-remaining 0 and the reset time", async () => {
    gh.faults.next = 'rate-limited';
    const error = await rejection(client(gh)('{ viewer { login } }'));
    expect(error).toBeInstanceOf(GraphqlResponseError);
    expect(error.errors).toEqual([expect.objectContaining({ type: 'RATE_LIMITED', message: 'API rate limit exceeded for user ID 1.' })]);
    expect(error.headers['x-ratelimit-remaining']).toBe('0');
    expect(Number(error.headers['x-ratelimit-reset'])).toBe(Math.floor(gh.rateLimit.resetAt.getTime() / 1000));
  });

  it("'502': HttpError 502 with GitHub's HTML unicorn page", async () => {
    gh.faults.next = '502';
    const error = await rejection(client(gh)('{ viewer { login } }'));
    expect(error.status).toBe(502);
    expect(String(error.response.data)).toContain('<title>Unicorn! &middot; GitHub</title>');
  });

  it("'malformed': a truncated JSON body, which @octokit/graphql 9 resolves as undefined", async () => {
    gh.faults.next = 'malformed';
    expect(await client(gh)('{ viewer { login } }')).toBeUndefined();
    const raw = await fetch(gh.url, { method: 'POST', headers: { authorization: `bearer ${gh.token}` }, body: JSON.stringify({ query: '{ viewer { login } }' }) });
    expect(raw.status).toBe(200);
    await expect(raw.json()).rejects.toThrow(SyntaxError);
  });

  it("'hang': no answer; the client's abort ends the request, and close() ends any still held", async () => {
    gh.faults.next = 'hang';
    const abort = new AbortController();
    const aborted = rejection(client(gh)({ query: '{ viewer { login } }', request: { signal: abort.signal } }));
    await vi.waitFor(() => expect(gh.requests).toHaveLength(1));
    expect(gh.requests[0]).toMatchObject({ operation: 'viewer', status: 0 });
    abort.abort();
    expect((await aborted).name).toBe('AbortError');

    const held = rejection(client(gh)('{ viewer { login } }'));
    await vi.waitFor(() => expect(gh.requests).toHaveLength(2));
    await gh.close();
    // @octokit/request reports a dropped connection as an HttpError with status 500.
    const error = await held;
    expect(error.name).toBe('HttpError');
    expect(error.message).toBe('other side closed');
  });

  it('refuses an unknown fault name', () => {
    expect(() => {
      (gh.faults as { next: unknown }).next = '500';
    }).toThrow('unknown fault: 500');
  });
});
