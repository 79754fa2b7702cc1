import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createCelRoot } from '../../engine/cel-env.js';
import { compileRule, type CompiledRule } from '../../engine/compile.js';
import type { RuleDefinition } from '../../engine/model.js';
import { ruleCompleteness, runRuleTestCase, type RuleTestTable } from '../../engine/rule-tests.js';
import { validateRuleTest } from '../../generated/validators.js';
import { parseYamlSource } from '../../policy/yaml-source.js';
import { diagnosticsFromAjv, formatDiagnostic } from '../../policy/diagnostics.js';
import type { Diagnostic } from '../../policy/model.js';
import { findPolicyFile } from '../../policy/locate.js';
import { builtInRulesDir, loadRuleDirs } from '../../policy/read-rules.js';
import { parseCommandArgs } from '../args.js';
import { PolicyError, type CliContext } from '../context.js';
import { loadPolicy, resolveCwd } from '../load.js';

export const TEST_HELP = `Usage: policy test [PATHS...]

Runs the test tables of rules: each rule file <id>.yml has <id>.test.yml beside it, a list
of cases with facts in and the findings expected out. Without PATHS: the built-in rules and
those in the policy's rulesDir. PATHS may be rule files or folders.

A built-in rule also fails when it lacks a spec line, docs, or cases that both pass and fail.
Exit codes: 0 all passed, 1 a case failed, 2 a rule or table could not be read.
`;

export interface RuleUnderTest {
  rule: CompiledRule;
  table: RuleTestTable | null;
}

/** Reads and compiles the rules and their test tables; every problem is a diagnostic. */
export function loadRulesUnderTest(rules: RuleDefinition[]): { rules: RuleUnderTest[]; diagnostics: Diagnostic[] } {
  const root = createCelRoot();
  const diagnostics: Diagnostic[] = [];
  const out: RuleUnderTest[] = [];
  for (const definition of rules) {
    const compiled = compileRule(root, definition);
    diagnostics.push(...compiled.diagnostics);
    if (!compiled.value) continue;
    const tableFile = join(dirname(definition.file), `${definition.id}.test.yml`);
    const table = existsSync(tableFile) ? readTable(tableFile, definition.id, diagnostics) : null;
    out.push({ rule: compiled.value, table });
  }
  return { rules: out, diagnostics };
}

function readTable(file: string, id: string, diagnostics: Diagnostic[]): RuleTestTable | null {
  const source = parseYamlSource(file, readFileSync(file, 'utf8'));
  if (source.errors.length > 0) {
    diagnostics.push(...source.errors);
    return null;
  }
  // The schema checks each case's facts against schema/facts.schema.json: partial facts are
  // completed with empty values, so a misspelled key would otherwise vanish silently.
  if (!validateRuleTest(source.value)) {
    diagnostics.push(...diagnosticsFromAjv(validateRuleTest.errors, source, file));
    return null;
  }
  const table = source.value as RuleTestTable;
  if (table.rule !== id) {
    diagnostics.push({
      ...source.locate(['rule']),
      key: 'rule',
      message: `table is for rule "${table.rule}" but sits beside ${id}.yml`,
      hint: `A rule's table is <id>.test.yml beside <id>.yml with \`rule: ${id}\`.`,
    });
  }
  return table;
}

function rulesFromPaths(cwd: string, paths: string[]): RuleDefinition[] {
  // Each path is a rule folder (every rule in it) or one rule file (or its table).
  const wanted = paths.map((p) => resolve(cwd, p)).map((path) =>
    existsSync(path) && statSync(path).isDirectory()
      ? { dir: path, file: null }
      : { dir: dirname(path), file: basename(path).replace(/\.test\.yml$/, '.yml') },
  );
  const builtIn = resolve(builtInRulesDir());
  const dirs = [...new Set(wanted.map((w) => w.dir))].filter((d) => d !== builtIn);
  const loaded = loadRuleDirs(dirs, builtIn);
  if (loaded.diagnostics.length > 0) throw new PolicyError(loaded.diagnostics.map(formatDiagnostic));
  return loaded.rules.filter((rule) =>
    wanted.some((w) => resolve(dirname(rule.file)) === w.dir && (w.file === null || basename(rule.file) === w.file)),
  );
}

export async function runTest(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('test', argv, {}, Number.MAX_SAFE_INTEGER);
  if (values.help) {
    ctx.stdout(TEST_HELP);
    return 0;
  }
  const cwd = resolveCwd(ctx, values.cwd);
  let rules: RuleDefinition[];
  if (positionals.length > 0) rules = rulesFromPaths(cwd, positionals);
  else {
    // With a policy, its rulesDir too (and a broken policy is reported, not skipped).
    const policyFile = typeof values.policy === 'string' ? resolve(cwd, values.policy) : findPolicyFile(cwd);
    if (policyFile) rules = (await loadPolicy(policyFile, ctx.toolVersion)).catalogue;
    else {
      const loaded = loadRuleDirs([], builtInRulesDir());
      if (loaded.diagnostics.length > 0) throw new PolicyError(loaded.diagnostics.map(formatDiagnostic));
      rules = loaded.rules;
    }
  }
  const { rules: underTest, diagnostics } = loadRulesUnderTest(rules);
  if (diagnostics.length > 0) throw new PolicyError(diagnostics.map(formatDiagnostic));

  let failed = 0;
  let cases = 0;
  for (const { rule, table } of underTest) {
    const problems = ruleCompleteness(rule, table).map((p) => `${rule.definition.builtIn ? '' : '(warning) '}${p}`);
    const results = (table?.cases ?? []).map((testCase) => runRuleTestCase(rule, testCase));
    cases += results.length;
    const failedCases = results.filter((r) => !r.passed);
    const blocking = failedCases.length > 0 || (rule.definition.builtIn && problems.length > 0);
    if (blocking) failed += 1;
    ctx.stdout(`${blocking ? '✖' : '✔'} ${rule.definition.id} (${results.length} cases)\n`);
    for (const problem of problems) ctx.stdout(`    ${problem}\n`);
    for (const result of failedCases) {
      ctx.stdout(`    case "${result.name}":\n`);
      for (const problem of result.problems) ctx.stdout(`      ${problem}\n`);
    }
  }
  ctx.stdout(`${underTest.length - failed} of ${underTest.length} rules passed, ${cases} cases\n`);
  return failed > 0 ? 1 : 0;
}
