// SemVer 2.0.0 as Cargo and npm accept it: MAJOR.MINOR.PATCH, optional -pre-release and
// +build, no leading `v` or `=`. Written here rather than taken from the `semver` package:
// loading that package (it builds ~40 regular expressions at start-up) cost 1.4 ms of the
// hook's ~25 ms budget, and these three functions need one expression from semver.org.
// test/version/semver.test.ts checks them against the `semver` package on a corpus.

// The regular expression published at https://semver.org/#is-there-a-suggested-regular-expression-regex-to-check-a-semver-string
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly prerelease: readonly string[];
}

/** The parts of a valid version; null for anything else. Callers that compare one version many times parse it once. */
/**
 * Parsed versions by text: an audit parses the same versions again and again (each rule's
 * semverValid and semverCompare over 10,000 version changes, the history walk, the tags).
 * Bounded, so a long-lived process (the hook daemon) cannot grow it without end.
 */
const PARSED = new Map<string, Version | null>();
const PARSED_LIMIT = 100_000;

export function parseVersion(text: string): Version | null {
  const known = PARSED.get(text);
  if (known !== undefined) return known;
  const parsed = parseUncached(text);
  if (PARSED.size >= PARSED_LIMIT) PARSED.clear();
  PARSED.set(text, parsed);
  return parsed;
}

function parseUncached(text: string): Version | null {
  const match = SEMVER.exec(text);
  if (!match) return null;
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
  // Beyond 2^53 a JS number loses precision; Cargo and npm refuse such versions too.
  if (![major, minor, patch].every(Number.isSafeInteger)) return null;
  // Frozen: the same object is handed to every caller.
  return Object.freeze({ major, minor, patch, prerelease: Object.freeze(match[4] ? match[4].split('.') : []) });
}

function parseOrThrow(text: string): Version {
  const version = parseVersion(text);
  if (!version) throw new Error(`not a valid version: "${text}"`);
  return version;
}

/**
 * Whether `text` names `version` as a whole token (`v0.1.1 - Title` names 0.1.1; `v0.1.10`
 * and `0.1.1-rc.1` do not).
 */
export function mentionsVersion(text: string, version: string): boolean {
  const escaped = version.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^0-9A-Za-z.+-])v?${escaped}($|[^0-9A-Za-z.+-]|\\.(?![0-9A-Za-z]))`).test(text);
}

export function isValidVersion(text: string): boolean {
  return parseVersion(text) !== null;
}

/** Precedence per SemVer 2.0.0 section 11 (build metadata ignored): -1, 0 or 1. Throws on an invalid version. */
export function compareVersions(a: string, b: string): number {
  return compareParsed(parseOrThrow(a), parseOrThrow(b));
}

export function compareParsed(a: Version, b: Version): number {
  for (const key of ['major', 'minor', 'patch'] as const) {
    if (a[key] !== b[key]) return a[key] < b[key] ? -1 : 1;
  }
  // A version without pre-release ranks above the same version with one.
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    return a.prerelease.length === b.prerelease.length ? 0 : a.prerelease.length === 0 ? 1 : -1;
  }
  for (let i = 0; i < Math.max(a.prerelease.length, b.prerelease.length); i += 1) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const xNumeric = /^\d+$/.test(x);
    const yNumeric = /^\d+$/.test(y);
    if (xNumeric && yNumeric) return Number(x) < Number(y) ? -1 : 1;
    if (xNumeric !== yNumeric) return xNumeric ? -1 : 1; // numeric identifiers rank lower
    return x < y ? -1 : 1; // ASCII order
  }
  return 0;
}

/**
 * Whether `next` is a version one step after `prev`: the next patch, minor or major of it,
 * or a pre-release of one of those; from a pre-release, only a later pre-release of the same
 * version or its release (1.2.0-rc.1 → 1.2.1 would jump over 1.2.0, which was never
 * released). Anything else jumps over a version: the footprint of a silent re-bump.
 */
export function isNextVersion(prev: string, next: string): boolean {
  return isNextParsed(parseOrThrow(prev), parseOrThrow(next));
}

/** isNextVersion on parsed versions. */
export function isNextParsed(p: Version, n: Version): boolean {
  if (compareParsed(p, n) >= 0) return false;
  const core = `${n.major}.${n.minor}.${n.patch}`;
  if (p.prerelease.length > 0) return core === `${p.major}.${p.minor}.${p.patch}`;
  return [`${p.major}.${p.minor}.${p.patch + 1}`, `${p.major}.${p.minor + 1}.0`, `${p.major + 1}.0.0`].includes(core);
}

/**
 * The versions isNextVersion accepts after `prev`, pre-releases aside: its next patch, minor
 * and major; after a pre-release, its release. [] for an invalid version.
 */
export function nextVersions(prev: string): string[] {
  const p = parseVersion(prev);
  if (!p) return [];
  if (p.prerelease.length > 0) return [`${p.major}.${p.minor}.${p.patch}`];
  return [`${p.major}.${p.minor}.${p.patch + 1}`, `${p.major}.${p.minor + 1}.0`, `${p.major + 1}.0.0`];
}
