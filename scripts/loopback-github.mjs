// A GitHub GraphQL endpoint on 127.0.0.1 for tests and the demo. Every request is parsed,
// validated against GitHub's published schema (@octokit/graphql-schema's SDL) and executed
// by graphql-js over an in-memory repository (issues, comments, closed/reopened events,
// labels, the viewer and the rate limit), so a query the real API would reject is rejected
// here too, with the same shape of answer.
//
// Only the fields the tool asks for have resolvers; asking for any other field answers a
// GraphQL error naming it ("loopback GitHub: Issue.milestone is not implemented") rather
// than a silent null, so a test never passes on data this server made up.
//
// Like the loopback registry it answers from the caller's event loop: run processes that talk
// to it with the asynchronous `spawn`, never spawnSync/execFileSync.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

const HOST = '127.0.0.1';
const FAULTS = new Set([null, '401', '403-secondary', 'rate-limited', '502', 'hang', 'malformed']);
const ASSOCIATIONS = new Set(['COLLABORATOR', 'CONTRIBUTOR', 'FIRST_TIMER', 'FIRST_TIME_CONTRIBUTOR', 'MANNEQUIN', 'MEMBER', 'NONE', 'OWNER']);
const RATE_LIMIT = 5000;
const MAX_PAGE = 100;

/** GitHub's bodies for the HTTP-level answers. */
const BAD_CREDENTIALS = { message: 'Bad credentials', documentation_url: 'https://docs.github.com/graphql', status: '401' };
const NOT_FOUND_PATH = { message: 'Not Found', documentation_url: 'https://docs.github.com/graphql', status: '404' };
const RATE_LIMITED = { errors: [{ type: 'RATE_LIMITED', code: 'graphql_rate_limit', message: 'API rate limit exceeded for user ID 1.' }] };
const SECONDARY_DOCS =
  'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits';
const UNICORN =
  '<!DOCTYPE html>\n<html>\n  <head>\n    <meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n' +
  '    <title>Unicorn! &middot; GitHub</title>\n  </head>\n  <body>\n    <div class="container">\n' +
  '      <p><strong>We had issues producing the response to your request.</strong></p>\n' +
  "      <p>Sorry about that. Please try refreshing and contact us if the problem persists.</p>\n" +
  '    </div>\n  </body>\n</html>\n';

/** The schema is built once per process: parsing GitHub's 1.2 MB SDL takes about half a second. */
let schemaPromise = null;
function loadSchema() {
  schemaPromise ??= (async () => {
    const graphqlJs = await import('graphql');
    const { schema: published } = await import('@octokit/graphql-schema');
    // The published SDL defines a few fields twice; GitHub's own server accepts it, and
    // graphql-js does once told not to re-check the SDL (the built schema then validates clean).
    const schema = graphqlJs.buildSchema(published.idl, { assumeValidSDL: true, assumeValid: true });
    return { graphqlJs, schema };
  })();
  return schemaPromise;
}

/**
 * The messages of GitHub's published schema for `source` (a query or mutation string): parse
 * errors and validation errors, with graphql-js's "Did you mean" hints; empty when valid. For a
 * test that checks every query and mutation the code sends without running a server.
 */
export async function validateGitHubQuery(source) {
  const { graphqlJs, schema } = await loadSchema();
  let document;
  try {
    document = graphqlJs.parse(source);
  } catch (error) {
    return [error.message];
  }
  return graphqlJs.validate(schema, document).map((error) => error.message);
}

/** An opaque global node id, as GitHub's are opaque to clients. */
function nodeId(type, key) {
  return Buffer.from(`${type}:${key}`).toString('base64');
}
function parseNodeId(id) {
  if (typeof id !== 'string') return null;
  const [type, key] = splitOnce(Buffer.from(id, 'base64').toString('utf8'));
  // Only ids this server made: decoding arbitrary text as base64 yields garbage, not a match.
  return type && key && nodeId(type, key) === id ? { type, key } : null;
}
/** GitHub's DateTime: ISO 8601 in UTC to the second (`2026-01-02T03:04:05Z`). */
function githubTime(value) {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}
function splitOnce(text) {
  const at = text.indexOf(':');
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}

/**
 * Starts the server on a free port (or `options.port`). Requests need
 * `Authorization: bearer <token>` or `token <token>`.
 */
export async function startGitHub(options = {}) {
  const { graphqlJs, schema } = await loadSchema();
  const { GraphQLError, parse, validate, execute, getOperationAST, Kind } = graphqlJs;

  const token = options.token ?? `ghp_loopback${randomBytes(12).toString('hex')}`;
  const repository = options.repository ?? 'acme/demo';
  const [owner, repoName] = repository.split('/');
  if (!owner || !repoName) throw new Error(`repository must be owner/name, not ${repository}`);
  const viewer = options.viewer ?? 'release-bot';
  const viewerAssociation = options.viewerAssociation ?? 'OWNER';
  if (!ASSOCIATIONS.has(viewerAssociation)) throw new Error(`unknown authorAssociation: ${viewerAssociation}`);

  const issues = new Map();
  const labels = new Set(options.labels ?? ['bug', 'enhancement', 'status:blocked', 'status:released', 'status:in-progress']);
  const requests = [];
  let nextComment = 1;
  let fault = null;
  const faults = {
    get next() {
      return fault;
    },
    set next(value) {
      if (!FAULTS.has(value)) throw new Error(`unknown fault: ${String(value)}`);
      fault = value;
    },
  };
  const rateLimit = { limit: RATE_LIMIT, used: 0, resetAt: new Date(Date.now() + 3600_000) };
  /** Responses held open by the 'hang' fault, ended by close(). */
  const hanging = new Set();

  const repoUrl = `https://github.com/${owner}/${repoName}`;
  const now = () => new Date().toISOString();

  function addIssue(number, fields = {}) {
    if (!Number.isInteger(number) || number < 1) throw new Error(`issue number must be a positive integer, not ${number}`);
    if (issues.has(number)) throw new Error(`issue #${number} exists`);
    const issue = {
      number,
      title: fields.title ?? `Issue ${number}`,
      state: fields.state ?? 'OPEN',
      stateReason: fields.stateReason ?? (fields.state === 'CLOSED' ? 'COMPLETED' : null),
      labels: [...(fields.labels ?? [])],
      comments: [],
      events: [...(fields.events ?? [])],
      body: fields.body ?? '',
      createdAt: fields.createdAt ?? now(),
      updatedAt: fields.updatedAt ?? null,
    };
    for (const label of issue.labels) labels.add(label);
    issues.set(number, issue);
    for (const comment of fields.comments ?? []) addComment(number, comment);
    return issue;
  }

  function addComment(number, comment) {
    const issue = issues.get(number);
    if (!issue) throw new Error(`no issue #${number}`);
    const at = comment.createdAt ?? afterLastChange(issue);
    const stored = {
      id: comment.id ?? nodeId('IssueComment', nextComment++),
      author: comment.author,
      authorAssociation: comment.authorAssociation ?? 'NONE',
      body: comment.body,
      createdAt: at,
      updatedAt: comment.updatedAt ?? at,
    };
    issue.comments.push(stored);
    return { id: stored.id };
  }

  /** Closes the issue as `actor` would on GitHub (state, reason, a closed event); no-op when closed for that reason. */
  function closeIssue(number, { actor = 'maintainer', stateReason = 'COMPLETED' } = {}) {
    const issue = issues.get(number);
    if (!issue) throw new Error(`no issue #${number}`);
    if (issue.state !== 'CLOSED' || issue.stateReason !== stateReason) {
      issue.state = 'CLOSED';
      issue.stateReason = stateReason;
      issue.events.push({ type: 'closed', actor, at: afterLastChange(issue), stateReason });
    }
    return issue;
  }

  /** Reopens the issue as `actor` would (state OPEN, reason REOPENED, a reopened event); no-op when open. */
  function reopenIssue(number, { actor = 'maintainer' } = {}) {
    const issue = issues.get(number);
    if (!issue) throw new Error(`no issue #${number}`);
    if (issue.state !== 'OPEN') {
      issue.state = 'OPEN';
      issue.stateReason = 'REOPENED';
      issue.events.push({ type: 'reopened', actor, at: afterLastChange(issue) });
    }
    return issue;
  }

  // ---- views: plain objects whose function-valued fields graphql-js calls with (args, ctx, info)

  const actorView = (login) =>
    login
      ? {
          __typename: login.endsWith('[bot]') ? 'Bot' : 'User',
          login,
          url: `https://github.com/${login}`,
          resourcePath: `/${login}`,
          avatarUrl: `https://avatars.githubusercontent.com/${login}`,
        }
      : null;

  function labelView(name) {
    return {
      __typename: 'Label',
      id: nodeId('Label', name),
      name,
      color: name.startsWith('status:') ? 'd93f0b' : 'ededed',
      description: null,
      isDefault: false,
      url: `${repoUrl}/labels/${encodeURIComponent(name)}`,
      resourcePath: `/${owner}/${repoName}/labels/${encodeURIComponent(name)}`,
    };
  }

  function commentView(issue, comment) {
    const databaseId = Number(Buffer.from(comment.id, 'base64').toString('utf8').split(':')[1]) || 0;
    const url = `${repoUrl}/issues/${issue.number}#issuecomment-${databaseId}`;
    return {
      __typename: 'IssueComment',
      id: comment.id,
      databaseId,
      fullDatabaseId: String(databaseId),
      author: actorView(comment.author),
      authorAssociation: comment.authorAssociation,
      body: comment.body,
      bodyText: comment.body,
      createdAt: githubTime(comment.createdAt),
      at: comment.createdAt,
      updatedAt: githubTime(comment.updatedAt),
      lastEditedAt: comment.updatedAt === comment.createdAt ? null : githubTime(comment.updatedAt),
      includesCreatedEdit: comment.updatedAt !== comment.createdAt,
      url,
      resourcePath: url.slice('https://github.com'.length),
      isMinimized: false,
      minimizedReason: null,
      viewerDidAuthor: comment.author === viewer,
      viewerCanUpdate: true,
      viewerCanDelete: true,
      issue: () => issueView(issue),
      repository: () => repositoryView(),
    };
  }

  function eventView(issue, event, index) {
    const closed = event.type === 'closed';
    return {
      __typename: closed ? 'ClosedEvent' : 'ReopenedEvent',
      id: nodeId(closed ? 'ClosedEvent' : 'ReopenedEvent', `${issue.number}.${index}`),
      actor: actorView(event.actor),
      createdAt: githubTime(event.at),
      at: event.at,
      stateReason: event.stateReason ?? (closed ? 'COMPLETED' : 'REOPENED'),
      closer: null,
      closable: () => issueView(issue),
      url: `${repoUrl}/issues/${issue.number}#event-${index + 1}`,
      resourcePath: `/${owner}/${repoName}/issues/${issue.number}#event-${index + 1}`,
    };
  }

  /** An issue's last change in ms: itself, its comments, events and label changes. */
  function updatedAt(issue) {
    const times = [issue.createdAt, issue.updatedAt, ...issue.comments.map((comment) => comment.updatedAt), ...issue.events.map((event) => event.at)];
    return Math.max(0, ...times.map((time) => (time ? Date.parse(time) : Number.NaN)).filter((ms) => !Number.isNaN(ms)));
  }

  function issueView(issue) {
    const url = `${repoUrl}/issues/${issue.number}`;
    const lastClosed = [...issue.events].reverse().find((event) => event.type === 'closed');
    return {
      __typename: 'Issue',
      id: nodeId('Issue', issue.number),
      number: issue.number,
      title: issue.title,
      body: issue.body,
      state: issue.state,
      stateReason: ({ enableDuplicate }) =>
        issue.stateReason === 'DUPLICATE' && !enableDuplicate ? 'NOT_PLANNED' : issue.stateReason,
      closed: issue.state === 'CLOSED',
      closedAt: issue.state === 'CLOSED' ? githubTime(lastClosed?.at ?? issue.createdAt) : null,
      createdAt: githubTime(issue.createdAt),
      updatedAt: githubTime(new Date(updatedAt(issue)).toISOString()),
      url,
      resourcePath: url.slice('https://github.com'.length),
      locked: false,
      author: actorView(viewer),
      authorAssociation: viewerAssociation,
      viewerDidAuthor: true,
      repository: () => repositoryView(),
      labels: (args, _ctx, info) => connection(info, args, issue.labels.filter((name) => labels.has(name)).map(labelView)),
      comments: (args, _ctx, info) => connection(info, args, issue.comments.map((comment) => commentView(issue, comment))),
      timelineItems: (args, _ctx, info) => {
        const wanted = args.itemTypes ? new Set(args.itemTypes) : null;
        const items = [
          ...issue.events.map((event, index) => eventView(issue, event, index)),
          ...issue.comments.map((comment) => commentView(issue, comment)),
        ]
          .filter((item) => !wanted || wanted.has(TIMELINE_TYPES[item.__typename]))
          .filter((item) => !args.since || Date.parse(item.at) >= Date.parse(args.since))
          // The stored times, to the millisecond: the answer's are to the second and would tie.
          .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
        return connection(info, args, items.slice(args.skip ?? 0));
      },
    };
  }
  const TIMELINE_TYPES = { ClosedEvent: 'CLOSED_EVENT', ReopenedEvent: 'REOPENED_EVENT', IssueComment: 'ISSUE_COMMENT' };

  function notFound(message) {
    return new GraphQLError(message, { extensions: { type: 'NOT_FOUND' } });
  }

  function matchesOwner(o, n) {
    return o.toLowerCase() === owner.toLowerCase() && n.toLowerCase() === repoName.toLowerCase();
  }

  function repositoryView() {
    return {
      __typename: 'Repository',
      id: nodeId('Repository', repository),
      name: repoName,
      nameWithOwner: repository,
      owner: { __typename: 'Organization', login: owner, url: `https://github.com/${owner}`, id: nodeId('Organization', owner) },
      url: repoUrl,
      hasIssuesEnabled: true,
      viewerPermission: viewerAssociation === 'OWNER' || viewerAssociation === 'MEMBER' ? 'ADMIN' : viewerAssociation === 'COLLABORATOR' ? 'WRITE' : 'READ',
      issue: ({ number }) => {
        const issue = issues.get(number);
        if (!issue) throw notFound(`Could not resolve to an Issue with the number of ${number}.`);
        return issueView(issue);
      },
      issues: (args, _ctx, info) => {
        const states = args.states ?? null;
        const wanted = args.labels ?? null;
        const list = [...issues.values()]
          .filter((issue) => !states || states.includes(issue.state))
          // GitHub's `labels` argument matches issues carrying any of the names.
          .filter((issue) => !wanted || wanted.some((name) => issue.labels.includes(name)))
          .sort((a, b) => issueOrder(args.orderBy?.field)(a, b) || a.number - b.number);
        if (args.orderBy?.direction === 'DESC') list.reverse();
        return connection(info, args, list.map(issueView));
      },
      labels: (args, _ctx, info) => {
        const query = args.query?.toLowerCase();
        return connection(info, args, [...labels].filter((name) => !query || name.toLowerCase().includes(query)).map(labelView));
      },
      label: ({ name }) => {
        const found = [...labels].find((label) => label.toLowerCase() === name.toLowerCase());
        return found === undefined ? null : labelView(found);
      },
    };
  }

  /** IssueOrder's fields, ascending; without orderBy issues come by number. */
  function issueOrder(field) {
    if (field === 'UPDATED_AT') return (a, b) => updatedAt(a) - updatedAt(b);
    if (field === 'CREATED_AT') return (a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt);
    if (field === 'COMMENTS') return (a, b) => a.comments.length - b.comments.length;
    return () => 0;
  }

  /**
   * A Relay connection over `items` (GitHub's rules: exactly one of first/last in 1..100 on
   * the connections that need it, opaque cursors).
   */
  function connection(info, args, items) {
    const field = info.fieldName;
    if (args.first == null && args.last == null) {
      throw new GraphQLError(`You must provide a \`first\` or \`last\` value to properly paginate the \`${field}\` connection.`, {
        extensions: { type: 'MISSING_PAGINATION_BOUNDARIES' },
      });
    }
    for (const key of ['first', 'last']) {
      const value = args[key];
      if (value == null) continue;
      if (value < 0) throw new GraphQLError(`\`${key}\` on the \`${field}\` connection cannot be less than zero.`, { extensions: { type: 'INVALID_PAGINATION' } });
      if (value > MAX_PAGE) {
        throw new GraphQLError(`Requesting ${value} records on the \`${field}\` connection exceeds the \`${key}\` limit of ${MAX_PAGE} records.`, {
          extensions: { type: 'EXCESSIVE_PAGINATION' },
        });
      }
    }
    const cursor = (index) => Buffer.from(`cursor:v2:${index}`).toString('base64');
    const position = (value) => {
      const match = /^cursor:v2:(\d+)$/.exec(Buffer.from(String(value), 'base64').toString('utf8'));
      if (!match) throw new GraphQLError(`\`${value}\` does not appear to be a valid cursor.`, { extensions: { type: 'INVALID_CURSOR_ARGUMENTS' } });
      return Number(match[1]);
    };
    let start = args.after != null ? position(args.after) + 1 : 0;
    let end = args.before != null ? Math.min(position(args.before), items.length) : items.length;
    if (args.first != null) end = Math.min(end, start + args.first);
    if (args.last != null) start = Math.max(start, end - args.last);
    const page = items.slice(start, end).map((node, offset) => ({ node, cursor: cursor(start + offset) }));
    return {
      totalCount: items.length,
      issueCount: items.length,
      nodes: page.map((edge) => edge.node),
      edges: page,
      pageInfo: {
        hasNextPage: end < items.length,
        hasPreviousPage: start > 0,
        startCursor: page.length ? page[0].cursor : null,
        endCursor: page.length ? page.at(-1).cursor : null,
      },
    };
  }

  /** Resolves a global id to its issue, comment or label, or throws GitHub's NOT_FOUND. */
  function resolveNode(id) {
    const parsed = parseNodeId(id);
    if (parsed?.type === 'Issue' && issues.has(Number(parsed.key))) {
      const issue = issues.get(Number(parsed.key));
      return { kind: 'Issue', issue, view: issueView(issue) };
    }
    if (parsed?.type === 'IssueComment') {
      for (const issue of issues.values()) {
        const comment = issue.comments.find((candidate) => candidate.id === id);
        if (comment) return { kind: 'IssueComment', issue, comment, view: commentView(issue, comment) };
      }
    }
    if (parsed?.type === 'Label' && labels.has(parsed.key)) return { kind: 'Label', name: parsed.key, view: labelView(parsed.key) };
    if (parsed?.type === 'Repository' && parsed.key === repository) return { kind: 'Repository', view: repositoryView() };
    // Comments seeded with an id of the caller's choosing.
    for (const issue of issues.values()) {
      const comment = issue.comments.find((candidate) => candidate.id === id);
      if (comment) return { kind: 'IssueComment', issue, comment, view: commentView(issue, comment) };
    }
    throw notFound(`Could not resolve to a node with the global id of '${id}'`);
  }
  function resolveKind(id, kind, label) {
    const found = resolveNode(id);
    if (found.kind !== kind) throw notFound(`Could not resolve to ${label} with the global id of '${id}'`);
    return found;
  }

  /** GitHub's issue search, for the qualifiers the tool uses: repo:, is:/state:, label:, in:, and words. */
  function search({ query, type }) {
    if (type !== 'ISSUE') return [];
    const terms = query.match(/(?:[^\s"]+:)?"[^"]*"|\S+/g) ?? [];
    const filters = [];
    for (const term of terms) {
      const [key, rawValue] = term.includes(':') && !term.startsWith('"') ? splitOnce(term) : ['', term];
      const value = rawValue.replace(/^"|"$/g, '');
      const lower = value.toLowerCase();
      if (key === 'repo') filters.push(() => lower === repository.toLowerCase());
      else if ((key === 'is' || key === 'state') && (lower === 'open' || lower === 'closed')) {
        filters.push((issue) => issue.state === lower.toUpperCase());
      } else if (key === 'is' && (lower === 'issue' || lower === 'pr' || lower === 'pull-request')) {
        filters.push(() => lower === 'issue');
      } else if (key === 'label') filters.push((issue) => issue.labels.some((name) => name.toLowerCase() === lower));
      else if (key === 'in' || key === 'sort' || key === 'type') continue;
      else {
        const text = (key ? `${key}:` : '') + value;
        filters.push((issue) =>
          [issue.title, issue.body, ...issue.comments.map((comment) => comment.body)].some((body) => body.toLowerCase().includes(text.toLowerCase())),
        );
      }
    }
    return [...issues.values()].filter((issue) => filters.every((keep) => keep(issue))).sort((a, b) => b.number - a.number).map(issueView);
  }

  const queryRoot = () => ({
    viewer: { __typename: 'User', login: viewer, id: nodeId('User', viewer), url: `https://github.com/${viewer}`, name: viewer },
    rateLimit: () => ({
      limit: rateLimit.limit,
      cost: 1,
      remaining: Math.max(0, rateLimit.limit - rateLimit.used),
      used: rateLimit.used,
      resetAt: githubTime(rateLimit.resetAt.toISOString()),
      nodeCount: 1,
    }),
    repository: ({ owner: o, name: n }) => {
      if (!matchesOwner(o, n)) throw notFound(`Could not resolve to a Repository with the name '${o}/${n}'.`);
      return repositoryView();
    },
    node: ({ id }) => resolveNode(id).view,
    // An unknown id is a null entry with its own NOT_FOUND error (graphql-js completes an
    // Error in a list as null plus an error at that index), as GitHub answers.
    nodes: ({ ids }) =>
      ids.map((id) => {
        try {
          return resolveNode(id).view;
        } catch (error) {
          return error;
        }
      }),
    search: (args, _ctx, info) => connection(info, args, search(args)),
  });

  const mutationRoot = () => ({
    addComment: ({ input }) => {
      const { issue } = resolveKind(input.subjectId, 'Issue', 'an Issue');
      const { id } = addComment(issue.number, { author: viewer, authorAssociation: viewerAssociation, body: input.body });
      const comment = issue.comments.find((candidate) => candidate.id === id);
      const node = commentView(issue, comment);
      const cursor = Buffer.from(`cursor:v2:${issue.comments.length - 1}`).toString('base64');
      return { clientMutationId: input.clientMutationId ?? null, commentEdge: { cursor, node }, subject: issueView(issue), timelineEdge: { cursor, node } };
    },
    updateIssueComment: ({ input }) => {
      const { issue, comment } = resolveKind(input.id, 'IssueComment', 'an IssueComment');
      comment.body = input.body;
      comment.updatedAt = laterThan(comment.updatedAt);
      return { clientMutationId: input.clientMutationId ?? null, issueComment: commentView(issue, comment) };
    },
    closeIssue: ({ input }) => {
      const { issue } = resolveKind(input.issueId, 'Issue', 'an Issue');
      closeIssue(issue.number, { actor: viewer, stateReason: input.stateReason ?? 'COMPLETED' });
      return { clientMutationId: input.clientMutationId ?? null, issue: issueView(issue) };
    },
    reopenIssue: ({ input }) => {
      const { issue } = resolveKind(input.issueId, 'Issue', 'an Issue');
      reopenIssue(issue.number, { actor: viewer });
      return { clientMutationId: input.clientMutationId ?? null, issue: issueView(issue) };
    },
    addLabelsToLabelable: ({ input }) => {
      const { issue } = resolveKind(input.labelableId, 'Issue', 'a Labelable');
      const names = input.labelIds.map((id) => resolveKind(id, 'Label', 'a Label').name);
      for (const name of names) if (!issue.labels.includes(name)) issue.labels.push(name);
      issue.updatedAt = afterLastChange(issue);
      return { clientMutationId: input.clientMutationId ?? null, labelable: issueView(issue) };
    },
    removeLabelsFromLabelable: ({ input }) => {
      const { issue } = resolveKind(input.labelableId, 'Issue', 'a Labelable');
      const names = new Set(input.labelIds.map((id) => resolveKind(id, 'Label', 'a Label').name));
      issue.labels = issue.labels.filter((name) => !names.has(name));
      issue.updatedAt = afterLastChange(issue);
      return { clientMutationId: input.clientMutationId ?? null, labelable: issueView(issue) };
    },
  });

  // Stored times strictly after the ones they follow, so the timeline keeps the order things
  // happened in even within one millisecond (answers show them to the second, as GitHub does).
  function laterThan(previous) {
    const at = Date.now();
    const floor = Date.parse(previous) + 1;
    return new Date(Math.max(at, Number.isNaN(floor) ? at : floor)).toISOString();
  }
  function afterLastChange(issue) {
    return laterThan(new Date(updatedAt(issue)).toISOString());
  }

  /** Fails loudly on a field without a resolver instead of answering null for it. */
  function strictResolver(source, args, context, info) {
    if (source === null || typeof source !== 'object' || !(info.fieldName in source)) {
      throw new GraphQLError(`loopback GitHub: ${info.parentType.name}.${info.fieldName} is not implemented`);
    }
    const value = source[info.fieldName];
    return typeof value === 'function' ? value(args, context, info) : value;
  }

  /**
   * GitHub's wording for a field the schema lacks (the usual sign of a query written against
   * another schema version); other validation messages stay graphql-js's.
   */
  function validationError(error) {
    const formatted = error.toJSON();
    const match = /^Cannot query field "([^"]+)" on type "([^"]+)"\./.exec(formatted.message);
    if (!match) return formatted;
    return {
      ...formatted,
      message: `Field '${match[1]}' doesn't exist on type '${match[2]}'`,
      extensions: { code: 'undefinedField', typeName: match[2], fieldName: match[1] },
    };
  }

  /** GitHub puts an error's `type` next to its message, not under `extensions`. */
  function githubError(error) {
    const formatted = error.toJSON ? error.toJSON() : { message: String(error.message) };
    const { extensions, ...rest } = formatted;
    if (extensions?.type) return { type: extensions.type, ...rest };
    return extensions && Object.keys(extensions).length ? formatted : rest;
  }

  /** The request's operation name, or the first field it selects, for the request log. */
  function operationOf(document, operationName) {
    try {
      const operation = getOperationAST(document, operationName ?? undefined);
      if (!operation) return '';
      if (operation.name) return operation.name.value;
      const first = operation.selectionSet.selections.find((selection) => selection.kind === Kind.FIELD);
      return first ? first.name.value : '';
    } catch {
      return '';
    }
  }

  function rateHeaders(remaining = Math.max(0, rateLimit.limit - rateLimit.used)) {
    return {
      'x-ratelimit-limit': String(rateLimit.limit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': String(Math.floor(rateLimit.resetAt.getTime() / 1000)),
      'x-ratelimit-used': String(rateLimit.used),
      'x-ratelimit-resource': 'graphql',
      'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
    };
  }

  function send(res, entry, status, body, headers = {}) {
    entry.status = status;
    requests.push(entry);
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  async function handle(req, res) {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const raw = Buffer.concat(chunks).toString('utf8');
    const entry = { operation: '', query: '', variables: {}, status: 0, at: Date.now() };
    let payload = null;
    try {
      payload = JSON.parse(raw);
    } catch {
      payload = null;
    }
    let document = null;
    if (payload && typeof payload === 'object') {
      entry.query = typeof payload.query === 'string' ? payload.query : '';
      entry.variables = payload.variables && typeof payload.variables === 'object' ? payload.variables : {};
      try {
        document = parse(entry.query);
        entry.operation = operationOf(document, payload.operationName);
      } catch {
        document = null;
      }
    }

    const path = new URL(req.url ?? '/', 'http://github').pathname;
    // GitHub Enterprise Server serves GraphQL at /api/graphql; @octokit/graphql goes there for a /api/v3 baseUrl.
    if (path !== '/graphql' && path !== '/api/graphql') return send(res, entry, 404, NOT_FOUND_PATH);
    if (req.method !== 'POST') return send(res, entry, 404, NOT_FOUND_PATH);

    switch (fault) {
      case '401':
        return send(res, entry, 401, BAD_CREDENTIALS);
      case '403-secondary':
        return send(
          res,
          entry,
          403,
          {
            documentation_url: SECONDARY_DOCS,
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. ' +
              `If you reach out to GitHub Support for help, please include the request ID ${randomBytes(8).toString('hex').toUpperCase()}.`,
          },
          { 'retry-after': '60', ...rateHeaders() },
        );
      case 'rate-limited':
        return send(res, entry, 200, RATE_LIMITED, rateHeaders(0));
      case '502':
        return send(res, entry, 502, UNICORN, { 'content-type': 'text/html; charset=utf-8' });
      case 'hang':
        // No answer until close() (or the client gives up and drops the connection).
        entry.status = 0;
        requests.push(entry);
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      case 'malformed': {
        const text = JSON.stringify({ data: { viewer: { login: viewer } } });
        return send(res, entry, 200, text.slice(0, Math.floor(text.length / 2)), rateHeaders());
      }
    }

    if (!authorized(req.headers.authorization)) return send(res, entry, 401, BAD_CREDENTIALS);
    if (!payload || typeof payload !== 'object' || typeof payload.query !== 'string') {
      return send(res, entry, 400, { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/graphql' });
    }
    if (!document) {
      try {
        parse(entry.query);
      } catch (error) {
        return send(res, entry, 200, { errors: [githubError(error)] }, rateHeaders());
      }
    }
    const invalid = validate(schema, document);
    if (invalid.length) return send(res, entry, 200, { errors: invalid.map(validationError) }, rateHeaders());

    // The primary limit spent: GitHub answers 200 with RATE_LIMITED until the reset.
    if (rateLimit.used >= rateLimit.limit) return send(res, entry, 200, RATE_LIMITED, rateHeaders(0));
    const operation = getOperationAST(document, payload.operationName ?? undefined);
    rateLimit.used += 1;
    const result = await execute({
      schema,
      document,
      rootValue: operation?.operation === 'mutation' ? mutationRoot() : queryRoot(),
      variableValues: entry.variables,
      operationName: payload.operationName ?? undefined,
      fieldResolver: strictResolver,
    });
    const body = {};
    if (result.data !== undefined) body.data = result.data;
    if (result.errors?.length) body.errors = result.errors.map(githubError);
    return send(res, entry, 200, body, rateHeaders());
  }

  function authorized(header) {
    if (typeof header !== 'string') return false;
    const match = /^(bearer|token)\s+(\S+)$/i.exec(header.trim());
    return match !== null && match[2] === token;
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ errors: [{ message: `loopback GitHub: ${error.message}` }] }));
      } else res.destroy();
    });
  });
  let closing = null;
  const port = await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => resolve(server.address().port));
  });

  return {
    url: `http://${HOST}:${port}/graphql`,
    port,
    token,
    repository,
    viewer,
    requests,
    faults,
    issues,
    labels,
    rateLimit,
    addIssue,
    addComment,
    closeIssue,
    reopenIssue,
    /** Idempotent: a test may close early and its afterAll close again. */
    close() {
      closing ??= new Promise((resolve, reject) => {
        for (const res of hanging) res.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
