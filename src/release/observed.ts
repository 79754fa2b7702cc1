/**
 * What git shows, merged with what the journal recorded. The journal is evidence, not the only
 * truth: a release tag made with plain `git tag` and pushed with plain `git push` is as done as
 * one made under `policy run`, and a journal that says "pushed" while the remote lacks the tag
 * is wrong. Pure: the caller reads git (src/facts/observe.ts) and hands the observation in.
 */
import { fenceCode } from '../report/markdown-escape.js';
import { formatCommand, type Phase, type ReleaseState } from './model.js';

/** The steps `policy status` reports sources for, in release order. */
export const REPORTED_STEPS = ['dry-run', 'publish', 'tag', 'push', 'closeout'] as const satisfies readonly Phase[];
export type ReportedStep = (typeof REPORTED_STEPS)[number];

/** The version's release tag in the local repository, peeled to its commit. */
export interface ObservedTag {
  name: string;
  exists: boolean;
  commit: string;
  /** The package's manifest version at `commit`; "" when it cannot be read. */
  manifestVersion: string;
}

/** What the remote holds, as far as it could be seen. */
export interface ObservedRemote {
  /** The remote's name (or URL) as the push named it; default `origin`. */
  name: string;
  /**
   * `ls-remote`: asked just now; `tracking`: the remote-tracking refs as of the last fetch or
   * push (they show branches only: whether the remote has the tag is not visible).
   */
  via: 'ls-remote' | 'tracking';
  /** `ls-remote`: the commit the remote's tag names ("" when it has no such tag); `tracking`: "". */
  tagCommit: string;
  /** The remote's branches whose tip holds the tag's commit (short names). */
  branches: string[];
}

export interface Observation {
  /** null: git was not read. */
  tag: ObservedTag | null;
  /** null: the remote was not read (`remoteError` says why when it was tried). */
  remote: ObservedRemote | null;
  remoteError?: string;
}

export type JournalWord = 'done' | 'failed' | 'none';
/**
 * git's word on a step: `done`; `not-done`; `wrong-commit` (the tag exists on a commit whose
 * manifest does not carry the version); `branch-only` (a remote-tracking branch holds the tag's
 * commit, the remote's tags are not visible locally); `unknown` (git could not be read).
 */
export type GitWord = 'done' | 'not-done' | 'wrong-commit' | 'branch-only' | 'unknown';

/** One step as each source sees it. A source without a word on the step is null. */
export interface StepSources {
  step: ReportedStep;
  /** Whether the step counts as done, all sources weighed. */
  done: boolean;
  journal: JournalWord;
  git: GitWord | null;
  /** The registry's last recorded answer (`policy verify`): yes, no, unknown or taken. */
  registry: 'yes' | 'no' | 'unknown' | 'taken' | null;
  /** What git or the registry showed, in words; "" when nothing. */
  detail: string;
  /** "" when the sources agree; otherwise what each says. */
  disagreement: string;
}

export interface MergedRelease {
  state: ReleaseState;
  steps: StepSources[];
}

const short = (oid: string): string => oid.slice(0, 12);

function journalWord(state: ReleaseState, step: ReportedStep): JournalWord {
  if (state.failure !== null && state.failure.phase === step) return 'failed';
  return state.completed.includes(step) ? 'done' : 'none';
}

function tagWord(state: ReleaseState, tag: ObservedTag | null): { word: GitWord; detail: string } {
  if (tag === null) return { word: 'unknown', detail: 'the release tag was not read' };
  if (!tag.exists) return { word: 'not-done', detail: `no tag ${tag.name}` };
  if (tag.manifestVersion === state.version) {
    return { word: 'done', detail: `${tag.name} is on commit ${short(tag.commit)}, whose manifest carries ${tag.manifestVersion}` };
  }
  const carries = tag.manifestVersion === '' ? 'whose manifest cannot be read' : `whose manifest carries ${tag.manifestVersion}`;
  return { word: 'wrong-commit', detail: `${tag.name} is on commit ${short(tag.commit)}, ${carries}, not ${state.version ?? ''}` };
}

function pushWord(tag: ObservedTag | null, tagDone: boolean, observation: Observation): { word: GitWord; detail: string } {
  const remote = observation.remote;
  if (remote === null) return { word: 'unknown', detail: observation.remoteError ?? 'the remote was not read' };
  const name = tag?.name ?? 'the release tag';
  if (tag === null || !tag.exists || !tagDone) return { word: 'not-done', detail: `there is no valid local ${name} to push` };
  const holding = remote.branches.length === 0 ? '' : remote.branches.map((b) => `${remote.name}/${b}`).join(', ');
  if (remote.via === 'tracking') {
    if (holding === '') return { word: 'not-done', detail: `no remote-tracking branch of ${remote.name} holds ${name}'s commit ${short(tag.commit)} (as of the last fetch or push)` };
    return { word: 'branch-only', detail: `${holding} holds ${name}'s commit (as of the last fetch or push); whether the remote has the tag is not visible locally: \`policy status --remote\` asks` };
  }
  if (remote.tagCommit === '') return { word: 'not-done', detail: `${remote.name} has no tag ${name}` };
  if (remote.tagCommit !== tag.commit) {
    return { word: 'not-done', detail: `${remote.name} has ${name} on commit ${short(remote.tagCommit)}, not on the local ${short(tag.commit)}` };
  }
  if (holding === '') return { word: 'not-done', detail: `${remote.name} has ${name}, but none of its branches holds commit ${short(tag.commit)}` };
  return { word: 'done', detail: `${remote.name} has ${name} at ${short(tag.commit)}, and ${holding} holds it` };
}

/** A step the journal has no record of is not a disagreement: it was done (or not) outside `policy run`. */
function disagrees(journal: JournalWord, git: GitWord, gitDone: boolean): boolean {
  return journal !== 'none' && git !== 'unknown' && (journal === 'done') !== gitDone;
}

const SAYS: Record<Exclude<JournalWord, 'none'>, string> = { done: 'succeeded', failed: 'failed' };

/**
 * Each step's sources, and the release state with git's word merged in: the tag step is done
 * when the version's release tag is on a commit whose manifest carries the version; the push
 * when the remote has that tag and a branch holding it. Only a published, unclosed release is
 * changed (its tag and push are what keeps it open); a repaired tag or push failure clears, and
 * with the closeout recorded the release is closed.
 */
export function mergeObserved(state: ReleaseState, observation: Observation, ecosystem: 'cargo' | 'npm' = 'cargo'): MergedRelease {
  const tag = tagWord(state, observation.tag);
  const tagDone = tag.word === 'done' || (tag.word === 'unknown' && journalWord(state, 'tag') === 'done');
  const push = pushWord(observation.tag, tag.word === 'done', observation);
  const steps = REPORTED_STEPS.map((step): StepSources => {
    const journal = journalWord(state, step);
    const view: StepSources = { step, done: journal === 'done', journal, git: null, registry: null, detail: '', disagreement: '' };
    if (step === 'publish') {
      const verified = state.lastVerification;
      if (verified !== undefined) {
        view.registry = verified.published === 'yes' && verified.content === 'other' ? 'taken' : verified.published;
        view.detail = `the registry said ${view.registry} (${verified.at})`;
      }
      view.done = state.published === 'yes';
      if (journal === 'done' && view.registry !== null && view.registry !== 'yes') {
        view.disagreement = `the journal says the publish succeeded, the registry's last answer was ${view.registry}`;
      }
      return view;
    }
    if (step === 'tag') {
      Object.assign(view, { git: tag.word, detail: tag.detail, done: tagDone });
      if (disagrees(journal, tag.word, tag.word === 'done')) {
        view.disagreement = `the journal says the tag step ${SAYS[journal as Exclude<JournalWord, 'none'>]}, git shows ${tag.detail}`;
      }
      return view;
    }
    if (step === 'push') {
      // Remote-tracking refs show the branch, not the tag: they confirm a push the journal
      // recorded as done, never one it recorded as failed (that may be the tag's) nor one it
      // did not see (the tag may never have left), unless the closeout was recorded: it ran
      // only after the close-issue gate asked the remote. Fail closed: `--remote` asks.
      const closedOut = journalWord(state, 'closeout') === 'done';
      const done = push.word === 'done'
        || (push.word === 'branch-only' && (journal === 'done' || (journal === 'none' && closedOut)))
        || (push.word === 'unknown' && journal === 'done');
      Object.assign(view, { git: push.word, detail: push.detail, done });
      const gitDone = push.word === 'done' || push.word === 'branch-only';
      if (disagrees(journal, push.word, gitDone)) {
        view.disagreement = `the journal says the push ${SAYS[journal as Exclude<JournalWord, 'none'>]}, git shows ${push.detail}`;
      }
      return view;
    }
    return view;
  });
  return { state: mergeState(state, steps, observation, ecosystem === 'npm' ? 'package' : 'crate'), steps };
}

function mergeState(state: ReleaseState, steps: StepSources[], observation: Observation, noun: string): ReleaseState {
  if (state.published !== 'yes' || state.status !== 'released') return state;
  const done = (step: ReportedStep): boolean => steps.find((s) => s.step === step)?.done ?? false;
  const completed = state.completed.filter((p) => (p !== 'tag' && p !== 'push') || done(p));
  for (const p of ['tag', 'push'] as const) if (done(p) && !completed.includes(p)) completed.push(p);
  let failure = state.failure;
  if (failure !== null && (failure.phase === 'tag' || failure.phase === 'push') && done(failure.phase)) failure = null;
  const merged: ReleaseState = { ...state, completed, failure };
  const left = (['tag', 'push', 'closeout'] as const).filter((p) => !done(p));
  if (failure === null && left.length === 0) {
    merged.status = 'closed';
    merged.nextAction = `the release of ${state.package ?? 'the package'} v${state.version ?? ''} is closed: the next issue may start`;
  } else if (failure === null) {
    merged.nextAction = releasedNextAction(state, left, observation, noun);
  } else if (failure !== state.failure || completed.length !== state.completed.length) {
    merged.nextAction = `the ${noun} is released, but the ${failure.phase} step failed (${fenceCode(failure.command)}): fix it and rerun it, then finish ${left.join(', ')}`;
  }
  return merged;
}

function releasedNextAction(state: ReleaseState, left: readonly ('tag' | 'push' | 'closeout')[], observation: Observation, noun: string): string {
  const tag = observation.tag;
  const issue = state.issue === null ? 'the release issue' : `issue #${state.issue}`;
  const words = left.map((p) => {
    if (p === 'tag') {
      if (tag !== null && tag.exists) {
        return `release tag ${tag.name} is on commit ${short(tag.commit)}, whose manifest does not carry ${state.version ?? ''}: if it was never pushed, delete it (\`git tag -d ${tag.name}\`) and tag the commit that carries ${state.version ?? ''}`;
      }
      return 'create the release tag';
    }
    if (p === 'push') {
      const remote = observation.remote?.name ?? 'origin';
      const command = `\`${formatCommand(['policy', 'run', '--', 'git', 'push', remote, 'HEAD', tag?.name ?? 'TAG'])}\``;
      if (observation.remote?.via === 'tracking' && observation.remote.branches.length > 0) {
        return `confirm that ${remote} has ${tag?.name ?? 'the release tag'} with \`policy status --remote\` (${remote}/${observation.remote.branches[0] ?? ''} holds its commit), or push it with ${command}`;
      }
      return `push the tag and the branch holding it (${command})`;
    }
    return 'record closeout with `policy run --phase closeout -- gh issue close ...`';
  });
  return `the ${noun} is released: ${words.join(', then ')}; keep ${issue} open until then`;
}

/**
 * The remote a `git push` command names: its first argument that is not an option (`git push
 * -u origin main` → origin); "" when it names none (git then uses the branch's upstream).
 */
export function pushRemoteOf(argv: readonly string[]): string {
  const at = argv.indexOf('push');
  if (at < 0) return '';
  // Options of git push that take a separate value.
  const valued = new Set(['-o', '--push-option', '--repo', '--receive-pack', '--exec']);
  for (let i = at + 1; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') return argv[i + 1] ?? '';
    if (valued.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return arg;
  }
  return '';
}

const JOURNAL_TEXT: Record<JournalWord, string> = { done: 'succeeded', failed: 'failed', none: 'no record' };

/** The per-step sources as lines for `policy status`. */
export function renderStepSources(steps: readonly StepSources[]): string {
  const lines = ['  steps (journal, git, registry):'];
  for (const s of steps) {
    const words = [`journal: ${JOURNAL_TEXT[s.journal]}`];
    if (s.registry !== null) words.push(`registry: ${s.registry}`);
    if (s.git !== null) words.push(`git: ${s.git}${s.detail === '' ? '' : ` (${s.detail})`}`);
    lines.push(`    ${s.step.padEnd(9)} ${(s.done ? 'done' : 'not done').padEnd(9)} ${words.join('; ')}`);
    if (s.disagreement !== '') lines.push(`    ${''.padEnd(9)} ${''.padEnd(9)} disagree: ${s.disagreement}`);
  }
  return `${lines.join('\n')}\n`;
}
