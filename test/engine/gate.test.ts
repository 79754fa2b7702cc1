import { describe, expect, it } from 'vitest';
import { createCelRoot } from '../../src/engine/cel-env.js';
import { compileRule, type CompiledRule } from '../../src/engine/compile.js';
import { completeFacts, prepareFacts } from '../../src/engine/evaluate.js';
import { BaselineMatcher, baselineEntries } from '../../src/engine/baseline.js';
import { findingFingerprint } from '../../src/engine/fingerprint.js';
import { evaluateGate, type GateInput } from '../../src/engine/gate.js';
import { compileWaivers } from '../../src/engine/waivers.js';
import type { WaiverConfig } from '../../src/policy/model.js';
import { readRuleFile } from '../../src/policy/read-rules.js';

const root = createCelRoot();

/** A rule from YAML text, as a user would write it, compiled. */
function rule(id: string, body: string): CompiledRule {
  const text = `id: ${id}\ntitle: t\nspec: s\nseverity: error\ngates: [ci]\n${body}\ndocs: { why: w, fix: f }\n`;
  const read = readRuleFile(`/rules/${id}.yml`, text, false);
  expect(read.diagnostics).toEqual([]);
  const compiled = compileRule(root, read.rule!);
  expect(compiled.diagnostics).toEqual([]);
  return compiled.value!;
}

function compileErrors(id: string, body: string) {
  const text = `id: ${id}\ntitle: t\nspec: s\nseverity: error\ngates: [ci]\n${body}\ndocs: { why: w, fix: f }\n`;
  const read = readRuleFile(`/rules/${id}.yml`, text, false);
  expect(read.diagnostics).toEqual([]);
  return compileRule(root, read.rule!).diagnostics;
}

const tooLow = rule(
  'too-low',
  `facts: [packages]
checks:
  - for: packages
    expression: semverCompare(it.version, "1.0.0") >= 0
    message: "{{it.name}} is {{it.version}}"
    subject: { kind: package, name: "{{it.name}}" }`,
);

const at = { file: '/repo/release-policy.yml', line: 9, col: 5 };
function waiver(partial: Partial<Omit<WaiverConfig, 'when'>> & { when: string }, index = 0): WaiverConfig {
  return {
    rule: 'too-low',
    reason: 'r',
    owner: '@o',
    expires: '2999-12-31',
    index,
    location: at,
    ruleLocation: at,
    ...partial,
    when: { text: partial.when, at, block: false },
  };
}

function gate(overrides: Partial<GateInput> & { packages?: { name: string; version: string }[] }) {
  const facts = prepareFacts(completeFacts({ packages: overrides.packages ?? [{ name: 'a', version: '0.5.0' }] }));
  return evaluateGate({
    gate: 'ci',
    runs: [{ rule: tooLow, severity: 'error', options: {} }],
    waivers: [],
    facts,
    unavailable: {},
    onUnavailable: 'error',
    today: '2026-11-24',
    ...overrides,
  });
}

describe('evaluateGate', () => {
  it('refuses with exit 1 on an error finding and allows a warning', () => {
    const refused = gate({});
    expect([refused.exitCode, refused.allowed, refused.errors]).toEqual([1, false, 1]);
    expect(refused.findings[0]).toMatchObject({ rule: 'too-low', message: 'a is 0.5.0', subject: { kind: 'package', name: 'a' } });
    const warned = gate({ runs: [{ rule: tooLow, severity: 'warn', options: {} }] });
    expect([warned.exitCode, warned.allowed, warned.warnings]).toEqual([0, true, 1]);
  });

  it('turns an evaluation error into a finding, never a pass', () => {
    const verdict = gate({ packages: [{ name: 'a', version: 'not-a-version' }] });
    expect(verdict.exitCode).toBe(1);
    expect(verdict.findings[0]?.message).toMatch(/could not be evaluated: .*not a valid version: "not-a-version"/);
  });

  it('turns a for that yields no list at run time into a finding', () => {
    const loose = rule(
      'loose',
      `facts: [packages]\noptions: { type: object, properties: { x: {} } }\nchecks:\n  - for: options.x\n    expression: "true"\n    message: m\n    subject: { kind: x, name: x }`,
    );
    const verdict = gate({ runs: [{ rule: loose, severity: 'error', options: { x: 5 } }] });
    expect(verdict.findings.map((f) => f.message)).toEqual(['rule could not be evaluated: for must give a list, got number']);
  });

  it('reports unavailable facts with exit 3, ahead of other errors, or as warnings when the policy says so', () => {
    const other = rule('other', `facts: [tags]\nchecks:\n  - for: tags\n    expression: "false"\n    message: m\n    subject: { kind: tag, name: "{{it.name}}" }`);
    const runs = [
      { rule: tooLow, severity: 'error' as const, options: {} },
      { rule: other, severity: 'error' as const, options: {} },
    ];
    const closed = gate({ runs, unavailable: { tags: 'shallow clone' } });
    expect(closed.exitCode).toBe(3);
    expect(closed.unavailable).toEqual({ tags: 'shallow clone' });
    expect(closed.findings.map((f) => [f.rule, f.subject.kind])).toEqual([
      ['too-low', 'package'],
      ['facts-unavailable', 'fact'],
    ]);
    const open = gate({ runs, unavailable: { tags: 'shallow clone' }, onUnavailable: 'warn' });
    expect(open.exitCode).toBe(1);
    expect(open.findings.find((f) => f.rule === 'facts-unavailable')?.severity).toBe('warn');
  });

  it('reports one unavailable cause once, naming and counting the rules it left unjudged', () => {
    const tagRule = (id: string) => rule(id, `facts: [tags]\nchecks:\n  - for: tags\n    expression: "false"\n    message: m\n    subject: { kind: tag, name: "{{it.name}}" }`);
    const runs = ['one', 'two', 'three'].map((id) => ({ rule: tagRule(id), severity: 'error' as const, options: {} }));
    const verdict = gate({ runs, unavailable: { tags: 'shallow clone' } });
    expect(verdict.exitCode).toBe(3);
    expect(verdict.findings.map((f) => [f.rule, f.severity, f.subject.name, f.message])).toEqual([
      ['facts-unavailable', 'error', 'tags', '3 rules could not be judged without the tags fact (reason under "unavailable"): one, two, three'],
    ]);
    // The reason is said once, in `unavailable`, not in every finding.
    expect(verdict.unavailable).toEqual({ tags: 'shallow clone' });
  });

  it('lists findings the baseline accepts apart, fails on new ones, and names entries that match nothing', () => {
    const packages = [{ name: 'a', version: '0.5.0' }, { name: 'b', version: '0.2.0' }];
    const accepted = baselineEntries(gate({ packages }).findings, new Set());
    expect(accepted.map((e) => [e.rule, e.subject.name, e.fingerprint])).toEqual([
      ['too-low', 'a', findingFingerprint({ rule: 'too-low', subject: { kind: 'package', name: 'a' } })],
      ['too-low', 'b', findingFingerprint({ rule: 'too-low', subject: { kind: 'package', name: 'b' } })],
    ]);
    const same = gate({ packages, baseline: new BaselineMatcher(accepted, 'base.json') });
    expect([same.exitCode, same.errors, same.findings.length]).toEqual([0, 0, 0]);
    expect(same.baselined?.map((f) => f.subject.name)).toEqual(['a', 'b']);

    // a is fixed, c is new: c fails the gate alone, a's entry is removable (a warning).
    const later = gate({ packages: [{ name: 'a', version: '1.0.0' }, { name: 'b', version: '0.2.0' }, { name: 'c', version: '0.1.0' }], baseline: new BaselineMatcher(accepted, 'base.json') });
    expect(later.exitCode).toBe(1);
    expect(later.baselined?.map((f) => f.subject.name)).toEqual(['b']);
    expect(later.findings.map((f) => [f.rule, f.severity, f.subject.name])).toEqual([
      ['too-low', 'error', 'c'],
      ['baseline-removable', 'warn', 'a'],
    ]);
    expect(later.findings[1]?.fix).toContain('policy baseline');

    // Entries of a rule the gate did not judge (another gate's) are neither matched nor removable.
    const other = gate({ runs: [], baseline: new BaselineMatcher(accepted, 'base.json') });
    expect(other.findings).toEqual([]);
  });

  it('waives a matching finding, keeps it visible, and reports expired and unused waivers', () => {
    const compiled = compileWaivers(root, [
      waiver({ when: 'finding.subject.name == "a"' }, 0),
      waiver({ when: 'finding.subject.name == "zzz"' }, 1),
      waiver({ when: 'true', expires: '2026-11-23' }, 2),
      waiver({ when: 'true', rule: 'not-in-this-gate' }, 3),
    ]);
    expect(compiled.diagnostics).toEqual([]);
    const verdict = gate({ waivers: compiled.waivers, packages: [{ name: 'a', version: '0.1.0' }, { name: 'b', version: '0.2.0' }] });
    expect(verdict.waived.map((f) => [f.subject.name, f.waiver.owner])).toEqual([['a', '@o']]);
    expect(verdict.findings.map((f) => [f.rule, f.severity, f.subject.name])).toEqual([
      ['too-low', 'error', 'b'],
      ['waiver-unused', 'warn', 'waivers[1] (too-low)'],
      ['waiver-expired', 'error', 'waivers[2] (too-low)'],
    ]);
  });

  it('reports a waiver that cannot be evaluated and lets the finding stand', () => {
    // Compiles (dyn map access) but fails at run time: the key is absent.
    const { waivers, diagnostics } = compileWaivers(root, [waiver({ when: '{"x": true}[finding.subject.name]' })]);
    expect(diagnostics).toEqual([]);
    const verdict = gate({ waivers });
    expect(verdict.waived).toEqual([]);
    expect(verdict.findings.map((f) => [f.rule, f.severity])).toEqual([
      ['too-low', 'error'],
      ['waiver-invalid', 'error'],
    ]);
  });

  it('holds a waiver through its expiry day, UTC', () => {
    const { waivers } = compileWaivers(root, [waiver({ when: 'true', expires: '2026-11-24' })]);
    expect(gate({ waivers }).waived).toHaveLength(1);
    expect(gate({ waivers, today: '2026-11-25' }).findings.map((f) => f.rule)).toEqual(['too-low', 'waiver-expired']);
  });
});

describe('compileRule', () => {
  it('refuses a fact the rule did not declare', () => {
    const errors = compileErrors('undeclared', `facts: [packages]\nchecks:\n  - for: tags\n    expression: "true"\n    message: m\n    subject: { kind: tag, name: x }`);
    expect(errors).toEqual([expect.objectContaining({ line: 8, col: 10, key: 'checks[0].for', message: 'CEL: Unknown variable: tags' })]);
  });

  it('refuses a when that is not a bool and a for that is not a list', () => {
    const errors = compileErrors(
      'types',
      `facts: [repo]\nwhen: repo.branch\nchecks:\n  - for: repo.branch\n    expression: "true"\n    message: m\n    subject: { kind: x, name: x }`,
    );
    expect(errors.map((e) => [e.key, e.message])).toEqual([
      ['when', 'CEL: expression has type string, expected bool'],
      ['checks[0].for', 'CEL: for must be a list, got string'],
    ]);
  });

  it('points a template error at its column inside the message', () => {
    const errors = compileErrors(
      'template',
      `facts: [packages]\nchecks:\n  - for: packages\n    expression: "true"\n    message: "{{it.name}} and {{it.nmae}}"\n    subject: { kind: x, name: x }`,
    );
    expect(errors).toEqual([expect.objectContaining({ line: 10, col: 36, key: 'checks[0].message', message: 'CEL: No such key: nmae' })]);
  });

  it('types options from their schema and variables in order', () => {
    const compiled = rule(
      'opts',
      `facts: [packages]
options:
  type: object
  properties:
    minimum: { type: string, default: "1.0.0" }
variables:
  - name: names
    expression: packages.map(p, p.name)
  - name: count
    expression: size(variables.names)
checks:
  - expression: variables.count == 0 || options.minimum == "1.0.0"
    message: "{{variables.count}} packages"
    subject: { kind: x, name: x }`,
    );
    const verdict = evaluateGate({
      gate: 'ci',
      runs: [{ rule: compiled, severity: 'error', options: { minimum: '2.0.0' } }],
      waivers: [],
      facts: prepareFacts(completeFacts({ packages: [{ name: 'a' }, { name: 'b' }] })),
      unavailable: {},
      onUnavailable: 'error',
      today: '2026-11-24',
    });
    expect(verdict.findings.map((f) => f.message)).toEqual(['2 packages']);
  });
});
