import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_GIT } from '../helpers/tools.js';
import { git } from '../../scripts/sample-repo.mjs';
import { runPolicy } from '../helpers/cli.js';

const HEAD = `version: 1
extends: [recommended]
packages:
  - name: demo
    manifest: Cargo.toml
`;

describe.skipIf(!HAS_GIT)('a broken policy', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'release-policy-errors-'));
    git(dir, ['init', '-q']);
    writeFileSync(join(dir, 'Cargo.toml'), '[package]\nname = "demo"\nversion = "0.1.0"\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function check(policy: string) {
    writeFileSync(join(dir, 'release-policy.yml'), policy);
    const result = runPolicy(['check'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    // No stack trace for a user's mistake.
    expect(result.stderr).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);
    return result.stderr;
  }

  it('with a YAML syntax error names the line and column', () => {
    const stderr = check(`${HEAD}rules:\n  version-valid: [error\n`);
    expect(stderr).toMatch(/release-policy\.yml:\d+:\d+ /);
  });

  it('with an unknown key suggests the right one', () => {
    const stderr = check(`version: 1\npakages:\n  - name: demo\n`);
    expect(stderr).toContain('release-policy.yml:2:1 pakages');
    expect(stderr).toMatch(/did you mean "?`?packages/);
  });

  it('with an unknown rule id suggests the right one', () => {
    const stderr = check(`${HEAD}rules:\n  tag-matchs-manifest: error\n`);
    expect(stderr).toMatch(/release-policy\.yml:7:3 rules\.tag-matchs-manifest/);
    expect(stderr).toContain('tag-matches-manifest');
  });

  it('with an invalid severity lists the valid ones', () => {
    const stderr = check(`${HEAD}rules:\n  version-valid: fatal\n`);
    expect(stderr).toMatch(/release-policy\.yml:7:18 rules\.version-valid/);
    expect(stderr).toMatch(/off.*warn.*error/s);
  });

  it('with a CEL typo in a waiver names the identifier and its column', () => {
    const stderr = check(
      `${HEAD}waivers:\n  - rule: version-valid\n    when: 'finding.subjct.name == "x"'\n    reason: r\n    owner: o\n    expires: 2999-01-01\n`,
    );
    // The text of `when` starts at column 12 (after the quote); `subjct` sits 8 characters in.
    expect(stderr).toMatch(/release-policy\.yml:8:20 waivers\[0\]\.when/);
    expect(stderr).toContain('subjct');
  });

  it('with a CEL typo on the second line of a block-scalar waiver names that line', () => {
    const stderr = check(
      `${HEAD}waivers:\n  - rule: version-valid\n    when: |\n      finding.rule == "version-valid" &&\n        finding.subjct.name == "x"\n    reason: r\n    owner: o\n    expires: 2999-01-01\n`,
    );
    expect(stderr).toMatch(/release-policy\.yml:10:\d+ waivers\[0\]\.when: CEL: No such key: subjct/);
  });

  it('reports every problem at once', () => {
    const stderr = check(`version: 1\npakages: []\nrules:\n  version-valid: fatal\n  tag-matchs-manifest: error\n`);
    expect(stderr).toContain('pakages');
    expect(stderr).toContain('version-valid');
    expect(stderr).toContain('tag-matchs-manifest');
  });

  it('prints a stack only with --debug for an internal error, never for a policy error', () => {
    writeFileSync(join(dir, 'release-policy.yml'), `version: 1\npakages: []\n`);
    const result = runPolicy(['check', '--debug'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
