import type { Finding, Verdict, WaivedFinding } from '../engine/model.js';
import type { RenderOptions } from './render-options.js';
import { describeSubject, groupBySubject, severityWord } from './subjects.js';
import { summarizeVerdict, type Tone } from './summary.js';

type Paint = (text: string) => string;

interface Palette {
  bold: Paint;
  dim: Paint;
  red: Paint;
  yellow: Paint;
  green: Paint;
}

// Close each attribute with its own reset (22, 39) rather than 0, so nested styles survive.
const ansi = (open: number, close: number): Paint => (text) => `\x1b[${open}m${text}\x1b[${close}m`;
const plain: Paint = (text) => text;

function palette(color: boolean): Palette {
  if (!color) return { bold: plain, dim: plain, red: plain, yellow: plain, green: plain };
  return { bold: ansi(1, 22), dim: ansi(2, 22), red: ansi(31, 39), yellow: ansi(33, 39), green: ansi(32, 39) };
}

/**
 * Messages and subjects carry text from tag names, commit messages and issue bodies. A raw
 * ESC or CSI byte there could recolour or rewrite the user's terminal, so every control
 * character except newline and tab is shown as a visible `\xNN` escape instead.
 */
export function neutralizeControls(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const SEVERITY_WIDTH = 'warning'.length;

function continueLines(text: string, indent: string): string {
  return neutralizeControls(text).replace(/\r\n|\r|\n/g, `\n${indent}`);
}

function renderFinding(finding: Finding, indent: string, paint: Palette): string[] {
  const word = severityWord(finding.severity);
  const colour = finding.severity === 'error' ? paint.red : paint.yellow;
  // Fix and continuation lines start under the rule id, so a group reads as a column.
  const hang = indent + ' '.repeat(SEVERITY_WIDTH + 2);
  const lines = [
    `${indent}${colour(word.padEnd(SEVERITY_WIDTH))}  ${paint.bold(finding.rule)}  ${continueLines(finding.message, hang)}`,
  ];
  if (finding.fix !== '') lines.push(paint.dim(`${hang}fix: ${continueLines(finding.fix, `${hang}     `)}`));
  return lines;
}

function renderWaiver(finding: WaivedFinding, indent: string, paint: Palette): string {
  const { reason, owner, expires } = finding.waiver;
  const hang = indent + ' '.repeat(SEVERITY_WIDTH + 2);
  const text = `${hang}waived by ${neutralizeControls(owner)} (expires ${neutralizeControls(expires)}): ${continueLines(reason, `${hang}  `)}`;
  return paint.dim(text);
}

function renderFindings(findings: readonly Finding[], paint: Palette): string[] {
  return groupBySubject(findings).flatMap((group) => [
    paint.bold(neutralizeControls(describeSubject(group.subject))),
    ...group.findings.flatMap((finding) => renderFinding(finding, '  ', paint)),
    '',
  ]);
}

function renderWaived(waived: readonly WaivedFinding[], paint: Palette): string[] {
  if (waived.length === 0) return [];
  const lines = [paint.bold(`waived (${waived.length})`)];
  for (const group of groupBySubject(waived)) {
    lines.push(`  ${neutralizeControls(describeSubject(group.subject))}`);
    for (const finding of group.findings) {
      // Waived findings do not fail the gate: no fix line, and the entry is dimmed as a
      // whole (uncoloured inside, since bold and dim share one reset code).
      const [head = ''] = renderFinding({ ...finding, fix: '' }, '    ', palette(false));
      lines.push(paint.dim(head), renderWaiver(finding, '    ', paint));
    }
  }
  lines.push('');
  return lines;
}

function renderBaselined(baselined: readonly Finding[], paint: Palette): string[] {
  if (baselined.length === 0) return [];
  // Accepted when the policy was adopted: listed dimmed, without a fix, so they stay visible.
  const lines = [paint.bold(`baselined (${baselined.length}, accepted by \`policy baseline\`)`)];
  for (const group of groupBySubject(baselined)) {
    lines.push(`  ${neutralizeControls(describeSubject(group.subject))}`);
    for (const finding of group.findings) {
      const [head = ''] = renderFinding({ ...finding, fix: '' }, '    ', palette(false));
      lines.push(paint.dim(head));
    }
  }
  lines.push('');
  return lines;
}

function renderUnavailable(verdict: Verdict, paint: Palette): string[] {
  const entries = Object.entries(verdict.unavailable);
  if (entries.length === 0) return [];
  // Under a fail-closed gate (exit 3) the missing facts are why the gate refused.
  const colour = verdict.exitCode === 3 ? paint.red : paint.yellow;
  return [
    ...entries.map(([fact, reason]) => `${colour('unavailable:')} ${neutralizeControls(fact)} — ${continueLines(reason, '  ')}`),
    '',
  ];
}

export function renderText(verdict: Verdict, options: RenderOptions): string {
  const paint = palette(options.color);
  const summary = summarizeVerdict(verdict, options.title);
  const tones: Record<Tone, Paint> = { ok: paint.green, warn: paint.yellow, fail: paint.red };
  const lines = [
    ...renderFindings(verdict.findings, paint),
    ...renderWaived(verdict.waived, paint),
    ...renderBaselined(verdict.baselined ?? [], paint),
    ...renderUnavailable(verdict, paint),
    tones[summary.tone](`${summary.mark} ${summary.text}`),
  ];
  return `${lines.join('\n')}\n`;
}
