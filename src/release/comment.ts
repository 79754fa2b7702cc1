/**
 * The status comment of `publish-failure.md` ("Status Comment Pattern"), rendered from the
 * release state, plus one hidden HTML comment carrying the state so the comment can be found
 * and updated in place. Pure.
 */
import { codeSpan, escapeText, markdownFromText } from '../report/markdown-escape.js';
import type { ReleaseState } from './model.js';
import { describeRunning } from './state.js';

export interface CommentOptions {
  ecosystem: 'cargo' | 'npm';
}

/** Opens the hidden state comment; `findStateInComment` looks for it. */
export const STATE_MARKER = '<!-- release-policy:state ';

/**
 * JSON that cannot end or break an HTML comment: `--` (which `-->` and `--!>` need) becomes
 * `-\u002d`, and `<`/`>` become `\u003c`/`\u003e`. `--` only occurs inside JSON strings, where
 * these escapes parse back to the same text.
 */
export function commentSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/--/g, '-\\u002d')
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e');
}

/** The first line, as Markdown: the package name and version come from the repository. */
function headline(state: ReleaseState): string {
  const pkg = state.package === null ? 'the package' : escapeText(state.package, false);
  const v = state.version === null ? '' : ` v${escapeText(state.version, false)}`;
  switch (state.status) {
    case 'blocked':
    case 'unknown':
      return `Release blocked for ${pkg}${v}.`;
    case 'idle':
      return `No release in progress for ${pkg}.`;
    case 'in-progress':
      return `Release in progress for ${pkg}${v}.`;
    case 'released':
      return `Release published for ${pkg}${v}; closeout pending.`;
    case 'closed':
      return `Release closed for ${pkg}${v}.`;
    case 'abandoned':
      return `Release abandoned for ${pkg}${v}.`;
  }
}

/**
 * The command as the spec's pattern shows it, as plain text, when Markdown shows that text
 * unchanged (`cargo publish --registry local --dry-run`); otherwise a code span, which shows
 * any command exactly (quotes, `<`, backticks) without escapes in the way of reading it.
 */
function commandMarkdown(command: string): string {
  const text = escapeText(command, false);
  return text === command ? text : codeSpan(command);
}

/**
 * The status comment. For a blocked (or unknown) release, exactly the spec's pattern:
 *
 * ```text
 * Release blocked for <package> v<version>.
 *
 * Failed step:
 * - <exact failing command>
 *
 * Current state:
 * - crate published: <yes/no/unknown>
 * - next action: <specific unblock step>
 * ```
 *
 * (`package published:` for npm), then a blank line and the hidden state comment. Other
 * states use the same shape with their own first line and no `Failed step:` section.
 *
 * The visible part is Markdown built from text users and repositories wrote (the command,
 * the package and version, a decision's reason inside the next action): the command is a
 * code span when Markdown would not show it as it is, the rest escaped text, so none of it
 * can open an HTML comment that hides what follows, close the hidden state's comment, break
 * out of a code span or render HTML.
 */
export function renderStatusComment(state: ReleaseState, options: CommentOptions): string {
  const noun = options.ecosystem === 'npm' ? 'package' : 'crate';
  const lines = [headline(state), ''];
  if (state.failure !== null) {
    lines.push('Failed step:', `- ${commandMarkdown(state.failure.command)}`, '');
  }
  if (state.abandoned !== undefined) {
    lines.push('Abandoned:', `- ${escapeText(state.abandoned.reason, false)} (${escapeText(state.abandoned.at, false)})`, '');
  }
  lines.push(
    'Current state:',
    `- ${noun} published: ${state.published}`,
    // Older states (a comment's hidden JSON) have no `running`.
    ...(state.running ?? []).map((s) => `- running: ${markdownFromText(describeRunning(s))}`),
    `- next action: ${markdownFromText(state.nextAction)}`,
    '',
    `${STATE_MARKER}${commentSafeJson(state)} -->`,
    '',
  );
  return lines.join('\n');
}

/** The comment as the issue shows it (what a terminal shows): the hidden state line left out. */
export function withoutHiddenState(body: string): string {
  const lines = body.split('\n').filter((line) => !line.startsWith(STATE_MARKER));
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

/** The state carried by a status comment's hidden HTML comment, or null if it has none. */
export function findStateInComment(body: string): ReleaseState | null {
  const start = body.lastIndexOf(STATE_MARKER);
  if (start === -1) return null;
  const end = body.indexOf(' -->', start + STATE_MARKER.length);
  if (end === -1) return null;
  try {
    return JSON.parse(body.slice(start + STATE_MARKER.length, end)) as ReleaseState;
  } catch {
    return null;
  }
}

/** The state for a terminal: what `policy status` prints. */
export function renderStatusText(state: ReleaseState): string {
  const v = state.version === null ? '' : ` v${state.version}`;
  const issue = state.issue === null ? '' : ` (issue #${state.issue})`;
  const lines = [`${state.package ?? 'release'}${v}${issue}: ${state.status}`];
  const f = state.failure;
  if (f !== null) {
    const exit = f.exitCode === null ? 'no exit code' : `exit ${f.exitCode}`;
    lines.push(`  failed step:  ${f.phase}: ${f.command} (${exit}, ${f.at})`);
    if (f.error !== '') lines.push('  error:', ...f.error.split('\n').map((line) => `    ${line}`));
  }
  lines.push(`  published:    ${state.published}${state.taken ? ' (taken: the registry holds this version with other content)' : ''}`);
  const verified = state.lastVerification;
  if (verified !== undefined) {
    const content = verified.content === 'ours' ? ', our content' : verified.content === 'other' ? ', other content' : '';
    lines.push(`  verified:     registry said ${verified.published}${content} (${verified.at})`);
  }
  for (const s of state.running ?? []) lines.push(`  running:      ${describeRunning(s)}`);
  if (state.completed.length > 0) lines.push(`  completed:    ${state.completed.join(', ')}`);
  if (state.abandoned !== undefined) lines.push(`  abandoned:    ${state.abandoned.reason} (${state.abandoned.at})`);
  if (state.notTheStep !== undefined) {
    const n = state.notTheStep;
    lines.push(`  not counted:  \`${n.command}\` ran as the ${n.phase} step (${n.at}) but is not a ${n.phase} command: it cleared nothing`);
  }
  for (const d of state.decisions) lines.push(`  decision:     v${d.version}: ${d.reason} (${d.at})`);
  lines.push(`  next action:  ${state.nextAction}`);
  return `${lines.join('\n')}\n`;
}
