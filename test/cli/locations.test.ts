import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSampleRepo, git } from '../../scripts/sample-repo.mjs';
import { runPolicy, PROJECT_ROOT } from '../helpers/cli.js';
import { HAS_GIT } from '../helpers/tools.js';

interface SarifResult {
  ruleId: string;
  locations: {
    physicalLocation?: { artifactLocation: { uri: string; uriBaseId: string }; region: { startLine: number; startColumn?: number } };
    logicalLocations?: { name: string; kind: string }[];
  }[];
  partialFingerprints: Record<string, string>;
}

// The official SARIF 2.1.0 schema (draft-07), vendored: see test/fixtures/sarif/SOURCE.md.
const schema = JSON.parse(readFileSync(join(PROJECT_ROOT, 'test', 'fixtures', 'sarif', 'sarif-schema-2.1.0.json'), 'utf8')) as Record<string, unknown>;

/**
 * The schema's formats, checked rather than ignored (ajv ships none without ajv-formats).
 * unicodeRegExp off: one of the schema's patterns (`language`) has a stray `]` that only a
 * non-Unicode RegExp accepts.
 */
const FORMATS = {
  uri: (text: string) => URL.canParse(text),
  'uri-reference': (text: string) => URL.canParse(text, 'file:///base/') && !/\s/.test(text),
  'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
};

function validateSarif(text: string): string[] {
  const validate = new Ajv({ allErrors: true, strict: false, formats: FORMATS, unicodeRegExp: false }).compile(schema);
  return validate(JSON.parse(text)) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

const resultsOf = (sarif: string): SarifResult[] => (JSON.parse(sarif) as { runs: { results: SarifResult[] }[] }).runs[0]?.results ?? [];

describe.skipIf(!HAS_GIT)('locations of an audit with drift (the sample repository)', () => {
  let dir: string;
  beforeAll(() => {
    dir = buildSampleRepo();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('SARIF validates against the 2.1.0 schema; version findings sit on the version line the crate inherits, tags keep their logical location', () => {
    const result = runPolicy(['audit', '--format', 'sarif'], { cwd: dir });
    expect([result.code, result.stderr]).toEqual([1, '']);
    expect(validateSarif(result.stdout)).toEqual([]);
    // The validator is not vacuous: a line 0 and an unknown level are refused.
    const broken = result.stdout.replace('"startLine": 6', '"startLine": 0').replace('"level": "warning"', '"level": "severe"');
    expect(validateSarif(broken).length).toBeGreaterThanOrEqual(2);
    const results = resultsOf(result.stdout);
    // The crate writes `version.workspace = true`: its version is line 6 of the root Cargo.toml, `version = "0.2.2"` in [workspace.package].
    expect(readFileSync(join(dir, 'Cargo.toml'), 'utf8').split('\n')[5]).toBe('version = "0.2.2"');
    const onVersionLine = { artifactLocation: { uri: 'Cargo.toml', uriBaseId: '%SRCROOT%' }, region: { startLine: 6, startColumn: 1 } };
    for (const id of ['version-not-lowered', 'version-not-skipped', 'release-notes-present']) {
      const found = results.find((r) => r.ruleId === id);
      expect(found?.locations[0]?.physicalLocation, id).toEqual(onVersionLine);
    }
    const tag = results.find((r) => r.ruleId === 'tag-matches-manifest');
    expect(tag?.locations[0]?.logicalLocations).toEqual([{ name: 'v0.1.0', kind: 'tag', fullyQualifiedName: 'tag v0.1.0' }]);
    // No file of its own: the policy's entry of the package whose tag template it matches.
    const entry = readFileSync(join(dir, 'release-policy.yml'), 'utf8').split('\n').findIndex((line) => /name: demo-runtime/.test(line)) + 1;
    expect(entry).toBeGreaterThan(0);
    expect(tag?.locations[0]?.physicalLocation).toEqual({ artifactLocation: { uri: 'release-policy.yml', uriBaseId: '%SRCROOT%' }, region: { startLine: entry, startColumn: 11 } });
  });

  it('two runs give the same SARIF, fingerprints included', () => {
    const first = runPolicy(['audit', '--format', 'sarif'], { cwd: dir });
    const second = runPolicy(['audit', '--format', 'sarif'], { cwd: dir });
    expect(second.stdout).toBe(first.stdout);
    const fingerprints = resultsOf(first.stdout).map((r) => r.partialFingerprints['releasePolicyFinding/v1']);
    expect(fingerprints.every((f) => /^[0-9a-f]{32}$/.test(f ?? ''))).toBe(true);
    expect(new Set(fingerprints).size).toBe(fingerprints.length);
  });

  it('github annotations and JSON findings carry file, line and column', () => {
    const github = runPolicy(['audit', '--format', 'github'], { cwd: dir });
    expect(github.code).toBe(1);
    const lines = github.stdout.split('\n');
    expect(lines.find((l) => l.includes('title=version-not-lowered'))).toMatch(/^::error file=Cargo\.toml,line=6,col=1,title=version-not-lowered::/);
    expect(lines.find((l) => l.includes('title=tag-matches-manifest'))).toMatch(/^::error file=release-policy\.yml,line=[0-9]+,col=11,title=tag-matches-manifest::/);
    const json = JSON.parse(runPolicy(['audit', '--format', 'json'], { cwd: dir }).stdout) as { findings: { rule: string; location?: unknown }[] };
    expect(json.findings.find((f) => f.rule === 'version-not-skipped')?.location).toEqual({ file: 'Cargo.toml', line: 6, column: 1 });
    expect(json.findings.find((f) => f.rule === 'tag-matches-manifest')?.location).toEqual({ file: 'release-policy.yml', line: 5, column: 11 });
  });
});

describe.skipIf(!HAS_GIT)('locations from the policy and project rules', () => {
  let dir: string;
  beforeAll(() => {
    dir = buildSampleRepo();
    mkdirSync(join(dir, 'policy-rules'));
    // A project rule whose check cannot be evaluated on a tag that is not a bare version.
    writeFileSync(join(dir, 'policy-rules', 'tags-compare.yml'), [
      'id: tags-compare',
      'title: Tags compare as versions',
      'spec: "Project rule: tags are versions."',
      'severity: error',
      'gates: [audit]',
      'facts: [tags]',
      'checks:',
      '  - for: tags',
      '    expression: semverCompare(it.name, "0.0.1") >= 0',
      '    message: "{{it.name}}"',
      '    subject: { kind: tag, name: "{{it.name}}" }',
      'docs:',
      '  why: Tags are versions.',
      '  fix: Rename the tag.',
      '',
    ].join('\n'));
    const policy = readFileSync(join(dir, 'release-policy.yml'), 'utf8');
    writeFileSync(join(dir, 'release-policy.yml'), `${policy}rulesDir: policy-rules
rules:
  tagged-version-published: warn
waivers:
  - rule: version-not-skipped
    when: 'finding.subject.name == "no such subject"'
    reason: kept for the test
    owner: "@maintainers"
    expires: 2099-12-31
`);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'Policy with a project rule and a waiver']);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a waiver at its policy line, an unavailable fact at its rule entry, a failing project rule at its check', () => {
    const result = runPolicy(['audit', '--format', 'json'], { cwd: dir });
    expect(result.stderr).toBe('');
    const findings = (JSON.parse(result.stdout) as { findings: { rule: string; message: string; subject: { kind: string }; location?: unknown }[] }).findings;
    const policyLines = readFileSync(join(dir, 'release-policy.yml'), 'utf8').split('\n');
    const lineOf = (text: string) => policyLines.findIndex((line) => line.includes(text)) + 1;
    expect(findings.find((f) => f.rule === 'waiver-unused')?.location).toEqual({ file: 'release-policy.yml', line: lineOf('- rule: version-not-skipped'), column: 5 });
    const unjudged = (rule: string) => findings.find((f) => f.rule === 'facts-unavailable' && f.message.includes(rule));
    expect(unjudged('tagged-version-published')?.location).toEqual({ file: 'release-policy.yml', line: lineOf('  tagged-version-published: warn'), column: 3 });
    // One finding for the registry fact names both rules; the entry of the one the policy writes stands for it.
    expect(unjudged('published-version-tagged')).toBe(unjudged('tagged-version-published'));
    const ruleError = findings.find((f) => f.rule === 'tags-compare');
    expect(ruleError?.subject.kind).toBe('rule');
    expect(ruleError?.location).toEqual({ file: 'policy-rules/tags-compare.yml', line: 9, column: 17 });
  });

  it('a tag whose name holds `,` and `%` is one annotation whose properties it cannot change', () => {
    git(dir, ['tag', 'v9%0A,line=1,title=x', 'HEAD']);
    try {
      const result = runPolicy(['audit', '--format', 'github'], { cwd: dir });
      const lines = result.stdout.split('\n').filter((line) => line.includes('v9'));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        // The properties are what the tool set; the tag's text is all in the message.
        expect(line.slice(2, line.indexOf('::', 2))).toMatch(/^(error|warning) (file=[\w./-]+,line=\d+(,col=\d+)?,)?title=[a-z-]+$/);
        expect(line).toContain('v9%250A,line=1,title=x');
      }
    } finally {
      git(dir, ['tag', '-d', 'v9%0A,line=1,title=x']);
    }
  });
});
