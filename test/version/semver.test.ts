import * as semver from 'semver';
import { describe, expect, it } from 'vitest';
import { compareVersions, isNextVersion, isValidVersion, mentionsVersion } from '../../src/version/semver.js';

const VALID = [
  '0.0.0', '0.1.0', '0.1.1', '0.2.0', '0.2.2', '1.0.0', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta',
  '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0-0.3.7', '1.0.0-x.7.z.92',
  '1.0.0+20130313144700', '1.0.0-beta+exp.sha.5114f85', '1.0.0+21AF26D3---117B344092BD', '2.0.0', '10.20.30',
  '1.2.3-rc.1-x', '1.2.3--', '1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay',
];
const INVALID = ['1', '1.2', '1.2.3.4', 'v1.2.3', '=1.2.3', '01.2.3', '1.02.3', '1.2.03', '1.2.3-01', '1.2.3-', '1.2.3+', ' 1.2.3', '1.2.3 ', '', 'x.y.z', '1.2.3-a..b'];

describe('versions', () => {
  it('accepts exactly what semver accepts strictly, without a leading v', () => {
    for (const v of [...VALID, ...INVALID]) {
      // semver itself tolerates a leading v, = or spaces even when strict; Cargo and npm manifests do not.
      const strict = semver.parse(v, { loose: false }) !== null && !/^[v=\s]|\s$/.test(v);
      expect([v, isValidVersion(v)]).toEqual([v, strict]);
    }
    expect(VALID.every(isValidVersion)).toBe(true);
    expect(INVALID.some(isValidVersion)).toBe(false);
  });

  it('orders versions as semver does, pairwise over the corpus', () => {
    for (const a of VALID) {
      for (const b of VALID) expect([a, b, compareVersions(a, b)]).toEqual([a, b, semver.compare(a, b)]);
    }
  });

  it('throws on an invalid version instead of guessing', () => {
    expect(() => compareVersions('1.2', '1.2.0')).toThrow(/not a valid version: "1.2"/);
  });

  it('knows the next versions', () => {
    expect(isNextVersion('0.2.0', '0.2.1')).toBe(true);
    expect(isNextVersion('0.2.0', '0.3.0')).toBe(true);
    expect(isNextVersion('0.2.0', '1.0.0')).toBe(true);
    expect(isNextVersion('0.2.0', '0.2.1-rc.1')).toBe(true);
    expect(isNextVersion('1.0.0-rc.1', '1.0.0-rc.2')).toBe(true);
    expect(isNextVersion('1.0.0-rc.1', '1.0.0')).toBe(true);
    expect(isNextVersion('0.2.0', '0.2.2')).toBe(false);
    expect(isNextVersion('0.2.3', '0.4.0')).toBe(false);
    expect(isNextVersion('0.2.0', '0.1.0')).toBe(false);
    expect(isNextVersion('0.2.0', '0.2.0')).toBe(false);
    expect(isNextVersion('0.2.0', '0.3.1')).toBe(false);
    expect(isNextVersion('1.2.0-rc.1', '1.2.1')).toBe(false);
    expect(isNextVersion('1.2.0-rc.1', '1.3.0')).toBe(false);
  });
});

describe('mentionsVersion', () => {
  it('finds the version as a whole token only', () => {
    expect(mentionsVersion('v0.1.1 - Title', '0.1.1')).toBe(true);
    expect(mentionsVersion('Release 0.1.1.', '0.1.1')).toBe(true);
    expect(mentionsVersion('oris-runtime 0.1.1: fixes', '0.1.1')).toBe(true);
    expect(mentionsVersion('v0.1.10 - copied', '0.1.1')).toBe(false);
    expect(mentionsVersion('v10.1.1', '0.1.1')).toBe(false);
    expect(mentionsVersion('v0.1.1-rc.1', '0.1.1')).toBe(false);
    expect(mentionsVersion('v0.1.1.2', '0.1.1')).toBe(false);
    expect(mentionsVersion('v1.0.0-rc.1 - RC', '1.0.0-rc.1')).toBe(true);
  });
});
