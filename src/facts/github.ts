// The GitHub connection (GraphQL through @octokit/graphql): where to ask, with which token,
// about which repository, with a deadline on every request, and every failure said as one
// reason string (the `github` fact's `unavailable` entry, or the line `policy run` prints when
// its status comment could not be posted). The environment and the folder are inputs: this
// module never reads the process environment, so a caller (the hook daemon) can hand each request its own.
//
// The token is only ever put in the Authorization header. It is not part of any reason,
// fact or error message this module produces: GitHub's error text is passed through a
// redaction of the token before it becomes a reason.
import { graphql, GraphqlResponseError } from '@octokit/graphql';
import type { GitHubConfig } from '../policy/model.js';
import { createRedactor, redactUrl } from '../release/redact.js';
import { runGit } from './git.js';

export const DEFAULT_GRAPHQL_URL = 'https://api.github.com/graphql';
const DEFAULT_TIMEOUT_MS = 10_000;

export interface GitHubConnection {
  endpoint: string;
  /** Never printed: see the module comment. */
  token: string;
  owner: string;
  name: string;
  /** owner/name */
  repository: string;
  timeoutMs: number;
  /** The setting that sets the deadline, named when it passes; default POLICY_GITHUB_TIMEOUT. */
  timeoutSetting?: string;
  toolVersion: string;
}

export interface ConnectInput {
  cwd: string;
  env: NodeJS.ProcessEnv;
  config: Pick<GitHubConfig, 'repository' | 'graphqlUrl'>;
  offline: boolean;
  toolVersion?: string;
}

/** GitHub could not be asked, or did not answer usefully: `message` is the reason, without the token. */
export class GitHubUnavailable extends Error {
  constructor(message: string, readonly kind: 'offline' | 'no-token' | 'no-repository' | 'auth' | 'rate-limited' | 'not-found' | 'server' | 'timeout' | 'malformed' | 'network') {
    super(message);
  }
}

/** The endpoint: GITHUB_GRAPHQL_URL, else the policy's github.graphqlUrl, else $GITHUB_API_URL/graphql, else github.com's. */
export function graphqlEndpoint(env: NodeJS.ProcessEnv, configured: string): string {
  if (env.GITHUB_GRAPHQL_URL) return env.GITHUB_GRAPHQL_URL;
  if (configured) return configured;
  if (env.GITHUB_API_URL) return `${env.GITHUB_API_URL.replace(/\/+$/, '')}/graphql`;
  return DEFAULT_GRAPHQL_URL;
}

/** A hook's deadline: POLICY_GITHUB_HOOK_TIMEOUT seconds (a positive number), else 2 s. */
export function githubHookTimeoutMs(env: NodeJS.ProcessEnv): number {
  const seconds = Number(env.POLICY_GITHUB_HOOK_TIMEOUT);
  return env.POLICY_GITHUB_HOOK_TIMEOUT && Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : 2_000;
}

/** The request deadline: POLICY_GITHUB_TIMEOUT seconds (a positive number), else 10 s. */
export function githubTimeoutMs(env: NodeJS.ProcessEnv): number {
  const seconds = Number(env.POLICY_GITHUB_TIMEOUT);
  return env.POLICY_GITHUB_TIMEOUT && Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : DEFAULT_TIMEOUT_MS;
}

/**
 * `owner/name` from a remote URL: `https://github.com/o/n(.git)`, `git@github.com:o/n.git`,
 * `ssh://git@host(:port)/o/n`; null for anything else (a local path, a URL with more segments).
 */
export function repositoryFromUrl(url: string): string | null {
  const trimmed = url.trim();
  let path: string | null = null;
  const scp = /^[^/@\s]+@[^:/\s]+:(.+)$/.exec(trimmed);
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) path = scp[1] ?? null;
  else {
    try {
      const parsed = new URL(trimmed);
      if (['https:', 'http:', 'ssh:', 'git:', 'git+ssh:', 'ssh+git:'].includes(parsed.protocol)) path = parsed.pathname;
    } catch {
      return null;
    }
  }
  if (path === null) return null;
  const parts = path.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '').split('/');
  if (parts.length !== 2 || !parts.every((part) => /^[A-Za-z0-9_.-]+$/.test(part))) return null;
  return `${parts[0]}/${parts[1]}`;
}

const OWNER_NAME = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/;

/** The repository: the policy's github.repository, else GITHUB_REPOSITORY, else the origin remote's URL. */
export async function resolveRepository(cwd: string, env: NodeJS.ProcessEnv, configured: string): Promise<string> {
  if (configured) return configured;
  if (env.GITHUB_REPOSITORY && OWNER_NAME.test(env.GITHUB_REPOSITORY)) return env.GITHUB_REPOSITORY;
  let url = '';
  try {
    url = (await runGit(cwd, env, ['config', '--get', 'remote.origin.url'], [1])).stdout.trim();
  } catch {
    url = '';
  }
  const found = url === '' ? null : repositoryFromUrl(url);
  if (found !== null) return found;
  throw new GitHubUnavailable(
    url === ''
      ? 'no GitHub repository: set `github.repository: owner/name` in release-policy.yml (or GITHUB_REPOSITORY); the `origin` remote is not set'
      : 'no GitHub repository: the `origin` remote is not a GitHub URL; set `github.repository: owner/name` in release-policy.yml (or GITHUB_REPOSITORY)',
    'no-repository',
  );
}

export const OFFLINE_REASON = 'offline: GitHub is not asked (--offline or POLICY_OFFLINE=1); run without it where GitHub is reachable';
export const NO_TOKEN_REASON = 'no GitHub token: set GITHUB_TOKEN (or GH_TOKEN) to a token that can read the repository\'s issues';

/** Everything a request needs, or GitHubUnavailable saying why GitHub is not asked. */
export async function connect(input: ConnectInput): Promise<GitHubConnection> {
  if (input.offline) throw new GitHubUnavailable(OFFLINE_REASON, 'offline');
  const token = input.env.GITHUB_TOKEN || input.env.GH_TOKEN || '';
  if (token === '') throw new GitHubUnavailable(NO_TOKEN_REASON, 'no-token');
  const repository = await resolveRepository(input.cwd, input.env, input.config.repository);
  const [owner = '', name = ''] = repository.split('/');
  return {
    endpoint: graphqlEndpoint(input.env, input.config.graphqlUrl),
    token,
    owner,
    name,
    repository,
    timeoutMs: githubTimeoutMs(input.env),
    toolVersion: input.toolVersion ?? '',
  };
}

/** The answer's data; its shape is for the caller to check. */
export interface GitHubAnswer {
  data: unknown;
}

/**
 * One GraphQL request with its own deadline. Every failure becomes GitHubUnavailable with a
 * reason naming what happened and what to do; GitHub's own words are kept, the token never.
 */
export async function githubRequest(connection: GitHubConnection, query: string, variables: Record<string, unknown>): Promise<GitHubAnswer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), connection.timeoutMs);
  // An endpoint may carry credentials (https://user:pass@host/graphql): never in a reason.
  const where = `GitHub (${redactUrl(connection.endpoint)})`;
  try {
    // `url` and `headers` as defaults: given with the variables, `url` would be refused as one.
    const client = graphql.defaults({
      url: connection.endpoint,
      headers: {
        authorization: `bearer ${connection.token}`,
        'user-agent': `release-policy/${connection.toolVersion || 'dev'}`,
      },
      request: { signal: controller.signal },
    });
    const data: unknown = await client(query, variables);
    // @octokit/graphql answers `undefined`, without an error, for a body that is not GraphQL's JSON.
    if (data === undefined || data === null || typeof data !== 'object') {
      throw new GitHubUnavailable(`${where} gave a malformed answer (no GraphQL data); try again later`, 'malformed');
    }
    return { data };
  } catch (error) {
    if (error instanceof GitHubUnavailable) throw error;
    if (controller.signal.aborted) {
      throw new GitHubUnavailable(
        `${where} did not answer within ${connection.timeoutMs / 1000} s (${connection.timeoutSetting ?? 'POLICY_GITHUB_TIMEOUT'}); try again later`,
        'timeout',
      );
    }
    throw classify(error, connection, where);
  } finally {
    clearTimeout(timer);
  }
}

function classify(error: unknown, connection: GitHubConnection, where: string): GitHubUnavailable {
  // GitHub's and fetch's words may quote the token or the endpoint with its credentials.
  const urls = createRedactor([], {});
  const hide = (text: string): string => urls.text(connection.token === '' ? text : text.split(connection.token).join('***'));
  const repo = connection.repository;
  if (error instanceof GraphqlResponseError) {
    const errors = (error.errors ?? []) as { type?: string; message?: string; path?: unknown[] }[];
    const headers = (error.headers ?? {}) as Record<string, string | undefined>;
    const first = errors[0];
    const words = hide(errors.map((e) => e.message ?? '').filter(Boolean).join('; '));
    if (errors.some((e) => e.type === 'RATE_LIMITED')) {
      return new GitHubUnavailable(`${where}: rate limited (RATE_LIMITED)${resetWords(headers)}; try again after that`, 'rate-limited');
    }
    if (errors.some((e) => e.type === 'NOT_FOUND')) {
      const onIssue = errors.some((e) => e.type === 'NOT_FOUND' && Array.isArray(e.path) && e.path.includes('issue'));
      return new GitHubUnavailable(
        onIssue
          ? `${where}: ${words || 'issue not found'} (404: the issue does not exist in ${repo}); check the release's issue number`
          : `${where}: repository ${repo} not found (404) or the token cannot see it; check github.repository and the token's access`,
        'not-found',
      );
    }
    if (errors.some((e) => e.type === 'FORBIDDEN' || e.type === 'INSUFFICIENT_SCOPES')) {
      return new GitHubUnavailable(`${where}: the token may not do this (${first?.type}): ${words}; give it issues: read and write on ${repo}`, 'auth');
    }
    return new GitHubUnavailable(`${where} answered with errors: ${words || 'unknown error'}`, 'malformed');
  }
  const response = (error as { response?: { headers?: Record<string, string | undefined> } }).response;
  // @octokit/request gives a request that got no answer (refused, reset, no such host) status
  // 500 without a response: that is no server error, and said as what it is.
  if (response === undefined) {
    // Its message is fetch's own cause: `connect ECONNREFUSED 127.0.0.1:9`, `getaddrinfo ENOTFOUND host`.
    const why = error instanceof Error ? error.message : String(error);
    return new GitHubUnavailable(`${where} could not be reached: ${hide(why)}; check the endpoint and the network`, 'network');
  }
  const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 0;
  const headers = (response.headers ?? {}) as Record<string, string | undefined>;
  if (status === 401) {
    return new GitHubUnavailable(`${where}: 401 bad credentials: the token in GITHUB_TOKEN/GH_TOKEN was refused; set a valid token`, 'auth');
  }
  if (status === 403 || status === 429) {
    const retry = headers['retry-after'];
    if (retry !== undefined || headers['x-ratelimit-remaining'] === '0' || status === 429) {
      const when = retry !== undefined ? `; retry after ${retry} s` : resetWords(headers);
      return new GitHubUnavailable(`${where}: ${status} rate limited (secondary limit)${when}`, 'rate-limited');
    }
    return new GitHubUnavailable(`${where}: 403 forbidden: the token may not read ${repo}; give it access to the repository's issues`, 'auth');
  }
  if (status === 404) {
    return new GitHubUnavailable(`${where}: 404 not found: check the endpoint (GITHUB_GRAPHQL_URL, github.graphqlUrl) and github.repository (${repo})`, 'not-found');
  }
  if (status >= 500) {
    return new GitHubUnavailable(`${where}: ${status} server error; try again later`, 'server');
  }
  const message = hide(error instanceof Error ? error.message : String(error));
  return new GitHubUnavailable(`${where} could not be reached: ${message}`, 'network');
}

/** ` until <time>` from x-ratelimit-reset (epoch seconds), or "". */
function resetWords(headers: Record<string, string | undefined>): string {
  const reset = Number(headers['x-ratelimit-reset']);
  return Number.isFinite(reset) && reset > 0 ? ` until ${new Date(reset * 1000).toISOString()}` : '';
}
