import type { Verdict, WaivedFinding } from '../engine/model.js';
import type { RenderOptions } from './render-options.js';
import { describeSubject, severityWord } from './subjects.js';
import { formatSummary } from './summary.js';

/**
 * GitHub refuses a step summary over 1 MiB (and fails the upload, not the step), so tables
 * stop well below it; the JSON and SARIF outputs always carry every finding.
 */
export const SUMMARY_BUDGET_BYTES = 512 * 1024;

const encoder = new TextEncoder();

/**
 * Makes text safe inside one GFM table cell. Outside code spans: backslashes first, so a
 * message ending in `\` cannot escape the cell's closing pipe; `<` and `&` as entities, so
 * text from git or an issue cannot open raw HTML. Inside a code span entities and backslash
 * escapes would show literally (`RELEASE_v&lt;version&gt;.md`), and HTML cannot open there,
 * so only its pipes are escaped, which GFM tables honour even in code. Line breaks become
 * `<br>`, since a cell is one source line.
 */
export function escapeCell(text: string): string {
  return text
    .split(/(`[^`\r\n]+`)/)
    .map((part, index) => (index % 2 === 1 ? part.replace(/\|/g, '\\|') : escapePlain(part)))
    .join('');
}

function escapePlain(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r\n|\r|\n/g, '<br>');
}

interface Table {
  header: string[];
  rows: string[][];
}

/** Renders a table, keeping rows while they fit in `budget`; returns the lines and bytes used. */
function renderTable(table: Table, budget: number): { lines: string[]; used: number; omitted: number } {
  const lines = [`| ${table.header.join(' | ')} |`, `| ${table.header.map(() => '---').join(' | ')} |`];
  let used = lines.reduce((sum, line) => sum + encoder.encode(line).length + 1, 0);
  let kept = 0;
  for (const row of table.rows) {
    const line = `| ${row.map(escapeCell).join(' | ')} |`;
    const size = encoder.encode(line).length + 1;
    if (used + size > budget) break;
    lines.push(line);
    used += size;
    kept += 1;
  }
  return { lines, used, omitted: table.rows.length - kept };
}

function omissionNote(omitted: number, what: string): string[] {
  if (omitted === 0) return [];
  return ['', `_${omitted} more ${what} left out to keep the job summary under GitHub's 1 MiB limit; see the JSON or SARIF output._`];
}

function waivedRow(finding: WaivedFinding): string[] {
  const { reason, owner, expires } = finding.waiver;
  return [severityWord(finding.severity), finding.rule, describeSubject(finding.subject), finding.message, reason, owner, expires];
}

export function renderMarkdown(verdict: Verdict, options: RenderOptions): string {
  const heading = options.title ?? `gate ${verdict.gate}`;
  const lines = [`### release-policy: ${escapeCell(heading)}`, ''];
  let budget = SUMMARY_BUDGET_BYTES;

  if (verdict.findings.length === 0) {
    lines.push('No findings.');
  } else {
    const table = renderTable(
      {
        header: ['severity', 'rule', 'subject', 'message', 'fix'],
        rows: verdict.findings.map((f) => [severityWord(f.severity), f.rule, describeSubject(f.subject), f.message, f.fix]),
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

  const unavailable = Object.entries(verdict.unavailable);
  if (unavailable.length > 0) {
    lines.push('', '#### Unavailable facts', '');
    lines.push(...unavailable.map(([fact, reason]) => `- **${escapeCell(fact)}**: ${escapeCell(reason)}`));
  }

  lines.push('', `**${escapeCell(formatSummary(verdict, options.title))}**`);
  return `${lines.join('\n')}\n`;
}
