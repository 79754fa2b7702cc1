import type { Verdict } from '../engine/model.js';

export type Tone = 'ok' | 'warn' | 'fail';

export interface SummaryLine {
  mark: '✔' | '⚠' | '✖';
  tone: Tone;
  /** The line without its mark, e.g. `gate ci: 3 errors, 1 warning (2 waived) — refused`. */
  text: string;
}

/** `1 tag`, `2 tags` (`many` for irregular plurals). */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * The one-line verdict every human format ends with. Its outcome word is taken from
 * `verdict.allowed` and its exit note from `verdict.exitCode`, never recomputed from the
 * counts, so the printed verdict cannot disagree with the process status (kyverno#2318 and
 * danger-js#706 are tools where it did).
 */
export function summarizeVerdict(verdict: Verdict, title: string | undefined): SummaryLine {
  const unavailable = Object.keys(verdict.unavailable).length;
  const counts: string[] = [];
  if (verdict.errors > 0) counts.push(plural(verdict.errors, 'error', 'errors'));
  if (verdict.warnings > 0) counts.push(plural(verdict.warnings, 'warning', 'warnings'));
  if (counts.length === 0 && (verdict.waived.length > 0 || unavailable === 0) && !verdict.baselined?.length) counts.push('no findings');
  const baselined = verdict.baselined?.length ?? 0;
  if (counts.length === 0 && baselined > 0) counts.push('no new findings');
  const last = counts.length - 1;
  const accepted = [
    ...(verdict.waived.length > 0 ? [`${verdict.waived.length} waived`] : []),
    ...(baselined > 0 ? [`${baselined} baselined`] : []),
  ];
  if (accepted.length > 0) counts[last] += ` (${accepted.join(', ')})`;
  if (unavailable > 0) counts.push(`${plural(unavailable, 'fact', 'facts')} unavailable`);
  const tally = counts.join(', ');

  let outcome = verdict.allowed ? 'allowed' : 'refused';
  const expectedExit = verdict.allowed ? 0 : 1;
  if (verdict.exitCode === 3) outcome += ' (exit 3: facts unavailable, the gate fails closed)';
  else if (verdict.exitCode !== expectedExit) outcome += ` (exit ${verdict.exitCode})`;

  const clean = verdict.errors === 0 && verdict.warnings === 0 && unavailable === 0;
  const tone: Tone = !verdict.allowed ? 'fail' : clean ? 'ok' : 'warn';
  const mark = tone === 'fail' ? '✖' : tone === 'warn' ? '⚠' : '✔';
  return { mark, tone, text: `${title ?? `gate ${verdict.gate}`}: ${tally} — ${outcome}` };
}

export function formatSummary(verdict: Verdict, title: string | undefined): string {
  const line = summarizeVerdict(verdict, title);
  return `${line.mark} ${line.text}`;
}
