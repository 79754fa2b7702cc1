/**
 * The `release` fact rules see (schema/facts.schema.json `Release`): the release state with
 * every missing value filled, since facts never hold null, plus what git showed of the tag,
 * the notes and the push. Pure; `src/facts/release.ts` collects what goes in.
 */
import type { ReleaseState } from './model.js';

/** The current release (a fold of the journal); see schema/facts.schema.json `Release`. */
export interface ReleaseFact {
  package: string;
  version: string;
  issue: number;
  status: ReleaseState['status'];
  published: 'yes' | 'no' | 'unknown';
  failure: { phase: string; command: string; exitCode: number; error: string; at: string; reason: string };
  decisions: { version: string; reason: string; at: string }[];
  dryRun: { version: string; commit: string; at: string };
  verification: { published: string; at: string; content: string };
  verifiedSinceFailure: boolean;
  taken: boolean;
  abandoned: { reason: string; at: string };
  running: { phase: string; at: string; command: string; pid: number; host: string; alive: 'yes' | 'unknown' }[];
  completed: string[];
  allowPaths: string[];
  tag: { name: string; exists: boolean; commit: string; manifestVersion: string };
  /** The dry-run and publish commands the next action names (the user's own, arguments kept). */
  commands: { dryRun: string; publish: string };
  /** The release notes of the version under release as git knows them (src/facts/release-notes.ts). */
  notes: { path: string; existed: boolean; restore: string };
  /** What git shows of the push (remote, how it was read, whether done, why); empty when not read. */
  push: { remote: string; via: string; done: boolean; detail: string };
  journal: { path: string; problems: { line: number; message: string }[] };
}

/** The notes of a release that has none to look at. */
export const NO_NOTES: ReleaseFact['notes'] = { path: '', existed: false, restore: '' };

/** The fact rules see: the state with every missing value filled (facts never hold null). */
export function toReleaseFact(
  state: ReleaseState,
  journal: { path: string; contents: { problems: readonly { line: number; message: string }[] } },
  allowPaths: string[],
  tag: ReleaseFact['tag'] = { name: '', exists: false, commit: '', manifestVersion: '' },
  notes: ReleaseFact['notes'] = NO_NOTES,
  push: ReleaseFact['push'] = { remote: '', via: '', done: false, detail: '' },
): ReleaseFact {
  const f = state.failure;
  return {
    package: state.package ?? '',
    version: state.version ?? '',
    issue: state.issue ?? 0,
    status: state.status,
    published: state.published,
    failure: f === null
      ? { phase: '', command: '', exitCode: -1, error: '', at: '', reason: '' }
      : { phase: f.phase, command: f.command, exitCode: f.exitCode ?? -1, error: f.error, at: f.at, reason: f.reason },
    decisions: state.decisions.map((d) => ({ ...d })),
    dryRun: state.lastDryRunOk === undefined
      ? { version: '', commit: '', at: '' }
      : { version: state.lastDryRunOk.version, commit: state.lastDryRunOk.commit ?? '', at: state.lastDryRunOk.at },
    verification: state.lastVerification === undefined
      ? { published: '', at: '', content: '' }
      : { published: state.lastVerification.published, at: state.lastVerification.at, content: state.lastVerification.content },
    verifiedSinceFailure: state.verifiedSinceFailure,
    taken: state.taken,
    abandoned: state.abandoned === undefined ? { reason: '', at: '' } : { ...state.abandoned },
    running: state.running.map((r) => ({ phase: r.phase, at: r.at, command: r.command, pid: r.pid ?? 0, host: r.host ?? '', alive: r.alive })),
    completed: [...state.completed],
    allowPaths,
    tag,
    commands: { ...state.commands },
    notes,
    push,
    journal: { path: journal.path, problems: journal.contents.problems.map((p) => ({ ...p })) },
  };
}
