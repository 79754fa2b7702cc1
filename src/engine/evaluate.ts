import type { Facts } from '../facts/model.js';
import { FACTS_SCHEMA, FACT_DEFS } from './cel-env.js';
import { applyDefaults, toCelValue, type JsonSchema } from './cel-types.js';
import type { CompiledRule } from './compile.js';
import type { CelContext } from './expression.js';
import type { Finding, SourceText, Subject } from './model.js';

export interface RuleRun {
  rule: CompiledRule;
  severity: 'warn' | 'error';
  /** Options as written in the policy; schema defaults are applied here. */
  options: Record<string, unknown>;
}

/** Converts collected facts into CEL values once per evaluation, not once per rule. */
export function prepareFacts(facts: Partial<Facts>): CelContext {
  const context: CelContext = {};
  for (const [name, value] of Object.entries(facts)) {
    const schema = FACTS_SCHEMA.properties?.[name];
    if (schema) context[name] = toCelValue(value, schema, FACT_DEFS);
  }
  return context;
}

/** Fills every fact absent from a partial fact object with its empty value (test tables, --facts). */
export function completeFacts(partial: Record<string, unknown>): Facts {
  return toCelValueTree(partial) as Facts;
}

function toCelValueTree(partial: Record<string, unknown>): unknown {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(FACTS_SCHEMA.properties ?? {})) {
    out[name] = toPlain(toCelValue(partial[name], schema, FACT_DEFS));
  }
  return out;
}

function toPlain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v)]));
  }
  return value;
}

/** The rule's options as CEL sees them: the policy's, with the schema's defaults. */
function optionsOf(run: RuleRun): unknown {
  const schema = run.rule.definition.options as JsonSchema;
  return toCelValue(applyDefaults(run.options, schema), { type: 'object', ...schema }, FACT_DEFS);
}

/**
 * Whether a rule's `when` holds over prepared facts (true without a `when`, and when it
 * cannot be evaluated: the rule then runs and reports why). Lets a gate read the facts of
 * only the rules that apply.
 */
export function whenHolds(run: RuleRun, facts: CelContext): boolean {
  const when = run.rule.when;
  if (!when) return true;
  try {
    return when.run({ ...facts, options: optionsOf(run) }) === true;
  } catch {
    return true;
  }
}

/**
 * The rule's variables as an object whose fields evaluate on first read. Loading type-checked
 * each variable against the ones before it, so one object serves every scope. A variable no
 * check or message reads is never evaluated (nor, for a rule compiled lazily, compiled); one
 * that fails to evaluate fails every read of it.
 */
function lazyVariables(list: CompiledRule['variables'], context: CelContext): Record<string, unknown> {
  const values = new Map<string, { value: unknown } | { error: unknown } | 'evaluating'>();
  const all: Record<string, unknown> = {};
  for (const variable of list) {
    const read = (): unknown => {
      const known = values.get(variable.name);
      if (known === 'evaluating') throw new Error(`variable ${variable.name} refers to itself`);
      if (known === undefined) {
        values.set(variable.name, 'evaluating');
        try {
          values.set(variable.name, { value: variable.expression.run({ ...context, variables: all }) });
        } catch (error) {
          values.set(variable.name, { error });
        }
      }
      const settled = values.get(variable.name) as { value: unknown } | { error: unknown };
      if ('error' in settled) throw settled.error;
      return settled.value;
    };
    Object.defineProperty(all, variable.name, { enumerable: true, get: read });
  }
  return all;
}

/**
 * Evaluates one rule over prepared facts. A check's expression states what must hold;
 * each `false` is a finding. An evaluation error is a finding too: a rule that cannot
 * decide must not pass silently.
 */
export function evaluateRule(run: RuleRun, facts: CelContext): Finding[] {
  const { rule, severity } = run;
  const definition = rule.definition;
  const context: CelContext = { ...facts, options: optionsOf(run) };
  const finding = (message: string, subject: Subject): Finding => ({
    rule: definition.id,
    severity,
    message,
    subject,
    spec: definition.spec,
    fix: definition.docs.fix,
  });
  // A rule that cannot decide is located at the text that failed: its `when`, or the check
  // (src/report/locate.ts keeps it for a rule file in the repository, made relative to it).
  const failed = (error: unknown, at: SourceText | undefined): Finding => ({
    ...finding(`rule could not be evaluated: ${errorSummary(error)}`, { kind: 'rule', name: definition.id }),
    location: { file: definition.file, line: at?.at.line ?? 1, column: at?.at.col ?? 0 },
  });
  try {
    if (rule.when && rule.when.run(context) !== true) return [];
    if (rule.variables.length > 0) context.variables = lazyVariables(rule.variables, context);
  } catch (error) {
    return [failed(error, definition.when ?? undefined)];
  }
  const findings: Finding[] = [];
  for (const [index, check] of rule.checks.entries()) {
    const written = definition.checks[index];
    let items: unknown[] = [undefined];
    try {
      if (check.for) {
        const list = check.for.run(context);
        // Type-checked as a list at load time, but `dyn` values (options without a schema) can still differ.
        if (!Array.isArray(list)) throw new Error(`for must give a list, got ${list === null ? 'null' : typeof list}`);
        items = list;
      }
    } catch (error) {
      findings.push(failed(error, written?.for ?? undefined));
      continue;
    }
    for (const item of items) {
      const scope = check.for ? { ...context, it: item } : context;
      try {
        if (check.expression.run(scope) === true) continue;
        findings.push(
          finding(check.message.render(scope).trim(), { kind: check.subjectKind, name: check.subjectName.render(scope) }),
        );
      } catch (error) {
        findings.push(failed(error, written?.expression));
      }
    }
  }
  return findings;
}

function errorSummary(error: unknown): string {
  const e = error as { summary?: string; message?: string };
  return (e.summary ?? e.message ?? String(error)).split('\n')[0] ?? '';
}
