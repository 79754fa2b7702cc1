// The verdict of `policy verify`, from the registry's answer and the local package's checksum:
// what publish-failure.md's "the actual crates.io state is confirmed" records. Pure: the
// answers come in, the journal's words go out.
import type { Content, Published } from './model.js';

/** What the registry said about the version, as the verdict needs it. */
export interface RegistryWord {
  version: string;
  published: Published;
  /** The registry's checksum of the version; "" when none. */
  checksum: string;
  /** Why the answer is unknown; "" otherwise. */
  reason: string;
}

/** The local package's checksum, or why it could not be made. */
export type LocalPackage = { checksum: string } | { reason: string };

export interface Verdict {
  published: Published;
  /** Present when the registry has the version: ours, another's, or not comparable. */
  content?: Content;
  /** What the checksum comparison showed; "" when there was none. */
  compared: string;
  /** The word for the report: a version with other content is `taken`. */
  word: Published | 'taken';
  /** The journal's reason: why unknown, what was compared, or what the registry said. */
  reason: string;
}

/**
 * Yes only with our checksum; a version with other content is taken (recorded as `yes` with
 * content `other`, which the release state reads as taken); a version whose local package
 * cannot be made stays unknown, since ours cannot be told from someone else's. `local` is
 * read only when the registry has the version.
 */
export function verificationVerdict(answer: RegistryWord, local: LocalPackage | null): Verdict {
  if (answer.published !== 'yes') {
    const reason = answer.published === 'unknown' ? answer.reason : `the registry does not have ${answer.version}`;
    return { published: answer.published, compared: '', word: answer.published, reason };
  }
  if (local === null || !('checksum' in local)) {
    const why = local === null ? 'no local package was made' : local.reason;
    const compared = `the registry has ${answer.version}, but the local package could not be made to compare checksums: ${why}`;
    return { published: 'unknown', content: 'unknown', compared, word: 'unknown', reason: answer.reason || compared };
  }
  const ours = local.checksum === answer.checksum;
  const compared = ours
    ? `the registry's checksum ${short(answer.checksum)} is the local package's: our upload landed`
    : `the registry's checksum ${short(answer.checksum)} is not the local package's (${short(local.checksum)}): the version is taken by other content`;
  return { published: 'yes', content: ours ? 'ours' : 'other', compared, word: ours ? 'yes' : 'taken', reason: compared };
}

function short(checksum: string): string {
  return checksum.length > 19 ? `${checksum.slice(0, 16)}…` : checksum;
}
