// Which gates a CI event asks, and with which push: pure, from the event's name and payload
// (the JSON GitHub Actions writes to GITHUB_EVENT_PATH). A tag push asks the `tag` questions
// for that tag; a branch push asks `ci` about the commits it brought; a pull request asks
// `review` about base...head; an issue closed asks about that issue's release; the daily
// sweep asks `ci` and `audit`. Merging the gates' verdicts into one is pure too.
import type { Finding, GateName, Verdict } from '../engine/model.js';
import { isObjectName, isZeroObject, type PushLine } from '../facts/pre-push.js';

export interface CiEvent {
  /** GITHUB_EVENT_NAME */
  name: string;
  /** The parsed event payload; {} when there is none. */
  payload: Record<string, unknown>;
  /** GITHUB_REF, GITHUB_SHA, GITHUB_BASE_REF */
  ref: string;
  sha: string;
  baseRef: string;
}

/** One gate to evaluate, with what the event tells about it. */
export interface GateRun {
  gate: GateName;
  /** The gate's argument: the tag name, the issue number; "" for none. */
  arg: string;
  /** The push as pre-push lines: the refs and commits the event brought. */
  lines?: PushLine[];
  /** Refs whose commits the push does not count (a new branch: the default branch's remote-tracking ref). */
  bases?: string[];
  /** The issue the event is about: its release state is read from GitHub. */
  issue?: number;
  /** The tag gate's commit. */
  tagCommit?: string;
}

export interface CiPlan {
  /** What the event is, in words, for the job summary. */
  describe: string;
  runs: GateRun[];
  /** Commits the runs read: a shallow or partial checkout must have them. */
  commits: string[];
  /**
   * Commits that may be gone for good: the `before` of a forced push. Missing, the push counts
   * from the default branch instead (see withoutGone).
   */
  optional?: string[];
  /** A pull request's base branch, fetched when its commit is missing. */
  baseBranch: string;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * The gates an event asks. `gate` (the action's `gate` input, "" for none) replaces the
 * event's choice with that one gate, still given the event's push.
 */
export function planCi(event: CiEvent, gate: GateName | '' = ''): CiPlan {
  const chosen = chooseRuns(event);
  if (gate === '') return chosen;
  const first = chosen.runs.find((run) => run.lines !== undefined) ?? chosen.runs[0];
  const tag = chosen.runs.find((run) => run.gate === 'tag');
  const issue = chosen.runs.find((run) => run.issue !== undefined)?.issue;
  const run: GateRun = { gate, arg: gate === 'tag' ? (tag?.arg ?? '') : gate === 'close-issue' && issue !== undefined ? String(issue) : '' };
  if (first?.lines !== undefined) run.lines = first.lines;
  if (first?.bases !== undefined) run.bases = first.bases;
  if (issue !== undefined) run.issue = issue;
  if (tag?.tagCommit !== undefined) run.tagCommit = tag.tagCommit;
  return { ...chosen, describe: `${chosen.describe}; gate ${gate} as asked`, runs: [run] };
}

function chooseRuns(event: CiEvent): CiPlan {
  const payload = event.payload;
  const none = { commits: [], baseBranch: '' };
  switch (event.name) {
    case 'push':
      return planPush(event);
    case 'pull_request':
    case 'pull_request_target': {
      const pr = record(payload.pull_request);
      const head = record(pr.head);
      const base = record(pr.base);
      const headSha = text(head.sha);
      const baseSha = text(base.sha);
      const number = typeof pr.number === 'number' ? pr.number : 0;
      if (!isObjectName(headSha) || !isObjectName(baseSha)) {
        return { describe: `pull request #${number} (no head or base commit in the event)`, runs: [{ gate: 'review', arg: '' }], ...none };
      }
      const branch = text(head.ref) || event.ref.replace(/^refs\/heads\//, '');
      const line: PushLine = { localRef: `refs/heads/${branch}`, localObject: headSha, remoteRef: `refs/heads/${branch}`, remoteObject: baseSha };
      return {
        describe: `pull request #${number}: ${text(base.ref) || event.baseRef}...${branch} (${headSha.slice(0, 12)})`,
        runs: [{ gate: 'review', arg: '', lines: [line] }],
        commits: [headSha, baseSha],
        baseBranch: text(base.ref) || event.baseRef,
      };
    }
    case 'issues': {
      const issue = record(payload.issue);
      const number = typeof issue.number === 'number' && Number.isInteger(issue.number) && issue.number > 0 ? issue.number : 0;
      const action = text(payload.action);
      if (number === 0) return { describe: `issue event (${action || 'no action'}) without an issue number`, runs: [{ gate: 'ci', arg: '' }], ...none };
      // Closed: may it be? Reopened: nothing is being closed, so only the ci questions (with
      // the release state that issue carries); asking close-issue would refuse the reopening.
      const runs: GateRun[] = action === 'closed'
        ? [{ gate: 'close-issue', arg: String(number), issue: number }, { gate: 'ci', arg: '', issue: number }]
        : [{ gate: 'ci', arg: '', issue: number }];
      return { describe: `issue #${number} ${action || 'event'}`, runs, ...none };
    }
    case 'schedule':
    case 'workflow_dispatch':
      return { describe: `${event.name === 'schedule' ? 'scheduled' : 'manual'} sweep`, runs: [{ gate: 'ci', arg: '' }, { gate: 'audit', arg: '' }], ...none };
    default:
      return { describe: `${event.name || 'unknown'} event`, runs: [{ gate: 'ci', arg: '' }], ...none };
  }
}

function planPush(event: CiEvent): CiPlan {
  const payload = event.payload;
  const ref = text(payload.ref) || event.ref;
  const after = text(payload.after) || event.sha;
  const before = text(payload.before);
  const deleted = payload.deleted === true || (after !== '' && isZeroObject(after));
  const none = { commits: [], baseBranch: '' };
  if (ref.startsWith('refs/tags/')) {
    const tag = ref.slice('refs/tags/'.length);
    if (deleted) return { describe: `tag ${tag} deleted`, runs: [{ gate: 'ci', arg: '' }], ...none };
    return {
      describe: `push of tag ${tag} (${after.slice(0, 12)})`,
      runs: [{ gate: 'tag', arg: tag, tagCommit: after }, { gate: 'ci', arg: '' }],
      commits: [after],
      baseBranch: '',
    };
  }
  if (!ref.startsWith('refs/heads/')) return { describe: `push of ${ref || 'an unnamed ref'}`, runs: [{ gate: 'ci', arg: '' }], ...none };
  const branch = ref.slice('refs/heads/'.length);
  if (deleted) return { describe: `branch ${branch} deleted`, runs: [{ gate: 'ci', arg: '' }], ...none };
  const created = payload.created === true || before === '' || isZeroObject(before);
  const line: PushLine = { localRef: ref, localObject: after, remoteRef: ref, remoteObject: created ? '0'.repeat(after.length) : before };
  const run: GateRun = { gate: 'ci', arg: '', lines: [line] };
  // A new branch brings the commits the default branch does not have (GitHub's `before` is zero).
  const defaultBranch = text(record(payload.repository).default_branch);
  const fromDefault = defaultBranch === '' || defaultBranch === branch ? [] : [`refs/remotes/origin/${defaultBranch}`];
  if (created) run.bases = fromDefault;
  const forced = !created && payload.forced === true;
  return {
    describe: created ? `push of new branch ${branch} (${after.slice(0, 12)})` : `push to ${branch}: ${before.slice(0, 12)}..${after.slice(0, 12)}${forced ? ' (forced)' : ''}`,
    runs: [run],
    commits: created || forced ? [after] : [after, before],
    ...(forced ? { optional: [before] } : {}),
    baseBranch: (created || forced) && fromDefault.length > 0 ? defaultBranch : '',
  };
}

/**
 * The plan once `gone` commits (a forced push's `before`, no longer in any history) are known
 * missing: the push they started counts like a new branch's, from `defaultBranch` (the plan's
 * baseBranch: "" when the pushed branch is the default one, which then has no push to count).
 */
export function withoutGone(plan: CiPlan, gone: readonly string[], defaultBranch: string): CiPlan {
  if (gone.length === 0) return plan;
  const runs = plan.runs.map((run) => {
    if (run.lines === undefined || !run.lines.some((line) => gone.includes(line.remoteObject))) return run;
    // The default branch itself (or no default branch known): nothing to count from, so no push.
    if (defaultBranch === '') return { gate: run.gate, arg: run.arg };
    const lines = run.lines.map((line) => (gone.includes(line.remoteObject) ? { ...line, remoteObject: '0'.repeat(line.localObject.length) } : line));
    return { ...run, lines, bases: [`refs/remotes/origin/${defaultBranch}`] };
  });
  return { ...plan, runs };
}

/** The outcome of the whole job, as the action's `verdict` output says it. */
export type CiOutcome = 'allowed' | 'refused' | 'incomplete';
export const FAIL_ON = ['error', 'warning', 'never'] as const;
export type FailOn = (typeof FAIL_ON)[number];

/**
 * The gates' verdicts as one: findings of every gate (one finding that two gates make, such as
 * a tag's in `tag` and `ci`, once), waived and baselined findings likewise, unavailable facts of each. Refused when any gate refused;
 * else incomplete (3) when any gate lacked a fact it fails closed on.
 */
export function mergeVerdicts(verdicts: readonly Verdict[]): Verdict {
  const seen = new Set<string>();
  const key = (f: Finding): string => JSON.stringify([f.rule, f.severity, f.subject.kind, f.subject.name, f.message]);
  const once = <T extends Finding>(list: T[]): T[] => list.filter((f) => (seen.has(key(f)) ? false : (seen.add(key(f)), true)));
  const findings = once(verdicts.flatMap((v) => v.findings));
  const waived = once(verdicts.flatMap((v) => v.waived));
  const baselined = verdicts.some((v) => v.baselined !== undefined) ? once(verdicts.flatMap((v) => v.baselined ?? [])) : undefined;
  const unavailable: Record<string, string> = {};
  for (const v of verdicts) for (const [fact, reason] of Object.entries(v.unavailable)) unavailable[fact] ??= reason;
  const exitCode = verdicts.some((v) => v.exitCode === 1) ? 1 : verdicts.some((v) => v.exitCode === 3) ? 3 : 0;
  return {
    gate: verdicts.map((v) => v.gate).join(', '),
    allowed: exitCode === 0,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warn').length,
    findings,
    waived,
    ...(baselined === undefined ? {} : { baselined }),
    unavailable,
    exitCode,
  };
}

/** The job's outcome and exit code under `fail-on`: never → 0; warning → warnings refuse too. */
export function outcomeOf(verdict: Verdict, failOn: FailOn): { outcome: CiOutcome; exitCode: number } {
  let outcome: CiOutcome = verdict.exitCode === 1 ? 'refused' : verdict.exitCode === 3 ? 'incomplete' : 'allowed';
  if (outcome === 'allowed' && failOn === 'warning' && verdict.warnings > 0) outcome = 'refused';
  const exitCode = failOn === 'never' ? 0 : outcome === 'refused' ? 1 : outcome === 'incomplete' ? 3 : 0;
  return { outcome, exitCode };
}
