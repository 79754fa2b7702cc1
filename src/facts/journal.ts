// The release journal store: append-only JSON Lines in the git common directory, so every
// worktree of a repository shares one journal, never committed. Each append takes an
// exclusive lock file (src/facts/journal-lock.ts) and writes one whole line with O_APPEND in
// a single write, then fsyncs: two processes never interleave or lose an event. A torn or
// invalid line is reported with its line number and kept as it is; every other line counts.
// The journal is never followed through a symbolic link. Secrets must be redacted by the
// caller (src/release/redact.ts) before an event gets here.
import { constants as fsConstants } from 'node:fs';
import { lstat, mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { acquireLock, JournalLockError, JournalSymlinkError, randomHex, releaseLock, type LockHolder } from './journal-lock.js';
import { CONTENT_VALUES, JOURNAL_EVENT_TYPES, OUTCOMES, PHASES, PUBLISHED_VALUES, type JournalEvent } from '../release/model.js';

export type { JournalEvent, LockHolder };
export { JournalLockError, JournalSymlinkError };

/** Where the journal of a repository lives, given `git rev-parse --git-common-dir`. */
export function journalPath(gitCommonDir: string): string {
  return join(gitCommonDir, 'release-policy', 'journal.jsonl');
}

/**
 * A new random event id: 16 lowercase hex digits (randomHex uses Web Crypto: a `node:crypto`
 * import costs a hook ~2 ms at start-up, measured, and only appends need random ids).
 */
export function newEventId(): string {
  return randomHex(8);
}

/** An event with `v`, a fresh `id` and `at` (now) filled in. */
export function newEvent(fields: Omit<JournalEvent, 'v' | 'id' | 'at'>, now: Date = new Date()): JournalEvent {
  return { v: 1, id: newEventId(), at: now.toISOString(), ...fields };
}

const KNOWN_KEYS = new Set([
  'v', 'id', 'at', 'type', 'package', 'version', 'issue', 'phase', 'command', 'exitCode',
  'outcome', 'published', 'excerpt', 'reason', 'commit', 'content', 'evidence',
  'asked',
  'pid', 'host', 'processStart',
]);
const ASKED_KEYS = ['crate', 'registry', 'url', 'from'];
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * The first problem of a journal event, or null when it is valid. Plain TypeScript, no ajv at
 * run time; test/release/journal.test.ts checks it agrees with the JSON Schema. Optional
 * properties may be absent or undefined (JSON.stringify drops undefined); unknown properties
 * are refused, and so is any `v` other than 1 (a newer tool's event is not silently misread).
 */
export function validateEvent(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'an event must be a JSON object';
  const event = value as Record<string, unknown>;
  for (const key of Object.keys(event)) {
    if (!KNOWN_KEYS.has(key)) return `unknown property "${key}"`;
  }
  if (event.v !== 1) return `v must be 1, not ${JSON.stringify(event.v) ?? 'missing'}`;
  if (typeof event.id !== 'string' || !/^[0-9a-f]{8,64}$/.test(event.id)) return 'id must be 8 to 64 lowercase hex digits';
  if (typeof event.at !== 'string' || !ISO_TIME.test(event.at) || Number.isNaN(Date.parse(event.at))) {
    return 'at must be an ISO 8601 time with a zone, such as 2026-01-31T12:00:00.000Z';
  }
  if (!isOneOf(event.type, JOURNAL_EVENT_TYPES)) return `type must be one of ${JOURNAL_EVENT_TYPES.join(', ')}`;
  if (typeof event.package !== 'string' || event.package === '') return 'package must be a non-empty string';
  if (typeof event.version !== 'string' || event.version === '') return 'version must be a non-empty string';
  if (event.issue !== null && !(Number.isSafeInteger(event.issue) && (event.issue as number) > 0)) {
    return 'issue must be a positive integer or null';
  }
  if (event.phase !== undefined && !isOneOf(event.phase, PHASES)) return `phase must be one of ${PHASES.join(', ')}`;
  if (event.command !== undefined) {
    if (!Array.isArray(event.command) || event.command.length === 0 || !event.command.every((arg) => typeof arg === 'string')) {
      return 'command must be a non-empty array of strings';
    }
  }
  if (event.exitCode !== undefined && !Number.isSafeInteger(event.exitCode)) return 'exitCode must be an integer';
  if (event.published !== undefined && !isOneOf(event.published, PUBLISHED_VALUES)) return `published must be one of ${PUBLISHED_VALUES.join(', ')}`;
  if (event.outcome !== undefined && !isOneOf(event.outcome, OUTCOMES)) return `outcome must be one of ${OUTCOMES.join(', ')}`;
  for (const key of ['excerpt', 'reason'] as const) {
    if (event[key] !== undefined && typeof event[key] !== 'string') return `${key} must be a string`;
  }
  if (event.commit !== undefined && (typeof event.commit !== 'string' || !/^[0-9a-f]{4,64}$/.test(event.commit))) {
    return 'commit must be a lowercase hex object name';
  }
  if (event.pid !== undefined && !(Number.isSafeInteger(event.pid) && (event.pid as number) > 0)) return 'pid must be a positive integer';
  for (const key of ['host', 'processStart'] as const) {
    if (event[key] !== undefined && (typeof event[key] !== 'string' || event[key] === '')) return `${key} must be a non-empty string`;
  }
  if (event.content !== undefined && !isOneOf(event.content, CONTENT_VALUES)) return `content must be one of ${CONTENT_VALUES.join(', ')}`;
  if (event.evidence !== undefined) {
    if (!Array.isArray(event.evidence)) return 'evidence must be an array';
    for (const item of event.evidence as unknown[]) {
      const e = item as Record<string, unknown>;
      if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'evidence items must be objects';
      if (Object.keys(e).some((key) => !['source', 'status', 'at', 'detail'].includes(key))) return 'evidence items have source, status, at and detail only';
      if (typeof e.source !== 'string' || typeof e.at !== 'string' || typeof e.detail !== 'string') return 'evidence source, at and detail must be strings';
      if (e.status !== null && !Number.isSafeInteger(e.status)) return 'evidence status must be an integer or null';
    }
  }
  if (event.asked !== undefined) {
    const a = event.asked as Record<string, unknown>;
    if (typeof a !== 'object' || a === null || Array.isArray(a)) return 'asked must be an object';
    if (Object.keys(a).some((key) => !ASKED_KEYS.includes(key))) return `asked has ${ASKED_KEYS.join(', ')} only`;
    if (ASKED_KEYS.some((key) => typeof a[key] !== 'string')) return `asked ${ASKED_KEYS.join(', ')} must be strings`;
  }
  return null;
}

function isOneOf<T extends string>(value: unknown, values: readonly T[]): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}

/** A line of the journal that does not count, 1-based. */
export interface JournalProblem {
  line: number;
  message: string;
}

/**
 * The lines of a journal that do not count, one message each as `file:line: why`: the one
 * wording every command that reads the journal uses to name them.
 */
export function describeJournalProblems(file: string, problems: readonly JournalProblem[]): string[] {
  return problems.map((problem) => `${file}:${problem.line}: ${problem.message} (the line is kept and skipped)`);
}

export interface JournalContents {
  events: JournalEvent[];
  problems: JournalProblem[];
}

/**
 * Every valid event of the journal, in file order, and the lines that do not count: bad JSON,
 * a torn last line, an invalid event, a repeated id. A missing file is an empty journal.
 * Blank lines are skipped silently. Takes no lock: a reader racing an append may see that
 * append's line as torn, reported as a problem on the last line.
 */
export async function readJournal(file: string): Promise<JournalContents> {
  let text: string;
  try {
    const handle = await openNoFollow(file, fsConstants.O_RDONLY);
    try {
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], problems: [] };
    throw error;
  }
  const events: JournalEvent[] = [];
  const problems: JournalProblem[] = [];
  const ids = new Set<string>();
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  if (complete) lines.pop(); // the empty string after the final newline
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    const torn = !complete && index === lines.length - 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      problems.push({
        line,
        message: torn ? `torn last line (no newline at the end of the file): ${why}` : `not valid JSON: ${why}`,
      });
      return;
    }
    const problem = validateEvent(value);
    if (problem !== null) {
      problems.push({ line, message: `invalid event: ${problem}` });
      return;
    }
    const event = value as JournalEvent;
    if (ids.has(event.id)) {
      problems.push({ line, message: `repeated event id ${event.id}: only its first line counts` });
      return;
    }
    ids.add(event.id);
    events.push(event);
  });
  return { events, problems };
}

export interface AppendOptions {
  /** A lock older than this is taken over (ms, default 30 s). */
  staleMs?: number;
  /** Give up taking the lock after this long (ms, default 10 s); Infinity waits while the holder lives. */
  timeoutMs?: number;
  /** Told once when the lock has been busy for a while: who holds it. */
  onWait?: (holder: LockHolder) => void;
  /** How long the lock may be busy before onWait is told (ms, default 1 s). */
  waitNoticeMs?: number;
  /** Runs after the line is written, while the lock is still held (the hooks' state file). */
  afterAppend?: () => Promise<void>;
}

/**
 * A file system error while appending (ENOSPC, EROFS, EACCES...), named after the journal
 * whatever file of it failed (the journal, its lock, a temporary file beside them): the
 * user's question is whether the event was written, and it was not.
 */
export class JournalWriteError extends Error {
  readonly code: string;
  readonly path: string;
  readonly syscall = 'write';
  constructor(journal: string, cause: NodeJS.ErrnoException) {
    super(`cannot write the release journal ${journal}: ${cause.message}`, { cause });
    this.name = 'JournalWriteError';
    this.code = cause.code ?? 'EIO';
    this.path = journal;
  }
}

/**
 * Appends one event as one line, under the journal's lock file: validates the event (throws
 * on a problem and writes nothing), creates the folder, takes `<file>.lock`, writes the line
 * (preceded by `\n` when the file's last byte is not one, so a torn line stays its own line)
 * in a single O_APPEND write, fsyncs, and releases the lock. A write that fails (ENOSPC) is
 * cut back off the file, so it leaves no torn line, and the error is thrown. Neither the
 * journal, its folder nor its lock is followed through a symbolic link (JournalSymlinkError).
 */
export async function appendEvent(file: string, event: JournalEvent, options: AppendOptions = {}): Promise<void> {
  const problem = validateEvent(event);
  if (problem !== null) throw new Error(`refusing to write an invalid journal event: ${problem}`);
  try {
    await append(file, event, options);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && !(error instanceof JournalWriteError) && code !== 'ELOOP') {
      throw new JournalWriteError(file, error as NodeJS.ErrnoException);
    }
    throw error;
  }
}

async function append(file: string, event: JournalEvent, options: AppendOptions): Promise<void> {
  const line = JSON.stringify(event);
  await mkdir(dirname(file), { recursive: true });
  if ((await lstat(dirname(file))).isSymbolicLink()) throw new JournalSymlinkError(dirname(file));
  const lock = await acquireLock(`${file}.lock`, {
    staleMs: options.staleMs ?? 30_000,
    timeoutMs: options.timeoutMs ?? 10_000,
    ...(options.onWait ? { onWait: options.onWait } : {}),
    ...(options.waitNoticeMs !== undefined ? { waitNoticeMs: options.waitNoticeMs } : {}),
  });
  try {
    // O_APPEND for the write (always at the end), readable for the last-byte check.
    const handle = await openNoFollow(file, fsConstants.O_RDWR | fsConstants.O_APPEND | fsConstants.O_CREAT);
    let created = false;
    try {
      const { size } = await handle.stat();
      created = size === 0;
      let prefix = '';
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) prefix = '\n';
      }
      const data = Buffer.from(`${prefix}${line}\n`, 'utf8');
      try {
        let written = 0;
        while (written < data.length) {
          const { bytesWritten } = await handle.write(data, written, data.length - written);
          written += bytesWritten;
        }
        await handle.sync();
      } catch (error) {
        // We hold the lock: nobody else appended since `size`, so cutting back is safe.
        await handle.truncate(size).catch(() => undefined);
        throw error;
      }
    } finally {
      await handle.close();
    }
    if (created) await syncDirectory(dirname(file));
    await options.afterAppend?.();
  } finally {
    // Never thrown: after the line is written it is no failure of the append, and after a
    // failed write that error is the one to tell. A lock left so is its dead holder's, taken over.
    await releaseLock(lock).catch(() => undefined);
  }
}

/** Opens the journal without following a symbolic link (ELOOP becomes JournalSymlinkError). */
async function openNoFollow(file: string, flags: number): Promise<FileHandle> {
  try {
    return await open(file, flags | fsConstants.O_NOFOLLOW, 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new JournalSymlinkError(file);
    throw error;
  }
}

async function syncDirectory(path: string): Promise<void> {
  try {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not every platform can fsync a directory (Windows); the file itself is synced.
  }
}
