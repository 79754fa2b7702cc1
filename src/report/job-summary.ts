// The GitHub Actions job summary of `policy ci` ($GITHUB_STEP_SUMMARY): the verdict, a table of
// findings, the open release's state and its steps. Pure. Repository and rule text is escaped
// (src/report/markdown-escape.ts) so a tag name, commit subject or command cannot add HTML,
// links or table cells. GitHub refuses a summary over 1 MiB, so the findings table keeps rows
// while they fit SUMMARY_BUDGET_BYTES and says how many it left out.
import type { Verdict } from '../engine/model.js';
import type { ReleaseFact } from '../release/fact.js';
import { PHASES } from '../release/model.js';
import { escapeText, markdownFromText } from './markdown-escape.js';
import { markupCell, omissionNote, renderTable, SUMMARY_BUDGET_BYTES, textCell } from './markdown.js';
import { describeSubject, severityWord } from './subjects.js';
import { formatSummary } from './summary.js';

export interface JobSummaryInput {
  verdict: Verdict;
  /** The job's outcome under fail-on (the action's `verdict` output). */
  outcome: 'allowed' | 'refused' | 'incomplete';
  /** What the event was, e.g. `push of tag v0.2.0 (abc123)`. */
  event: string;
  /** The release fact, when it was read; an idle release shows no release section. */
  release: ReleaseFact | null;
}

const OUTCOME_LINE = {
  allowed: '✔ **allowed**',
  refused: '✖ **refused**',
  incomplete: '✖ **incomplete**: facts were unavailable and the check fails closed',
} as const;

export function renderJobSummary(input: JobSummaryInput): string {
  const { verdict } = input;
  const lines = [
    '## release-policy',
    '',
    `${OUTCOME_LINE[input.outcome]}: ${escapeText(input.event, false)}; gates ${escapeText(verdict.gate, false)}.`,
    '',
    escapeText(formatSummary(verdict, 'policy ci'), false),
    '',
  ];
  if (verdict.findings.length > 0) {
    const table = renderTable(
      {
        header: ['', 'rule', 'subject', 'message', 'fix'],
        rows: verdict.findings.map((f) => [
          f.severity === 'error' ? '✖ error' : '⚠ warning',
          textCell(f.rule),
          textCell(describeSubject(f.subject)),
          markupCell(f.message),
          markupCell(f.fix),
        ]),
      },
      SUMMARY_BUDGET_BYTES,
    );
    lines.push(`### Findings (${verdict.findings.length})`, '', ...table.lines, ...omissionNote(table.omitted, 'findings'), '');
  }
  if (verdict.waived.length > 0) {
    const shown = verdict.waived.slice(0, 20).map((f) =>
      `- ${textCell(severityWord(f.severity))} ${textCell(f.rule)} (${textCell(describeSubject(f.subject))}), waived by ${textCell(f.waiver.owner)} until ${textCell(f.waiver.expires)}`);
    lines.push(`### Waived (${verdict.waived.length})`, '', ...shown, ...(verdict.waived.length > 20 ? [`- … and ${verdict.waived.length - 20} more`] : []), '');
  }
  const unavailable = Object.entries(verdict.unavailable);
  if (unavailable.length > 0) {
    lines.push('### Unavailable facts', '', ...unavailable.map(([fact, reason]) => `- **${escapeText(fact, false)}**: ${markdownFromText(reason.slice(0, 2000))}`), '');
  }
  if (input.release !== null && input.release.status !== 'idle' && input.release.version !== '') lines.push(...releaseSection(input.release));
  return `${lines.join('\n')}\n`;
}

/** The release's state and its steps, done, failed, running or pending. */
function releaseSection(release: ReleaseFact): string[] {
  const issue = release.issue > 0 ? `#${release.issue}` : 'unknown';
  const lines = [
    '### Release',
    '',
    '| package | version | status | published | issue |',
    '| --- | --- | --- | --- | --- |',
    `| ${textCell(release.package)} | ${textCell(release.version)} | ${textCell(release.status)} | ${textCell(release.published)} | ${issue} |`,
    '',
  ];
  if (release.failure.phase !== '') {
    lines.push(`Failed step: **${textCell(release.failure.phase)}**${release.failure.command === '' ? '' : `: ${markupCell(`\`${release.failure.command}\``)}`}`, '');
  }
  const running = new Set(release.running.map((r) => r.phase));
  lines.push('| step | state |', '| --- | --- |');
  for (const phase of PHASES) {
    const state = release.failure.phase === phase ? '✖ failed'
      : running.has(phase) ? '⏳ running'
      : release.completed.includes(phase) ? '✔ done'
      : '· pending';
    lines.push(`| ${phase} | ${state} |`);
  }
  lines.push('');
  return lines;
}
