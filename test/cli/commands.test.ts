import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_GIT } from '../helpers/tools.js';
import { git } from '../../scripts/sample-repo.mjs';
import { PROJECT_ROOT, runPolicy } from '../helpers/cli.js';
import { ZERO_MAJOR_RULE, ZERO_MAJOR_TABLE } from '../helpers/rule-fixtures.js';

/** Findings about the registry, which these tests run without (POLICY_OFFLINE=1: reported as warnings). */
const registryOffline = (f: { subject: { kind: string; name: string } }): boolean => f.subject.kind === 'fact' && f.subject.name === 'registry';


const POLICY = `version: 1
extends: [recommended]
packages:
  - name: demo
    manifest: Cargo.toml
`;

describe.skipIf(!HAS_GIT)('the policy command', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'release-policy-cli-'));
    git(dir, ['init', '-q']);
    writeFileSync(join(dir, 'Cargo.toml'), '[package]\nname = "demo"\nversion = "0.1.0"\n');
    writeFileSync(join(dir, 'release-policy.yml'), POLICY);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'start']);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints help with exit 0, and exit 2 without a command', () => {
    const help = runPolicy(['--help'], { cwd: dir });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/check.*audit.*facts.*rules.*explain.*test/s);
    expect(runPolicy([], { cwd: dir }).code).toBe(2);
    for (const command of ['check', 'audit', 'facts', 'rules', 'explain', 'test']) {
      const result = runPolicy([command, '--help'], { cwd: dir });
      expect([command, result.code, result.stdout.startsWith(`Usage: policy ${command}`)]).toEqual([command, 0, true]);
    }
  });

  it('suggests the command, gate or flag meant', () => {
    const command = runPolicy(['chek'], { cwd: dir });
    expect([command.code, command.stderr]).toEqual([2, expect.stringContaining('did you mean "check"')]);
    const gate = runPolicy(['check', '--gate', 'pre-psh'], { cwd: dir });
    expect([gate.code, gate.stderr]).toEqual([2, expect.stringContaining('did you mean "pre-push"')]);
    const format = runPolicy(['check', '--format', 'xml'], { cwd: dir });
    expect([format.code, format.stderr]).toEqual([2, expect.stringContaining('--format must be one of text, json, sarif, github, markdown')]);
    const flag = runPolicy(['check', '--gaet', 'ci'], { cwd: dir });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--gaet'");
  });

  it('says how to start when there is no policy file', () => {
    const empty = mkdtempSync(join(tmpdir(), 'release-policy-nopolicy-'));
    try {
      git(empty, ['init', '-q']);
      const result = runPolicy(['check'], { cwd: empty });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('no release-policy.yml found');
      expect(result.stderr).toContain('--policy FILE');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('lists rules with their effective severities', () => {
    writeFileSync(join(dir, 'release-policy.yml'), `${POLICY}rules:\n  version-not-skipped: warn\n  manifest-valid: off\n`);
    const result = runPolicy(['rules', '--format', 'json'], { cwd: dir });
    expect(result.code).toBe(0);
    const rules = JSON.parse(result.stdout) as { id: string; severity: string }[];
    expect(Object.fromEntries(rules.map((r) => [r.id, r.severity]))).toEqual({
      'abandoned-not-published': 'error',
      'blocked-keep-issue-open': 'error',
      'blocked-no-next-issue': 'error',
      'blocked-no-version-change': 'error',
      'dry-run-failure-no-tag': 'error',
      'issue-closed-while-open': 'error',
      'manifest-valid': 'off',
      'new-tag-matches-manifest': 'error',
      'preserve-no-unrelated-cleanup': 'warn',
      'preserve-release-notes': 'error',
      'publish-no-blind-retry': 'error',
      'publish-requires-dry-run': 'error',
      'published-version-tagged': 'error',
      'tagged-version-published': 'error',
      'tag-requires-publish': 'error',
      'release-notes-present': 'error',
      'tag-matches-manifest': 'error',
      'tag-no-move': 'error',
      'version-not-lowered': 'error',
      'version-not-skipped': 'warn',
      'version-valid': 'error',
    });
  });

  it('picks up an edited policy on the next run (the load cache never goes stale)', () => {
    writeFileSync(join(dir, 'release-policy.yml'), `${POLICY}rules:\n  release-notes-present: error\n`);
    expect(runPolicy(['check'], { cwd: dir }).code).toBe(1);
    writeFileSync(join(dir, 'release-policy.yml'), `${POLICY}rules:\n  release-notes-present: warn\n`);
    const warned = runPolicy(['check', '--format', 'json'], { cwd: dir });
    expect(warned.code).toBe(0);
    const findings = (JSON.parse(warned.stdout) as { findings: { rule: string; severity: string; message: string; subject: { kind: string; name: string } }[] }).findings;
    expect(findings.filter((f) => !registryOffline(f))).toEqual([expect.objectContaining({ rule: 'release-notes-present', severity: 'warn' })]);
    // Offline, the registry rules are not evaluated, and say so as warnings that do not refuse.
    expect(findings.filter(registryOffline).map((f) => [f.rule, f.severity, f.message])).toEqual([
      ['facts-unavailable', 'warn', '2 rules could not be judged without the registry fact (reason under "unavailable"): published-version-tagged, tagged-version-published'],
    ]);
    expect(existsSync(join(dir, '.git', 'release-policy'))).toBe(true);
  });

  it('explains a rule, and suggests the id for a typo', () => {
    const result = runPolicy(['explain', 'tag-matches-manifest'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('spec: Post-Publish Tag or Push Failure: Fix repository metadata drift before moving on.');
    expect(result.stdout).toContain('facts: tags');
    const typo = runPolicy(['explain', 'tag-match-manifest'], { cwd: dir });
    expect([typo.code, typo.stderr]).toEqual([2, expect.stringContaining('did you mean "tag-matches-manifest"')]);
    expect(runPolicy(['explain', 'waiver-expired'], { cwd: dir }).stdout).toContain('expires');
  });

  it('reports a malformed manifest as a finding with its line, not a crash', () => {
    writeFileSync(join(dir, 'release-policy.yml'), POLICY);
    writeFileSync(join(dir, 'Cargo.toml'), '[package]\nname = "demo"\nversion = 0.1.0"\n');
    try {
      const result = runPolicy(['check', '--format', 'json'], { cwd: dir });
      expect(result.code).toBe(1);
      const findings = (JSON.parse(result.stdout) as { findings: { rule: string; message: string }[] }).findings;
      expect(findings.find((f) => f.rule === 'manifest-valid')?.message).toMatch(/Cargo\.toml:3:\d+/);
    } finally {
      writeFileSync(join(dir, 'Cargo.toml'), '[package]\nname = "demo"\nversion = "0.1.0"\n');
    }
  });

  it('dumps only the facts a gate needs', () => {
    const result = runPolicy(['facts', '--gate', 'pre-push'], { cwd: dir });
    expect(result.code).toBe(0);
    const dump = JSON.parse(result.stdout) as { facts: Record<string, unknown> };
    expect(Object.keys(dump.facts).sort()).toEqual(['commit', 'gate', 'packages', 'push', 'release', 'repo']);
    expect(dump.facts.packages).toEqual([expect.objectContaining({ name: 'demo', version: '0.1.0', manifestError: '' })]);
  });

  it('passes its own policy on this repository', () => {
    const shallow = git(PROJECT_ROOT, ['rev-parse', '--is-shallow-repository']).trim() === 'true';
    const result = runPolicy(['check'], { cwd: PROJECT_ROOT });
    // A shallow CI checkout cannot show history: that must be exit 3, never a pass.
    expect([result.code, result.stderr]).toEqual([shallow ? 3 : 0, '']);
  });
});

describe.skipIf(!HAS_GIT)('policy test and project rules', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'release-policy-rules-'));
    git(dir, ['init', '-q']);
    mkdirSync(join(dir, 'policy-rules'));
    writeFileSync(join(dir, 'Cargo.toml'), '[package]\nname = "demo"\nversion = "0.1.0"\n');
    writeFileSync(join(dir, 'release-policy.yml'), `${POLICY}rulesDir: policy-rules\nextends: []\n`.replace('extends: [recommended]\n', ''));
    writeFileSync(join(dir, 'policy-rules', 'no-zero-major.yml'), ZERO_MAJOR_RULE('no-zero-major'));
    writeFileSync(join(dir, 'policy-rules', 'no-zero-major.test.yml'), ZERO_MAJOR_TABLE('no-zero-major'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the built-in tables and the project rules', () => {
    const result = runPolicy(['test'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('✔ no-zero-major (3 cases)');
    expect(result.stdout).toMatch(/22 of 22 rules passed/);
  });

  it('enforces a project rule from rulesDir in check', () => {
    const result = runPolicy(['check', '--format', 'json'], { cwd: dir });
    expect(result.code).toBe(1);
    const findings = (JSON.parse(result.stdout) as { findings: { rule: string; message: string }[] }).findings;
    expect(findings).toEqual([expect.objectContaining({ rule: 'no-zero-major', message: 'demo is still 0.1.0' })]);
  });

  it('fails a table whose expectation does not hold, naming the case', () => {
    const table = join(dir, 'policy-rules', 'no-zero-major.test.yml');
    writeFileSync(table, `rule: no-zero-major\ncases:\n  - name: wrong expectation\n    facts: { packages: [{ name: demo, version: 0.3.0 }] }\n    expect: []\n`);
    const result = runPolicy(['test', 'policy-rules'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('case "wrong expectation"');
    expect(result.stdout).toContain('expected 0 finding(s), got 1');
  });

  it('refuses a table with a misspelled fact instead of ignoring it', () => {
    const table = join(dir, 'policy-rules', 'no-zero-major.test.yml');
    writeFileSync(table, `rule: no-zero-major\ncases:\n  - name: typo\n    facts: { packages: [{ name: demo, verison: 0.3.0 }] }\n    expect: []\n`);
    const result = runPolicy(['test', 'policy-rules'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('verison');
  });

  it('reports a CEL typo in a rule with the rule file line and column', () => {
    const rule = join(dir, 'policy-rules', 'typo.yml');
    writeFileSync(
      rule,
      `id: typo\ntitle: t\nspec: s\nseverity: warn\ngates: [ci]\nfacts: [packages]\nchecks:\n  - for: packages\n    expression: it.verison != ""\n    message: m\n    subject: { kind: package, name: "{{it.name}}" }\ndocs: { why: w, fix: f }\n`,
    );
    try {
      const result = runPolicy(['check'], { cwd: dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/typo\.yml:9:20 checks\[0\]\.expression: CEL: No such key: verison/);
    } finally {
      rmSync(rule);
    }
  });
});
