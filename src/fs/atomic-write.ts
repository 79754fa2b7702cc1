// Writing a whole file so that a reader never sees half of it: the new content goes to a
// temporary file in the same folder (a rename across file systems is not atomic), is synced,
// and is renamed over the target. A write that fails leaves the old file as it was and no
// temporary file behind. Used for every file this tool rewrites in place (the hooks' state
// word, the hooks' settings, the policy load cache, the registry's HTTP cache).
import { closeSync, constants as fsConstants, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Permission bits of a new file (default 0o644). */
  mode?: number;
  /** fsync the data before the rename (default true): a crash never leaves an empty file. */
  sync?: boolean;
}

/** Replaces `file` with `data` atomically; throws the file system's error (ENOSPC, EROFS, EACCES). */
export function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  // O_EXCL | O_NOFOLLOW: never write through a symbolic link planted at the temporary name.
  const fd = openSync(temporary, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, options.mode ?? 0o644);
  try {
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      if (options.sync !== false) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // already renamed or never made: nothing left behind
    }
    throw error;
  }
}
