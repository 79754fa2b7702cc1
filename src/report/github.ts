import type { Finding, FindingLocation, Verdict } from '../engine/model.js';
import type { RenderOptions } from './render-options.js';
import { describeSubject } from './subjects.js';
import { formatSummary } from './summary.js';

/**
 * Escapes a workflow command's message, as `escapeData` in @actions/core `lib/command.js`.
 * Escaping only newlines (as Spectral does) lets a `%0A` already in a message decode into a
 * line break, and a bare CR end the command early.
 */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a property value (`title=...`): as data, plus the `:` and `,` that delimit properties. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

type Command = 'error' | 'warning' | 'notice';

function command(name: Command, title: string, message: string, at?: FindingLocation): string {
  const where = at === undefined
    ? []
    : [`file=${escapeProperty(at.file)}`, `line=${at.line}`, ...(at.column > 0 ? [`col=${at.column}`] : [])];
  return `::${name} ${[...where, `title=${escapeProperty(title)}`].join(',')}::${escapeData(message)}`;
}

function findingBody(finding: Finding): string {
  const lines = [finding.message, `subject: ${describeSubject(finding.subject)}`];
  if (finding.fix !== '') lines.push(`fix: ${finding.fix}`);
  return lines.join('\n');
}

export function renderGithub(verdict: Verdict, options: RenderOptions): string {
  const lines = verdict.findings.map((finding) =>
    command(finding.severity === 'error' ? 'error' : 'warning', finding.rule, findingBody(finding), finding.location),
  );
  // Waived findings stay visible as notices: a waiver should never hide a finding silently.
  for (const finding of verdict.waived) {
    const { reason, owner, expires } = finding.waiver;
    const body = `${finding.message}\nsubject: ${describeSubject(finding.subject)}\nwaived by ${owner} (expires ${expires}): ${reason}`;
    lines.push(command('notice', `${finding.rule} (waived)`, body, finding.location));
  }
  for (const finding of verdict.baselined ?? []) {
    const body = `${finding.message}\nsubject: ${describeSubject(finding.subject)}\naccepted by the baseline (\`policy baseline\`)`;
    lines.push(command('notice', `${finding.rule} (baselined)`, body));
  }
  const missing: Command = verdict.exitCode === 3 ? 'error' : 'warning';
  for (const [fact, reason] of Object.entries(verdict.unavailable)) {
    lines.push(command(missing, `fact unavailable: ${fact}`, reason));
  }
  // The summary is plain log text that starts with its mark; flattening line breaks in the
  // caller's title keeps a second line from ever starting with `::` and being run as a command.
  const summary = formatSummary(verdict, options.title).replace(/\r?\n|\r/g, ' ');
  lines.push(summary);
  return `${lines.join('\n')}\n`;
}
