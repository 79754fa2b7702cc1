// A file's text only when it is a regular file: reading a FIFO waits forever, a folder or a
// dangling link throws. For best-effort reads whose caller has a fallback (the finding that
// names the problem comes from the manifest reader in src/facts/sources.ts).
import { readFileSync, statSync } from 'node:fs';

/** The UTF-8 text of `file` when it is a regular file and readable; null otherwise. */
export function readRegularText(file: string): string | null {
  try {
    return statSync(file).isFile() ? readFileSync(file, 'utf8') : null;
  } catch {
    return null;
  }
}
