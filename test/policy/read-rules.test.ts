import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { formatDiagnostic } from '../../src/policy/diagnostics.js';
import { builtInRulesDir, loadRuleDirs, readRuleFile } from '../../src/policy/read-rules.js';
import { checkOptionSchema } from '../../src/policy/rule-options.js';
import { parseYamlSource } from '../../src/policy/yaml-source.js';

const RULE = [
  'id: no-tag-while-blocked', //                          1
  'title: No tag while blocked', //                       2
  'spec: "Dry-Run Failure: Do not create a tag."', //     3
  'severity: error', //                                   4
  'gates: [tag, ci]', //                                  5
  'facts: [tags, gate]', //                               6
  'options:', //                                          7
  '  type: object', //                                    8
  '  properties: { prefix: { type: string, default: v } }', // 9
  'when: gate.name != ""', //                             10
  'variables:', //                                        11
  '  - name: wanted', //                                  12
  '    expression: options.prefix + gate.arg', //         13
  'checks:', //                                           14
  '  - for: tags', //                                     15
  '    expression: |', //                                 16
  '      it.name != variables.wanted', //                 17
  '    message: "tag {{ it.name }} is refused"', //       18
  '    subject: { kind: tag, name: "{{ it.name }}" }', // 19
  'docs:', //                                             20
  '  why: A tag says a version exists.', //               21
  '  fix: Tag after publishing.', //                      22
];
const FILE = '/rules/no-tag-while-blocked.yml';

function ruleText(edit: (rows: string[]) => string[] = (rows) => rows): string {
  return `${edit([...RULE]).join('\n')}\n`;
}

describe('readRuleFile', () => {
  test('keeps every CEL field as SourceText with its position', () => {
    const { rule, diagnostics } = readRuleFile(FILE, ruleText(), true);
    expect(diagnostics).toEqual([]);
    expect(rule).toMatchObject({
      id: 'no-tag-while-blocked',
      severity: 'error',
      gates: ['tag', 'ci'],
      facts: ['tags', 'gate'],
      options: { type: 'object', properties: { prefix: { type: 'string', default: 'v' } } },
      when: { text: 'gate.name != ""', at: { file: FILE, line: 10, col: 7 }, block: false },
      variables: [{ name: 'wanted', expression: { text: 'options.prefix + gate.arg', at: { line: 13, col: 17 } } }],
      docs: { why: 'A tag says a version exists.', fix: 'Tag after publishing.' },
      file: FILE,
      builtIn: true,
    });
    expect(rule?.checks[0]).toEqual({
      for: { text: 'tags', at: { file: FILE, line: 15, col: 10 }, block: false },
      expression: { text: 'it.name != variables.wanted\n', at: { file: FILE, line: 17, col: 7 }, block: true },
      message: { text: 'tag {{ it.name }} is refused', at: { file: FILE, line: 18, col: 15 }, block: false },
      subject: { kind: 'tag', name: { text: '{{ it.name }}', at: { file: FILE, line: 19, col: 34 }, block: false } },
    });
  });

  test('optional fields default to empty', () => {
    const { rule } = readRuleFile(FILE, ruleText((rows) => [...rows.slice(0, 6), ...rows.slice(13)]), false);
    expect(rule).toMatchObject({ options: {}, when: null, variables: [], builtIn: false });
  });

  test('an id that differs from the file name is refused at the id', () => {
    const { rule, diagnostics } = readRuleFile('/rules/other-name.yml', ruleText(), true);
    expect(rule).toBeNull();
    expect(diagnostics).toEqual([
      {
        file: '/rules/other-name.yml',
        line: 1,
        col: 5,
        key: 'id',
        message: 'id "no-tag-while-blocked" does not match the file name other-name.yml',
        hint: 'rename the file to no-tag-while-blocked.yml, or write id: other-name',
      },
    ]);
  });

  test('a missing docs.fix, an unknown gate and an unknown fact are each reported', () => {
    const text = ruleText((rows) =>
      rows.filter((row) => !row.startsWith('  fix:')).map((row) => row.replace('[tag, ci]', '[tag, push]').replace('[tags, gate]', '[tags, relase]')),
    );
    const { rule, diagnostics } = readRuleFile(FILE, text, true);
    expect(rule).toBeNull();
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.key}: ${d.message} | ${d.hint}`)).toEqual([
      '5:14 gates[1]: must be one of "pre-push", "pre-commit", "commit-msg", "tag", "start-issue", "close-issue", "bump", "publish", "ci", "review", "audit", got "push" | did you mean "pre-push"?',
      '6:15 facts[1]: must be one of "repo", "packages", "tags", "history", "gate", "release", "push", "commit", "registry", "github", got "relase" | did you mean "release"?',
      '21:3 docs.fix: missing required key "fix" | add fix: What to do when the rule reports a finding.',
    ]);
  });

  test('a check without subject and an empty checks list are refused', () => {
    const noSubject = readRuleFile(FILE, ruleText((rows) => rows.filter((row) => !row.includes('subject:'))), true);
    expect(noSubject.diagnostics.map(formatDiagnostic)).toEqual([
      `${FILE}:15:5 checks[0].subject: missing required key "subject"\n  hint: add subject: What the finding is about, e.g. kind \`tag\`, name \`{{ it.name }}\`; waivers match on it.`,
    ]);
    const noChecks = readRuleFile(FILE, ruleText((rows) => [...rows.slice(0, 13), 'checks: []', ...rows.slice(19)]), true);
    expect(noChecks.diagnostics).toMatchObject([{ line: 14, col: 9, key: 'checks', message: 'must not be empty' }]);
  });
});

describe('loadRuleDirs', () => {
  const root = mkdtempSync(join(tmpdir(), 'rules-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (dir: string, name: string, text: string): void => {
    mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, dir, name), text);
  };
  const named = (id: string): string => ruleText((rows) => [`id: ${id}`, ...rows.slice(1)]);
  write('builtin', 'zeta-rule.yml', named('zeta-rule'));
  write('builtin', 'alpha-rule.yml', named('alpha-rule'));
  write('builtin', 'alpha-rule.test.yml', 'rule: alpha-rule\ncases: []\n');
  write('local', 'middle-rule.yml', named('middle-rule'));
  write('local', 'alpha-rule.yml', named('alpha-rule'));

  test('reads rule files sorted by id, skips test tables, refuses duplicate ids', () => {
    const { rules, diagnostics } = loadRuleDirs([join(root, 'local')], join(root, 'builtin'));
    expect(rules.map((r) => [r.id, r.builtIn])).toEqual([
      ['alpha-rule', true],
      ['middle-rule', false],
      ['zeta-rule', true],
    ]);
    expect(diagnostics).toEqual([
      {
        file: join(root, 'local', 'alpha-rule.yml'),
        line: 1,
        col: 5,
        key: 'id',
        message: `rule id "alpha-rule" is already defined in ${join(root, 'builtin', 'alpha-rule.yml')}`,
        hint: 'give this rule another id (and file name), or remove one of the two',
      },
    ]);
  });

  test('a missing rules folder is a diagnostic', () => {
    const { diagnostics } = loadRuleDirs([join(root, 'nope')], join(root, 'builtin'));
    expect(diagnostics).toMatchObject([{ file: join(root, 'nope'), key: 'rulesDir', message: 'rules folder not found' }]);
  });

  test('a rulesDir entry that is a file is a diagnostic naming it, not a crash', () => {
    write('', 'not-a-folder.yml', 'x: 1\n');
    const { diagnostics } = loadRuleDirs([join(root, 'not-a-folder.yml')], join(root, 'builtin'));
    expect(diagnostics).toEqual([
      {
        file: join(root, 'not-a-folder.yml'),
        line: 1,
        col: 1,
        key: 'rulesDir',
        message: 'is a file, not a rules folder',
        hint: 'fix `rulesDir` in release-policy.yml: it names folders of rule files, relative to the policy file',
      },
    ]);
  });

  test('rule files that cannot be read are diagnostics with the file and a hint', () => {
    write('unreadable', 'good-rule.yml', named('good-rule'));
    mkdirSync(join(root, 'unreadable', 'folder-rule.yml'));
    symlinkSync(join(root, 'unreadable', 'gone.yml'), join(root, 'unreadable', 'dangling-rule.yml'));
    const { rules, diagnostics } = loadRuleDirs([join(root, 'unreadable')], join(root, 'builtin'));
    expect(rules.map((r) => r.id)).toEqual(['alpha-rule', 'good-rule', 'zeta-rule']);
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      `${join(root, 'unreadable', 'dangling-rule.yml')}:1:1 cannot be read: the file does not exist (a dangling symbolic link?)\n  hint: point the link at an existing rule file, or remove it`,
      `${join(root, 'unreadable', 'folder-rule.yml')}:1:1 is a folder, not a rule file\n  hint: rule folders hold rule files (<id>.yml) and their tables; rename the folder so it does not end in .yml`,
    ]);
  });

  // Root reads any file whatever its mode, so this runs only as an ordinary user (as in CI).
  test.skipIf(process.getuid?.() === 0 || process.platform === 'win32')('a rule file without read permission is a diagnostic', () => {
    write('private', 'secret-rule.yml', named('secret-rule'));
    chmodSync(join(root, 'private', 'secret-rule.yml'), 0o000);
    try {
      const { diagnostics } = loadRuleDirs([join(root, 'private')], join(root, 'builtin'));
      expect(diagnostics).toMatchObject([
        { file: join(root, 'private', 'secret-rule.yml'), message: 'cannot be read: permission denied', hint: expect.stringContaining('chmod') },
      ]);
    } finally {
      chmodSync(join(root, 'private', 'secret-rule.yml'), 0o644);
    }
  });

  test('the policy file in a rules folder is skipped, not read as a rule', () => {
    write('with-policy', 'local-rule.yml', named('local-rule'));
    write('with-policy', 'release-policy.yml', 'version: 1\npackages: [{ name: demo }]\n');
    write('with-policy', 'release-policy.yaml', 'version: 1\npackages: [{ name: demo }]\n');
    const { rules, diagnostics } = loadRuleDirs([join(root, 'with-policy')], join(root, 'builtin'));
    expect(diagnostics).toEqual([]);
    expect(rules.map((r) => r.id)).toEqual(['alpha-rule', 'local-rule', 'zeta-rule']);
  });

  test('builtInRulesDir is the package rules folder', () => {
    expect(builtInRulesDir()).toBe(join(__dirname, '..', '..', 'rules'));
    expect(existsSync(builtInRulesDir())).toBe(true);
  });
});

describe('options schemas, strictly', () => {
  test('every built-in rule\'s options schema passes the strict check project rules get at load', () => {
    const { rules, diagnostics } = loadRuleDirs([], builtInRulesDir());
    expect(diagnostics).toEqual([]);
    const withOptions = rules.filter((rule) => Object.keys(rule.options).some((key) => key !== 'type'));
    expect(withOptions.length).toBeGreaterThan(0);
    for (const rule of withOptions) {
      const source = parseYamlSource(rule.file, readFileSync(rule.file, 'utf8'));
      expect([rule.id, checkOptionSchema(rule.options, source)]).toEqual([rule.id, []]);
    }
  });

  test('a project rule with `type: arrayy` does not load; the same schema with `type: array` does', () => {
    const text = (type: string): string =>
      ['id: x', 'title: T', 'spec: S', 'severity: warn', 'gates: [ci]', 'facts: [packages]', 'options:', '  type: object', '  properties:', `    names: { type: ${type} }`,
        'checks:', '  - expression: "true"', '    message: m', '    subject: { kind: package, name: n }', 'docs: { why: w, fix: f }', ''].join('\n');
    const bad = readRuleFile('rules/x.yml', text('arrayy'), false);
    expect(bad.rule).toBeNull();
    expect(bad.diagnostics.map((d) => `${d.line}:${d.col} ${d.key}: ${d.message} (${d.hint})`)).toEqual([
      '10:20 options.properties.names.type: options schema: "arrayy" is not a JSON Schema type (did you mean "array"?)',
    ]);
    expect(readRuleFile('rules/x.yml', text('array'), false).diagnostics).toEqual([]);
  });
});
