// "Did you mean" for keys, rule ids and enum values: one close candidate instead of a
// dump of every name, as commitlint does.

/**
 * The candidate closest to `word`, or null when none is close enough, in this order:
 * a spelling variant (`release_notes`, `ReleaseNotes` for `releaseNotes`); the one
 * candidate that starts or ends with `word`, or the reverse (`warning` → `warn`,
 * `push` → `pre-push`; three letters at least); the nearest by Damerau-Levenshtein distance, at most a third of the longer word.
 */
export function didYouMean(word: string, candidates: readonly string[]): string | null {
  const folded = foldSpelling(word);
  const others = candidates.filter((candidate) => candidate !== word);
  const variant = others.find((candidate) => foldSpelling(candidate) === folded);
  if (variant) return variant;
  const starts = others.filter((candidate) => {
    const other = foldSpelling(candidate);
    const [shorter, longer] = other.length < folded.length ? [other, folded] : [folded, other];
    return shorter.length >= 3 && (longer.startsWith(shorter) || longer.endsWith(shorter));
  });
  // Several (`version` → three `version-*` rules) would be a guess; fall through.
  if (starts.length === 1) return starts[0] ?? null;
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of others) {
    const distance = measureEditDistance(word.toLowerCase(), candidate.toLowerCase());
    const limit = Math.max(1, Math.floor(Math.max(word.length, candidate.length) / 3));
    // Something of the word must survive: `x` is not a misspelt `y`.
    const kept = distance < Math.min(word.length, candidate.length);
    if (distance <= limit && kept && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function foldSpelling(word: string): string {
  return word.toLowerCase().replace(/[-_ ]/g, '');
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions, adjacent swaps. */
export function measureEditDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const cell = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(cell(i - 1, j) + 1, cell(i, j - 1) + 1, cell(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, cell(i - 2, j - 2) + 1);
      }
      d[i * cols + j] = value;
    }
  }
  return cell(a.length, b.length);
}
