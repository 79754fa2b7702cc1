// The `release` fact collected: the release journal read from the git common directory,
// folded (src/release/state.ts) with what the processes of unfinished steps and git show,
// and shaped into the fact (src/release/fact.ts); the hooks' state file (src/release/hook-word.ts).
import { findRepoRoot, gitDirsOnDisk } from '../policy/locate.js';
import type { ReleaseState } from '../release/model.js';
import { foldRelease, type FoldOptions } from '../release/state.js';
import { readFileSync, statSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { appendEvent, journalPath, readJournal, type AppendOptions, type JournalContents, type JournalEvent } from './journal.js';
import { runGit, type CatFileBatch, type Env } from './git.js';
import { probeSteps } from './process.js';
import { readStepChild } from './publish-slot.js';
import { readReleaseNotes } from './release-notes.js';
import { NO_NOTES, toReleaseFact } from '../release/fact.js';
import { hookStateWord, isHookStateWord } from '../release/hook-word.js';
import { DEFAULT_REMOTE_TIMEOUT_MS, observeRelease, releaseRemote } from './observe.js';
import { readReleaseTag } from './tags.js';
import { mergeObserved } from '../release/observed.js';
import { createRedactor, redactDeep } from '../release/redact.js';
import type { PackageConfig } from '../policy/model.js';
import type { ReleaseFact } from './model.js';

/**
 * The git common directory (shared by all worktrees) of the repository holding `cwd`. Read
 * from disk (`.git` folder, or a linked worktree's `.git` file and its `commondir`) to save a
 * git process; asks `git rev-parse` when GIT_DIR or GIT_COMMON_DIR is set (hooks run so), or
 * when the layout on disk is not one of those.
 */
export async function gitCommonDir(cwd: string, env: Env): Promise<string> {
  if (!env.GIT_DIR && !env.GIT_COMMON_DIR) {
    const onDisk = commonDirOnDisk(cwd);
    if (onDisk !== null) return onDisk;
  }
  const { stdout } = await runGit(cwd, env, ['rev-parse', '--path-format=absolute', '--git-common-dir']);
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
  /** The caller's environment, for the git processes (a hook's GIT_DIR, GIT_INDEX_FILE). */
  env: Env;
  /** How the remote is read for a published release (default: its remote-tracking refs). */
  observe?: { remote: 'ls-remote' | 'tracking'; timeoutMs: number };
  /** The journal's state merged with the (src/release/shared-state.ts); absent: the journal alone. */
  share?: (local: ReleaseState, events: readonly JournalEvent[]) => Promise<ReleaseState>;
}

/** The journal of the repository holding `cwd`: where it is and what it holds. */
export async function openJournal(cwd: string, env: Env): Promise<{ path: string; contents: JournalContents }> {
  const path = journalPath(await gitCommonDir(cwd, env));
  return { path, contents: await readJournal(path) };
}

/**
 * The release state folded from a journal's events, with what the processes of unfinished
 * steps are doing now (a step whose process is gone was interrupted, one still running is not
 * finished yet), in the words of the package's ecosystem.
 */
export function releaseState(
  contents: JournalContents,
  context: Pick<ReleaseContext, 'package' | 'defaultPackage'> & { ecosystem?: PackageConfig['ecosystem']; journalFile?: string },
): ReleaseState {
  const child = context.journalFile === undefined ? null : readStepChild(context.journalFile);
  const options: FoldOptions = { processes: probeSteps(contents.events, child) };
  if (context.package !== undefined) options.package = context.package;
  if (context.ecosystem !== undefined) options.ecosystem = context.ecosystem;
  const state = foldRelease(contents.events, options);
  if (state.package === null) state.package = context.defaultPackage;
  return state;
}

/**
 * `batch` gives the caller's cat-file, started only when a release's tag must be looked up.
 * A published release that is not closed is merged with what git shows (its tag and push are
 * what keeps it open): with `observe.remote` `ls-remote` the remote is asked, and a remote that
 * cannot be read makes the fact unavailable (RemoteUnreadable).
 */
export async function collectRelease(cwd: string, context: ReleaseContext, batch?: () => CatFileBatch): Promise<ReleaseFact> {
  const journal = await openJournal(cwd, context.env);
  // The package the fold will pick, for the ecosystem its advice speaks.
  const folded = context.package ?? journal.contents.events.at(-1)?.package ?? context.defaultPackage;
  const ecosystem = context.packages.find((p) => p.name === folded)?.ecosystem;
  const local = releaseState(journal.contents, { ...context, ...(ecosystem === undefined ? {} : { ecosystem }), journalFile: journal.path });
  const shared = context.share === undefined ? local : await context.share(local, journal.contents.events);
  // Recorded redacted; redacted again so a journal written by an older version shows no secret
  // in `facts`, `check` or a comment either (as `status` and `comment` do). Idle: nothing to redact.
  const state = shared.version === null ? shared : redactDeep(shared, createRedactor([], context.env).text);
  const pkg = context.packages.find((p) => p.name === state.package);
  // Only a release in the journal has a tag to look up: an idle repository pays nothing.
  if (pkg === undefined || state.version === null) return toReleaseFact(state, journal, context.allowPaths);
  // The notes' history matters only while the release is open (preserve-release-notes): a
  // closed release, the common state on the hook path, pays nothing for it.
  const open = state.status === 'blocked' || state.status === 'unknown' || state.status === 'released';
  const notes = open ? await readReleaseNotes(cwd, context.env, pkg, state.version, batch?.()) : NO_NOTES;
  if (state.published !== 'yes' || state.status !== 'released') {
    return toReleaseFact(state, journal, context.allowPaths, await readReleaseTag(cwd, context.env, pkg, state.version, batch?.()), notes);
  }
  const observation = await observeRelease(cwd, pkg, state.version, {
    remote: context.observe?.remote ?? 'tracking',
    timeoutMs: context.observe?.timeoutMs ?? DEFAULT_REMOTE_TIMEOUT_MS,
    env: context.env,
    remoteName: releaseRemote(journal.contents.events, state),
    ...(batch === undefined ? {} : { batch: batch() }),
  });
  const merged = mergeObserved(state, observation, ecosystem);
  const pushed = merged.steps.find((step) => step.step === 'push');
  const push = {
    remote: observation.remote?.name ?? '',
    via: observation.remote?.via ?? '',
    done: pushed?.done ?? false,
    detail: pushed?.detail ?? '',
  };
  return toReleaseFact(merged.state, journal, context.allowPaths, observation.tag ?? undefined, notes, push);
}

/** `<journal folder>/state`: written after every append, under the journal's lock. */
export function stateFilePath(journalFile: string): string {
  return join(dirname(journalFile), 'state');
}

/** Rewrites the state file from the journal, atomically (a shim never reads half a word). */
export async function writeStateFile(journalFile: string): Promise<void> {
  const word = hookStateWord((await readJournal(journalFile)).events);
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
    return isHookStateWord(word) ? word : null;
  } catch {
    return null;
  }
}
