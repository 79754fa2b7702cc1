// Reads rule files (`<id>.yml`): validate against schema/rule.schema.json, then keep every
// CEL-bearing field as SourceText so that compile and type errors point into the YAML.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { GateName, RuleCheck, RuleDefinition, RuleVariable, SourceText } from '../engine/model.js';
import type { FactName } from '../facts/model.js';
import { validateRule } from '../generated/validators.js';
import { diagnosticsFromAjv, formatKeyPath } from './diagnostics.js';
import type { Diagnostic, SourceLocation } from './model.js';
import { checkOptionSchema } from './rule-options.js';
import { decodeText } from './text-bytes.js';
import { parseYamlSource } from './yaml-source.js';
import { POLICY_FILE_NAMES } from './locate.js';
export { builtInRulesDir } from './locate.js';
import type { YamlPath, YamlSource } from './yaml-source.js';

interface ParsedRule {
  rule: RuleDefinition | null;
  diagnostics: Diagnostic[];
  /** Where `id:` is written, for duplicate-id reports. */
  idLocation: SourceLocation;
}

/** Validates one rule file; pure (the caller reads the file). `rule` is null when anything is wrong. */
export function readRuleFile(file: string, text: string, builtIn: boolean): { rule: RuleDefinition | null; diagnostics: Diagnostic[] } {
  const { rule, diagnostics } = parseRuleFile(file, text, builtIn);
  return { rule, diagnostics };
}

function parseRuleFile(file: string, text: string, builtIn: boolean): ParsedRule {
  const source = parseYamlSource(file, text);
  const idLocation = source.locate(['id']);
  if (source.errors.length > 0) return { rule: null, diagnostics: source.errors, idLocation };
  const raw = source.value;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    const message = raw == null ? 'the rule file is empty' : 'a rule file must be a mapping (key: value)';
    return { rule: null, diagnostics: [{ file, line: 1, col: 1, key: '', message, hint: 'start with `id:`, `title:`, `spec:`' }], idLocation };
  }
  const data = raw as Record<string, unknown>;
  const diagnostics = validateRule(data) ? [] : diagnosticsFromAjv(validateRule.errors, source, file);
  const report = (path: YamlPath, message: string, hint: string): void => {
    const { line, col } = source.locate(path);
    diagnostics.push({ file, line, col, key: formatKeyPath(path), message, hint });
  };
  const expectedId = basename(file).replace(/\.ya?ml$/, '');
  if (typeof data.id === 'string' && data.id !== expectedId) {
    report(['id'], `id "${data.id}" does not match the file name ${basename(file)}`, `rename the file to ${data.id}.yml, or write id: ${expectedId}`);
  }
  const seen = new Set<string>();
  (Array.isArray(data.variables) ? data.variables : []).forEach((variable: unknown, index) => {
    const name = (variable as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') return;
    if (seen.has(name)) report(['variables', index, 'name'], `variable "${name}" is defined twice`, 'give each variable its own name');
    seen.add(name);
  });
  // A project rule's options schema is compiled strictly now, not when a policy first sets
  // options; built-in rules are checked by the tests, so a load without rulesDir loads no ajv.
  if (diagnostics.length === 0 && !builtIn && hasOptionSchema(data.options)) {
    diagnostics.push(...checkOptionSchema(data.options, source));
  }
  if (diagnostics.length > 0) return { rule: null, diagnostics: sortByPosition(diagnostics), idLocation };
  return { rule: buildRule(data, source, builtIn), diagnostics: [], idLocation };
}

/** Builds the definition from validated data: every field below has the type the schema demands. */
function buildRule(data: Record<string, unknown>, source: YamlSource, builtIn: boolean): RuleDefinition {
  const text = (path: YamlPath): SourceText =>
    source.textAt(path) ?? { text: '', at: source.locate(path), block: false };
  const variables = (data.variables ?? []) as unknown[];
  const checks = data.checks as Record<string, unknown>[];
  const docs = data.docs as { why: string; fix: string };
  return {
    id: data.id as string,
    title: data.title as string,
    spec: data.spec as string,
    severity: data.severity as 'warn' | 'error',
    gates: data.gates as GateName[],
    facts: data.facts as FactName[],
    options: (data.options ?? {}) as Record<string, unknown>,
    when: data.when === undefined ? null : text(['when']),
    variables: variables.map(
      (variable, index): RuleVariable => ({
        name: (variable as { name: string }).name,
        expression: text(['variables', index, 'expression']),
      }),
    ),
    checks: checks.map(
      (check, index): RuleCheck => ({
        for: check.for === undefined ? null : text(['checks', index, 'for']),
        expression: text(['checks', index, 'expression']),
        message: text(['checks', index, 'message']),
        subject: {
          kind: (check.subject as { kind: string }).kind,
          name: text(['checks', index, 'subject', 'name']),
        },
      }),
    ),
    docs: { why: docs.why, fix: docs.fix },
    file: resolve(source.file),
    builtIn,
  };
}

/**
 * Every rule of the built-in folder and the policy's rule folders, sorted by id. Reads
 * `*.yml` files except `*.test.yml` (the test tables beside them) and the policy file
 * (`release-policy.yml`, which may sit in a folder given as rules, e.g. `policy test .`).
 * An id defined twice, including a rulesDir rule reusing a built-in id, is a diagnostic: a
 * rule is found by its name, and a silent override would hide which one runs. A folder or
 * file that cannot be read is a diagnostic too, never an exception.
 */
export function loadRuleDirs(dirs: readonly string[], builtInDir: string): { rules: RuleDefinition[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const rules = new Map<string, RuleDefinition>();
  const folders = [{ dir: resolve(builtInDir), builtIn: true }];
  for (const dir of dirs.map((d) => resolve(d))) {
    if (!folders.some((folder) => folder.dir === dir)) folders.push({ dir, builtIn: false });
  }
  for (const { dir, builtIn } of folders) {
    const listed = listRuleFolder(dir, builtIn);
    if ('problem' in listed) {
      diagnostics.push(listed.problem);
      continue;
    }
    for (const name of listed.names) {
      const file = join(dir, name);
      if ((POLICY_FILE_NAMES as readonly string[]).includes(name)) continue;
      if (name.endsWith('.yaml') && !name.endsWith('.test.yaml')) {
        diagnostics.push({ file, line: 1, col: 1, key: '', message: 'rule files end in .yml; this file is not read', hint: `rename it to ${name.replace(/\.yaml$/, '.yml')}` });
      }
      if (!name.endsWith('.yml') || name.endsWith('.test.yml')) continue;
      const text = readRuleText(file);
      if (typeof text !== 'string') {
        diagnostics.push(text);
        continue;
      }
      const parsed = parseRuleFile(file, text, builtIn);
      diagnostics.push(...parsed.diagnostics);
      if (!parsed.rule) continue;
      const first = rules.get(parsed.rule.id);
      if (first) {
        const { line, col } = parsed.idLocation;
        diagnostics.push({ file, line, col, key: 'id', message: `rule id "${parsed.rule.id}" is already defined in ${first.file}`, hint: 'give this rule another id (and file name), or remove one of the two' });
        continue;
      }
      rules.set(parsed.rule.id, parsed.rule);
    }
  }
  return { rules: [...rules.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)), diagnostics };
}

/** The sorted entry names of a rules folder, or why it cannot be listed. */
function listRuleFolder(dir: string, builtIn: boolean): { names: string[] } | { problem: Diagnostic } {
  const problem = (message: string, hint: string): { problem: Diagnostic } => ({
    problem: { file: dir, line: 1, col: 1, key: 'rulesDir', message, hint },
  });
  const fixRulesDir = 'fix `rulesDir` in release-policy.yml: it names folders of rule files, relative to the policy file';
  try {
    if (!statSync(dir).isDirectory()) {
      return builtIn
        ? problem('the built-in rules folder is not a folder', 'reinstall release-policy')
        : problem('is a file, not a rules folder', fixRulesDir);
    }
    return { names: readdirSync(dir).sort() };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (builtIn) return problem(`the built-in rules folder cannot be read (${describeReadError(error)})`, 'reinstall release-policy');
    if (code === 'ENOENT' || code === 'ENOTDIR') return problem('rules folder not found', fixRulesDir);
    return problem(`rules folder cannot be read: ${describeReadError(error)}`, code === 'EACCES' || code === 'EPERM' ? 'make the folder readable (and searchable) by this user' : fixRulesDir);
  }
}

/** A rule file's text, or a diagnostic saying why it cannot be read and what to do. */
function readRuleText(file: string): string | Diagnostic {
  try {
    const { text, problem } = decodeText(readFileSync(file));
    return problem ? { file, key: '', ...problem } : text;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const at = { file, line: 1, col: 1, key: '' };
    switch (code) {
      case 'EISDIR':
        return { ...at, message: 'is a folder, not a rule file', hint: 'rule folders hold rule files (<id>.yml) and their tables; rename the folder so it does not end in .yml' };
      case 'ENOENT':
        return { ...at, message: 'cannot be read: the file does not exist (a dangling symbolic link?)', hint: 'point the link at an existing rule file, or remove it' };
      case 'EACCES':
      case 'EPERM':
        return { ...at, message: 'cannot be read: permission denied', hint: 'make the rule file readable by this user (chmod a+r)' };
      default:
        return { ...at, message: `cannot be read: ${describeReadError(error)}`, hint: 'check the file; rule folders hold only rule files (<id>.yml) and their tables' };
    }
  }
}

function describeReadError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')}` : String(e.message ?? e);
}

/** More than `{ type: object }`: a schema worth compiling. */
function hasOptionSchema(options: unknown): options is Record<string, unknown> {
  return options !== null && typeof options === 'object' && Object.keys(options).some((key) => key !== 'type');
}

function sortByPosition(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort((a, b) => a.line - b.line || a.col - b.col);
}
