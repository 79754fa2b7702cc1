/**
 * The release state: a pure fold of journal events. No IO, no clock.
 */
import { fenceCode } from '../report/markdown-escape.js';
import { inferPhase, programName } from './classify.js';
import { REDACTED } from './redact.js';
import { formatCommand, type JournalEvent, type Phase, type ReleaseDecision, type ReleaseState, type RunningStep, type StepProcess } from './model.js';

export type Ecosystem = 'cargo' | 'npm';

export interface FoldOptions {
  /** The package to fold for; default the package of the last event. */
  package?: string;
  /**
   * What a collector found about the processes of unfinished steps (see `unfinishedSteps`),
   * by the id of their `step-started`. A step it says nothing about recorded no process.
   */
  processes?: ReadonlyMap<string, StepProcess>;
  /**
   * The package's ecosystem, for the commands the next action names when the journal holds
   * none of the user's own (`npm publish --dry-run` rather than `cargo publish --dry-run`);
   * default cargo.
   */
  ecosystem?: Ecosystem;
}

/**
 * The `step-started` events without a `step-finished`, in journal order. A `step-finished`
 * closes the latest open start of its package and phase run by the same process (pid, host
 * and start time, where both record them), else the latest open start of its package and phase.
 */
export function unfinishedSteps(events: readonly JournalEvent[]): JournalEvent[] {
  const open: JournalEvent[] = [];
  for (const e of events) {
    if (e.type === 'step-started' && e.phase !== undefined) open.push(e);
    if (e.type !== 'step-finished' || e.phase === undefined) continue;
    const same = (s: JournalEvent) => s.package === e.package && s.phase === e.phase;
    const sameProcess = (s: JournalEvent) =>
      same(s) && s.pid === e.pid && s.host === e.host && s.processStart === e.processStart;
    let index = e.pid === undefined ? -1 : lastIndex(open, sameProcess);
    if (index === -1) index = lastIndex(open, (s) => same(s) && (e.pid === undefined || s.pid === undefined));
    if (index !== -1) open.splice(index, 1);
  }
  return open;
}

function lastIndex<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i]!)) return i;
  return -1;
}

/** The fold's working state: the published state (without its derived next action) plus bookkeeping. */
interface Release extends Omit<ReleaseState, 'nextAction' | 'commands'> {
  /** Post-publish steps that succeeded since the version was published. */
  closing: Set<Phase>;
  /** The argv of the failed step (for the rerun the next action names). */
  failedArgv: string[];
  /** Steps started and not finished yet (phase → event). */
  open: Map<Phase, JournalEvent>;
  /** Which `step-started` events never finish, and what is known of their processes. */
  steps: Steps;
  /**
   * The last command recorded for each phase of this release, so that advice names the
   * user's own command (`-p NAME`, `--registry R`, `--manifest-path`, `--features`...).
   */
  argv: Partial<Record<Phase, string[]>>;
  ecosystem: Ecosystem;
}


interface Steps {
  /** Ids of the `step-started` events that have no `step-finished`. */
  unfinished: ReadonlySet<string>;
  processes: ReadonlyMap<string, StepProcess>;
}

const CLOSING: readonly Phase[] = ['tag', 'push', 'closeout'];

function fresh(pkg: string | null, steps: Steps, ecosystem: Ecosystem, decisions: ReleaseDecision[] = [], argv: Release['argv'] = {}): Release {
  return {
    package: pkg, version: null, issue: null, status: 'idle', failure: null, published: 'no',
    decisions, completed: [], verifiedSinceFailure: false, closing: new Set(), failedArgv: [], open: new Map(),
    taken: false, running: [], steps, argv, ecosystem,
  };
}

/** Whether the current release leaves room to switch to another version without a decision. */
function settled(r: Release): boolean {
  if (r.open.has('publish')) return false; // an upload may be under way
  return r.status === 'idle' || r.status === 'closed' || r.status === 'abandoned' || (r.status === 'in-progress' && r.published === 'no');
}

/** Phases a command can be recognised as (see `inferPhase`); the others are whatever runs them. */
const RECOGNISABLE: readonly Phase[] = ['dry-run', 'publish', 'tag', 'push'];

/**
 * Whether `argv` is the `phase` step itself: for the phases a command can be recognised as,
 * the command must be one (`cargo publish --dry-run` or `cargo package` for a dry-run, not
 * `true` labelled `--phase dry-run`); bump, notes and closeout are whatever the project runs.
 */
export function isStepCommand(phase: Phase, argv: readonly string[]): boolean {
  return !RECOGNISABLE.includes(phase) || inferPhase(argv) === phase;
}

/**
 * Why `policy abandon` cannot drop this release now, or null when it can: only a release in
 * progress whose version is known not to be on the registry can be abandoned (a published
 * version is released and must be closed out; an unknown one is confirmed first).
 */
export function abandonRefusal(state: ReleaseState): string | null {
  const v = state.version === null ? '' : ` v${state.version}`;
  if (state.version === null || state.status === 'idle' || state.status === 'closed') {
    return `there is no release in progress${state.package === null ? '' : ` for ${state.package}`} to abandon`;
  }
  if (state.status === 'abandoned') {
    return `the release of ${state.package}${v} was already abandoned at ${state.abandoned?.at ?? 'an earlier time'}`;
  }
  if (state.published === 'yes') {
    return `${state.package}${v} is published: a published version cannot be abandoned; finish its tag, push and closeout`;
  }
  if (state.published === 'unknown') {
    return `whether ${state.package}${v} is on the registry is unknown: confirm it with \`policy verify\` first`;
  }
  return null;
}

/** What is known of the process of an unfinished step: undefined when it recorded none. */
function processOf(r: Release, e: JournalEvent): StepProcess | undefined {
  return r.steps.processes.get(e.id);
}

/**
 * A step whose process ended without recording its outcome: it failed, with reason
 * `interrupted` and no exit code. For a publish, whether the upload landed is unknown.
 */
function interrupt(r: Release, e: JournalEvent, why: string): void {
  const phase = e.phase!;
  r.open.delete(phase);
  const publish = phase === 'publish';
  const outcome: Omit<JournalEvent, 'v' | 'id' | 'at'> = {
    type: 'step-finished', package: e.package, version: e.version, issue: e.issue, phase,
    outcome: publish ? 'unknown' : 'failed', reason: 'interrupted', excerpt: why,
    ...(publish ? { published: 'unknown' as const } : {}),
    ...(e.command === undefined ? {} : { command: e.command }),
    ...(e.commit === undefined ? {} : { commit: e.commit }),
  };
  onStepFinished(r, { v: 1, id: e.id, at: e.at, ...outcome });
}

function processWords(e: JournalEvent): string {
  return e.pid === undefined ? 'its process was not recorded' : `pid ${e.pid}${e.host === undefined ? '' : ` on ${e.host}`}`;
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
  r.completed = [];
  r.verifiedSinceFailure = false;
  r.taken = false;
  delete r.lastVerification;
}

function onStepStarted(r: Release, e: JournalEvent): void {
  const phase = e.phase;
  if (phase === undefined) return;
  // A publish that recorded no process, started and never finished, followed by another
  // step: `policy run` steps follow one another, so it was interrupted.
  const openPublish = r.open.get('publish');
  if (openPublish !== undefined && r.steps.unfinished.has(openPublish.id) && processOf(r, openPublish) === undefined && r.published !== 'yes') {
    interrupt(r, openPublish, 'the publish step started and never finished');
  }
  if (r.status === 'idle') r.status = 'in-progress';
  if (r.steps.unfinished.has(e.id) && processOf(r, e) === 'gone') {
    // It never finishes and its process is gone: it ended here, as far as anyone can tell.
    interrupt(r, e, `the ${phase} step started at ${e.at} and its process (${processWords(e)}) ended without recording an outcome`);
    return;
  }
  r.open.set(phase, e);
}

function onStepFinished(r: Release, e: JournalEvent): void {
  const phase = e.phase;
  if (phase === undefined) return;
  r.open.delete(phase);
  const outcome = e.outcome ?? (e.exitCode === 0 ? 'ok' : 'failed');
  const reason = e.reason ?? (outcome === 'ok' || outcome === 'published' ? 'exit-zero' : 'exit-nonzero');
  const exitCode = e.exitCode ?? null;

  if (outcome === 'ok' && !isStepCommand(phase, e.command ?? [])) {
    // A command that is not the step proves nothing about it: it neither clears a block nor
    // counts as a passing dry-run for the publish.
    r.notTheStep = { phase, command: formatCommand(e.command ?? []), at: e.at };
    return;
  }
  if (outcome === 'ok' || outcome === 'published') {
    if (r.notTheStep?.phase === phase) delete r.notTheStep; // the step itself has run since
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
    if (r.published === 'yes' && phase === 'closeout' && e.issue !== null) {
      // A closeout of an issue ran only after its close-issue gate found the tag and the push
      // done, as git and the remote show them (a plain `git tag` or `git push` included, which
      // the journal never saw): the release is closed, and the next version may start.
      r.closing = new Set(CLOSING);
      if (r.failure !== null && CLOSING.includes(r.failure.phase)) r.failure = null;
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
  // The registry's answer settles a publish that never finished, unless its process is still
  // running here (then the upload may still land after the answer).
  const openPublish = r.open.get('publish');
  if (openPublish !== undefined && r.steps.unfinished.has(openPublish.id) && processOf(r, openPublish) !== 'running') {
    interrupt(r, openPublish, `the publish step started at ${openPublish.at} (${processWords(openPublish)}) never recorded an outcome`);
  }
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

/** `policy abandon`: the release ends without its version published (the CLI refuses otherwise). */
function onAbandon(r: Release, e: JournalEvent): void {
  r.status = 'abandoned';
  r.abandoned = { reason: e.reason ?? '', at: e.at };
  r.failure = null;
  r.open = new Map();
}

/**
 * The release state of one package: a pure fold of its journal events, in journal order.
 * Rules: a failed step blocks (`unknown` when whether it was published is unknown); a
 * successful rerun of the failed phase clears the block; a successful publish releases; tag,
 * push and closeout succeeding after that close; a registry verification resolves `unknown`;
 * a new version starts a new release once the previous one is closed (or was never published,
 * or a decision for the new version was recorded, or it was abandoned). A step labelled with a
 * phase its command is not (`--phase dry-run -- true`) clears nothing.
 */
export function foldRelease(events: readonly JournalEvent[], options: FoldOptions = {}): ReleaseState {
  const pkg = options.package ?? events[events.length - 1]?.package ?? null;
  const steps: Steps = {
    unfinished: new Set(unfinishedSteps(events).map((e) => e.id)),
    processes: options.processes ?? new Map(),
  };
  const ecosystem = options.ecosystem ?? 'cargo';
  let r = fresh(pkg, steps, ecosystem);
  for (const e of events) {
    if (e.package !== pkg) continue;
    if (e.type === 'decision') {
      onDecision(r, e);
      continue;
    }
    if (e.type === 'comment') continue;
    if (r.status === 'abandoned' && r.version === e.version && (e.type === 'abandon' || e.type === 'step-started' || (e.type === 'step-finished' && e.outcome !== 'published'))) {
      // The gates refuse steps of an abandoned version; only proof that it got published
      // anyway (an upload, or the registry's answer) reopens it.
      continue;
    }
    if (r.version !== e.version) {
      const decided = r.decisions.some((d) => d.version === e.version);
      if (r.version === null || settled(r) || decided) {
        // Decisions carry over into the release they decided; a closed release's do not.
        const carried = (r.status === 'closed' || r.status === 'abandoned') && !decided ? [] : r.decisions;
        // The commands carry over too: the next version is released the same way.
        r = fresh(pkg, steps, ecosystem, carried, r.argv);
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
    else if (e.type === 'abandon') onAbandon(r, e);
  }
  r.running = runningSteps(r);
  // While a publish may still be uploading, "no" would be a guess: the upload may land.
  if (r.running.some((s) => s.phase === 'publish') && r.published === 'no') r.published = 'unknown';
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
    running: r.running,
    nextAction: nextAction(r),
    commands: { dryRun: runCommand('dry-run', dryRunArgv(r)), publish: runCommand('publish', publishArgv(r)) },
  };
  if (r.lastDryRunOk !== undefined) state.lastDryRunOk = r.lastDryRunOk;
  if (r.lastVerification !== undefined) state.lastVerification = r.lastVerification;
  if (r.abandoned !== undefined && r.status === 'abandoned') state.abandoned = r.abandoned;
  if (r.notTheStep !== undefined) state.notTheStep = r.notTheStep;
  return state;
}

/** The open steps at the end of the fold that never finish: running, or not known to be gone. */
function runningSteps(r: Release): RunningStep[] {
  const running: RunningStep[] = [];
  for (const [phase, e] of r.open) {
    if (!r.steps.unfinished.has(e.id)) continue; // its step-finished belongs to another release
    running.push({
      phase,
      at: e.at,
      command: formatCommand(e.command ?? []),
      pid: e.pid ?? null,
      host: e.host ?? null,
      alive: processOf(r, e) === 'running' ? 'yes' : 'unknown',
    });
  }
  return running.sort((a, b) => a.at.localeCompare(b.at));
}

/** "a publish is running since T (pid N on HOST)", or what is known of a step that cannot be checked. */
export function describeRunning(s: RunningStep): string {
  const who = s.pid === null ? 'its process was not recorded' : `pid ${s.pid}${s.host === null ? '' : ` on ${s.host}`}`;
  return s.alive === 'yes'
    ? `a ${s.phase} is running since ${s.at} (${who})`
    : `a ${s.phase} started at ${s.at} (${who}) has not finished, and whether it still runs cannot be checked from here`;
}

function issueRef(r: Release): string {
  return r.issue === null ? 'the release issue' : `issue #${r.issue}`;
}

/** `policy run [--phase P] -- COMMAND`, with --phase only when the command does not tell it. */
function runCommand(phase: Phase, argv: readonly string[]): string {
  const advised = withoutSecrets(argv);
  return `policy run ${inferPhase(advised) === phase ? '' : `--phase ${phase} `}-- ${formatCommand(advised)}`;
}

/**
 * The recorded argv without its redacted secrets: `--token '***'` typed as advised would pass
 * `***` as the token. The option goes with its value; the tool then uses its configured
 * credentials (cargo's credentials file, `CARGO_REGISTRY_TOKEN`).
 */
function withoutSecrets(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    if (!arg.includes(REDACTED)) {
      out.push(arg);
      continue;
    }
    // `--token=***` goes alone; a separate `***` takes the option before it along.
    const option = out.at(-1);
    if (!arg.startsWith('-') && option !== undefined && out.length > 1 && option.startsWith('-') && !option.includes('=')) out.pop();
  }
  return out;
}

/** {@link runCommand} in backticks, as advice shows it. */
function rerun(phase: Phase, argv: readonly string[]): string {
  // A fence longer than any backtick run in the command keeps it one code span in the comment.
  return fenceCode(runCommand(phase, argv));
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
    case 'abandoned':
      return `the release of ${r.package}${v} was abandoned (${r.abandoned?.reason ?? ''}): ${v.trim() || 'the version'} will not be published; re-plan ${issueRef(r)}, or start the next release with a new version`;
    case 'in-progress': {
      const publishing = r.running.find((s) => s.phase === 'publish');
      if (publishing !== undefined) {
        return publishing.alive === 'yes'
          ? `${describeRunning(publishing)}: wait for it to finish and read its outcome with \`policy status\`; do not start another publish`
          : `${describeRunning(publishing)}: if it is no longer running, confirm the registry state with \`policy verify\` before anything else; do not start another publish`;
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
        return `the ${noun} is released, but the ${f.phase} step failed (${fenceCode(f.command)}): fix it and rerun it with ${rerun(f.phase, r.failedArgv)}, then finish the tag, push and closeout; keep ${issueRef(r)} open until they match the published version`;
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
      if (f.reason === 'interrupted' && f.phase !== 'publish' && r.published !== 'yes') {
        return `the ${f.phase} step of${v} was interrupted (${f.error}): check what it left behind, then rerun it with ${same}; keep ${issueRef(r)} open`;
      }
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
          const why = f.reason === 'interrupted'
            ? 'the publish was interrupted before it recorded an outcome'
            : f.reason === 'rate-limited'
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
