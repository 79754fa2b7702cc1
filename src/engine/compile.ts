import type { Environment } from '@marcbachmann/cel-js';
import type { Diagnostic } from '../policy/model.js';
import { CelTypeCollector, type JsonSchema } from './cel-types.js';
import type { CelRoot } from './cel-env.js';
import { FACT_DEFS } from './cel-env.js';
import type { RuleDefinition, SourceText } from './model.js';
import { compileTemplate, type CompiledTemplate } from './template.js';
import { celDiagnostic, compileExpression, type CompiledExpression } from './expression.js';

export interface CompiledCheck {
  for: CompiledExpression | null;
  expression: CompiledExpression;
  message: CompiledTemplate;
  subjectKind: string;
  subjectName: CompiledTemplate;
}

export interface CompiledRule {
  definition: RuleDefinition;
  when: CompiledExpression | null;
  variables: { name: string; expression: CompiledExpression }[];
  checks: CompiledCheck[];
}

export interface CompileResult<T> {
  value: T | null;
  diagnostics: Diagnostic[];
}

/**
 * Builds a rule's environment (its declared facts, typed options, then each variable in
 * order) and compiles every expression in it. All problems of the rule are returned.
 */
export function compileRule(root: CelRoot, rule: RuleDefinition): CompileResult<CompiledRule> {
  const diagnostics: Diagnostic[] = [];
  const base = ruleEnv(root, rule, diagnostics);
  if (base === null) return { value: null, diagnostics };
  const when = rule.when ? compileExpression(base, rule.when, 'when', 'bool') : null;
  if (when?.diagnostic) diagnostics.push(when.diagnostic);
  const { variables, checks } = compileBody(rule, base, diagnostics);
  if (diagnostics.length > 0) return { value: null, diagnostics };
  return { value: { definition: rule, when: when?.compiled ?? null, variables, checks }, diagnostics };
}

/** The rule's environment: the facts it declares and its options' type; null on a problem (in `diagnostics`). */
function ruleEnv(root: CelRoot, rule: RuleDefinition, diagnostics: Diagnostic[]): Environment | null {
  const base = root.env.clone();
  for (const fact of rule.facts) {
    const type = root.factTypes[fact];
    if (type) base.registerVariable(fact, type);
  }
  const optionsSchema = rule.options as JsonSchema;
  let optionsType = 'map<string, dyn>';
  if (optionsSchema.properties) {
    const collector = new CelTypeCollector(FACT_DEFS);
    try {
      optionsType = collector.typeOf(optionsSchema, 'Options');
      for (const declaration of collector.declarations) base.registerType(declaration.name, { fields: declaration.fields });
    } catch (error) {
      diagnostics.push({
        file: rule.file,
        line: 1,
        col: 1,
        key: 'options',
        message: `options schema cannot be typed for CEL: ${(error as Error).message}`,
        hint: 'Options schemas use type, properties, items and additionalProperties; $ref is not supported.',
      });
      return null;
    }
  }
  base.registerVariable('options', optionsType);
  return base;
}

/**
 * A rule already checked at load time (a cached load): its `when` compiled now, and each
 * variable, `for`, expression and template on first use (lazyBody). A gate whose release
 * rules do not apply (no release blocked) never pays for compiling their checks.
 */
export function compileRuleLazily(root: CelRoot, rule: RuleDefinition): CompiledRule {
  const diagnostics: Diagnostic[] = [];
  const base = ruleEnv(root, rule, diagnostics);
  if (base === null) throw new Error(`rule ${rule.id} failed to compile after loading: ${diagnostics[0]?.message}`);
  const when = rule.when ? compileExpression(base, rule.when, 'when', 'bool') : null;
  if (when !== null && when.compiled === null) throw new Error(`rule ${rule.id} when failed to compile after loading: ${when.diagnostic?.message}`);
  let body: Pick<CompiledRule, 'variables' | 'checks'> | null = null;
  return {
    definition: rule,
    when: when?.compiled ?? null,
    get variables() {
      return (body ??= lazyBody(rule, base)).variables;
    },
    get checks() {
      return (body ??= lazyBody(rule, base)).checks;
    },
  };
}

function compileBody(rule: RuleDefinition, base: Environment, diagnostics: Diagnostic[]): Pick<CompiledRule, 'variables' | 'checks'> {
  let env = base;
  const variables: CompiledRule['variables'] = [];
  const variableTypes: Record<string, string> = {};
  rule.variables.forEach((variable, index) => {
    const result = compileExpression(env, variable.expression, `variables[${index}].expression`, null);
    if (result.diagnostic) diagnostics.push(result.diagnostic);
    if (result.compiled) variables.push({ name: variable.name, expression: result.compiled });
    variableTypes[variable.name] = result.type || 'dyn';
    env = base.clone();
    env.registerType('Variables', { fields: { ...variableTypes } });
    env.registerVariable('variables', 'Variables');
  });

  const checks: CompiledCheck[] = [];
  rule.checks.forEach((check, index) => {
    const key = `checks[${index}]`;
    let checkEnv = env;
    let forCompiled: CompiledExpression | null = null;
    if (check.for) {
      const result = compileExpression(env, check.for, `${key}.for`, null);
      if (result.diagnostic) diagnostics.push(result.diagnostic);
      forCompiled = result.compiled;
      const element = /^list<(.+)>$/.exec(result.type)?.[1] ?? 'dyn';
      if (result.compiled && !result.type.startsWith('list<') && result.type !== 'dyn') {
        diagnostics.push(celDiagnostic(check.for, 0, `${key}.for`, `for must be a list, got ${result.type}`));
      }
      checkEnv = env.clone();
      checkEnv.registerVariable('it', element);
    }
    const expression = compileExpression(checkEnv, check.expression, `${key}.expression`, 'bool');
    const message = compileTemplate(checkEnv, check.message, `${key}.message`);
    const subjectName = compileTemplate(checkEnv, check.subject.name, `${key}.subject.name`);
    for (const d of [expression.diagnostic, ...message.diagnostics, ...subjectName.diagnostics]) {
      if (d) diagnostics.push(d);
    }
    if (expression.compiled && message.value && subjectName.value) {
      checks.push({
        for: forCompiled,
        expression: expression.compiled,
        message: message.value,
        subjectKind: check.subject.kind,
        subjectName: subjectName.value,
      });
    }
  });

  return { variables, checks };
}

/**
 * The body of a rule known to compile (a cache hit: the load that filled the cache
 * type-checked every part with exact types). Each variable, `for`, expression and template
 * compiles on first use, with variables and `it` as `dyn`: a hook pays only for what its
 * facts make it evaluate (most `for` lists are empty; most variables feed messages).
 */
function lazyBody(rule: RuleDefinition, base: Environment): Pick<CompiledRule, 'variables' | 'checks'> {
  const env = base.clone();
  if (rule.variables.length > 0) {
    env.registerType('Variables', { fields: Object.fromEntries(rule.variables.map((v) => [v.name, 'dyn'])) });
    env.registerVariable('variables', 'Variables');
  }
  const checkEnv = env.clone();
  checkEnv.registerVariable('it', 'dyn');
  const fail = (key: string, message = 'no result'): never => {
    throw new Error(`rule ${rule.id} ${key} failed to compile after loading: ${message}`);
  };
  const expression = (scope: Environment, source: SourceText, key: string, expected: string | null): CompiledExpression => {
    let compiled: CompiledExpression | null = null;
    return {
      source,
      run: (context) => {
        if (compiled === null) {
          const result = compileExpression(scope, source, key, expected);
          compiled = result.compiled ?? fail(key, result.diagnostic?.message);
        }
        return compiled.run(context);
      },
    };
  };
  const template = (source: RuleDefinition['checks'][number]['message'], key: string): CompiledTemplate => {
    let compiled: CompiledTemplate | null = null;
    return {
      source,
      render: (context) => {
        if (compiled === null) {
          const result = compileTemplate(checkEnv, source, key);
          compiled = result.value ?? fail(key, result.diagnostics[0]?.message);
        }
        return compiled.render(context);
      },
    };
  };
  return {
    variables: rule.variables.map((variable, index) => ({
      name: variable.name,
      expression: expression(env, variable.expression, `variables[${index}].expression`, null),
    })),
    checks: rule.checks.map((check, index) => ({
      for: check.for ? expression(env, check.for, `checks[${index}].for`, null) : null,
      expression: expression(checkEnv, check.expression, `checks[${index}].expression`, 'bool'),
      message: template(check.message, `checks[${index}].message`),
      subjectKind: check.subject.kind,
      subjectName: template(check.subject.name, `checks[${index}].subject.name`),
    })),
  };
}
