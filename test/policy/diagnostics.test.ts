import type { ErrorObject } from 'ajv';
import { describe, expect, test } from 'vitest';
import { diagnosticsFromAjv, formatDiagnostic, formatKeyPath } from '../../src/policy/diagnostics.js';
import { didYouMean } from '../../src/policy/did-you-mean.js';
import { validatePolicy, validateRuleTest } from '../../src/generated/validators.js';
import { parseYamlSource } from '../../src/policy/yaml-source.js';

function diagnose(validate: typeof validatePolicy, text: string): string[] {
  const source = parseYamlSource('f.yml', text);
  expect(validate(source.value)).toBe(false);
  return diagnosticsFromAjv(validate.errors, source, 'f.yml').map(formatDiagnostic);
}

describe('formatDiagnostic', () => {
  test('prints file:line:col key: message, then the hint indented', () => {
    const d = { file: 'p.yml', line: 3, col: 7, key: 'rules.x', message: 'unknown rule "x"', hint: 'did you mean "y"?' };
    expect(formatDiagnostic(d)).toBe('p.yml:3:7 rules.x: unknown rule "x"\n  hint: did you mean "y"?');
    expect(formatDiagnostic({ ...d, hint: '' })).toBe('p.yml:3:7 rules.x: unknown rule "x"');
    expect(formatDiagnostic({ ...d, key: '' , hint: '' })).toBe('p.yml:3:7 unknown rule "x"');
  });

  test('key paths read like the YAML', () => {
    expect(formatKeyPath(['waivers', 0, 'when'])).toBe('waivers[0].when');
    expect(formatKeyPath(['rules', 'a-b', 1, 'x'])).toBe('rules.a-b[1].x');
    expect(formatKeyPath([])).toBe('');
  });
});

describe('diagnosticsFromAjv', () => {
  test('anyOf over string-or-list yields one message from the branch the value is closest to', () => {
    expect(diagnose(validatePolicy, 'version: 1\nrulesDir: [rules, 7]\npackages: [{ name: demo }]\n')).toEqual([
      'f.yml:2:19 rulesDir[1]: expected a string, got 7 (a number)\n  hint: A folder of rule files, relative to this policy file.',
    ]);
    expect(diagnose(validatePolicy, 'version: 1\nrulesDir: { a: 1 }\npackages: [{ name: demo }]\n')).toEqual([
      'f.yml:2:11 rulesDir: expected a string or a list, got a mapping\n  hint: Extra folder(s) of rule files (`<id>.yml`), relative to this policy file. Their rules are enabled at their own severity unless `rules` says otherwise.',
    ]);
  });

  test('a too-long severity tuple and an invalid rule-id key', () => {
    expect(diagnose(validatePolicy, 'version: 1\nrules:\n  Tag_Rule: [warn, {}, extra]\npackages: [{ name: demo }]\n')).toEqual([
      'f.yml:3:3 rules.Tag_Rule: key "Tag_Rule" must be a rule id: lower-case words joined by dashes\n  hint: A rule id: lower-case words joined by dashes.',
      'f.yml:3:13 rules.Tag_Rule: must have at most 2 items, got 3\n  hint: [severity] or [severity, { options }]; `policy explain <id>` shows a rule\'s options.',
    ]);
  });

  test('nested fact errors in a rule test table point at the fact', () => {
    const text = 'rule: a-rule\ncases:\n  - name: n\n    facts: { tags: [{ name: v1, commit: 1234 }], relase: {} }\n    expect: [{ subjct: v1 }]\n';
    expect(diagnose(validateRuleTest, text)).toEqual([
      // The hint is the schema's description of the field (its wording is the facts schema's).
      expect.stringMatching(/^f\.yml:4:41 cases\[0\]\.facts\.tags\[0\]\.commit: expected a string, got 1234 \(a number\)\n  hint: Commit the tag points at/),
      'f.yml:4:50 cases[0].facts.relase: unknown key "relase"\n  hint: did you mean "release"?',
      'f.yml:5:16 cases[0].expect[0].subjct: unknown key "subjct"\n  hint: did you mean "subject"?',
    ]);
  });

  test('never prints [object Object], even for an unknown keyword', () => {
    const source = parseYamlSource('f.yml', 'a: { b: 1 }\n');
    const error = { keyword: 'custom', instancePath: '/a', schemaPath: '#/x', params: { value: { b: 1 } }, message: 'must be custom' } as ErrorObject;
    expect(diagnosticsFromAjv([error], source, 'f.yml').map(formatDiagnostic)).toEqual([
      'f.yml:1:4 a: must be custom\n  hint: see the schema for what this key accepts',
    ]);
  });
});

describe('didYouMean', () => {
  test('suggests one close candidate or nothing', () => {
    expect(didYouMean('pakages', ['version', 'packages', 'rules'])).toBe('packages');
    expect(didYouMean('verison-valid', ['version-valid', 'tag-matches-manifest'])).toBe('version-valid');
    expect(didYouMean('release_notes', ['releaseNotes', 'registry'])).toBe('releaseNotes');
    expect(didYouMean('warning', ['off', 'warn', 'error'])).toBe('warn');
    expect(didYouMean('fatal', ['off', 'warn', 'error'])).toBeNull();
    expect(didYouMean('version', ['version-valid', 'version-not-lowered', 'version-not-skipped'])).toBeNull();
    expect(didYouMean('x', ['y'])).toBeNull();
  });
});
