/**
 * The release state as the issue carries it: the hidden state of the tool's status comments
 * (see `renderStatusComment`), read only from trusted authors, and folded with the local
 * journal's state so that a clone or CI job without a journal sees a blocked, unknown or
 * released release. Pure: the comments come from the `github` fact, the times from the caller.
 *
 * The hidden state is JSON written by any version of this tool, possibly an older one, and
 * it arrives over the network: it is validated field by field (missing fields get defaults,
 * a wrong type or value makes the whole comment ignored with the reason), control characters
 * are removed from its text, and nothing here throws on it.
 */
import { STATE_MARKER } from './comment.js';
import {
  CONTENT_VALUES, PHASES, PUBLISHED_VALUES,
  type Evidence, type JournalEvent, type Phase, type Published, type ReleaseDecision, type ReleaseState, type ReleaseStatus, type RunningStep,
} from './model.js';
import type { Ecosystem } from './state.js';

/** One issue comment, as the `github` fact gives it (structurally its `GitHubComment`). */
export interface IssueComment {
  id: string;
  author: string;
  authorAssociation: string;
  createdAt: string;
  /** The status comment is updated in place: its last edit is when it said what it says. */
  updatedAt?: string;
  body: string;
}

/** Who may speak for the release besides the token's own user (GitHub's `authorAssociation`). */
export const DEFAULT_TRUSTED: readonly string[] = ['OWNER', 'MEMBER', 'COLLABORATOR'];

export interface ReadOptions {
  /** The token's own login (the fact's `viewer`): its comments are the tool's own. */
  viewer: string;
  /** Trusted `authorAssociation` values; default {@link DEFAULT_TRUSTED}. */
  trusted?: readonly string[];
  /** The package whose release is read; absent: any package. */
  package?: string | null;
  /** For the commands a state without them names; default cargo. */
  ecosystem?: Ecosystem;
}

/** A comment that carries a status (the hidden state or a `Status:` line) and is not counted. */
export interface IgnoredComment {
  id: string;
  author: string;
  authorAssociation: string;
  why: string;
}

/** A trusted status comment and the state it carries. */
export interface CountedState {
  state: ReleaseState;
  comment: IssueComment;
  /** When the comment last said it: its `updatedAt`, else its `createdAt`. */
  at: string;
}

export interface IssueComments {
  /** The newest trusted state of the package, or null when the issue carries none. */
  latest: CountedState | null;
  ignored: IgnoredComment[];
}

/** Statuses a clone without a journal takes from the issue: those that hold the loop. */
const FROM_ISSUE: readonly ReleaseStatus[] = ['blocked', 'unknown', 'released'];

const STATUSES: readonly ReleaseStatus[] = ['idle', 'in-progress', 'blocked', 'unknown', 'released', 'closed', 'abandoned'];

/** Any spelling of the marker, for reporting look-alikes (`<!--release-policy:state`). */
const MARKER_LIKE = /<!--\s*release-policy:state/i;

/**
 * A status line as people write them (`Status: blocked`, `**Status:** blocked`, `> Status:`):
 * such a comment claims a state, so when it is not counted it is reported.
 */
const STATUS_LINE = /^[\t >*_#-]*status[*_]*\s*:/im;

/** Package names of crates.io and npm (`@scope/name`); anything else is not a name we wrote. */
const PACKAGE_NAME = /^[@A-Za-z0-9._~/-]{1,214}$/;
/** Semantic versions with pre-release and build parts. */
const VERSION_TEXT = /^[0-9A-Za-z.+-]{1,128}$/;

/**
 * Control characters (but tab and newline), DEL, C1 controls and bidirectional overrides: the
 * state's text is printed on terminals and in comments, and none of these belongs there.
 */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/** Why a hidden state is not used; thrown and caught inside this module only. */
class Invalid {
  constructor(readonly why: string) {}
}

function fail(why: string): never {
  throw new Invalid(why);
}

type Json = Record<string, unknown>;

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value).slice(0, 40)}`;
}

/** A field, with JSON null taken as missing. */
function field(o: Json, key: string): unknown {
  const value = Object.hasOwn(o, key) ? o[key] : undefined;
  return value === null ? undefined : value;
}

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${path} is ${kind(value)}, not an object`);
  return value as Json;
}

function text(o: Json, key: string, path: string, fallback: string): string {
  const value = field(o, key);
  if (value === undefined) return fallback;
  if (typeof value !== 'string') fail(`${path}.${key} is ${kind(value)}, not text`);
  return value.replace(UNPRINTABLE, '');
}

function textOrNull(o: Json, key: string, path: string): string | null {
  return field(o, key) === undefined ? null : text(o, key, path, '');
}

function name(o: Json, key: string, path: string, pattern: RegExp): string | null {
  const value = field(o, key);
  if (value === undefined) return null;
  if (typeof value !== 'string' || !pattern.test(value)) fail(`${path}.${key} is ${kind(value)}, not a ${key === 'package' ? 'package name' : 'version'}`);
  return value;
}

function integerOrNull(o: Json, key: string, path: string): number | null {
  const value = field(o, key);
  if (value === undefined) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(`${path}.${key} is ${kind(value)}, not a whole number`);
  return value;
}

function flag(o: Json, key: string, path: string): boolean {
  const value = field(o, key);
  if (value === undefined) return false;
  if (typeof value !== 'boolean') fail(`${path}.${key} is ${kind(value)}, not true or false`);
  return value;
}

function oneOf<T extends string>(o: Json, key: string, path: string, values: readonly T[], fallback: T | undefined): T {
  const value = field(o, key);
  if (value === undefined) {
    if (fallback === undefined) fail(`${path} has no ${key}`);
    return fallback;
  }
  if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
    fail(`${path}.${key} is ${kind(value)}, not one of ${values.join(', ')}`);
  }
  return value as T;
}

function list<T>(o: Json, key: string, path: string, item: (value: unknown, path: string) => T): T[] {
  const value = field(o, key);
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(`${path}.${key} is ${kind(value)}, not a list`);
  return value.map((v, i) => item(v, `${path}.${key}[${i}]`));
}

function optional<T>(o: Json, key: string, path: string, read: (value: Json, path: string) => T): T | undefined {
  const value = field(o, key);
  return value === undefined ? undefined : read(object(value, `${path}.${key}`), `${path}.${key}`);
}

const DEFAULT_COMMANDS: Record<Ecosystem, ReleaseState['commands']> = {
  cargo: { dryRun: 'policy run -- cargo publish --dry-run', publish: 'policy run -- cargo publish' },
  npm: { dryRun: 'policy run -- npm publish --dry-run', publish: 'policy run -- npm publish' },
};

/**
 * The release state of a status comment's hidden JSON, validated: `{ state }`, or `{ why }`
 * when it cannot be used. Fields this tool adds later are dropped; fields an older version did
 * not write get the fold's defaults (`published` unknown, since nothing says it is not). A
 * running step is `alive: unknown`: its process was looked at on another machine, if at all.
 */
export function stateFromJson(json: unknown, ecosystem: Ecosystem = 'cargo'): { state: ReleaseState } | { why: string } {
  try {
    return { state: readState(json, ecosystem) };
  } catch (e) {
    if (e instanceof Invalid) return { why: e.why };
    return { why: `the hidden state could not be read (${e instanceof Error ? e.message : String(e)})` };
  }
}

function readState(json: unknown, ecosystem: Ecosystem): ReleaseState {
  const p = 'the hidden state';
  const o = object(json, p);
  const status = oneOf(o, 'status', p, STATUSES, undefined);
  const issue = integerOrNull(o, 'issue', p);
  if (issue !== null && issue <= 0) fail(`${p}.issue is ${issue}, not an issue number`);
  const phase = (v: Json, at: string): Phase => oneOf(v, 'phase', at, PHASES, undefined);
  const failureJson = field(o, 'failure');
  const failure = failureJson === undefined ? null : ((f: Json, at: string) => ({
    phase: phase(f, at),
    command: text(f, 'command', at, ''),
    exitCode: integerOrNull(f, 'exitCode', at),
    error: text(f, 'error', at, ''),
    at: text(f, 'at', at, ''),
    reason: text(f, 'reason', at, ''),
  }))(object(failureJson, `${p}.failure`), `${p}.failure`);
  const decision = (v: unknown, at: string): ReleaseDecision => {
    const d = object(v, at);
    return { version: name(d, 'version', at, VERSION_TEXT) ?? fail(`${at} has no version`), reason: text(d, 'reason', at, ''), at: text(d, 'at', at, '') };
  };
  const completed = list(o, 'completed', p, (v, at) => {
    if (typeof v !== 'string') fail(`${at} is ${kind(v)}, not a phase`);
    return v;
  }).filter((v): v is Phase => (PHASES as readonly string[]).includes(v)); // phases of a newer version: not ours to judge
  const commandsJson = field(o, 'commands');
  const commands = commandsJson === undefined ? DEFAULT_COMMANDS[ecosystem] : ((c: Json, at: string) => ({
    dryRun: text(c, 'dryRun', at, DEFAULT_COMMANDS[ecosystem].dryRun),
    publish: text(c, 'publish', at, DEFAULT_COMMANDS[ecosystem].publish),
  }))(object(commandsJson, `${p}.commands`), `${p}.commands`);
  const evidence = (v: unknown, at: string): Evidence => {
    const e = object(v, at);
    return { source: text(e, 'source', at, ''), status: integerOrNull(e, 'status', at), at: text(e, 'at', at, ''), detail: text(e, 'detail', at, '') };
  };
  const running = (v: unknown, at: string): RunningStep => {
    const r = object(v, at);
    return { phase: phase(r, at), at: text(r, 'at', at, ''), command: text(r, 'command', at, ''), pid: integerOrNull(r, 'pid', at), host: textOrNull(r, 'host', at), alive: 'unknown' };
  };
  const state: ReleaseState = {
    package: name(o, 'package', p, PACKAGE_NAME),
    version: name(o, 'version', p, VERSION_TEXT),
    issue,
    status,
    failure,
    published: oneOf<Published>(o, 'published', p, PUBLISHED_VALUES, 'unknown'),
    decisions: list(o, 'decisions', p, decision),
    completed,
    verifiedSinceFailure: flag(o, 'verifiedSinceFailure', p),
    nextAction: text(o, 'nextAction', p, "read the status comment on the release's issue"),
    commands,
    taken: flag(o, 'taken', p),
    running: list(o, 'running', p, running),
  };
  const lastDryRunOk = optional(o, 'lastDryRunOk', p, (d, at) => ({
    version: name(d, 'version', at, VERSION_TEXT) ?? fail(`${at} has no version`), commit: textOrNull(d, 'commit', at), at: text(d, 'at', at, ''),
  }));
  if (lastDryRunOk !== undefined) state.lastDryRunOk = lastDryRunOk;
  const lastVerification = optional(o, 'lastVerification', p, (v, at) => ({
    published: oneOf<Published>(v, 'published', at, PUBLISHED_VALUES, 'unknown'),
    at: text(v, 'at', at, ''),
    content: field(v, 'content') === '' ? ('' as const) : oneOf(v, 'content', at, CONTENT_VALUES, 'unknown'),
    evidence: list(v, 'evidence', at, evidence),
  }));
  if (lastVerification !== undefined) state.lastVerification = lastVerification;
  const abandoned = optional(o, 'abandoned', p, (a, at) => ({ reason: text(a, 'reason', at, ''), at: text(a, 'at', at, '') }));
  if (abandoned !== undefined) state.abandoned = abandoned;
  const notTheStep = optional(o, 'notTheStep', p, (n, at) => ({ phase: phase(n, at), command: text(n, 'command', at, ''), at: text(n, 'at', at, '') }));
  if (notTheStep !== undefined) state.notTheStep = notTheStep;
  return state;
}

/** GitHub logins are case-insensitive, and an app's comments name it without the `[bot]` its own login has. */
function sameLogin(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/\[bot\]$/, '');
  return a !== '' && b !== '' && norm(a) === norm(b);
}

/** Whether the comment speaks for the release: the token's user, or a trusted association. */
function isTrusted(comment: IssueComment, viewer: string, trusted: readonly string[]): boolean {
  if (sameLogin(comment.author, viewer)) return true;
  const association = comment.authorAssociation.toUpperCase();
  return trusted.some((t) => t.toUpperCase() === association);
}

/**
 * The hidden state lines of a body as the tool writes them: on a line of their own, outside
 * fenced code (a quote reply `> <!-- ...`, an indented or fenced example is someone showing
 * a comment, not the comment).
 */
function markerLines(body: string): string[] {
  const found: string[] = [];
  let fence: string | null = null;
  for (const line of body.split(/\r?\n/)) {
    const opens = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (opens !== null) {
      const mark = opens[1]!;
      if (fence === null) fence = mark;
      else if (mark[0] === fence[0] && mark.length >= fence.length) fence = null;
      continue;
    }
    if (fence === null && line.startsWith(STATE_MARKER)) found.push(line);
  }
  return found;
}

/** When the comment last said what it says. */
function commentTime(c: IssueComment): string {
  const updated = c.updatedAt ?? '';
  return time(updated) > time(c.createdAt) ? updated : c.createdAt;
}

/** Milliseconds of an ISO time; unreadable times sort first. */
function time(at: string | null): number {
  const ms = at === null ? NaN : Date.parse(at);
  return Number.isNaN(ms) ? -Infinity : ms;
}

interface Reading {
  counted: CountedState[];
  ignored: IgnoredComment[];
}

/** Every status comment of the list: the trusted states (any package) and what is ignored. */
function readAll(comments: readonly IssueComment[], options: ReadOptions): Reading {
  const trusted = options.trusted ?? DEFAULT_TRUSTED;
  const counted: CountedState[] = [];
  const ignored: IgnoredComment[] = [];
  for (const comment of comments) {
    const body = typeof comment.body === 'string' ? comment.body : '';
    const markerLike = MARKER_LIKE.test(body);
    if (!markerLike && !STATUS_LINE.test(body)) continue; // an ordinary comment
    const ignore = (why: string) => ignored.push({ id: comment.id, author: comment.author, authorAssociation: comment.authorAssociation, why });
    if (!isTrusted(comment, options.viewer, trusted)) {
      const who = comment.author === '' ? 'an unknown author' : comment.author;
      ignore(
        `${markerLike ? 'it carries a release state marker' : 'it has a `Status:` line'}, but it was written by ${who} ` +
        `(${comment.authorAssociation || 'no association'}), who is neither the token's user${options.viewer === '' ? '' : ` (${options.viewer})`} ` +
        `nor ${trusted.join(', ')}: it is not read as the release state`,
      );
      continue;
    }
    const lines = markerLines(body);
    if (lines.length === 0) {
      ignore(markerLike
        ? 'its release state marker is not on a line of its own outside code (quoted or shown as an example): it is not read as the release state'
        : "it has a `Status:` line but not the tool's hidden state: a hand-written status is not read as the release state");
      continue;
    }
    if (lines.length > 1) {
      ignore(`it carries ${lines.length} hidden release states where the tool writes one: none of them is read`);
      continue;
    }
    const line = lines[0]!.trimEnd();
    if (!line.endsWith(' -->')) {
      ignore('its hidden state is not closed by ` -->` on the same line: it is not read');
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(line.slice(STATE_MARKER.length, -' -->'.length));
    } catch {
      ignore('its hidden state is not valid JSON: it is not read');
      continue;
    }
    const read = stateFromJson(json, options.ecosystem);
    if ('why' in read) {
      ignore(`${read.why}: it is not read`);
      continue;
    }
    counted.push({ state: read.state, comment, at: commentTime(comment) });
  }
  return { counted, ignored };
}

/** The newest of the states; of equal times the later in the list (comments come oldest first). */
function newest(states: readonly CountedState[]): CountedState | null {
  let best: CountedState | null = null;
  for (const s of states) if (best === null || time(s.at) >= time(best.at)) best = s;
  return best;
}

/**
 * The release state the issue's comments carry for a package: the newest hidden state of a
 * comment by the token's user or a trusted association. Every other comment that carries the
 * marker (or a look-alike) or a `Status:` line is in `ignored` with the reason, and never
 * counted; so is a trusted comment whose hidden state is garbled, of another package, quoted
 * or repeated.
 */
export function readIssueComments(comments: readonly IssueComment[], options: ReadOptions): IssueComments {
  const { counted, ignored } = readAll(comments, options);
  const pkg = options.package ?? null;
  const mine: CountedState[] = [];
  for (const c of counted) {
    if (pkg === null || c.state.package === pkg) {
      mine.push(c);
      continue;
    }
    ignored.push({
      id: c.comment.id, author: c.comment.author, authorAssociation: c.comment.authorAssociation,
      why: `its hidden state is of ${c.state.package === null ? 'no named package' : `package ${c.state.package}`}, not ${pkg}`,
    });
  }
  return { latest: newest(mine), ignored };
}

/**
 * When the journal last said something about the package's release: the newest time of its
 * events, `comment` events left out (posting the status comment changes no state). Null when
 * the journal holds none: a clone that has not run a step of this release.
 */
export function journalTime(events: readonly JournalEvent[], pkg: string | null): string | null {
  let latest: string | null = null;
  for (const e of events) {
    if (e.type === 'comment' || (pkg !== null && e.package !== pkg)) continue;
    if (latest === null || time(e.at) >= time(latest)) latest = e.at;
  }
  return latest;
}

export type StateSource = 'journal' | 'issue' | 'both';

export interface MergedState {
  state: ReleaseState;
  /** `both`: the journal and the issue agree (the journal's state is used: it is first-hand). */
  source: StateSource;
  /** One sentence for `policy status` when the two disagree; null when they do not. */
  disagreement: string | null;
}

/** What a shared state is compared on: a difference here is a disagreement. */
function sameRelease(a: ReleaseState, b: ReleaseState): boolean {
  return a.package === b.package && a.version === b.version && a.status === b.status && a.published === b.published;
}

function describe(state: ReleaseState): string {
  const v = state.version === null ? '' : ` v${state.version}`;
  return `${state.package ?? 'the package'}${v} is ${state.status} (published: ${state.published})`;
}

/**
 * The release state of this clone: the journal's, and the issue's where it knows more. A
 * clone without journal events for the package (`local.at` null) takes a blocked, unknown or
 * released state from the issue. When both exist, the newer wins (the journal on a tie:
 * it is first-hand); if they differ in package, version, status or published, a sentence says
 * how. Times are the journal's last event and the comment's last edit: clocks of two machines,
 * so a skew larger than the time between two steps can pick the wrong one, and is named.
 */
export function mergeSharedState(
  local: { state: ReleaseState; at: string | null },
  shared: { state: ReleaseState; at: string; issue?: number } | null,
): MergedState {
  if (shared === null) return { state: local.state, source: 'journal', disagreement: null };
  if (local.at === null) {
    return FROM_ISSUE.includes(shared.state.status)
      ? { state: shared.state, source: 'issue', disagreement: null }
      : { state: local.state, source: 'journal', disagreement: null };
  }
  if (sameRelease(local.state, shared.state)) return { state: local.state, source: 'both', disagreement: null };
  const issueNewer = time(shared.at) > time(local.at);
  const issue = shared.issue ?? shared.state.issue;
  const comment = issue === null || issue === undefined ? "the issue's status comment" : `issue #${issue}'s status comment`;
  const disagreement =
    `the journal here says ${describe(local.state)} as of ${local.at}, but ${comment} says ${describe(shared.state)} as of ${shared.at}; ` +
    `the newer, ${issueNewer ? "the issue's" : "the journal's"}, is used (if the two machines' clocks differ, run \`policy verify\` to confirm the registry state)`;
  return issueNewer
    ? { state: shared.state, source: 'issue', disagreement }
    : { state: local.state, source: 'journal', disagreement };
}

/** A release an open issue's trusted status comment says holds the loop. */
export interface SharedRelease {
  issue: number;
  package: string;
  version: string;
  status: 'blocked' | 'unknown' | 'released';
  published: Published;
  /** When the comment last said it. */
  at: string;
  comment: { id: string; author: string };
  state: ReleaseState;
}

export interface SharedReleases {
  releases: SharedRelease[];
  /** Status comments not counted, with their issue. */
  ignored: (IgnoredComment & { issue: number })[];
  /**
   * Open issues labelled `status:blocked` that carry no trusted state: the loop skips such an
   * issue, but with no package or version no release rule can name it.
   */
  labelOnly: number[];
}

/**
 * The releases that hold the loop according to open issues (the fact's `blocked`): for each
 * issue and package, the newest trusted state, kept when it is blocked, unknown or released.
 * With `options.package`, only that package's.
 */
export function sharedReleases(
  issues: readonly { number: number; labels: readonly string[]; comments: readonly IssueComment[] }[],
  options: ReadOptions,
): SharedReleases {
  const result: SharedReleases = { releases: [], ignored: [], labelOnly: [] };
  for (const issue of issues) {
    const read = readAll(issue.comments, options);
    const pkg = options.package ?? null;
    const byPackage = new Map<string, CountedState[]>();
    for (const c of read.counted) {
      if (c.state.package === null || (pkg !== null && c.state.package !== pkg)) continue;
      byPackage.set(c.state.package, [...(byPackage.get(c.state.package) ?? []), c]);
    }
    result.ignored.push(...read.ignored.map((i) => ({ ...i, issue: issue.number })));
    let found = false;
    for (const [name, states] of byPackage) {
      const latest = newest(states)!;
      const status = latest.state.status;
      if (status !== 'blocked' && status !== 'unknown' && status !== 'released') continue;
      found = true;
      result.releases.push({
        issue: issue.number, package: name, version: latest.state.version ?? '', status, published: latest.state.published,
        at: latest.at, comment: { id: latest.comment.id, author: latest.comment.author }, state: latest.state,
      });
    }
    if (!found && byPackage.size === 0 && issue.labels.some((l) => l.toLowerCase() === 'status:blocked')) result.labelOnly.push(issue.number);
  }
  return result;
}
