// `policy status`, `policy comment`, `policy decide` and `policy abandon`: the release state
// read from the journal, the spec's status comment, a deliberate next-version decision, and a
// deliberate end to a release that will not happen.
import { newEvent } from '../../facts/journal.js';
import { appendReleaseEvent } from '../../facts/release.js';
import { readSharedRelease } from '../../facts/collect.js';
import { observeRelease, releaseRemote, remoteTimeoutMs, RemoteUnreadable } from '../../facts/observe.js';
import { mergeObserved, renderStepSources, type Observation } from '../../release/observed.js';
import { renderStatusComment, renderStatusText, withoutHiddenState } from '../../release/comment.js';
import type { ReleaseState } from '../../release/model.js';
import { abandonRefusal } from '../../release/state.js';
import { createRedactor, redactDeep } from '../../release/redact.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { isOffline, UsageError, type CliContext } from '../context.js';
import { compareVersions, isValidVersion } from '../../version/semver.js';
import { parseIssue, parseVersion, readScene, readWorkTree, warnJournalProblems, type ReleaseScene } from '../release.js';

export const STATUS_HELP = `Usage: policy status [--format text|json] [--package NAME] [--remote]

The current release, folded from the release journal and merged with what git shows:
package, version, issue, status (idle, in-progress, blocked, unknown, released, closed,
abandoned), the failed step with its exact command, exit code and error, whether the
version is published (yes, no, unknown), recorded decisions, steps still running (a step
whose process ended without recording its outcome is a failed step, reason interrupted),
the next action, and for each step (dry-run, publish, tag, push, closeout) whether the
journal, git or the registry says it is done, and where they disagree.

With GITHUB_TOKEN (or GH_TOKEN), the journal's state is merged with the status comment on the
release's issue (else on an open issue holding a blocked release), one GraphQL request: a
clone without a journal sees the blocked release, the newer of the two wins and \`shared:\`
says where they disagree. Comments by authors not in github.trusted are named and not
counted. Offline, without a token or with GitHub failing: the journal alone, and why.

Options:
  --format F       text (default) or json
  --package NAME   the package whose release to show (default: the journal's last)
  --remote         ask the remote with \`git ls-remote\` (deadline POLICY_REMOTE_TIMEOUT
                   seconds, default 10) instead of reading the remote-tracking refs
  --policy FILE, --cwd DIR, --debug

Exit codes: 0; 2 for a usage or policy error; 3 when --remote could not read the remote (the
status is still printed). Journal lines that do not count (torn, invalid) are named on
standard error and kept in the file.
`;

export const COMMENT_HELP = `Usage: policy comment [--post] [--issue N] [--package NAME] [--format text|markdown] [--raw]

The status comment of publish-failure.md for the current release state, exactly the spec's
pattern ("Release blocked for <crate> v<version>.", the failed command, whether the crate
is published, the next action), plus one hidden HTML comment carrying the state so the
comment can be found and updated in place.

On a terminal it is shown as a reader of the issue sees it, without the hidden state;
piped (or with --format markdown or --raw) it is printed whole, ready to post:

  policy comment | gh issue comment 7 --body-file -

--post posts it on the release's issue through GitHub's GraphQL API: the first time as a
new comment, then by updating that same comment (one comment per release version, found by
its hidden state among the token's own comments); when the repository has status:* labels,
the issue's label follows the state (status:blocked, status:in-progress, status:released).
\`policy run\` does this by itself after each step when a token is set (github.comment: auto).

Options:
  --post           post (or update) the comment on the issue; needs GITHUB_TOKEN or GH_TOKEN
  --issue N        the issue the comment is for (default: the release's issue, else the branch's)
  --package NAME   the package whose release to describe (default: the journal's last)
  --format F       text (without the hidden state) or markdown (whole); default text on a
                   terminal, markdown otherwise
  --raw            the same as --format markdown
  --policy FILE, --cwd DIR, --debug

Environment: GITHUB_TOKEN (else GH_TOKEN); GITHUB_GRAPHQL_URL (else github.graphqlUrl, else
$GITHUB_API_URL/graphql, else https://api.github.com/graphql); POLICY_GITHUB_TIMEOUT seconds
per request (default 10). The token is never printed.

Exit codes: 0; 2 for a usage or policy error (no issue to post on); 3 when --post could not
reach GitHub or GitHub refused (the reason is printed; nothing else changes).
`;

export const DECIDE_HELP = `Usage: policy decide --version V --reason TEXT [--package NAME]

Records a deliberate next-version decision in the release journal (publish-failure.md:
"decide the next version deliberately"). Once recorded, moving the manifest to V is no
longer a silent bump: the gates allow it, and the release of V starts with its dry-run.

Options:
  --version V      the version decided on: SemVer, without a leading v, higher than the
                   version under release
  --reason TEXT    why, in a sentence (shown in status and in the status comment)
  --package NAME   the package (default: the journal's last)
  --policy FILE, --cwd DIR, --debug

Refused (exit 2, with the reason): no reason, a leading v, a version not higher than the
one under release, and a decision while no release is in progress (idle or closed).
`;

export const ABANDON_HELP = `Usage: policy abandon --reason TEXT [--package NAME]

Records that the release in progress will not happen: its version is never to be published
(the publish gate refuses it from now on), the block ends, and the issue may be re-planned.
The next release starts with a new version. Only a release whose version is not on the
registry can be abandoned: a published version is released (finish its tag, push and
closeout), and an unknown one is confirmed with \`policy verify\` first.

Options:
  --reason TEXT    why, in a sentence (shown in status, the status comment and the journal)
  --package NAME   the package (default: the journal's last)
  --policy FILE, --cwd DIR, --debug

Exit codes: 0 recorded; 1 refused (the reason is printed; nothing is recorded); 2 usage or
policy error.
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
  const { values } = parseCommandArgs('status', argv, { format: { type: 'string' }, package: { type: 'string' }, remote: { type: 'boolean' } });
  if (values.help) {
    ctx.stdout(STATUS_HELP);
    return 0;
  }
  const format = oneOf('format', String(values.format ?? 'text'), ['text', 'json'] as const);
  const read = await readScene(ctx, values);
  warnJournalProblems(ctx, read);
  const shared = await sharedState(ctx, read, typeof values.package === 'string');
  const scene = { ...read, state: shared.state };
  for (const i of shared.view?.ignored ?? []) {
    ctx.stderr(`policy status: ignored comment ${i.id} by ${i.author} on issue #${i.issue}: ${redact(ctx, i.why)}\n`);
  }
  const observed = await observeScene(ctx, scene, values.remote === true);
  // Already redacted when recorded; redacting again guards journals written by older versions.
  const state = redactDeep(await stateWithIssue({ ...scene, state: observed.merged?.state ?? scene.state }, undefined), createRedactor([], ctx.env).text);
  const steps = observed.merged?.steps ?? [];
  const remote = observed.observation?.remote ?? null;
  const remoteView = observed.observation === null ? null : {
    name: remote?.name ?? '',
    via: remote?.via ?? (values.remote === true ? 'ls-remote' : 'tracking'),
    error: observed.observation.remoteError ?? '',
  };
  if (format === 'json') {
    const journal = { path: scene.journal.path, problems: scene.journal.contents.problems };
    ctx.stdout(`${JSON.stringify({ ...state, steps, remote: remoteView, journal, shared: sharedJson(ctx, shared) }, null, 2)}\n`);
  } else {
    ctx.stdout(renderStatusText(state) + (steps.length === 0 ? '' : renderStepSources(steps)));
    if (remoteView !== null && remoteView.error !== '') ctx.stdout(`  remote:       ${remoteView.error}\n`);
    ctx.stdout(`  shared:       ${sharedLine(ctx, shared)}\n`);
  }
  return observed.unreadable ? 3 : 0;
}

type Shared = Awaited<ReturnType<typeof readSharedRelease>>;

/**
 * The journal's state merged with the trusted status comments of the release's issue (or of
 * the open issues holding a blocked release), read with one GitHub request; offline, without
 * a token or with GitHub failing, the journal's alone and the reason.
 */
async function sharedState(ctx: CliContext, scene: ReleaseScene, packageGiven: boolean): Promise<Shared> {
  const { policy } = scene.loaded;
  return readSharedRelease({
    cwd: scene.cwd,
    env: ctx.env,
    packages: policy.packages,
    defaultBranch: policy.defaultBranch,
    needs: ['github'],
    gate: { name: 'status', arg: '' },
    issuePatterns: policy.issues.branch,
    ...(packageGiven ? { releasePackage: scene.pkg.name } : {}),
    offline: isOffline(ctx),
    toolVersion: ctx.toolVersion,
    github: policy.github,
  }, scene.state, scene.journal.contents.events);
}

function redact(ctx: CliContext, text: string): string {
  return createRedactor([], ctx.env).text(text);
}

function sharedJson(ctx: CliContext, shared: Shared) {
  const v = shared.view;
  return {
    source: v?.source ?? 'journal',
    issue: v?.issue ?? 0,
    comment: v?.comment ?? '',
    disagreement: redact(ctx, v?.disagreement ?? ''),
    unread: redact(ctx, shared.unread),
    ignored: (v?.ignored ?? []).map((i) => ({ ...i, why: redact(ctx, i.why) })),
  };
}

function sharedLine(ctx: CliContext, shared: Shared): string {
  const v = shared.view;
  if (v === null) return `the issue was not read (${redact(ctx, shared.unread)}): this is the local journal's state`;
  if (v.disagreement !== '') return redact(ctx, v.disagreement);
  const where = v.issue === 0 ? '' : ` (issue #${v.issue}${v.comment === '' ? '' : `, ${v.comment}`})`;
  if (v.source === 'issue') return `from the issue's status comment${where}: this clone's journal has no newer word`;
  if (v.source === 'both') return `the journal and the issue's status comment agree${where}`;
  return v.issue === 0 ? "no status comment on GitHub holds a release: this is the local journal's state" : `the local journal's state is newer than the issue's${where}`;
}

/**
 * What git shows of the scene's release, merged with the journal: the release tag, and the
 * remote by its remote-tracking refs, or asked with ls-remote (`--remote`).
 */
async function observeScene(ctx: CliContext, scene: ReleaseScene, askRemote: boolean) {
  const none = { observation: null, merged: null, unreadable: false } as const;
  const version = scene.state.version;
  if (version === null || scene.state.status === 'idle') return none;
  const remoteName = releaseRemote(scene.journal.contents.events, scene.state);
  const options = { remote: askRemote ? 'ls-remote' : 'tracking', timeoutMs: remoteTimeoutMs(ctx.env), remoteName, env: ctx.env } as const;
  let observation: Observation;
  let unreadable = false;
  try {
    observation = await observeRelease(scene.cwd, scene.pkg, version, options);
  } catch (error) {
    if (!(error instanceof RemoteUnreadable)) throw error;
    // The tag is still shown; the push has no word from git.
    observation = { ...(await observeRelease(scene.cwd, scene.pkg, version, { ...options, remote: 'tracking' })), remote: null, remoteError: error.message };
    unreadable = true;
  }
  return { observation, merged: mergeObserved(scene.state, observation, scene.pkg.ecosystem), unreadable };
}

export async function runComment(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('comment', argv, {
    issue: { type: 'string' },
    package: { type: 'string' },
    post: { type: 'boolean' },
    format: { type: 'string' },
    raw: { type: 'boolean' },
  });
  if (values.help) {
    ctx.stdout(COMMENT_HELP);
    return 0;
  }
  const given = values.format === undefined ? null : oneOf('format', String(values.format), ['text', 'markdown'] as const);
  if (values.raw === true && given === 'text') throw new UsageError('--raw prints the whole comment; it cannot be combined with --format text');
  const format = values.raw === true ? 'markdown' : (given ?? (ctx.tty ? 'text' : 'markdown'));
  const scene = await readScene(ctx, values);
  warnJournalProblems(ctx, scene);
  const { state, body } = await commentOf(ctx, scene, values.issue);
  if (values.post !== true) {
    ctx.stdout(format === 'markdown' ? body : withoutHiddenState(body));
    return 0;
  }
  if (state.issue === null) {
    throw new UsageError('no issue to post the status comment on: the release names none and the branch names none', 'Pass --issue N.');
  }
  const { postStatusComment } = await import('../post-comment.js');
  const { GitHubUnavailable } = await import('../../facts/github.js');
  try {
    const posted = await postStatusComment({
      cwd: scene.cwd,
      env: ctx.env,
      config: scene.loaded.policy.github,
      offline: isOffline(ctx),
      toolVersion: ctx.toolVersion,
      issue: state.issue,
      state,
      body,
    });
    ctx.stdout(`${postedLine(posted, state.issue)}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof GitHubUnavailable)) throw error;
    ctx.stderr(`policy comment: not posted on issue #${state.issue}: ${error.message}\n`);
    return 3;
  }
}

/** One line saying what --post (or `policy run`) did on GitHub. */
export function postedLine(posted: { action: string; url: string; repository: string; label: string }, issue: number): string {
  const where = `${posted.repository}#${issue}`;
  const what = posted.action === 'unchanged' ? `the status comment on ${where} is up to date` : `${posted.action} the status comment on ${where}`;
  return `policy: ${what}${posted.url ? ` (${posted.url})` : ''}${posted.label ? `; label ${posted.label}` : ''}`;
}

/**
 * The comment for the scene's state, with the same state as `policy status` (a tag or push
 * git shows done is not "pending" here) and the issue filled in; redacted.
 */
export async function commentOf(ctx: CliContext, scene: ReleaseScene, issueFlag: unknown): Promise<{ state: ReleaseState; body: string }> {
  const observed = await observeScene(ctx, scene, false);
  // Already redacted when recorded; redacting again costs nothing and guards older journals.
  // The state is redacted before rendering: its hidden JSON copy escapes quotes, which hides
  // `"password": "..."` from a redaction of the rendered text.
  const redactor = createRedactor([], ctx.env);
  const state = redactDeep(await stateWithIssue({ ...scene, state: observed.merged?.state ?? scene.state }, issueFlag), redactor.text);
  return { state, body: redactor.text(renderStatusComment(state, { ecosystem: scene.pkg.ecosystem })) };
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
  if (/^v\d/i.test(values.version)) {
    // A decision names the version as the manifest will carry it; `v` belongs to the tag.
    throw new UsageError(
      `--version ${values.version}: give the version without a leading v`,
      `For example: policy decide --version ${values.version.slice(1)} --reason TEXT`,
    );
  }
  const version = parseVersion(`--version ${values.version}`, values.version);
  const reason = typeof values.reason === 'string' ? values.reason.trim() : '';
  if (reason === '') throw new UsageError('policy decide needs --reason TEXT: say why this version', 'A decision without a reason is the silent bump the spec forbids.');
  const scene = await readScene(ctx, values);
  warnJournalProblems(ctx, scene);
  const { state, pkg } = scene;
  if (state.version === null || state.status === 'idle' || state.status === 'closed') {
    // Nothing to decide against: the next version is an ordinary bump, which the gates allow.
    const why = state.version === null || state.status === 'idle'
      ? `no release of ${pkg.name} is in progress`
      : `the release of ${pkg.name} v${state.version} is closed`;
    throw new UsageError(
      `policy decide: ${why}, so there is no release to decide a next version for`,
      'A decision replaces the version of a blocked or unknown release; with none, bump the version and run the dry-run (`policy status` shows the state).',
    );
  }
  if (state.version === version) {
    throw new UsageError(`v${version} is already the version under release for ${pkg.name}`, 'A decision names the next version to release instead of it.');
  }
  // A journal version that is not SemVer (written by hand) cannot be ordered: nothing to compare.
  if (isValidVersion(state.version) && compareVersions(version, state.version) <= 0) {
    throw new UsageError(
      `--version ${version} is not higher than v${state.version}, the version under release for ${pkg.name}${compareVersions(version, state.version) === 0 ? ' (build metadata does not make a new version)' : ''}`,
      `A next version must be higher than ${state.version} (a lower one would publish out of order); for example ${nextPatch(state.version)}.`,
    );
  }
  const redactor = createRedactor([], ctx.env);
  const event = newEvent({ type: 'decision', package: pkg.name, version, issue: state.issue, reason: redactor.text(reason) });
  await appendReleaseEvent(scene.journal.path, event);
  const from = state.version === null ? '' : ` (instead of v${state.version}, ${state.status})`;
  ctx.stdout(`Recorded: the next version of ${pkg.name} is v${version}${from}.\nReason: ${event.reason}\n`);
  return 0;
}

export async function runAbandon(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('abandon', argv, {
    reason: { type: 'string' },
    package: { type: 'string' },
  });
  if (values.help) {
    ctx.stdout(ABANDON_HELP);
    return 0;
  }
  const reason = typeof values.reason === 'string' ? values.reason.trim() : '';
  if (reason === '') {
    throw new UsageError('policy abandon needs --reason TEXT: say why the release will not happen', 'For example: policy abandon --reason "0.2.0 is superseded by the 0.3 rewrite (issue #9)"');
  }
  const scene = await readScene(ctx, values);
  warnJournalProblems(ctx, scene);
  const { state, pkg } = scene;
  const refusal = abandonRefusal(state);
  if (refusal !== null) {
    ctx.stderr(`policy abandon: refused: ${refusal}. Nothing was recorded.\n  next action: ${state.nextAction}\n`);
    return 1;
  }
  const redactor = createRedactor([], ctx.env);
  const event = newEvent({ type: 'abandon', package: pkg.name, version: state.version ?? '', issue: state.issue, reason: redactor.text(reason) });
  await appendReleaseEvent(scene.journal.path, event);
  const issue = state.issue === null ? 'its issue' : `issue #${state.issue}`;
  ctx.stdout(`Recorded: the release of ${pkg.name} v${state.version} is abandoned (was ${state.status}); v${state.version} will not be published.\nReason: ${event.reason}\nRe-plan ${issue}, or start the next release with a new version.\n`);
  return 0;
}

/** The next patch release of a version, for an example in a message: 0.2.0 → 0.2.1, 1.0.0-rc.1 → 1.0.0. */
function nextPatch(version: string): string {
  const match = /^(\d+)\.(\d+)\.(\d+)(-[^+]*)?/.exec(version);
  if (match === null) return version;
  const [, major, minor, patch, pre] = match;
  return pre ? `${major}.${minor}.${patch}` : `${major}.${minor}.${Number(patch) + 1}`;
}
