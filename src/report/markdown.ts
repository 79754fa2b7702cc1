import type { Verdict, WaivedFinding } from '../engine/model.js';
import type { RenderOptions } from './render-options.js';
import { escapeText, markdownFromText } from './markdown-escape.js';
import { describeSubject, severityWord } from './subjects.js';
import { formatSummary } from './summary.js';

/**
 * GitHub refuses a step summary over 1 MiB (and fails the upload, not the step), so tables
 * stop well below it; the JSON and SARIF outputs always carry every finding.
 */
export const SUMMARY_BUDGET_BYTES = 512 * 1024;

const encoder = new TextEncoder();

const TABLE = { table: true } as const;

/** A cell of plain repository text (a subject, a waiver's reason or owner): all of it is text. */
export function textCell(text: string): string {
  return escapeText(text, false);
}

/** A cell of rule-written text with `code` spans (a message, a fix) and repository text in it. */
export function markupCell(text: string): string {
  return markdownFromText(text, TABLE);
}

export interface Table {
  header: string[];
  /** Each row's cells, already Markdown. */
  rows: string[][];
}

/** Renders a table, keeping rows while they fit in `budget`; returns the lines and bytes used. */
export function renderTable(table: Table, budget: number): { lines: string[]; used: number; omitted: number } {
  const lines = [`| ${table.header.join(' | ')} |`, `| ${table.header.map(() => '---').join(' | ')} |`];
  let used = lines.reduce((sum, line) => sum + encoder.encode(line).length + 1, 0);
  let kept = 0;
  for (const row of table.rows) {
    const line = `| ${row.join(' | ')} |`;
    const size = encoder.encode(line).length + 1;
    if (used + size > budget) break;
    lines.push(line);
    used += size;
    kept += 1;
  }
  return { lines, used, omitted: table.rows.length - kept };
}

export function omissionNote(omitted: number, what: string): string[] {
  if (omitted === 0) return [];
  return ['', `_${omitted} more ${what} left out to keep the job summary under GitHub's 1 MiB limit; see the JSON or SARIF output._`];
}

function waivedRow(finding: WaivedFinding): string[] {
  const { reason, owner, expires } = finding.waiver;
  return [
    textCell(severityWord(finding.severity)), textCell(finding.rule), textCell(describeSubject(finding.subject)), markupCell(finding.message),
    textCell(reason), textCell(owner), textCell(expires),
  ];
}

export function renderMarkdown(verdict: Verdict, options: RenderOptions): string {
  const heading = options.title ?? `gate ${verdict.gate}`;
  const lines = [`### release-policy: ${escapeText(heading, false)}`, ''];
  let budget = SUMMARY_BUDGET_BYTES;

  if (verdict.findings.length === 0) {
    lines.push('No findings.');
  } else {
    const table = renderTable(
      {
        header: ['severity', 'rule', 'subject', 'message', 'fix'],
        rows: verdict.findings.map((f) => [
          textCell(severityWord(f.severity)), textCell(f.rule), textCell(describeSubject(f.subject)), markupCell(f.message), markupCell(f.fix),
        ]),
      },
      budget,
    );
    budget -= table.used;
    lines.push(...table.lines, ...omissionNote(table.omitted, 'findings'));
  }

  if (verdict.waived.length > 0) {
    const table = renderTable(
      {
        header: ['severity', 'rule', 'subject', 'message', 'reason', 'owner', 'expires'],
        rows: verdict.waived.map(waivedRow),
      },
      Math.max(budget, 0),
    );
    lines.push('', `#### Waived (${verdict.waived.length})`, '', ...table.lines, ...omissionNote(table.omitted, 'waived findings'));
  }

  const baselined = verdict.baselined ?? [];
  if (baselined.length > 0) {
    const table = renderTable(
      {
        header: ['severity', 'rule', 'subject', 'message'],
        rows: baselined.map((f) => [textCell(severityWord(f.severity)), textCell(f.rule), textCell(describeSubject(f.subject)), markupCell(f.message)]),
      },
      Math.max(budget, 0),
    );
    lines.push('', `#### Baselined (${baselined.length})`, '', ...table.lines, ...omissionNote(table.omitted, 'baselined findings'));
  }

  const unavailable = Object.entries(verdict.unavailable);
  if (unavailable.length > 0) {
    lines.push('', '#### Unavailable facts', '');
    lines.push(...unavailable.map(([fact, reason]) => `- **${escapeText(fact, false)}**: ${markdownFromText(reason)}`));
  }

  lines.push('', `**${escapeText(formatSummary(verdict, options.title), false)}**`);
  return `${lines.join('\n')}\n`;
}
