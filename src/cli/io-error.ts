// File system errors as a user reads them: what failed (the operation and the path) and why,
// in words ("no space left on device"), instead of "internal error ... report it". A full
// disk, a read-only mount or a permission is the user's to fix, not a bug of this tool.
import { JournalLockError, JournalSymlinkError } from '../facts/journal.js';

/** errno codes in words, as strerror(3) says them. */
const ERRNO_WORDS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ELOOP: 'is a symbolic link (too many levels of symbolic links)',
  EEXIST: 'file exists',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in system',
  EBUSY: 'device or resource busy',
  ETXTBSY: 'text file busy',
  ENAMETOOLONG: 'file name too long',
  EFBIG: 'file too large',
  ESTALE: 'stale file handle',
};

const VERBS: Record<string, string> = {
  open: 'open', read: 'read', write: 'write to', fsync: 'sync', close: 'close', mkdir: 'create the folder',
  rename: 'rename', link: 'link', unlink: 'remove', lstat: 'inspect', stat: 'inspect', ftruncate: 'truncate',
  scandir: 'list', copyfile: 'copy', chmod: 'change the mode of', symlink: 'create', rmdir: 'remove',
};

/** The errno of a file system error, in words; null when the error is not one. */
export function errnoWords(error: unknown): string | null {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string') return null;
  return ERRNO_WORDS[code] ?? null;
}

/**
 * One line saying what failed and why, for a file system error or a journal error; null for
 * anything else (a real internal error). `what` names the file when the error does not.
 */
export function describeIoError(error: unknown, what?: string): string | null {
  if (error instanceof JournalSymlinkError || error instanceof JournalLockError) return error.message;
  const e = error as NodeJS.ErrnoException | null;
  const words = errnoWords(error);
  if (e === null || typeof e !== 'object' || words === null) return null;
  // A process that could not start: node says `spawn git` with path `git`.
  if (e.syscall?.startsWith('spawn ')) return `cannot run ${e.syscall.slice('spawn '.length)}: ${words} (${e.code})`;
  const path = e.path ?? what;
  const verb = e.syscall !== undefined ? (VERBS[e.syscall] ?? e.syscall) : 'write';
  // copyfile, rename and link name a destination too: that is usually the one that failed.
  const { dest } = e as { dest?: unknown };
  const to = typeof dest === 'string' ? ` to ${dest}` : '';
  return `cannot ${verb}${path !== undefined ? ` ${path}` : ''}${to}: ${words} (${e.code})`;
}

/** What the user can do about a file system error, then `then` (default: run the command again). */
export function ioErrorHint(error: unknown, then = 'run the command again'): string {
  if (error instanceof JournalSymlinkError) return 'Replace the link with the real file (or remove it); the journal is only ever read and written in place.';
  if (error instanceof JournalLockError) return 'Wait for that policy command to finish; if none is running, delete the lock file.';
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `Free some space on that file system, then ${then}.`;
    case 'EROFS':
      return `Make the file system writable (or run from a writable clone), then ${then}.`;
    case 'EACCES':
    case 'EPERM':
      return `Give your user write access to it (check its owner and mode), then ${then}.`;
    case 'EMFILE':
    case 'ENFILE':
      return `Raise the open-file limit (ulimit -n), then ${then}.`;
    default:
      return `Fix the file or folder named above, then ${then}.`;
  }
}
