// Turns ajv's errors into one actionable Diagnostic per problem, at the YAML position the
// user wrote. Raw ajv output is noisy: one wrong value under `anyOf` yields an error per
// branch plus "must match a schema in anyOf" (spectral#1637), and naive printing of
// params gives `[object Object]` (spectral#2186).
import type { ErrorObject } from 'ajv';
import { didYouMean } from './did-you-mean.js';
import type { Diagnostic } from './model.js';
import type { YamlPath, YamlSource } from './yaml-source.js';

type Locator = Pick<YamlSource, 'value' | 'locate' | 'locateKey'>;
type Schema = Record<string, unknown> | undefined;

/** `file:line:col key: message`, then an indented `hint:` line when there is a hint. */
export function formatDiagnostic(d: Diagnostic): string {
  const head = `${d.file}:${d.line}:${d.col}${d.key ? ` ${d.key}:` : ''} ${d.message}`;
  return d.hint ? `${head}\n  hint: ${d.hint}` : head;
}

/** `['waivers', 0, 'when']` → `waivers[0].when`. */
export function formatKeyPath(path: YamlPath): string {
  return path.reduce<string>((key, segment) => {
    if (typeof segment === 'number') return `${key}[${segment}]`;
    return key ? `${key}.${segment}` : segment;
  }, '');
}

/**
 * One Diagnostic per problem, sorted by position. Errors should come from a validator
 * compiled with `allErrors` and `verbose` (so they carry their parent schema, whose
 * descriptions become hints and whose property names feed "did you mean").
 */
export function diagnosticsFromAjv(
  errors: readonly ErrorObject[] | null | undefined,
  source: Locator,
  file: string,
): Diagnostic[] {
  const seen = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const error of dropRedundant(collapseComposites([...(errors ?? [])]))) {
    const d = describeError(error, source, file);
    if (!d.hint) d.hint = 'see the schema for what this key accepts';
    const id = `${d.line}:${d.col}:${d.key}:${d.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    diagnostics.push(d);
  }
  return diagnostics.sort((a, b) => a.line - b.line || a.col - b.col);
}

/**
 * Keeps, for each anyOf/oneOf, only the errors of the branch the value came closest to:
 * branches whose `type` the value does not have are out; among the rest, the one whose
 * errors reach deepest into the value wins. When every branch fails on type, one type
 * error lists all the accepted types.
 */
function collapseComposites(errors: ErrorObject[]): ErrorObject[] {
  let remaining = errors;
  const composites = errors
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const composite of composites) {
    if (!remaining.includes(composite)) continue;
    const prefix = `${composite.schemaPath}/`;
    const branches = new Map<string, ErrorObject[]>();
    // One $def may be reached from several places (every `rules:` entry): match the value too.
    const inside = (e: ErrorObject): boolean =>
      e.instancePath === composite.instancePath || e.instancePath.startsWith(`${composite.instancePath}/`);
    for (const e of remaining) {
      if (!e.schemaPath.startsWith(prefix) || !inside(e)) continue;
      const index = e.schemaPath.slice(prefix.length).split('/')[0] ?? '';
      branches.set(index, [...(branches.get(index) ?? []), e]);
    }
    // oneOf matching several branches has no branch errors; its own message stands.
    if (branches.size === 0) continue;
    const failsOnType = (list: ErrorObject[]): boolean =>
      list.some((e) => e.keyword === 'type' && e.instancePath === composite.instancePath);
    const viable = [...branches.values()].filter((list) => !failsOnType(list));
    const keep = viable.length > 0 ? pickClosestBranch(viable) : [mergeTypeErrors(composite, branches)];
    const dropped = new Set([composite, ...[...branches.values()].flat()]);
    remaining = [...remaining.filter((e) => !dropped.has(e)), ...keep];
  }
  return remaining;
}

function pickClosestBranch(branches: ErrorObject[][]): ErrorObject[] {
  const depth = (list: ErrorObject[]): number =>
    Math.max(...list.map((e) => e.instancePath.split('/').length));
  return branches.reduce((best, list) =>
    depth(list) > depth(best) || (depth(list) === depth(best) && list.length < best.length) ? list : best,
  );
}

function mergeTypeErrors(composite: ErrorObject, branches: Map<string, ErrorObject[]>): ErrorObject {
  const types = [...branches.values()]
    .flat()
    .filter((e) => e.keyword === 'type' && e.instancePath === composite.instancePath)
    .flatMap((e) => String(e.params.type).split(','));
  return { ...composite, keyword: 'type', params: { type: [...new Set(types)].join(',') } };
}

/** A type error says it all: drop the enum/pattern errors of the same value, and `if` wrappers. */
function dropRedundant(errors: ErrorObject[]): ErrorObject[] {
  const typed = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const nameChecks = errors.filter((e) => e.keyword === 'propertyNames').map((e) => `${e.schemaPath}/`);
  return errors.filter(
    (e) =>
      e.keyword !== 'if' &&
      !(e.keyword !== 'type' && typed.has(e.instancePath)) &&
      !nameChecks.some((prefix) => e.schemaPath.startsWith(prefix)),
  );
}

function describeError(error: ErrorObject, source: Locator, file: string): Diagnostic {
  const path = pointerToPath(error.instancePath, source.value);
  const data = valueAt(source.value, path);
  const parent = error.parentSchema as Schema;
  const described = (): string => describeSchema(parent);
  const at = (p: YamlPath, key = false): Diagnostic => {
    const location = key ? source.locateKey(p) : source.locate(p);
    return { file, line: location.line, col: location.col, key: formatKeyPath(p), message: '', hint: '' };
  };
  const params = error.params as Record<string, unknown>;

  switch (error.keyword) {
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const name = String(params.additionalProperty ?? params.unevaluatedProperty);
      const allowed = Object.keys((parent?.properties as Schema) ?? {});
      const suggestion = didYouMean(name, allowed);
      const hint = suggestion
        ? `did you mean "${suggestion}"?`
        : allowed.length > 0 && allowed.length <= 12
          ? `allowed keys here: ${allowed.join(', ')}`
          : `remove "${name}"`;
      return { ...at([...path, name], true), message: `unknown key "${name}"`, hint };
    }
    case 'required': {
      const name = String(params.missingProperty);
      const property = (parent?.properties as Record<string, Schema> | undefined)?.[name];
      const about = describeSchema(property);
      const hint = about ? `add ${name}: ${about}` : `add ${name}`;
      return { ...at(path), key: formatKeyPath([...path, name]), message: `missing required key "${name}"`, hint };
    }
    case 'propertyNames': {
      const name = String(params.propertyName);
      const names = error.schema as Schema;
      const rule = typeof names?.patternErrorMessage === 'string' ? names.patternErrorMessage : 'is not allowed here';
      return { ...at([...path, name], true), message: `key "${name}" ${rule}`, hint: describeSchema(names) };
    }
    case 'type':
      return { ...at(path), message: `expected ${listTypes(String(params.type))}, got ${describeValue(data)}`, hint: described() };
    case 'enum':
    case 'const': {
      const allowed = (error.keyword === 'enum' ? params.allowedValues : [params.allowedValue]) as unknown[];
      const words = allowed.filter((v): v is string => typeof v === 'string');
      const suggestion = typeof data === 'string' ? didYouMean(data, words) : null;
      const choices = allowed.map(formatValue).join(', ');
      const message = allowed.length === 1 ? `must be ${choices}, got ${formatValue(data)}` : `must be one of ${choices}, got ${formatValue(data)}`;
      return { ...at(path), message, hint: suggestion ? `did you mean "${suggestion}"?` : described() };
    }
    case 'pattern': {
      const rule = typeof parent?.patternErrorMessage === 'string' ? parent.patternErrorMessage : `must match ${String(params.pattern)}`;
      return { ...at(path), message: `${rule}, got ${formatValue(data)}`, hint: described() };
    }
    case 'minLength':
    case 'minItems': {
      const limit = Number(params.limit);
      const what = error.keyword === 'minLength' ? 'character' : 'item';
      const message = limit === 1 ? 'must not be empty' : `must have at least ${limit} ${what}s`;
      return { ...at(path), message, hint: described() };
    }
    case 'maxItems':
    case 'items': {
      const count = Array.isArray(data) ? data.length : 0;
      return { ...at(path), message: `must have at most ${String(params.limit)} items, got ${count}`, hint: described() };
    }
    case 'uniqueItems': {
      const later = Math.max(Number(params.i), Number(params.j));
      const item = [...path, later];
      return { ...at(item), message: `lists ${formatValue(valueAt(source.value, item))} twice`, hint: 'remove the repeated entry' };
    }
    default:
      return { ...at(path), message: error.message ?? `fails ${error.keyword}`, hint: described() };
  }
}

function describeSchema(schema: Schema): string {
  return typeof schema?.description === 'string' ? schema.description : '';
}

/** Decodes a JSON pointer; a segment is an index only where the data holds a list. */
export function pointerToPath(pointer: string, value: unknown): (string | number)[] {
  if (!pointer) return [];
  const path: (string | number)[] = [];
  let current = value;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const step = Array.isArray(current) ? Number(segment) : segment;
    path.push(step);
    current = valueAt(current, [step]);
  }
  return path;
}

function valueAt(value: unknown, path: YamlPath): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping (key: value)',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  null: 'nothing (null)',
};

function listTypes(types: string): string {
  return types
    .split(',')
    .map((t) => TYPE_WORDS[t] ?? t)
    .join(' or ');
}

/** Names a value's type the way a YAML author sees it, never as `[object Object]`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `a string (${formatValue(value)})`;
  if (typeof value === 'boolean') return `${String(value)} (a boolean)`;
  return `${String(value)} (a number)`;
}

function formatValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}
