// The `release` fact: the release journal read from the git common directory and folded
// (src/release/state.ts) into the current release's state.
import { findRepoRoot, gitDirsOnDisk } from '../policy/locate.js';
import type { ReleaseState } from '../release/model.js';
import { foldRelease } from '../release/state.js';
import { readFileSync, statSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { appendEvent, journalPath, readJournal, type AppendOptions, type JournalContents, type JournalEvent } from './journal.js';
import { CatFileBatch, runGit } from './git.js';
import { readPackageVersion, revSource } from './sources.js';
import type { PackageConfig } from '../policy/model.js';
import type { ReleaseFact } from './model.js';

/**
 * The git common directory (shared by all worktrees) of the repository holding `cwd`. Read
 * from disk (`.git` folder, or a linked worktree's `.git` file and its `commondir`) to save a
 * git process; asks `git rev-parse` when GIT_DIR or GIT_COMMON_DIR is set (hooks run so), or
 * when the layout on disk is not one of those.
 */
export async function gitCommonDir(cwd: string): Promise<string> {
  if (!process.env.GIT_DIR && !process.env.GIT_COMMON_DIR) {
    const onDisk = commonDirOnDisk(cwd);
    if (onDisk !== null) return onDisk;
  }
  const { stdout } = await runGit(cwd, ['rev-parse', '--path-format=absolute', '--git-common-dir']);
  const dir = stdout.trim();
  if (dir === '') throw new Error(`not a git repository: ${cwd}`);
  return dir;
}

function commonDirOnDisk(cwd: string): string | null {
  const root = findRepoRoot(cwd);
  return root === null ? null : (gitDirsOnDisk(root)?.commonDir ?? null);
}

export interface ReleaseContext {
  /** The package to fold for; default the package of the journal's last event. */
  package?: string;
  /** The package the fact names when the journal is empty (the policy's first). */
  defaultPackage: string;
  allowPaths: string[];
  /** The policy's packages: the release tag's template and manifest. */
  packages: PackageConfig[];
}

/** The journal of the repository holding `cwd`: where it is and what it holds. */
export async function openJournal(cwd: string): Promise<{ path: string; contents: JournalContents }> {
  const path = journalPath(await gitCommonDir(cwd));
  return { path, contents: await readJournal(path) };
}

/** The release state folded from a journal's events. */
export function releaseState(contents: JournalContents, context: Pick<ReleaseContext, 'package' | 'defaultPackage'>): ReleaseState {
  const state = foldRelease(contents.events, context.package === undefined ? {} : { package: context.package });
  if (state.package === null) state.package = context.defaultPackage;
  return state;
}

/** The fact rules see: the state with every missing value filled (facts never hold null). */
export function toReleaseFact(
  state: ReleaseState,
  journal: { path: string; contents: JournalContents },
  allowPaths: string[],
  tag: ReleaseFact['tag'] = { name: '', exists: false, commit: '', manifestVersion: '' },
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
    completed: [...state.completed],
    allowPaths,
    tag,
    journal: { path: journal.path, problems: journal.contents.problems.map((p) => ({ ...p })) },
  };
}

/** `batch` gives the caller's cat-file, started only when a release's tag must be looked up. */
export async function collectRelease(cwd: string, context: ReleaseContext, batch?: () => CatFileBatch): Promise<ReleaseFact> {
  const journal = await openJournal(cwd);
  const state = releaseState(journal.contents, context);
  const pkg = context.packages.find((p) => p.name === state.package);
  // Only a release in the journal has a tag to look up: an idle repository pays nothing.
  const tag = pkg !== undefined && state.version !== null ? await readReleaseTag(cwd, pkg, state.version, batch?.()) : undefined;
  return toReleaseFact(state, journal, context.allowPaths, tag);
}

/**
 * The version's release tag by name, peeled to its commit, and the manifest version there:
 * one short-lived cat-file, instead of the whole `tags` fact (every tag) that gates on the
 * hook path cannot afford.
 */
async function readReleaseTag(cwd: string, pkg: PackageConfig, version: string, shared?: CatFileBatch): Promise<ReleaseFact['tag']> {
  const name = pkg.tag.replaceAll('{version}', version);
  const batch = shared ?? new CatFileBatch(cwd);
  try {
    const commit = await batch.read(`refs/tags/${name}^{commit}`);
    if (commit === null || commit.type !== 'commit') return { name, exists: false, commit: '', manifestVersion: '' };
    const found = await readPackageVersion(pkg, revSource(batch, commit.oid), new Map());
    return { name, exists: true, commit: commit.oid, manifestVersion: found.kind === 'ok' ? found.version : '' };
  } finally {
    if (shared === undefined) await batch.close();
  }
}

/** Status words from the least to the most restrictive, as the hook shims read them. */
const RESTRICTIVE: readonly ReleaseState['status'][] = ['idle', 'closed', 'in-progress', 'released', 'unknown', 'blocked'];

/**
 * The one word the hook shims read (hooks/release-policy.sh): the most restrictive status of
 * any package's release in the journal, so a blocked release of one package keeps every
 * hook on the engine's path.
 */
export function hookStateWord(contents: JournalContents): ReleaseState['status'] {
  const packages = new Set(contents.events.map((event) => event.package));
  let word: ReleaseState['status'] = 'idle';
  for (const pkg of packages) {
    const { status } = foldRelease(contents.events, { package: pkg });
    if (RESTRICTIVE.indexOf(status) > RESTRICTIVE.indexOf(word)) word = status;
  }
  return word;
}

/** `<journal folder>/state`: written after every append, under the journal's lock. */
export function stateFilePath(journalFile: string): string {
  return join(dirname(journalFile), 'state');
}

/** Rewrites the state file from the journal, atomically (a shim never reads half a word). */
export async function writeStateFile(journalFile: string): Promise<void> {
  const word = hookStateWord(await readJournal(journalFile));
  // Not synced: the shims ignore a state file older than the journal, and an empty one sends
  // them to the engine, so a crash costs speed, never a wrong answer.
  writeFileAtomic(stateFilePath(journalFile), `${word}\n`, { sync: false });
}

/**
 * Appends an event to the journal and refreshes the hooks' state file under the same lock.
 * The event is written once appendEvent returns: a state file that cannot be rewritten (a
 * full disk) is removed instead, which sends the shims to the engine, and is no failure.
 */
export async function appendReleaseEvent(journalFile: string, event: JournalEvent, options: Omit<AppendOptions, 'afterAppend'> = {}): Promise<void> {
  await appendEvent(journalFile, event, {
    ...options,
    afterAppend: async () => {
      try {
        await writeStateFile(journalFile);
      } catch {
        await unlink(stateFilePath(journalFile)).catch(() => undefined);
      }
    },
  });
}

/**
 * The hooks' state word for the repository holding `cwd` (see hookStateWord), read from disk
 * without starting git; null when there is none or it may be stale (older than the journal).
 */
export function readStateWord(cwd: string): ReleaseState['status'] | null {
  const commonDir = commonDirOnDisk(cwd);
  if (commonDir === null) return null;
  const journal = journalPath(commonDir);
  try {
    const state = statSync(stateFilePath(journal));
    if (statSync(journal).mtimeMs > state.mtimeMs) return null;
    const word = readFileSync(stateFilePath(journal), 'utf8').trim();
    return (RESTRICTIVE as readonly string[]).includes(word) ? (word as ReleaseState['status']) : null;
  } catch {
    return null;
  }
}
