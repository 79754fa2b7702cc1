import { describe, expect, test } from 'vitest';
import type { Finding } from '../../src/engine/model.js';
import type { PackageConfig, Policy, RuleSetting, WaiverConfig } from '../../src/policy/model.js';
import { filesToRead, locateFindings, type LocateIndex } from '../../src/report/locate.js';
import { hasWorkspaceTable, jsonVersionKey, tomlVersionKey } from '../../src/facts/manifest-position.js';
import { finding, rule, verdict, waived } from './verdict-builder.js';

describe('the version key of a manifest', () => {
  test('[package] version: the line and column of the key', () => {
    const text = '# a crate\n[package]\nname = "x"\n  version = "1.2.3"\nedition = "2021"\n';
    expect(tomlVersionKey(text, 'package')).toEqual({ line: 4, column: 3, workspace: false });
  });

  test('a version in another table, a comment, or a multi-line string is not the package version', () => {
    const text = [
      '[package]',
      'name = "x"',
      '# version = "0.0.1"',
      'description = """',
      '[package]',
      'version = "9.9.9"',
      '"""',
      '[dependencies]',
      'serde = { version = "1" }',
      '[package.metadata]',
      'version = "2"',
      '[package ]',
      '"version" = "1.0.0"',
    ].join('\n');
    expect(tomlVersionKey(text, 'package')).toEqual({ line: 13, column: 1, workspace: false });
  });

  test('inherited from the workspace: `version.workspace = true` and `version = { workspace = true }`', () => {
    expect(tomlVersionKey('[package]\nname = "x"\nversion.workspace = true\n', 'package')).toEqual({ line: 3, column: 1, workspace: true });
    expect(tomlVersionKey('[package]\nversion = { workspace = true }\n', 'package')).toEqual({ line: 2, column: 1, workspace: true });
    expect(tomlVersionKey('[package]\nname = "x"\n\n[package.version]\nworkspace = true\n', 'package')).toEqual({ line: 4, column: 1, workspace: true });
  });

  test('[workspace.package] version, a dotted key at the top, CRLF line ends; none when absent', () => {
    const root = '[workspace]\r\nmembers = ["a"]\r\n\r\n[ workspace . package ]\r\nedition = "2021"\r\nversion = "0.2.2"\r\n';
    expect(tomlVersionKey(root, 'workspace.package')).toEqual({ line: 6, column: 1, workspace: false });
    expect(tomlVersionKey('package.name = "x"\npackage.version = "1.0.0"\n', 'package')).toEqual({ line: 2, column: 1, workspace: false });
    expect(tomlVersionKey('[package]\nname = "x"\n', 'package')).toBeNull();
    expect(tomlVersionKey('[workspace]\nmembers = []\n', 'package')).toBeNull();
  });

  test('a [workspace] table makes a workspace root; a [workspace] inside a string does not', () => {
    expect(hasWorkspaceTable('[workspace]\nmembers = []\n')).toBe(true);
    expect(hasWorkspaceTable('[workspace.package]\nversion = "1.0.0"\n')).toBe(true);
    expect(hasWorkspaceTable('[package]\ndescription = """\n[workspace]\n"""\n')).toBe(false);
    expect(hasWorkspaceTable('[package]\nname = "workspace"\n')).toBe(false);
  });

  test('package.json: the top-level "version", not one nested or inside a string', () => {
    const text = '{\n  "name": "x",\n  "description": "\\"version\\": 1",\n  "engines": { "version": "1" },\n  "version": "1.2.3"\n}\n';
    expect(jsonVersionKey(text)).toEqual({ line: 5, column: 3, workspace: false });
    expect(jsonVersionKey('{"name": "x"}')).toBeNull();
  });
});

const ROOT = '/repo';
const POLICY_FILE = '/repo/.github/release-policy.yml';

function pkg(parts: Partial<PackageConfig>): PackageConfig {
  return { name: 'demo', ecosystem: 'cargo', manifest: 'Cargo.toml', registry: 'crates-io', tag: 'v{version}', releaseNotes: 'RELEASE_v{version}.md', ...parts };
}

function index(files: Record<string, string | null>, parts: Partial<Pick<Policy, 'packages' | 'rules' | 'waivers'>> = {}): LocateIndex {
  return {
    root: ROOT,
    policy: { packages: parts.packages ?? [pkg({})], rules: parts.rules ?? {}, waivers: parts.waivers ?? [] },
    catalogue: [rule('version-not-lowered'), rule('own-rule', { builtIn: false, file: '/repo/policy-rules/own-rule.yml' }), rule('built-in')],
    files: new Map(Object.entries(files)),
  };
}

/** Reads the files `filesToRead` asks for from `disk`, round after round, as src/cli/locate-findings.ts does. */
function locateFrom(disk: Record<string, string>, findings: Finding[], parts: Parameters<typeof index>[1] = {}) {
  const at = index({}, parts);
  const files = at.files as Map<string, string | null>;
  const asked: string[][] = [];
  for (let needs = filesToRead(findings, at); needs.length > 0; needs = filesToRead(findings, at)) {
    asked.push(needs);
    for (const path of needs) files.set(path, disk[path] ?? null);
  }
  return { located: locateFindings(verdict({ findings }), at).findings.map((f) => f.location), asked };
}

const setting = (line: number): RuleSetting => ({ severity: 'error', options: {}, location: { file: POLICY_FILE, line, col: 3 } });

describe('locating findings', () => {
  test('a version finding: the manifest, then the workspace root it inherits from, each read once', () => {
    const disk = {
      'crates/a/Cargo.toml': '[package]\nname = "a"\nversion.workspace = true\n',
      'Cargo.toml': '[workspace]\nmembers = ["crates/a"]\n\n[workspace.package]\nversion = "0.2.2"\n',
    };
    const findings = [
      finding({ rule: 'version-not-lowered', subject: 'version a 0.1.1 -> 0.1.0' }),
      finding({ rule: 'version-not-lowered', subject: 'version a 0.2.0 -> 0.1.0' }),
    ];
    const { located, asked } = locateFrom(disk, findings, { packages: [pkg({ name: 'a', manifest: 'crates/a/Cargo.toml' })] });
    expect(asked).toEqual([['crates/a/Cargo.toml'], ['crates/Cargo.toml'], ['Cargo.toml']]);
    expect(located).toEqual([
      { file: 'Cargo.toml', line: 5, column: 1 },
      { file: 'Cargo.toml', line: 5, column: 1 },
    ]);
  });

  test('package findings use the manifest; one without a version key points at its first line', () => {
    const { located } = locateFrom({ 'web/package.json': '{\n  "name": "web",\n  "version": "1.0.0"\n}\n', 'Cargo.toml': '[package]\nname = "demo"\n' }, [
      finding({ rule: 'manifest-valid', subject: 'package web' }),
      finding({ rule: 'manifest-valid', subject: 'package demo' }),
    ], { packages: [pkg({}), pkg({ name: 'web', ecosystem: 'npm', manifest: './web/package.json' })] });
    expect(located).toEqual([{ file: 'web/package.json', line: 3, column: 3 }, { file: 'Cargo.toml', line: 1, column: 0 }]);
  });

  test('release-notes findings: the notes file when it exists, else the version line', () => {
    const disk = { 'Cargo.toml': '[package]\nname = "demo"\nversion = "0.2.0"\n', 'RELEASE_v0.2.0.md': '# v0.2.0\n' };
    const { located } = locateFrom(disk, [
      finding({ rule: 'release-notes-present', subject: 'version demo 0.2.0' }),
      finding({ rule: 'release-notes-present', subject: 'version demo 0.3.0' }),
    ]);
    expect(located).toEqual([{ file: 'RELEASE_v0.2.0.md', line: 1, column: 1 }, { file: 'Cargo.toml', line: 3, column: 1 }]);
  });

  test('waivers at their policy line; unavailable facts and issues at the rule entry when the policy writes one, else nowhere', () => {
    const waiver: WaiverConfig = {
      rule: 'version-not-lowered', when: { text: 'true', at: { file: POLICY_FILE, line: 12, col: 11 }, block: false },
      reason: 'r', owner: 'o', expires: '2026-01-01', index: 1,
      location: { file: POLICY_FILE, line: 10, col: 5 }, ruleLocation: { file: POLICY_FILE, line: 10, col: 11 },
    };
    const { located, asked } = locateFrom({}, [
      finding({ rule: 'waiver-expired', subject: 'waiver waivers[1] (version-not-lowered)' }),
      finding({ rule: 'tagged-version-published', subject: 'fact registry' }),
      finding({ rule: 'blocked-keep-issue-open', subject: 'issue #7' }),
      finding({ rule: 'blocked-no-next-issue', subject: 'branch issue-8-x' }),
    ], { waivers: [waiver], rules: { 'tagged-version-published': setting(7), 'blocked-keep-issue-open': setting(8) } });
    expect(asked).toEqual([]);
    expect(located).toEqual([
      { file: '.github/release-policy.yml', line: 10, column: 5 },
      { file: '.github/release-policy.yml', line: 7, column: 3 },
      { file: '.github/release-policy.yml', line: 8, column: 3 },
      undefined,
    ]);
  });

  test('tags and commits keep only their logical location, even when their rule is written', () => {
    const { located } = locateFrom({}, [finding({ rule: 'tag-matches-manifest', subject: 'tag v0.1.0' }), finding({ rule: 'x', subject: 'commit abc123' })], {
      rules: { 'tag-matches-manifest': setting(4), x: setting(5) },
    });
    expect(located).toEqual([undefined, undefined]);
  });

  test("a rule that could not be evaluated: a project rule's file and check line; a built-in rule's policy entry", () => {
    const failed = (ruleId: string, file: string): Finding => ({
      ...finding({ rule: ruleId, subject: `rule ${ruleId}` }),
      location: { file, line: 9, column: 5 },
    });
    const { located } = locateFrom({}, [failed('own-rule', '/repo/policy-rules/own-rule.yml'), failed('built-in', '/opt/release-policy/rules/built-in.yml')], {
      rules: { 'built-in': setting(3) },
    });
    expect(located).toEqual([{ file: 'policy-rules/own-rule.yml', line: 9, column: 5 }, { file: '.github/release-policy.yml', line: 3, column: 3 }]);
  });

  test('waived findings are located too; a verdict without findings asks for nothing', () => {
    const at = index({ 'Cargo.toml': '[package]\nversion = "1.0.0"\n' });
    const out = locateFindings(verdict({ waived: [waived({ rule: 'version-not-lowered', subject: 'version demo 1.0.0' })] }), at);
    expect(out.waived[0]?.location).toEqual({ file: 'Cargo.toml', line: 2, column: 1 });
    expect(filesToRead([], index({}))).toEqual([]);
    const empty = verdict();
    expect(locateFindings(empty, index({}))).toBe(empty);
  });
});
