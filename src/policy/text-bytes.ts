// Text files the user writes (the policy, rule files, manifests) must be UTF-8 without NUL
// bytes. Decoding with replacement would let a stray byte turn into U+FFFD inside a package
// name or a CEL string and pass unnoticed; a NUL hides the rest of a line from many tools.
// Pure: bytes in, text and the first problem (with its line and column) out.

export interface TextProblem {
  /** 1-based, counted in the decoded text as the YAML and TOML parsers count. */
  line: number;
  col: number;
  message: string;
  hint: string;
}

const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

/** The text (invalid bytes replaced) and the first byte that is not UTF-8 text, or null. */
export function decodeText(bytes: Uint8Array): { text: string; problem: TextProblem | null } {
  let text: string;
  let bad = -1;
  try {
    text = strict.decode(bytes);
  } catch {
    text = lenient.decode(bytes);
    bad = firstInvalidUtf8(bytes);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0 && (bad < 0 || nul < bad)) {
    return { text, problem: { ...positionOf(bytes, nul), message: 'contains a NUL byte (0x00)', hint: 'remove the NUL byte: the file must be plain text' } };
  }
  if (bad < 0) return { text, problem: null };
  const utf16 = bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
  const byte = `0x${(bytes[bad] ?? 0).toString(16).padStart(2, '0')}`;
  const message = utf16 ? 'is UTF-16 text, not UTF-8' : `is not UTF-8 text: byte ${byte} does not start or continue a character here`;
  return { text, problem: { ...positionOf(bytes, bad), message, hint: 'save the file as UTF-8 (without the stray bytes)' } };
}

/** Line and column of byte `offset`, the column counted in UTF-16 units of the valid text before it. */
function positionOf(bytes: Uint8Array, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line += 1;
      start = i + 1;
    }
  }
  return { line, col: lenient.decode(bytes.subarray(start, offset)).length + 1 };
}

/** Offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, surrogates or code points past U+10FFFF); -1 if none. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i] ?? 0;
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    const more = lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : -1;
    if (more < 0) return i;
    const second = bytes[i + 1] ?? 0;
    const [low, high] = lead === 0xe0 ? [0xa0, 0xbf] : lead === 0xed ? [0x80, 0x9f] : lead === 0xf0 ? [0x90, 0xbf] : lead === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    if (i + 1 >= bytes.length || second < low || second > high) return i;
    for (let k = 2; k <= more; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return i;
    }
    i += more + 1;
  }
  return -1;
}
