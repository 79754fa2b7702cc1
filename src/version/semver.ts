import { SemVer, compare, valid } from 'semver';

// Versions follow Cargo and npm: SemVer 2.0.0 without a leading `v` or `=`, so the
// loose forms `semver` accepts by default (e.g. "v1.2.3", " 1.2.3") are refused.
export function isValidVersion(text: string): boolean {
  return text.trim() === text && !/^[v=]/i.test(text) && valid(text) !== null;
}

/** -1, 0 or 1; throws on an invalid version so a rule never compares garbage silently. */
export function compareVersions(a: string, b: string): number {
  if (!isValidVersion(a)) throw new Error(`not a valid version: "${a}"`);
  if (!isValidVersion(b)) throw new Error(`not a valid version: "${b}"`);
  return compare(a, b);
}

/**
 * Whether `next` is a version one step after `prev`: the next patch, minor or major of it,
 * a pre-release of one of those, the release of a pre-release, or a later pre-release of
 * the same version. Anything else jumps over a version nobody released: the footprint of
 * a silent re-bump.
 */
export function isNextVersion(prev: string, next: string): boolean {
  if (compareVersions(prev, next) >= 0) return false;
  const p = new SemVer(prev);
  const n = new SemVer(next);
  const core = `${n.major}.${n.minor}.${n.patch}`;
  if (p.prerelease.length > 0) {
    // 1.2.0-rc.1 → 1.2.0-rc.2 or 1.2.0: finishing the same version.
    if (core === `${p.major}.${p.minor}.${p.patch}`) return true;
  }
  const steps = [`${p.major}.${p.minor}.${p.patch + 1}`, `${p.major}.${p.minor + 1}.0`, `${p.major + 1}.0.0`];
  return steps.includes(core);
}
