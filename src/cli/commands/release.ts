// `policy status`, `policy comment` and `policy decide`: the release state read from the
// journal, the spec's status comment, and a deliberate next-version decision.
import { newEvent } from '../../facts/journal.js';
import { appendReleaseEvent } from '../../facts/release.js';
import { renderStatusComment, renderStatusText } from '../../release/comment.js';
import { createRedactor, redactDeep } from '../../release/redact.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { UsageError, type CliContext } from '../context.js';
import { parseIssue, parseVersion, readScene, readWorkTree, warnJournalProblems, type ReleaseScene } from '../release.js';

export const STATUS_HELP = `Usage: policy status [--format text|json] [--package NAME]

The current release, folded from the release journal: package, version, issue, status
(idle, in-progress, blocked, unknown, released, closed), the failed step with its exact
command, exit code and error, whether the version is published (yes, no, unknown),
recorded decisions, and the next action.

Options:
  --format F       text (default) or json
  --package NAME   the package whose release to show (default: the journal's last)
  --policy FILE, --cwd DIR, --debug

Exit codes: 0, or 2 for a usage or policy error. Journal lines that do not count (torn,
invalid) are named on standard error and kept in the file.
`;

export const COMMENT_HELP = `Usage: policy comment [--issue N] [--package NAME]

Prints the status comment of publish-failure.md for the current release state, exactly
the spec's pattern ("Release blocked for <crate> v<version>.", the failed command, whether
the crate is published, the next action), plus one hidden HTML comment carrying the state
so the comment can be found and updated in place. Post it with, for example:

  policy comment | gh issue comment 7 --body-file -

Options:
  --issue N        the issue the comment is for (default: the release's issue)
  --package NAME   the package whose release to describe (default: the journal's last)
  --policy FILE, --cwd DIR, --debug
`;

export const DECIDE_HELP = `Usage: policy decide --version V --reason TEXT [--package NAME]

Records a deliberate next-version decision in the release journal (publish-failure.md:
"decide the next version deliberately"). Once recorded, moving the manifest to V is no
longer a silent bump: the gates allow it, and the release of V starts with its dry-run.

Options:
  --version V      the version decided on (SemVer, without a leading v)
  --reason TEXT    why, in a sentence (shown in status and in the status comment)
  --package NAME   the package (default: the journal's last)
  --policy FILE, --cwd DIR, --debug
`;

function issueOf(scene: ReleaseScene, flag: unknown): number | null {
  return typeof flag === 'string' ? parseIssue('--issue', flag) : scene.state.issue;
}

/** The state with the branch's issue filled in when the journal names none. */
async function stateWithIssue(scene: ReleaseScene, flag: unknown) {
  const issue = issueOf(scene, flag);
  if (issue !== null) return { ...scene.state, issue };
  const tree = await readWorkTree(scene).catch(() => null);
  return { ...scene.state, issue: tree && tree.branchIssue > 0 ? tree.branchIssue : null };
}

export async function runStatus(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('status', argv, { format: { type: 'string' }, package: { type: 'string' } });
  if (values.help) {
    ctx.stdout(STATUS_HELP);
    return 0;
  }
  const format = oneOf('format', String(values.format ?? 'text'), ['text', 'json'] as const);
  const scene = await readScene(ctx, values);
  warnJournalProblems(ctx, scene);
  // Already redacted when recorded; redacting again guards journals written by older versions.
  const state = redactDeep(await stateWithIssue(scene, undefined), createRedactor([], ctx.env).text);
  if (format === 'json') {
    const journal = { path: scene.journal.path, problems: scene.journal.contents.problems };
    ctx.stdout(`${JSON.stringify({ ...state, journal }, null, 2)}\n`);
  } else {
    ctx.stdout(renderStatusText(state));
  }
  return 0;
}

export async function runComment(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('comment', argv, {
    issue: { type: 'string' },
    package: { type: 'string' },
    post: { type: 'boolean' },
  });
  if (values.help) {
    ctx.stdout(COMMENT_HELP);
    return 0;
  }
  if (values.post) {
    throw new UsageError(
      '--post needs the GitHub connection, which this version does not have yet',
      'Pipe the comment to the GitHub CLI: `policy comment | gh issue comment N --body-file -`.',
    );
  }
  const scene = await readScene(ctx, values);
  warnJournalProblems(ctx, scene);
  // Already redacted when recorded; redacting again costs nothing and guards older journals.
  // The state is redacted before rendering: its hidden JSON copy escapes quotes, which hides
  // `"password": "..."` from a redaction of the rendered text.
  const redactor = createRedactor([], ctx.env);
  const state = redactDeep(await stateWithIssue(scene, values.issue), redactor.text);
  ctx.stdout(redactor.text(renderStatusComment(state, { ecosystem: scene.pkg.ecosystem })));
  return 0;
}

export async function runDecide(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('decide', argv, {
    version: { type: 'string' },
    reason: { type: 'string' },
    package: { type: 'string' },
  });
  if (values.help) {
    ctx.stdout(DECIDE_HELP);
    return 0;
  }
  if (typeof values.version !== 'string' || values.version === '') {
    throw new UsageError('policy decide needs --version V', 'For example: policy decide --version 0.2.1 --reason "0.2.0 is taken on crates.io"');
  }
  const version = parseVersion(`--version ${values.version}`, values.version);
  const reason = typeof values.reason === 'string' ? values.reason.trim() : '';
  if (reason === '') throw new UsageError('policy decide needs --reason TEXT: say why this version', 'A decision without a reason is the silent bump the spec forbids.');
  const scene = await readScene(ctx, values);
  warnJournalProblems(ctx, scene);
  const { state, pkg } = scene;
  if (state.version === version) {
    throw new UsageError(`v${version} is already the version under release for ${pkg.name}`, 'A decision names the next version to release instead of it.');
  }
  const redactor = createRedactor([], ctx.env);
  const event = newEvent({ type: 'decision', package: pkg.name, version, issue: state.issue, reason: redactor.text(reason) });
  await appendReleaseEvent(scene.journal.path, event);
  const from = state.version === null ? '' : ` (instead of v${state.version}, ${state.status})`;
  ctx.stdout(`Recorded: the next version of ${pkg.name} is v${version}${from}.\nReason: ${event.reason}\n`);
  return 0;
}
