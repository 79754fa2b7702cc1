/**
 * What every request answers instead of its normal answer while set; null answers normally.
 * - `'401'`: 401 `{"message":"Bad credentials",…}`, as for a wrong token.
 * - `'403-secondary'`: 403 with `retry-after: 60` and GitHub's "You have exceeded a secondary
 *   rate limit. …" message.
 * - `'rate-limited'`: 200 with `errors: [{ type: 'RATE_LIMITED', … 'API rate limit exceeded for
 *   user ID 1.' }]` and `x-ratelimit-remaining: 0`, GitHub's primary limit on GraphQL.
 * - `'502'`: 502 with GitHub's HTML "Unicorn!" page.
 * - `'hang'`: no answer until the client gives up or close() drops the connection.
 * - `'malformed'`: 200 with a truncated JSON body (@octokit/graphql 9 then resolves `undefined`).
 */
export type GitHubFault = null | '401' | '403-secondary' | 'rate-limited' | '502' | 'hang' | 'malformed';

export type CommentAuthorAssociation =
  | 'COLLABORATOR'
  | 'CONTRIBUTOR'
  | 'FIRST_TIMER'
  | 'FIRST_TIME_CONTRIBUTOR'
  | 'MANNEQUIN'
  | 'MEMBER'
  | 'NONE'
  | 'OWNER';

export interface LoopbackComment {
  /** Its global node id (opaque, e.g. base64 of `IssueComment:12`). */
  id: string;
  author: string;
  authorAssociation: string;
  body: string;
  /** ISO 8601; answers show it to the second, as GitHub does. */
  createdAt: string;
  updatedAt: string;
}

export interface LoopbackEvent {
  type: 'closed' | 'reopened';
  actor: string;
  /** ISO 8601. */
  at: string;
  /** The ClosedEvent's stateReason; COMPLETED (closed) or REOPENED (reopened) when absent. */
  stateReason?: string;
}

/** An issue of the repository; tests may change any field directly between requests. */
export interface LoopbackIssue {
  number: number;
  title: string;
  state: 'OPEN' | 'CLOSED';
  /** COMPLETED | NOT_PLANNED | DUPLICATE | REOPENED, or null for an issue never closed. */
  stateReason: string | null;
  /** Label names; only those also in the repository's `labels` are answered. */
  labels: string[];
  /** Oldest first. */
  comments: LoopbackComment[];
  /** Closed and reopened events, oldest first. */
  events: LoopbackEvent[];
  body: string;
  createdAt: string;
  /**
   * Set by label changes (or a test); the issue's `updatedAt` answers the latest of this, its
   * creation, its comments' updates and its events. null by default.
   */
  updatedAt: string | null;
}

export interface GitHubRequest {
  /** The operation's name, else the first field it selects (`viewer`, `addComment`); '' when unparsable. */
  operation: string;
  query: string;
  variables: Record<string, unknown>;
  /** The status answered; 0 for a request held by the 'hang' fault. */
  status: number;
  /** When it arrived, in ms since the epoch. */
  at: number;
}

export interface GitHubOptions {
  /** The token requests must carry; a random one by default. */
  token?: string;
  /** `owner/name`; 'acme/demo' by default. Any other repository answers NOT_FOUND. */
  repository?: string;
  /** The token's own login, author of the comments written through the API; 'release-bot' by default. */
  viewer?: string;
  /** The `authorAssociation` of the viewer's comments; 'OWNER' by default. */
  viewerAssociation?: CommentAuthorAssociation;
  /** The repository's labels; by default bug, enhancement, status:blocked, status:released, status:in-progress. */
  labels?: string[];
  /** Port on 127.0.0.1; a free one by default. */
  port?: number;
}

export interface LoopbackGitHub {
  /** `http://127.0.0.1:PORT/graphql`, for GITHUB_GRAPHQL_URL. (`/api/graphql` answers too, as on GHES.) */
  readonly url: string;
  readonly port: number;
  /** Requests need `Authorization: bearer <token>` (or `token <token>`), else 401. */
  readonly token: string;
  readonly repository: string;
  readonly viewer: string;
  /** Every request, in the order answered (a hung one when it arrived). */
  readonly requests: GitHubRequest[];
  /** Set `next` to inject a fault into every request while set; an unknown value throws. */
  readonly faults: { next: GitHubFault };
  readonly issues: Map<number, LoopbackIssue>;
  /** The repository's labels (status:blocked, status:released, …). */
  readonly labels: Set<string>;
  /**
   * The primary rate limit: each executed request uses 1 point; once `used` reaches `limit`
   * requests answer 200 with a RATE_LIMITED error, as GitHub does. Tests may set any field.
   */
  readonly rateLimit: { limit: number; used: number; resetAt: Date };
  /** Adds issue `number` (open, no comments unless given); its labels join the repository's. Throws when it exists. */
  addIssue(number: number, fields?: Partial<LoopbackIssue>): LoopbackIssue;
  /** Adds a comment as if `author` wrote it now (or at `createdAt`); returns its node id. Throws for an unknown issue. */
  addComment(
    issue: number,
    comment: { author: string; authorAssociation: string; body: string; createdAt?: string; updatedAt?: string; id?: string },
  ): { id: string };
  /**
   * Closes the issue as `actor` ('maintainer' by default) would on GitHub: state CLOSED, the
   * reason (COMPLETED by default) and a closed event. Throws for an unknown issue.
   */
  closeIssue(number: number, by?: { actor?: string; stateReason?: 'COMPLETED' | 'NOT_PLANNED' | 'DUPLICATE' }): LoopbackIssue;
  /** Reopens it as `actor` would: state OPEN, reason REOPENED and a reopened event. */
  reopenIssue(number: number, by?: { actor?: string }): LoopbackIssue;
  /** Ends hung requests, drops connections and stops listening; calling it again is harmless. */
  close(): Promise<void>;
}

/**
 * Starts a GitHub GraphQL endpoint on 127.0.0.1: each request is validated against GitHub's
 * published schema and executed over the in-memory repository. It answers from this event
 * loop: run processes that use it with the asynchronous `spawn`.
 */
export function startGitHub(options?: GitHubOptions): Promise<LoopbackGitHub>;

/**
 * The messages of GitHub's published schema (the SDL this server validates with) for a query
 * or mutation string, with graphql-js's "Did you mean" hints; empty when it is valid.
 */
export function validateGitHubQuery(source: string): Promise<string[]>;
