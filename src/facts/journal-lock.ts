// The release journal's lock file, `<journal>.lock`: one holder at a time appends. The lock
// holds JSON naming its holder ({pid, host, token, at}) and is made visible only once that
// content is written: it goes to a temporary file first, which is link()ed to the lock's name
// (link never replaces an existing file, so only one taker wins). A write that fails (ENOSPC)
// removes the temporary file and leaves no lock behind. A stale lock (its holder's process
// gone from this host, or, when that cannot be checked, older than staleMs) is removed by
// exactly one taker (see takeOver). A live holder on this host is never taken over, however
// long it holds the lock: two writers at once is what the lock exists to prevent. The lock is never
// followed through a symbolic link: every open uses O_NOFOLLOW and a link planted at the
// lock's name is refused.
import { constants as fsConstants } from 'node:fs';
import { link, lstat, open, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { probe, processStartOf } from './process.js';

/** The lock could not be taken before the caller's deadline. */
export class JournalLockError extends Error {
  constructor(readonly lockFile: string, readonly holder: string) {
    super(`the release journal is locked: ${lockFile} is held by ${holder}`);
    this.name = 'JournalLockError';
  }
}

/** The journal or its lock is a symbolic link: refused, so that an append never lands in another file. */
export class JournalSymlinkError extends Error {
  constructor(readonly path: string) {
    super(`${path} is a symbolic link; the release journal and its lock are never followed through one`);
    this.name = 'JournalSymlinkError';
  }
}

export interface LockOptions {
  /** A lock older than this is taken over even when its holder looks alive (ms). */
  staleMs: number;
  /**
   * Give up when one holder keeps the lock this long (ms); Infinity waits as long as the holder
   * lives. The clock restarts whenever the lock changes hands: a queue of many appenders that
   * moves is waited out, a holder that is stuck is not.
   */
  timeoutMs: number;
  /** Told once, when the lock is busy for a while, who holds it (to say why we wait). */
  onWait?: (holder: LockHolder) => void;
  /** How long the lock may be busy before onWait is told (ms, default 1 s). */
  waitNoticeMs?: number;
}

export interface LockHolder {
  pid: number | null;
  host: string | null;
  /** When the holder took the lock (its content, else the file's time). */
  since: string;
  /** "pid 123 on build-7 since 2026-01-31T12:00:00.000Z" */
  description: string;
}

export interface HeldLock {
  path: string;
  token: string;
}

interface LockOwner {
  pid?: number;
  host?: string;
  token?: string;
  /** The holder's process start (src/facts/process.ts), so a reused pid is not taken for it. */
  start?: string;
  at?: string;
}

/** Random lowercase hex (the journal's event ids use it too): WebCrypto, which needs no module load. */
export function randomHex(bytes: number): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
}

/** Takes the lock at `path` (the folder must exist), waiting and taking over stale locks as needed. */
export async function acquireLock(path: string, options: LockOptions): Promise<HeldLock> {
  const token = randomHex(8);
  const start = processStartOf(process.pid);
  const content = `${JSON.stringify({ pid: process.pid, host: hostname(), ...(start === null ? {} : { start }), token, at: new Date().toISOString() })}\n`;
  const noticeAt = Date.now() + (options.waitNoticeMs ?? 1_000);
  let told = false;
  let delay = 2;
  let seen = '';
  let seenIno = -1;
  let seenSince = Date.now();
  for (;;) {
    if (await tryCreate(path, content)) return { path, token };
    const holder = await inspectLock(path, options.staleMs);
    if (holder === null) continue; // released meanwhile
    if (holder.stale) {
      // Another taker is breaking it: give it the CPU rather than spin on the breaker file.
      if (!(await takeOver(path, holder))) await sleep(2 + Math.random() * 8);
      continue;
    }
    const now = Date.now();
    if (holder.text !== seen || holder.ino !== seenIno) {
      [seen, seenIno, seenSince] = [holder.text, holder.ino, now];
    }
    const deadline = seenSince + options.timeoutMs;
    if (now >= deadline) throw new JournalLockError(path, holder.holder.description);
    if (!told && now >= noticeAt) {
      told = true;
      options.onWait?.(holder.holder);
    }
    await sleep(Math.min(delay + Math.random() * delay, Math.max(1, deadline - now)));
    // Short: a releasing writer re-locks at once and a long sleeper starves; not so short that
    // a crowd of waiters polling takes the CPU from the holder.
    delay = Math.min(delay * 2, 200);
  }
}

/**
 * Makes the lock with its content in one visible step: temporary file, linked to the lock's
 * name. False when a lock exists. The temporary file is removed in every case. Not fsynced:
 * a lock is worth nothing after a crash of the machine (its pid is gone), and an empty one
 * left by a crash is taken over by age.
 */
async function tryCreate(path: string, content: string): Promise<boolean> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomHex(4)}.tmp`);
  const handle = await open(temporary, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o644);
  try {
    try {
      await handle.writeFile(content, 'utf8');
    } finally {
      await handle.close();
    }
    await link(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      await refuseSymlink(path);
      return false;
    }
    throw error;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

async function refuseSymlink(path: string): Promise<void> {
  try {
    if ((await lstat(path)).isSymbolicLink()) throw new JournalSymlinkError(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

interface Inspection {
  stale: boolean;
  ino: number;
  /** The raw content judged: a takeover removes the lock only if it still holds exactly this. */
  text: string;
  holder: LockHolder;
}

/** Who holds the lock at `path`, and whether it is stale: older than `staleMs`, or its process is dead here. Null when gone. */
async function inspectLock(path: string, staleMs: number): Promise<Inspection | null> {
  let read: { ino: number; mtimeMs: number; text: string };
  try {
    read = await readLock(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const owner = parseOwner(read.text);
  const ageMs = Date.now() - read.mtimeMs;
  const pid = owner.pid ?? null;
  const host = owner.host ?? null;
  const since = owner.at ?? new Date(read.mtimeMs).toISOString();
  const description = `${pid !== null ? `pid ${pid}` : 'an unknown process'}${host ? ` on ${host}` : ''} since ${since}`;
  // On this host the holder's process tells; elsewhere (a shared file system) or for a lock
  // that names no process, only its age can.
  const checkable = pid !== null && host === hostname();
  const stale = checkable ? probe(pid, owner.start) === 'gone' : ageMs > staleMs;
  return { stale, ino: read.ino, text: read.text, holder: { pid, host, since, description } };
}

async function readLock(path: string): Promise<{ ino: number; mtimeMs: number; text: string }> {
  let handle;
  try {
    handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new JournalSymlinkError(path);
    throw error;
  }
  try {
    const { ino, mtimeMs } = await handle.stat();
    return { ino, mtimeMs, text: await handle.readFile('utf8') };
  } finally {
    await handle.close();
  }
}

function parseOwner(text: string): LockOwner {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null) return {};
    const { pid, host, token, start, at } = value as Record<string, unknown>;
    return {
      ...(Number.isSafeInteger(pid) && (pid as number) > 0 ? { pid: pid as number } : {}),
      ...(typeof host === 'string' ? { host } : {}),
      ...(typeof token === 'string' ? { token } : {}),
      ...(typeof start === 'string' ? { start } : {}),
      ...(typeof at === 'string' ? { at } : {}),
    };
  } catch {
    return {}; // not ours (an older version's empty lock): judged by age alone
  }
}

/**
 * Removes a stale lock without ever removing a fresh one. Of several takers that judged the
 * same lock stale, only the one that creates its breaker file (named after that lock's
 * inode and content, O_EXCL) may remove it, and only once it has checked that the lock is
 * still exactly the one judged: its dead holder cannot release it and no other taker may
 * remove it, so the check still holds at the unlink. A taker that judged it stale late finds
 * a different lock (or none) and removes nothing. Moving the lock aside and putting a fresh
 * one back is not safe: while it is away a third process takes the lock, and two hold it.
 */
async function takeOver(path: string, judged: Inspection): Promise<boolean> {
  const breaker = join(dirname(path), `.${basename(path)}.break-${identity(judged)}`);
  let handle;
  try {
    handle = await open(breaker, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    await clearDeadBreaker(breaker);
    return false;
  }
  try {
    try {
      await handle.writeFile(`${JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() })}\n`, 'utf8');
    } finally {
      await handle.close();
    }
    let now: Awaited<ReturnType<typeof readLock>> | null = null;
    try {
      now = await readLock(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (now !== null && now.ino === judged.ino && now.text === judged.text) await unlink(path).catch(ignoreMissing);
    return true;
  } finally {
    await unlink(breaker).catch(ignoreMissing);
  }
}

/** How long a breaker may take before it counts as crashed: removing a lock takes milliseconds. */
const BREAKER_STALE_MS = 10_000;

/**
 * A breaker file whose maker died (this host) or that is older than BREAKER_STALE_MS is
 * removed, so a taker that crashed while breaking does not keep the stale lock forever.
 */
async function clearDeadBreaker(breaker: string): Promise<void> {
  let read;
  try {
    read = await readLock(breaker);
  } catch {
    return; // gone: its maker finished
  }
  const owner = parseOwner(read.text);
  const dead = owner.pid !== undefined && owner.host === hostname() && probe(owner.pid, owner.start) === 'gone';
  if (dead || Date.now() - read.mtimeMs > BREAKER_STALE_MS) await unlink(breaker).catch(ignoreMissing);
}

/** A file name part naming one lock file: its inode and its content (which holds a random token). */
function identity(lock: Pick<Inspection, 'ino' | 'text'>): string {
  // FNV-1a, 32 bits, over inode and content: names a breaker, guards nothing by itself (the
  // content is compared in full before any unlink).
  let hash = 0x811c9dc5;
  for (const char of `${lock.ino}:${lock.text}`) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${lock.ino.toString(36)}-${hash.toString(16).padStart(8, '0')}`;
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

/** Releases our own lock only: if ours was taken over as stale, the file is someone else's now. */
export async function releaseLock(lock: HeldLock): Promise<void> {
  try {
    const { text } = await readLock(lock.path);
    if (parseOwner(text).token === lock.token) await unlink(lock.path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
