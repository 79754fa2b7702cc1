import { describe, expect, test } from 'vitest';
import type { RuleDefinition, SourceText } from '../../src/engine/model.js';
import { formatDiagnostic } from '../../src/policy/diagnostics.js';
import type { Policy } from '../../src/policy/model.js';
import { createDefaultPolicy, readPolicy, resolveRuleSettings } from '../../src/policy/read-policy.js';

const FILE = '/repo/release-policy.yml';

function text(value: string): SourceText {
  return { text: value, at: { file: '/rules/x.yml', line: 1, col: 1 }, block: false };
}

function buildRule(id: string, overrides: Partial<RuleDefinition> = {}): RuleDefinition {
  return {
    id,
    title: id,
    spec: 'spec line',
    severity: 'error',
    gates: ['ci'],
    facts: ['tags'],
    options: {},
    when: null,
    variables: [],
    checks: [{ for: null, expression: text('true'), message: text('m'), subject: { kind: 'tag', name: text('n') } }],
    docs: { why: 'why', fix: 'fix' },
    file: `/rules/${id}.yml`,
    builtIn: true,
    ...overrides,
  };
}

const CATALOGUE = [
  buildRule('version-valid'),
  buildRule('release-notes-present', {
    severity: 'warn',
    options: {
      type: 'object',
      additionalProperties: false,
      properties: {
        headings: { type: 'array', items: { type: 'string' }, default: ['Validation'] },
        titleHasVersion: { type: 'boolean', default: true },
      },
    },
  }),
  buildRule('local-rule', { severity: 'warn', builtIn: false, file: '/repo/policy/local-rule.yml' }),
];

/** A policy of `rows`, with a package appended (a policy must list one) so line numbers stay as written. */
function policyOf(...rows: string[]): Policy {
  const { policy, diagnostics } = readPolicy(FILE, `${[...rows, 'packages: [{ name: demo }]'].join('\n')}\n`);
  expect(diagnostics.map(formatDiagnostic)).toEqual([]);
  return policy!;
}

function severities(policy: Policy): Record<string, string> {
  const { settings, diagnostics } = resolveRuleSettings(policy, CATALOGUE);
  expect(diagnostics).toEqual([]);
  return Object.fromEntries([...settings].map(([id, s]) => [id, s.severity]));
}

describe('resolveRuleSettings', () => {
  test('recommended enables built-in rules at their own severity; rulesDir rules are on', () => {
    expect(severities(policyOf('version: 1'))).toEqual({ 'version-valid': 'error', 'release-notes-present': 'warn', 'local-rule': 'warn' });
  });

  test('no extends leaves built-in rules off; strict raises them to error; rules: wins', () => {
    expect(severities(policyOf('version: 1', 'extends: []'))).toEqual({ 'version-valid': 'off', 'release-notes-present': 'off', 'local-rule': 'warn' });
    expect(severities(policyOf('version: 1', 'extends: [strict]'))).toMatchObject({ 'release-notes-present': 'error', 'local-rule': 'warn' });
    expect(severities(policyOf('version: 1', 'extends: [strict, recommended]'))).toMatchObject({ 'release-notes-present': 'warn' });
    const overridden = policyOf('version: 1', 'extends: [strict]', 'rules:', '  version-valid: off', '  local-rule: [error]');
    expect(severities(overridden)).toEqual({ 'version-valid': 'off', 'release-notes-present': 'error', 'local-rule': 'error' });
  });

  test('schema defaults fill options, written or not', () => {
    const plain = resolveRuleSettings(policyOf('version: 1'), CATALOGUE).settings;
    expect(plain.get('release-notes-present')?.options).toEqual({ headings: ['Validation'], titleHasVersion: true });
    expect(plain.get('version-valid')?.options).toEqual({});
    const written = resolveRuleSettings(policyOf('version: 1', 'rules:', '  release-notes-present: [warn, { titleHasVersion: false }]'), CATALOGUE);
    expect(written.diagnostics).toEqual([]);
    expect(written.settings.get('release-notes-present')).toEqual({ severity: 'warn', options: { headings: ['Validation'], titleHasVersion: false } });
  });

  test('bad options are reported at the option, one message each', () => {
    const policy = policyOf(
      'version: 1',
      'rules:',
      '  release-notes-present: [warn, { heading: [x], titleHasVersion: "yes" }]',
    );
    const { diagnostics } = resolveRuleSettings(policy, CATALOGUE);
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.key}: ${d.message} | ${d.hint}`)).toEqual([
      '3:35 rules.release-notes-present[1].heading: unknown key "heading" | did you mean "headings"?',
      '3:66 rules.release-notes-present[1].titleHasVersion: expected true or false, got a string ("yes") | see the schema for what this key accepts',
    ]);
  });

  test('an option the schema does not list is refused even without additionalProperties: false', () => {
    const open = buildRule('open-rule', {
      options: { type: 'object', properties: { limit: { type: 'integer', default: 3 } } },
    });
    const loose = buildRule('loose-rule', {
      options: { type: 'object', properties: { limit: { type: 'integer' } }, additionalProperties: true },
    });
    const policy = policyOf('version: 1', 'rules:', '  open-rule: [warn, { limt: 1 }]', '  loose-rule: [warn, { extra: 1 }]');
    const { diagnostics, settings } = resolveRuleSettings(policy, [...CATALOGUE, open, loose]);
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.key}: ${d.message} | ${d.hint}`)).toEqual([
      '3:23 rules.open-rule[1].limt: unknown key "limt" | did you mean "limit"?',
    ]);
    expect(settings.get('loose-rule')?.options).toEqual({ extra: 1 });
  });

  test('options for a rule without options are refused', () => {
    const { diagnostics } = resolveRuleSettings(policyOf('version: 1', 'rules:', '  version-valid: [error, { limit: 1 }]'), CATALOGUE);
    expect(diagnostics).toEqual([
      { file: FILE, line: 3, col: 26, key: 'rules.version-valid', message: 'rule "version-valid" takes no options', hint: 'write `version-valid: error`' },
    ]);
  });

  test('unknown rule ids in rules: and waivers suggest the closest id', () => {
    const policy = policyOf(
      'version: 1',
      'rules:',
      '  verison-valid: warn',
      '  no-such-thing: off',
      'waivers:',
      '  - rule: release-note-present',
      '    when: "true"',
      '    reason: r',
      '    owner: o',
      '    expires: 2030-01-01',
    );
    const { diagnostics } = resolveRuleSettings(policy, CATALOGUE);
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      '/repo/release-policy.yml:3:3 rules.verison-valid: unknown rule "verison-valid"\n  hint: did you mean "version-valid"?',
      '/repo/release-policy.yml:4:3 rules.no-such-thing: unknown rule "no-such-thing"\n  hint: run `policy rules` to list the rule ids',
      '/repo/release-policy.yml:6:11 waivers[0].rule: unknown rule "release-note-present"\n  hint: did you mean "release-notes-present"?',
    ]);
  });

  test('a policy not read from a file still gets option errors, at the rule entry', () => {
    const policy = createDefaultPolicy();
    policy.rules['release-notes-present'] = { severity: 'warn', options: { headings: 'x' }, location: { file: 'inline', line: 9, col: 2 } };
    const { diagnostics } = resolveRuleSettings(policy, CATALOGUE);
    expect(diagnostics).toMatchObject([{ file: 'inline', line: 9, col: 2, key: 'rules.release-notes-present[1].headings', message: 'expected a list, got a string ("x")' }]);
  });
});
