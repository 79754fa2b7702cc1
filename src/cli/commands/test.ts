import { existsSync, readFileSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createCelRoot } from '../../engine/cel-env.js';
import { compileRule, type CompiledRule } from '../../engine/compile.js';
import type { RuleDefinition } from '../../engine/model.js';
import { ruleCompleteness, runRuleTestCase, type RuleTestTable } from '../../engine/rule-tests.js';
import { validateRuleTest } from '../../generated/validators.js';
import { parseYamlSource } from '../../policy/yaml-source.js';
import { diagnosticsFromAjv, formatDiagnostic } from '../../policy/diagnostics.js';
import type { Diagnostic } from '../../policy/model.js';
import { POLICY_FILE_NAMES } from '../../policy/locate.js';
import { builtInRulesDir, loadRuleDirs } from '../../policy/read-rules.js';
import { resolveOptions } from '../../policy/rule-options.js';
import { parseCommandArgs } from '../args.js';
import { PolicyError, UsageError, type CliContext } from '../context.js';
import { loadCatalogue, resolveCwd } from '../load.js';

export const TEST_HELP = `Usage: policy test [PATHS...]

Runs the test tables of rules: each rule file <id>.yml has <id>.test.yml beside it, a list
of cases with facts in and the findings expected out. Without PATHS: the built-in rules and
those in the policy's rulesDir. PATHS may be rule files (<id>.yml), their tables
(<id>.test.yml) or folders of them; each must name at least one rule. In a folder, the
policy file (release-policy.yml) and the tables are not read as rules.

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
    const table = existsSync(tableFile) ? readTable(tableFile, definition, diagnostics) : null;
    out.push({ rule: compiled.value, table });
  }
  return { rules: out, diagnostics };
}

function readTable(file: string, rule: RuleDefinition, diagnostics: Diagnostic[]): RuleTestTable | null {
  const id = rule.id;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    diagnostics.push({ file, line: 1, col: 1, key: '', message: `the test table cannot be read: ${(error as Error).message}`, hint: `make ${basename(file)} a readable file, or remove it` });
    return null;
  }
  const source = parseYamlSource(file, text);
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
  // A case's options are checked as a policy's would be: a misspelled option is an error,
  // not a case that silently runs with the defaults.
  table.cases.forEach((testCase, index) => {
    if (!testCase.options) return;
    const path = ['cases', index, 'options'];
    const written = { severity: rule.severity, options: testCase.options, location: source.locate(path) };
    diagnostics.push(...resolveOptions({ rule, written, source, path }).diagnostics);
  });
  return table;
}

interface WantedPath {
  /** As given on the command line, for messages. */
  arg: string;
  dir: string;
  /** A rule file's name, or null for every rule in `dir`. */
  file: string | null;
}

/**
 * The rules named by PATHS: each path is a rule folder (every rule in it) or one rule file
 * (or its table). A path that does not exist or names no rule is a usage error: a typo
 * must not pass as "0 of 0 rules passed".
 */
function rulesFromPaths(cwd: string, paths: string[]): RuleDefinition[] {
  const missing: string[] = [];
  const wanted = paths.flatMap((arg): WantedPath[] => {
    const path = resolve(cwd, arg);
    let stat: Stats;
    try {
      stat = statSync(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const what = code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be read (${(error as Error).message})`;
      missing.push(`test path "${arg}" ${what}`);
      return [];
    }
    return stat.isDirectory()
      ? [{ arg, dir: path, file: null }]
      : [{ arg, dir: dirname(path), file: basename(path).replace(/\.test\.yml$/, '.yml') }];
  });
  if (missing.length > 0) throw new UsageError(missing.join('\n  '), PATHS_HINT);
  const builtIn = resolve(builtInRulesDir());
  const dirs = [...new Set(wanted.map((w) => w.dir))].filter((d) => d !== builtIn);
  const loaded = loadRuleDirs(dirs, builtIn);
  if (loaded.diagnostics.length > 0) throw new PolicyError(loaded.diagnostics.map(formatDiagnostic));
  const matches = (w: WantedPath, rule: RuleDefinition): boolean =>
    resolve(dirname(rule.file)) === w.dir && (w.file === null || basename(rule.file) === w.file);
  const unmatched = wanted.filter((w) => !loaded.rules.some((rule) => matches(w, rule)));
  if (unmatched.length > 0) {
    throw new UsageError(unmatched.map((w) => `test path "${w.arg}" ${whyNoRule(w)}`).join('\n  '), PATHS_HINT);
  }
  return loaded.rules.filter((rule) => wanted.some((w) => matches(w, rule)));
}

const PATHS_HINT = 'Give rule files (<id>.yml), their tables (<id>.test.yml) or folders holding them, e.g. `policy test policy-rules`; without PATHS, the built-in rules and rulesDir are tested.';

function whyNoRule(w: WantedPath): string {
  if (w.file === null) return 'matches no rule: the folder holds no rule files (<id>.yml)';
  if ((POLICY_FILE_NAMES as readonly string[]).includes(w.file)) return 'is the policy file, not a rule';
  if (w.arg.endsWith('.test.yml')) return `is a test table without its rule ${w.file} beside it`;
  if (!w.file.endsWith('.yml')) return 'is not a rule file: rule files end in .yml';
  return 'matches no rule';
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
  else rules = (await loadCatalogue(ctx, cwd, values.policy)).rules;
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
