// The baseline: findings accepted when a repository adopted the policy, so that a history of
// drift does not fail every check while new findings still do. Pure: the file is read and
// written in src/cli/baseline-file.ts.
import { findingFingerprint } from './fingerprint.js';
import type { Finding } from './model.js';

/** One accepted finding as the baseline file keeps it. */
export interface BaselineEntry {
  rule: string;
  subject: { kind: string; name: string };
  /** findingFingerprint(rule, subject): what a later finding is matched on. */
  fingerprint: string;
  /** The finding's message when it was accepted, for a reader of the file; not matched on. */
  message: string;
  severity: 'error' | 'warn';
}

export interface BaselineFile {
  version: 1;
  findings: BaselineEntry[];
}

/** The engine's id of the warning that a baseline entry matches nothing any more. */
export const BASELINE_REMOVABLE = 'baseline-removable';

/** Findings the baseline can accept: those of rules, never the engine's own (waivers, unavailable facts). */
export function baselineEntries(findings: readonly Finding[], engineRules: ReadonlySet<string>): BaselineEntry[] {
  const byFingerprint = new Map<string, BaselineEntry>();
  for (const finding of findings) {
    if (engineRules.has(finding.rule)) continue;
    const fingerprint = findingFingerprint(finding);
    if (byFingerprint.has(fingerprint)) continue;
    byFingerprint.set(fingerprint, {
      rule: finding.rule,
      subject: { kind: finding.subject.kind, name: finding.subject.name },
      fingerprint,
      message: finding.message,
      severity: finding.severity,
    });
  }
  return sortEntries([...byFingerprint.values()]);
}

/** Sorted by rule, subject kind and name, so that the file diffs cleanly between runs. */
export function sortEntries(entries: BaselineEntry[]): BaselineEntry[] {
  const key = (e: BaselineEntry): string[] => [e.rule, e.subject.kind, e.subject.name, e.fingerprint];
  return [...entries].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i += 1) {
      if (ka[i]! < kb[i]!) return -1;
      if (ka[i]! > kb[i]!) return 1;
    }
    return 0;
  });
}

/** The file's text: stable JSON (fixed key order, sorted entries, no date), one entry per finding. */
export function formatBaseline(entries: BaselineEntry[]): string {
  const file = {
    version: 1,
    findings: sortEntries(entries).map((e) => ({
      rule: e.rule,
      subject: { kind: e.subject.kind, name: e.subject.name },
      fingerprint: e.fingerprint,
      message: e.message,
      severity: e.severity,
    })),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Matches a gate's findings against the baseline. */
export class BaselineMatcher {
  private readonly byFingerprint = new Map<string, BaselineEntry>();
  private readonly matched = new Set<string>();

  constructor(
    private readonly entries: readonly BaselineEntry[],
    /** Where the file is, as the user should read it in a message. */
    private readonly file: string,
  ) {
    for (const entry of entries) this.byFingerprint.set(entry.fingerprint, entry);
  }

  /** Whether the finding is accepted by the baseline (and remembers that its entry is in use). */
  accepts(finding: Finding): boolean {
    const fingerprint = findingFingerprint(finding);
    if (!this.byFingerprint.has(fingerprint)) return false;
    this.matched.add(fingerprint);
    return true;
  }

  /**
   * Entries of rules this gate judged that matched no finding: what they accepted is fixed.
   * Entries of rules the gate did not judge (another gate's, or a rule whose facts were
   * unavailable) are left alone: nothing says they are fixed.
   */
  removable(judged: ReadonlySet<string>): Finding[] {
    return this.entries
      .filter((entry) => judged.has(entry.rule) && !this.matched.has(entry.fingerprint))
      .map((entry) => ({
        rule: BASELINE_REMOVABLE,
        severity: 'warn' as const,
        message: `the baseline (${this.file}) accepts a ${entry.rule} finding about ${entry.subject.kind} ${entry.subject.name} that is no longer found; the entry can go`,
        subject: { kind: entry.subject.kind, name: entry.subject.name },
        spec: 'A baseline holds only findings that still exist: an entry for a fixed finding would silently accept it again if it came back.',
        fix: 'Run `policy baseline` to rewrite the baseline with today\'s findings, and commit it.',
      }));
  }
}
