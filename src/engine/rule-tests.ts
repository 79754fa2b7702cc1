import type { CompiledRule } from './compile.js';
import { completeFacts, evaluateRule, prepareFacts } from './evaluate.js';
import type { Finding } from './model.js';

export interface ExpectedFinding {
  subject?: string;
  message?: string;
  severity?: 'warn' | 'error';
}

export interface RuleTestCase {
  name: string;
  gate?: string;
  /** The gate's argument: issue number, version or tag name (facts.gate.arg). */
  arg?: string;
  options?: Record<string, unknown>;
  facts: Record<string, unknown>;
  expect: ExpectedFinding[];
}

export interface RuleTestTable {
  rule: string;
  cases: RuleTestCase[];
}

export interface CaseResult {
  name: string;
  passed: boolean;
  /** What differed, one line each; empty when the case passed. */
  problems: string[];
  findings: Finding[];
}

/**
 * Runs one case: facts in (completed with empty values), findings out, compared in order
 * with the expected ones on subject name, message substring and severity.
 */
export function runRuleTestCase(rule: CompiledRule, testCase: RuleTestCase): CaseResult {
  const facts = prepareFacts({
    ...completeFacts(testCase.facts),
    gate: { name: testCase.gate ?? 'audit', arg: testCase.arg ?? '' },
  });
  const findings = evaluateRule(
    { rule, severity: rule.definition.severity, options: testCase.options ?? {} },
    facts,
  );
  const problems: string[] = [];
  if (findings.length !== testCase.expect.length) {
    problems.push(`expected ${testCase.expect.length} finding(s), got ${findings.length}`);
  }
  testCase.expect.forEach((expected, index) => {
    const actual = findings[index];
    if (!actual) return;
    if (expected.subject !== undefined && actual.subject.name !== expected.subject) {
      problems.push(`finding ${index + 1}: subject "${actual.subject.name}", expected "${expected.subject}"`);
    }
    if (expected.message !== undefined && !actual.message.includes(expected.message)) {
      problems.push(`finding ${index + 1}: message "${actual.message}" does not contain "${expected.message}"`);
    }
    if (expected.severity !== undefined && actual.severity !== expected.severity) {
      problems.push(`finding ${index + 1}: severity ${actual.severity}, expected ${expected.severity}`);
    }
  });
  for (const extra of findings.slice(testCase.expect.length)) {
    problems.push(`unexpected finding: [${extra.subject.kind} ${extra.subject.name}] ${extra.message}`);
  }
  return { name: testCase.name, passed: problems.length === 0, problems, findings };
}

/**
 * What a built-in rule must have beyond passing cases: a spec line, docs, and a table with
 * at least one case without findings and one with findings, so the rule is shown to both
 * pass and fail.
 */
export function ruleCompleteness(rule: CompiledRule, table: RuleTestTable | null): string[] {
  const problems: string[] = [];
  const { definition } = rule;
  if (!definition.spec.trim()) problems.push('no `spec` line');
  if (!definition.docs.why.trim()) problems.push('no `docs.why`');
  if (!definition.docs.fix.trim()) problems.push('no `docs.fix`');
  if (!table) {
    problems.push(`no test table ${definition.id}.test.yml`);
    return problems;
  }
  if (!table.cases.some((c) => c.expect.length === 0)) problems.push('no test case where the rule passes');
  if (!table.cases.some((c) => c.expect.length > 0)) problems.push('no test case where the rule fails');
  return problems;
}
