/**
 * The pure release model: journal event shape, phases, outcomes and the release state.
 * No IO, no clock, no `process`: everything here is data and pure functions.
 */

/** Release phases, in the order the spec walks them. */
export const PHASES = ['bump', 'notes', 'dry-run', 'publish', 'tag', 'push', 'closeout'] as const;
export type Phase = (typeof PHASES)[number];

export const PUBLISHED_VALUES = ['yes', 'no', 'unknown'] as const;
export type Published = (typeof PUBLISHED_VALUES)[number];

/** The classified outcome of one step (see `classifyOutcome`). */
export const OUTCOMES = ['ok', 'failed', 'published', 'not-published', 'unknown'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const JOURNAL_EVENT_TYPES = ['step-started', 'step-finished', 'decision', 'verification', 'comment', 'abandon'] as const;
export type JournalEventType = (typeof JOURNAL_EVENT_TYPES)[number];

/** One line of the release journal (JSON Lines, schema version 1). */
export interface JournalEvent {
  v: 1;
  id: string;
  /** ISO 8601 time, given by the caller. */
  at: string;
  type: JournalEventType;
  package: string;
  /** The version under release; for `decision`, the version decided on. */
  version: string;
  issue: number | null;
  phase?: Phase;
  /** The exact argv of the step (already redacted). */
  command?: string[];
  exitCode?: number;
  outcome?: Outcome;
  published?: Published;
  /** Error excerpt of a failed step (see `errorExcerpt`). */
  excerpt?: string;
  /** `step-finished`: a `ReasonCode`; `decision` and `abandon`: the human reason. */
  reason?: string;
  /** The commit HEAD pointed at when the step ran. */
  commit?: string;
  /** `verification`: whether the registry's copy is ours (same checksum as the local package). */
  content?: Content;
  /** `verification`: the registry answers behind the conclusion. */
  evidence?: Evidence[];
  /** `verification`: the crate and registry asked (those of the recorded publish). */
  asked?: Asked;
  /** `step-started`/`step-finished`: the `policy run` process that ran the step. */
  pid?: number;
  /** `step-started`/`step-finished`: the host name of the machine it ran on. */
  host?: string;
  /**
   * `step-started`/`step-finished`: when that process started, as `<boot id>/<clock ticks
   * since boot>` (Linux), so that a reused pid is not taken for the step's process; absent
   * where the system does not tell.
   */
  processStart?: string;
}

/** The question a verification put: which crate, on which registry, and why that one. */
export interface Asked {
  crate: string;
  /** The registry's name (or, for a publish's `--index`, the index as given, credentials removed). */
  registry: string;
  /** The index or registry URL asked, credentials removed; "" when it could not be resolved. */
  url: string;
  /** Where the registry came from: "`--registry local2` of the recorded publish", "the policy (...)". */
  from: string;
}

/**
 * What is known of the process of a step that has no `step-finished`, as a collector found it
 * (the fold itself never looks): `running` on this machine; `gone` (dead, or its pid now
 * belongs to another process); `elsewhere` (started on another host: cannot be checked from
 * here). A step the collector says nothing about recorded no process.
 */
export type StepProcess = 'running' | 'gone' | 'elsewhere';

/** A step that started and has not finished, and may still be running. */
export interface RunningStep {
  phase: Phase;
  /** When it started. */
  at: string;
  /** The step's command, shell-quoted where needed. */
  command: string;
  /** The `policy run` process; null when the journal line records none (older versions). */
  pid: number | null;
  host: string | null;
  /** `yes`: its process was found alive on this machine; `unknown`: it could not be checked. */
  alive: 'yes' | 'unknown';
}

export const CONTENT_VALUES = ['ours', 'other', 'unknown'] as const;
export type Content = (typeof CONTENT_VALUES)[number];

/**
 * One registry answer, as the registry client gathers it and the journal keeps it behind a
 * verification: the URL asked, its HTTP status, when, and what it said.
 */
export interface Evidence {
  /** The URL asked, credentials removed. */
  source: string;
  /** HTTP status; null when no answer came (refused, reset, timeout, DNS). */
  status: number | null;
  /** ISO time the answer came. */
  at: string;
  /**
   * One line: what this answer said ("index lists 0.2.0 (cksum 8bff…)", "404: crate `x`
   * does not have a version `0.2.0`", "timed out after 5000 ms", "304 not modified, cached
   * copy used: …").
   */
  detail: string;
}

export type ReleaseStatus = 'idle' | 'in-progress' | 'blocked' | 'unknown' | 'released' | 'closed' | 'abandoned';

export interface ReleaseFailure {
  phase: Phase;
  /** The exact failing command, shell-quoted where needed. */
  command: string;
  /** The command's exit code; null when it has none (interrupted, killed). */
  exitCode: number | null;
  /** Error excerpt. */
  error: string;
  at: string;
  /** The classification reason code of the failure. */
  reason: string;
}

export interface ReleaseDecision {
  version: string;
  reason: string;
  at: string;
}

export interface ReleaseState {
  package: string | null;
  version: string | null;
  issue: number | null;
  status: ReleaseStatus;
  failure: ReleaseFailure | null;
  published: Published;
  decisions: ReleaseDecision[];
  /** Phases that succeeded in this release, in the order they first did. */
  completed: Phase[];
  /** Whether a registry confirmation was recorded after the current failure. */
  verifiedSinceFailure: boolean;
  nextAction: string;
  /**
   * The dry-run and publish as the next action names them: `policy run -- ...` with the user's
   * own last command of that phase (its arguments kept), else the ecosystem's plain one.
   */
  commands: { dryRun: string; publish: string };
  lastDryRunOk?: { version: string; commit: string | null; at: string };
  /** The last registry confirmation for this version (`policy verify`). */
  lastVerification?: { published: Published; at: string; content: Content | ''; evidence: Evidence[] };
  /** The registry holds the version with content that is not ours: a new version needs `policy decide`. */
  taken: boolean;
  /** `policy abandon`: the release will not happen; its version is never to be published. */
  abandoned?: { reason: string; at: string };
  /**
   * The last successful step recorded under a phase its command is not (`policy run --phase
   * dry-run -- true`): recorded, but it proves nothing and clears no block.
   */
  notTheStep?: { phase: Phase; command: string; at: string };
  /** Steps that started, have not finished, and whose process lives (or cannot be checked). */
  running: RunningStep[];
}

const SAFE_ARG = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One argument quoted for a POSIX shell, only when it needs it. */
export function quoteArg(arg: string): string {
  if (arg !== '' && SAFE_ARG.test(arg)) return arg;
  // Control characters (newlines, tabs, escapes) would break a one-line rendering: ANSI-C quoting.
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(arg)) {
    const body = arg.replace(/[\\'\x00-\x1f\x7f]/g, (c) => {
      if (c === '\\') return '\\\\';
      if (c === "'") return "\\'";
      if (c === '\n') return '\\n';
      if (c === '\t') return '\\t';
      if (c === '\r') return '\\r';
      return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
    });
    return `$'${body}'`;
  }
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The exact command as one line a user can paste into a POSIX shell. */
export function formatCommand(argv: readonly string[]): string {
  return argv.map(quoteArg).join(' ');
}
