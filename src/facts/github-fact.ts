// The `github` fact: one GraphQL request (FACT_QUERY) per command, its answer checked field by
// field (a server may answer anything: a missing or mistyped field is a malformed answer, never
// an empty value a rule would pass on), plus the node ids `policy comment --post` needs.
import type { GitHubBlockedIssue, GitHubComment, GitHubFact, GitHubIssueFact } from './model.js';
import { FACT_QUERY, OLDER_COMMENTS, OLDER_PAGES } from './github-queries.js';
import { githubRequest, GitHubUnavailable, type GitHubConnection } from './github.js';
import { STATE_MARKER } from '../release/comment.js';
import { redactUrl } from '../release/redact.js';

export interface LabelRef {
  id: string;
  name: string;
}

/** The fact and what writing to the issue needs. */
export interface GitHubView {
  fact: GitHubFact;
  /** The release issue's node id; "" without an issue. */
  issueId: string;
  issueLabels: LabelRef[];
  /** The repository's `status:*` labels. */
  statusLabels: LabelRef[];
  /** The release issue's comments written by the token's own user. */
  ownComments: Set<string>;
  /** The cursor before the release issue's oldest comment read; "" when there are none older. */
  olderComments: string;
}

export const BLOCKED_LABEL = 'status:blocked';

/**
 * The fact about the release's `issue` (0: none) with one request; more only on a busy issue
 * whose newest comments hold no status comment while older ones exist (see OLDER_COMMENTS).
 */
export async function readGitHub(connection: GitHubConnection, issue: number): Promise<GitHubView> {
  const { data } = await githubRequest(connection, FACT_QUERY, {
    owner: connection.owner,
    name: connection.name,
    number: issue,
    withIssue: issue > 0,
  });
  try {
    const view = parseFactAnswer(data, connection.repository, issue);
    await readOlderStatusComments(connection, view);
    return view;
  } catch (error) {
    if (!(error instanceof Malformed)) throw error;
    throw new GitHubUnavailable(`GitHub (${redactUrl(connection.endpoint)}) gave a malformed answer: ${error.message}`, 'malformed');
  }
}

/**
 * Pages back through the release issue's older comments, when the newest hold no status
 * comment, until the newest older one holding the state marker is found (at most OLDER_PAGES
 * pages): it joins the fact's comments, first, so the state is read and the comment updated.
 */
async function readOlderStatusComments(connection: GitHubConnection, view: GitHubView): Promise<void> {
  const issue = view.fact.issue;
  if (issue.number === 0 || view.olderComments === '' || issue.comments.some((c) => c.body.includes(STATE_MARKER))) return;
  let before = view.olderComments;
  for (let page = 0; page < OLDER_PAGES && before !== ''; page++) {
    const { data } = await githubRequest(connection, OLDER_COMMENTS, { owner: connection.owner, name: connection.name, number: issue.number, before });
    const found = object(object(object(data, 'data').repository, 'repository').issue, 'repository.issue');
    const older = comments(found.comments, 'repository.issue.comments');
    for (const node of nodes(found.comments, 'repository.issue.comments')) {
      const comment = node as Record<string, unknown>;
      if (comment.viewerDidAuthor === true && typeof comment.id === 'string') view.ownComments.add(comment.id);
    }
    const marked = older.filter((c) => c.body.includes(STATE_MARKER));
    if (marked.length > 0) {
      issue.comments = [...marked, ...issue.comments];
      return;
    }
    before = olderCursor(found.comments, 'repository.issue.comments');
  }
}

/** `pageInfo.startCursor` of a comment connection when it has older pages; "" otherwise. */
function olderCursor(connection: unknown, path: string): string {
  const info = object(connection, path).pageInfo;
  if (info === undefined || info === null) return '';
  const page = object(info, `${path}.pageInfo`);
  return page.hasPreviousPage === true && typeof page.startCursor === 'string' ? page.startCursor : '';
}

class Malformed extends Error {}

function object(value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Malformed(`${path} is not an object`);
  return value as Record<string, unknown>;
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new Malformed(`${path} is not a string`);
  return value;
}

function optionalText(value: unknown, path: string): string {
  return value === null || value === undefined ? '' : text(value, path);
}

function integer(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new Malformed(`${path} is not an integer`);
  return value;
}

function nodes(connection: unknown, path: string): unknown[] {
  const list = object(connection, path).nodes;
  if (!Array.isArray(list)) throw new Malformed(`${path}.nodes is not a list`);
  // GitHub returns null for a node the token may not see: it is left out.
  return list.filter((node) => node !== null);
}

/** A login, or "ghost" for a deleted account (GitHub's own word for it). */
function login(value: unknown, path: string): string {
  if (value === null || value === undefined) return 'ghost';
  return text(object(value, path).login, `${path}.login`);
}

function labels(value: unknown, path: string): LabelRef[] {
  return nodes(value, path).map((node, i) => {
    const label = object(node, `${path}.nodes[${i}]`);
    return { id: label.id === undefined ? '' : text(label.id, `${path}.nodes[${i}].id`), name: text(label.name, `${path}.nodes[${i}].name`) };
  });
}

function comments(value: unknown, path: string): GitHubComment[] {
  return nodes(value, path).map((node, i) => {
    const at = `${path}.nodes[${i}]`;
    const c = object(node, at);
    return {
      id: text(c.id, `${at}.id`),
      author: login(c.author, `${at}.author`),
      authorAssociation: text(c.authorAssociation, `${at}.authorAssociation`),
      createdAt: text(c.createdAt, `${at}.createdAt`),
      updatedAt: text(c.updatedAt, `${at}.updatedAt`),
      body: text(c.body, `${at}.body`),
      url: text(c.url, `${at}.url`),
    };
  });
}

export function emptyIssue(): GitHubIssueFact {
  return { number: 0, state: '', stateReason: '', title: '', labels: [], comments: [], events: [] };
}

/** Checks and converts FACT_QUERY's data; throws Malformed naming the first field that is wrong. */
export function parseFactAnswer(data: unknown, repository: string, issue: number): GitHubView {
  const root = object(data, 'data');
  const viewer = login(object(root.viewer, 'viewer'), 'viewer');
  const rate = object(root.rateLimit, 'rateLimit');
  if (root.repository === null) throw new GitHubUnavailable(`repository ${repository} not found (404) or the token cannot see it; check github.repository and the token's access`, 'not-found');
  const repo = object(root.repository, 'repository');
  const view: GitHubView = {
    fact: {
      available: true,
      repository,
      viewer,
      issue: emptyIssue(),
      blocked: [],
      rateLimit: {
        remaining: integer(rate.remaining, 'rateLimit.remaining'),
        resetAt: text(rate.resetAt, 'rateLimit.resetAt'),
        cost: integer(rate.cost, 'rateLimit.cost'),
      },
    },
    issueId: '',
    issueLabels: [],
    ownComments: new Set(),
    olderComments: '',
    statusLabels: labels(repo.labels, 'repository.labels').filter((label) => label.name.startsWith('status:')),
  };
  if (issue > 0) {
    if (repo.issue === null) throw new GitHubUnavailable(`issue #${issue} not found in ${repository} (404); check the release's issue number`, 'not-found');
    const found = object(repo.issue, 'repository.issue');
    const state = text(found.state, 'repository.issue.state');
    if (state !== 'OPEN' && state !== 'CLOSED') throw new Malformed(`repository.issue.state is "${state}"`);
    view.issueId = text(found.id, 'repository.issue.id');
    view.issueLabels = labels(found.labels, 'repository.issue.labels');
    for (const node of nodes(found.comments, 'repository.issue.comments')) {
      const comment = node as Record<string, unknown>;
      if (comment.viewerDidAuthor === true && typeof comment.id === 'string') view.ownComments.add(comment.id);
    }
    view.olderComments = olderCursor(found.comments, 'repository.issue.comments');
    view.fact.issue = {
      number: integer(found.number, 'repository.issue.number'),
      state,
      stateReason: optionalText(found.stateReason, 'repository.issue.stateReason'),
      title: text(found.title, 'repository.issue.title'),
      labels: view.issueLabels.map((label) => label.name),
      comments: comments(found.comments, 'repository.issue.comments'),
      events: nodes(found.timelineItems, 'repository.issue.timelineItems').flatMap((node, i) => {
        const at = `repository.issue.timelineItems.nodes[${i}]`;
        const event = object(node, at);
        const kind = event.__typename === 'ClosedEvent' ? 'closed' : event.__typename === 'ReopenedEvent' ? 'reopened' : null;
        if (kind === null) return [];
        return [{ type: kind, actor: login(event.actor, `${at}.actor`), at: text(event.createdAt, `${at}.createdAt`) }];
      }),
    };
  }
  const open = [
    ...nodes(repo.issues, 'repository.issues').map((node, i) => ({ node, at: `repository.issues.nodes[${i}]` })),
    ...nodes(repo.labelled, 'repository.labelled').map((node, i) => ({ node, at: `repository.labelled.nodes[${i}]` })),
  ];
  const seen = new Set<number>();
  view.fact.blocked = open.flatMap(({ node, at }): GitHubBlockedIssue[] => {
    const issue = object(node, at);
    const number = integer(issue.number, `${at}.number`);
    const names = labels(issue.labels, `${at}.labels`).map((label) => label.name);
    const said = comments(issue.comments, `${at}.comments`);
    const marked = said.some((c) => c.body.includes(STATE_MARKER));
    if ((!marked && !names.includes(BLOCKED_LABEL)) || seen.has(number)) return [];
    seen.add(number);
    return [{ number, title: text(issue.title, `${at}.title`), labels: names, comments: said }];
  });
  return view;
}
