/**
 * The release state: a pure fold of journal events. No IO, no clock.
 */
import { inferPhase, programName } from './classify.js';
import { formatCommand, type JournalEvent, type Phase, type ReleaseDecision, type ReleaseState } from './model.js';

export type Ecosystem = 'cargo' | 'npm';

export interface FoldOptions {
  /** The package to fold for; default the package of the last event. */
  package?: string;
  /**
   * The package's ecosystem, for the commands the next action names when the journal holds
   * none of the user's own (`npm publish --dry-run` rather than `cargo publish --dry-run`);
   * default cargo.
   */
  ecosystem?: Ecosystem;
}

/** The fold's working state: the published state (without its derived next action) plus bookkeeping. */
interface Release extends Omit<ReleaseState, 'nextAction' | 'commands'> {
  /** Post-publish steps that succeeded since the version was published. */
  closing: Set<Phase>;
  /** The argv of the failed step (for the rerun the next action names). */
  failedArgv: string[];
  /** Steps started and not finished yet (phase → event). */
  open: Map<Phase, JournalEvent>;
  /** The last phase that succeeded. */
  lastOk: Phase | null;
  /**
   * The last command recorded for each phase of this release, so that advice names the
   * user's own command (`-p NAME`, `--registry R`, `--manifest-path`, `--features`...).
   */
  argv: Partial<Record<Phase, string[]>>;
  ecosystem: Ecosystem;
}


const CLOSING: readonly Phase[] = ['tag', 'push', 'closeout'];

function fresh(pkg: string | null, ecosystem: Ecosystem, decisions: ReleaseDecision[] = [], argv: Release['argv'] = {}): Release {
  return {
    package: pkg, version: null, issue: null, status: 'idle', failure: null, published: 'no',
    decisions, completed: [], verifiedSinceFailure: false, closing: new Set(), failedArgv: [], open: new Map(), lastOk: null,
    taken: false, argv, ecosystem,
  };
}

/** Whether the current release leaves room to switch to another version without a decision. */
function settled(r: Release): boolean {
  return r.status === 'idle' || r.status === 'closed' || (r.status === 'in-progress' && r.published === 'no');
}

function failWith(r: Release, phase: Phase, e: JournalEvent, reason: string, exitCode: number | null, error: string): void {
  r.failure = { phase, command: formatCommand(e.command ?? []), exitCode, error, at: e.at, reason };
  r.verifiedSinceFailure = false;
  r.failedArgv = e.command ?? [];
  // "Treat the crate as released if `cargo publish` succeeded": a tag, push or closeout that
  // fails afterwards leaves it released, with the failure to repair.
  r.status = r.published === 'unknown' ? 'unknown' : r.published === 'yes' ? 'released' : 'blocked';
}

function startRelease(r: Release, e: JournalEvent): void {
  r.version = e.version;
  // Asking the registry is not a release step: a verification alone leaves the release idle
  // (a "yes" then makes it released: published outside the loop).
  r.status = e.type === 'verification' ? 'idle' : 'in-progress';
  r.failure = null;
  r.published = 'no';
  r.closing = new Set();
  r.open = new Map();
  r.lastOk = null;
  r.completed = [];
  r.verifiedSinceFailure = false;
  r.taken = false;
  delete r.lastVerification;
}

function onStepStarted(r: Release, e: JournalEvent): void {
  const phase = e.phase;
  if (phase === undefined) return;
  // A publish started and never finished, followed by another step: it was interrupted, so
  // whether the upload landed is unknown.
  const openPublish = r.open.get('publish');
  if (openPublish !== undefined && r.published !== 'yes') {
    r.open.delete('publish');
    r.published = 'unknown';
    failWith(r, 'publish', openPublish, 'interrupted', null, 'the publish step started and never finished');
  }
  r.open.set(phase, e);
  if (r.status === 'idle') r.status = 'in-progress';
}

function onStepFinished(r: Release, e: JournalEvent): void {
  const phase = e.phase;
  if (phase === undefined) return;
  r.open.delete(phase);
  const outcome = e.outcome ?? (e.exitCode === 0 ? 'ok' : 'failed');
  const reason = e.reason ?? (outcome === 'ok' || outcome === 'published' ? 'exit-zero' : 'exit-nonzero');
  const exitCode = e.exitCode ?? null;

  if (outcome === 'ok' || outcome === 'published') {
    r.lastOk = phase;
    if (!r.completed.includes(phase)) r.completed.push(phase);
    if (phase === 'dry-run') r.lastDryRunOk = { version: e.version, commit: e.commit ?? null, at: e.at };
    if (phase === 'publish' || outcome === 'published') {
      r.published = 'yes';
      r.failure = null;
      r.status = 'released';
      return;
    }
    if (r.failure !== null && r.failure.phase === phase) {
      // A successful rerun of the failed phase clears the block.
      r.failure = null;
      r.status = r.published === 'yes' ? 'released' : 'in-progress';
      if (r.published === 'unknown') r.published = 'no';
    }
    if (r.published === 'yes' && CLOSING.includes(phase)) {
      r.closing.add(phase);
      if (r.failure === null && CLOSING.every((p) => r.closing.has(p))) r.status = 'closed';
    }
    if (r.status === 'idle') r.status = 'in-progress';
    return;
  }

  // failed, not-published or unknown
  if (phase === 'dry-run') delete r.lastDryRunOk; // a later failing dry-run voids an earlier pass
  if (phase === 'publish' && r.published === 'yes') {
    // A rerun after the version is known to be ours on the registry ("already exists"): the
    // crate stays released; nothing new is blocked by it.
    if (reason === 'version-exists') return;
  }
  if (r.published !== 'yes') {
    if (e.published === 'no' || e.published === 'unknown') r.published = e.published;
  }
  failWith(r, phase, e, reason, exitCode, e.excerpt ?? '');
}

function onVerification(r: Release, e: JournalEvent): void {
  const published = e.published;
  if (published === undefined) return;
  r.lastVerification = { published, at: e.at, content: e.content ?? '', evidence: e.evidence ?? [] };
  if (r.failure !== null) r.verifiedSinceFailure = true;
  if (published === 'yes' && e.content === 'other') {
    // The registry holds the version with content that is not ours: it is taken. Ours is not
    // published, no retry can succeed, and only a deliberate new version moves on.
    if (r.status === 'released' || r.status === 'closed') return; // our own `Uploaded` is proof
    r.taken = true;
    r.published = 'no';
    r.status = 'blocked';
    return;
  }
  r.taken = false;
  if (published === 'yes') {
    r.published = 'yes';
    const postPublish = r.failure !== null && CLOSING.includes(r.failure.phase);
    if (!postPublish) {
      r.failure = null;
      if (r.status !== 'closed') r.status = 'released';
    }
    return;
  }
  if (published === 'no') {
    // The journal's `Uploaded` is proof; a "no" from a lagging index does not undo it.
    if (r.status === 'released' || r.status === 'closed') return;
    r.published = 'no';
    if (r.status === 'unknown') r.status = 'blocked';
  }
}

function onDecision(r: Release, e: JournalEvent): void {
  r.decisions.push({ version: e.version, reason: e.reason ?? '', at: e.at });
}

/**
 * The release state of one package: a pure fold of its journal events, in journal order.
 * Rules: a failed step blocks (`unknown` when whether it was published is unknown); a
 * successful rerun of the failed phase clears the block; a successful publish releases; tag,
 * push and closeout succeeding after that close; a registry verification resolves `unknown`;
 * a new version starts a new release once the previous one is closed (or was never published,
 * or a decision for the new version was recorded).
 */
export function foldRelease(events: readonly JournalEvent[], options: FoldOptions = {}): ReleaseState {
  const pkg = options.package ?? events[events.length - 1]?.package ?? null;
  const ecosystem = options.ecosystem ?? 'cargo';
  let r = fresh(pkg, ecosystem);
  for (const e of events) {
    if (e.package !== pkg) continue;
    if (e.type === 'decision') {
      onDecision(r, e);
      continue;
    }
    if (e.type === 'comment') continue;
    if (r.version !== e.version) {
      const decided = r.decisions.some((d) => d.version === e.version);
      if (r.version === null || settled(r) || decided) {
        // Decisions carry over into the release they decided; a closed release's do not.
        const carried = r.status === 'closed' && !decided ? [] : r.decisions;
        // The commands carry over too: the next version is released the same way.
        r = fresh(pkg, ecosystem, carried, r.argv);
        startRelease(r, e);
      } else {
        continue; // a step for another version while this one is not settled: refused by the gates
      }
    }
    if (e.issue !== null) r.issue = e.issue;
    if (e.phase !== undefined && e.command !== undefined && e.command.length > 0) r.argv[e.phase] = e.command;
    if (e.type === 'step-started') onStepStarted(r, e);
    else if (e.type === 'step-finished') onStepFinished(r, e);
    else if (e.type === 'verification') onVerification(r, e);
  }
  const state: ReleaseState = {
    package: r.package,
    version: r.version,
    issue: r.issue,
    status: r.status,
    failure: r.failure,
    published: r.published,
    decisions: r.decisions,
    completed: r.completed,
    verifiedSinceFailure: r.verifiedSinceFailure,
    taken: r.taken,
    nextAction: nextAction(r),
    commands: { dryRun: runCommand('dry-run', dryRunArgv(r)), publish: runCommand('publish', publishArgv(r)) },
  };
  if (r.lastDryRunOk !== undefined) state.lastDryRunOk = r.lastDryRunOk;
  if (r.lastVerification !== undefined) state.lastVerification = r.lastVerification;
  return state;
}

function issueRef(r: Release): string {
  return r.issue === null ? 'the release issue' : `issue #${r.issue}`;
}

/** `policy run [--phase P] -- COMMAND`, with --phase only when the command does not tell it. */
function runCommand(phase: Phase, argv: readonly string[]): string {
  return `policy run ${inferPhase(argv) === phase ? '' : `--phase ${phase} `}-- ${formatCommand(argv)}`;
}

/** {@link runCommand} in backticks, as advice shows it. */
function rerun(phase: Phase, argv: readonly string[]): string {
  return `\`${runCommand(phase, argv)}\``;
}

/** The commands advice names when the journal holds none of the user's own. */
const DEFAULT_COMMANDS: Record<Ecosystem, { dryRun: string[]; publish: string[] }> = {
  cargo: { dryRun: ['cargo', 'publish', '--dry-run'], publish: ['cargo', 'publish'] },
  npm: { dryRun: ['npm', 'publish', '--dry-run'], publish: ['npm', 'publish'] },
};

/** The arguments before a `--` separator (after it, nothing is an option of the command) and the rest. */
function splitAtSeparator(argv: readonly string[]): [string[], string[]] {
  const end = argv.indexOf('--');
  return end === -1 ? [[...argv], []] : [argv.slice(0, end), argv.slice(end)];
}

/**
 * The real publish a dry-run command stands for: the same command and arguments without
 * `--dry-run` (`-n`), and `cargo package` as `cargo publish` (without its `--list`). Null when
 * the command is not a dry-run of a publish (a command given `--phase dry-run`).
 */
export function publishCommandOf(argv: readonly string[]): string[] | null {
  if (inferPhase(argv) !== 'dry-run') return null;
  const [options, rest] = splitAtSeparator(argv);
  const cargo = programName(argv[0]) === 'cargo';
  let renamed = false;
  const out: string[] = [];
  for (const [i, arg] of options.entries()) {
    if (i > 0 && (arg === '--dry-run' || arg === '--dry-run=true' || (cargo && arg === '-n'))) continue;
    if (cargo && !renamed && arg === 'package') {
      out.push('publish');
      renamed = true;
      continue;
    }
    if (cargo && renamed && (arg === '--list' || arg === '-l')) continue;
    out.push(arg);
  }
  const publish = [...out, ...rest];
  return inferPhase(publish) === 'publish' ? publish : null;
}

/** The dry-run of a publish command: the same command and arguments with `--dry-run`. Null when it is not a publish. */
export function dryRunCommandOf(argv: readonly string[]): string[] | null {
  if (inferPhase(argv) !== 'publish') return null;
  const [options, rest] = splitAtSeparator(argv);
  const dryRun = [...options, '--dry-run', ...rest];
  return inferPhase(dryRun) === 'dry-run' ? dryRun : null;
}

/** The dry-run to advise: the user's last one, else their publish with `--dry-run`, else the ecosystem's plain one. */
function dryRunArgv(r: Release): string[] {
  const recorded = r.argv['dry-run'];
  if (recorded !== undefined) return recorded;
  const fromPublish = r.argv.publish === undefined ? null : dryRunCommandOf(r.argv.publish);
  return fromPublish ?? DEFAULT_COMMANDS[r.ecosystem].dryRun;
}

/** The publish to advise: the user's last one, else their dry-run without `--dry-run`, else the ecosystem's plain one. */
function publishArgv(r: Release): string[] {
  const recorded = r.argv.publish;
  if (recorded !== undefined) return recorded;
  const fromDryRun = r.argv['dry-run'] === undefined ? null : publishCommandOf(r.argv['dry-run']);
  return fromDryRun ?? DEFAULT_COMMANDS[r.ecosystem].publish;
}

function nextAction(r: Release): string {
  const v = r.version === null ? '' : ` v${r.version}`;
  const noun = r.ecosystem === 'npm' ? 'package' : 'crate';
  const dryRun = rerun('dry-run', dryRunArgv(r));
  const publish = rerun('publish', publishArgv(r));
  const pending = r.decisions.filter((d) => d.version !== r.version);
  const decided = pending[pending.length - 1];
  switch (r.status) {
    case 'idle':
      return `no release in progress: start with the dry-run, ${dryRun}`;
    case 'closed':
      return `the release of ${r.package}${v} is closed: the next issue may start`;
    case 'in-progress': {
      const publishing = r.open.get('publish');
      if (publishing !== undefined) {
        return `a publish started at ${publishing.at} has not finished: if it is no longer running, confirm the registry state with \`policy verify\` before anything else`;
      }
      if (r.lastDryRunOk !== undefined && r.lastDryRunOk.version === r.version) {
        const at = r.lastDryRunOk.commit === null ? '' : ` on commit ${r.lastDryRunOk.commit}`;
        return `the dry-run passed${at}: publish from the same commit with ${publish}`;
      }
      return `run the dry-run for${v} with ${dryRun}`;
    }
    case 'released': {
      const f = r.failure;
      if (f !== null) {
        return `the ${noun} is released, but the ${f.phase} step failed (\`${f.command}\`): fix it and rerun it with ${rerun(f.phase, r.failedArgv)}, then finish the tag, push and closeout; keep ${issueRef(r)} open until they match the published version`;
      }
      const left = CLOSING.filter((p) => !r.closing.has(p));
      const steps = left.map((p) => (p === 'tag' ? 'create the release tag' : p === 'push' ? 'push the tag and the branch' : 'record closeout with `policy run --phase closeout -- gh issue close ...`'));
      return `the ${noun} is released: ${steps.join(', then ')}; keep ${issueRef(r)} open until then`;
    }
    case 'unknown':
    case 'blocked': {
      const f = r.failure;
      if (r.taken && decided === undefined) {
        return `the registry holds${v} with content that is not ours: the version is taken. Decide the next version deliberately with \`policy decide --version V --reason TEXT\`; do not retry, tag or reuse${v}; keep ${issueRef(r)} open`;
      }
      if (decided !== undefined) {
        return `next version decided (v${decided.version}: ${decided.reason}): set the manifest to ${decided.version}, update the release notes and rerun the dry-run with ${dryRun}`;
      }
      if (f === null) {
        return r.published === 'unknown'
          ? 'confirm the registry state with `policy verify` before anything else'
          : `resolve the release state of${v} before continuing; keep ${issueRef(r)} open`;
      }
      if (r.status === 'unknown') {
        if (f.reason === 'version-exists' || f.reason === 'dry-run-version-exists') {
          return `the registry already holds${v} (ours or someone else's): confirm the registry state with \`policy verify\` before anything else; if it is not ours, decide the next version deliberately with \`policy decide --version V --reason TEXT\`; do not retry, tag or bump`;
        }
        return 'confirm the registry state with `policy verify` before anything else; do not retry the publish, tag or bump the version';
      }
      const same = rerun(f.phase, r.failedArgv);
      if (f.reason === 'command-not-run') {
        const program = r.failedArgv[0] === undefined ? 'the command' : `\`${formatCommand(r.failedArgv.slice(0, 1))}\``;
        const why = f.exitCode === 126 ? 'exit 126: found but not executable' : 'exit 127: not found';
        const verify = f.phase === 'publish' ? `, confirm with \`policy verify\` that${v} is not on the registry` : '';
        return `the ${f.phase} step did not run: ${program} could not be run (${why}); install it or fix PATH or its permissions${verify}, then rerun the same command with ${same}`;
      }
      if (f.reason === 'registry-unreachable') {
        const reach = 'check the network, the registry address in your configuration and whether the registry is up';
        if (f.phase === 'publish') {
          return `the registry could not be reached before the upload (the name did not resolve, or the connection was refused, reset or timed out), so${v} is not published: ${reach}, confirm it with \`policy verify\` once the registry answers, then rerun the same command with ${same}; do not bump the version`;
        }
        return `the registry could not be reached (the name did not resolve, or the connection was refused, reset or timed out); nothing is wrong with the package as far as this shows: ${reach}, then rerun the same command with ${same}; do not create or push a release tag`;
      }
      switch (f.phase) {
        case 'bump':
          return `fix the version bump for${v} (keep the version and release notes), then rerun it with ${same}`;
        case 'notes':
          return `fix the release notes for${v} (keep them and the version), then rerun ${same}`;
        case 'dry-run':
          return `fix packaging, manifest or validation problems, then rerun the dry-run with ${same}; do not create or push a release tag`;
        case 'publish': {
          const why = f.reason === 'rate-limited'
            ? 'the registry refused the upload with 429, rate limited: wait until the time the error names'
            : f.reason === 'upload-refused'
              ? 'the registry refused the upload (token, ownership or size, as the error says)'
              : 'the upload did not start';
          if (r.lastVerification?.published === 'no' && r.verifiedSinceFailure) {
            return `the registry confirmed${v} is not published (${why}): fix the cause above, rerun the dry-run with ${dryRun}, then publish with ${same}`;
          }
          return `${v.trim() || 'the version'} is not published (${why}): fix the cause above, confirm it with \`policy verify\`, rerun the dry-run with ${dryRun}, then publish with ${same}; do not bump the version`;
        }
        case 'tag':
        case 'push':
          if (r.published === 'yes') return `the ${noun} is released: fix the tag/push and record closeout; keep ${issueRef(r)} open`;
          return `fix the ${f.phase} (${f.command}) and rerun it with ${same}; the ${noun} is not published, so do not push a release tag`;
        case 'closeout':
          return `fix the closeout and rerun it with ${same}; keep ${issueRef(r)} open until it succeeds`;
      }
    }
  }
}
