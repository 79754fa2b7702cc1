// A rule's options: the policy's `[severity, { options }]` (or a rule test case's
// `options:`) checked against the rule's own JSON Schema, with the schema's defaults filled
// in. Invalid options are an error rather than silently ignored (eslint#13793, #16879); so
// is an option the schema does not list, unless the schema itself allows more
// (`additionalProperties`), since a misspelled option would otherwise vanish.
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { RuleDefinition } from '../engine/model.js';
import { diagnosticsFromAjv, formatKeyPath } from './diagnostics.js';
import { didYouMean } from './did-you-mean.js';
import type { Diagnostic, RuleSetting } from './model.js';
import type { YamlPath, YamlSource } from './yaml-source.js';

type Options = Record<string, unknown>;

/** Compiled option validators by rule, so each schema compiles once per process. */
const compiled = new WeakMap<RuleDefinition, ValidateFunction>();
interface AjvLike {
  compile(schema: object): ValidateFunction;
  /** A Promise only for `$async` schemas, which options schemas are not. */
  validateSchema(schema: object): boolean | Promise<unknown>;
  errors?: ErrorObject[] | null;
}

let ajvInstance: AjvLike | null = null;
let strictAjv: AjvLike | null = null;

export interface ResolveOptionsInput {
  rule: RuleDefinition;
  /** The policy's setting for this rule, if it has one. */
  written: RuleSetting | undefined;
  /** The policy's YAML, to point at the offending option; without it, at the rule's entry. */
  source: YamlSource | undefined;
  /**
   * Where the options object sits in `source`: by default the policy's `rules.<id>[1]`; a
   * rule test table passes `['cases', i, 'options']`.
   */
  path?: YamlPath;
}

export function resolveOptions(input: ResolveOptionsInput): { options: Options; diagnostics: Diagnostic[] } {
  const { rule, written } = input;
  if (!written || Object.keys(written.options).length === 0) {
    return { options: applyOptionDefaults(rule.options, {}), diagnostics: [] };
  }
  const source = input.source ?? describeWrittenOnly(rule.id, written);
  const path = input.path ?? ['rules', rule.id, 1];
  if (!isRecord(rule.options.properties) && Object.keys(rule.options).every((key) => key === 'type')) {
    const { line, col } = source.locate(path);
    const diagnostic = {
      file: source.file, line, col, key: input.path ? formatKeyPath(path) : `rules.${rule.id}`,
      message: `rule "${rule.id}" takes no options`,
      hint: input.path ? 'remove `options:` here' : `write \`${rule.id}: ${written.severity}\``,
    };
    return { options: {}, diagnostics: [diagnostic] };
  }
  let validate: ValidateFunction;
  try {
    validate = compileOptionSchema(rule);
  } catch (error) {
    const message = `the options schema of rule "${rule.id}" does not compile: ${error instanceof Error ? error.message : String(error)}`;
    return { options: {}, diagnostics: [{ file: rule.file, line: 1, col: 1, key: 'options', message, hint: 'fix `options:` in the rule file' }] };
  }
  // ajv's useDefaults writes into the data; validate a copy, keep the policy as written.
  const options = structuredClone(written.options);
  if (validate(options)) return { options, diagnostics: [] };
  const prefix = path.map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
  const errors = (validate.errors ?? []).map((error) => ({ ...error, instancePath: prefix + error.instancePath }));
  return { options, diagnostics: diagnosticsFromAjv(errors, source, source.file) };
}

/**
 * Problems of a rule file's `options` schema, found at load with ajv's strict mode: a schema
 * that does not follow the JSON Schema meta-schema (`type: arrayy`), or that strict mode
 * refuses (an unknown keyword such as `tpye`, a `required` option not listed in
 * `properties`, keywords that do not fit the type), each at its line in the rule file.
 * Without this, such a schema is only compiled when a policy first writes the rule's
 * options, and a misspelled keyword silently checks nothing.
 */
export function checkOptionSchema(schema: Options, source: Pick<YamlSource, 'file' | 'value' | 'locate' | 'locateKey'>): Diagnostic[] {
  // Checked first and by hand: the meta-schema reaches the type names through a $ref, whose
  // errors ajv reports apart from the anyOf they belong to, so the message would be wrong.
  const badTypes = unknownTypes(schema, source);
  if (badTypes.length > 0) return badTypes;
  strictAjv ??= loadAjv(true);
  const wrapped = { type: 'object', ...closeOptionSchema(schema) };
  const toRule = (pointer: string): string => `/options${pointer}`;
  if (strictAjv.validateSchema(wrapped) === false) {
    const errors = (strictAjv.errors ?? []).map((error) => ({ ...error, instancePath: toRule(error.instancePath) }));
    return diagnosticsFromAjv(errors, source, source.file);
  }
  try {
    strictAjv.compile(wrapped);
    return [];
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).replace(/^strict mode: /, '');
    const keyword = /keyword:? "?([^"\s]+)"?/.exec(message)?.[1];
    const path = keyword ? findKey(schema, keyword) : null;
    const at = path ? source.locateKey(['options', ...path]) : source.locateKey(['options']);
    return [{
      file: source.file, line: at.line, col: at.col, key: formatKeyPath(['options', ...(path ?? [])]),
      message: `options schema: ${message} (JSON Schema strict mode)`,
      hint: 'write the options as JSON Schema 2020-12 (type, properties, items, default, description, ...)',
    }];
  }
}

const JSON_TYPES = ['array', 'boolean', 'integer', 'null', 'number', 'object', 'string'];

/** `type: arrayy` (or `type: [string, nmber]`) anywhere in an options schema. */
function unknownTypes(schema: Options, source: Pick<YamlSource, 'file' | 'locate'>): Diagnostic[] {
  const found: Diagnostic[] = [];
  const report = (path: (string | number)[], name: unknown): void => {
    const at = source.locate(['options', ...path]);
    const suggestion = typeof name === 'string' ? didYouMean(name, JSON_TYPES) : null;
    found.push({
      file: source.file, line: at.line, col: at.col, key: formatKeyPath(['options', ...path]),
      message: `options schema: ${JSON.stringify(name)} is not a JSON Schema type`,
      hint: suggestion ? `did you mean "${suggestion}"?` : `types: ${JSON_TYPES.join(', ')}`,
    });
  };
  const visit = (value: unknown, path: (string | number)[], keyword: boolean): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...path, index], false));
      return;
    }
    if (!isRecord(value)) return;
    for (const [key, item] of Object.entries(value)) {
      // Under `properties` (and the like) keys are option names, not keywords.
      const names = key === 'properties' || key === 'patternProperties' || key === '$defs' || key === 'definitions';
      if (keyword && key === 'type') {
        const list = Array.isArray(item) ? item : [item];
        list.forEach((name, index) => {
          if (!JSON_TYPES.includes(name as string)) report(Array.isArray(item) ? [...path, key, index] : [...path, key], name);
        });
        continue;
      }
      if (key === 'default' || key === 'const' || key === 'enum' || key === 'examples') continue;
      if (names && isRecord(item)) {
        for (const [name, sub] of Object.entries(item)) visit(sub, [...path, key, name], true);
      } else visit(item, [...path, key], true);
    }
  };
  visit(schema, [], true);
  return found;
}

/** The path to the first key named `name` in `value`, depth first. */
function findKey(value: unknown, name: string, path: (string | number)[] = []): (string | number)[] | null {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findKey(item, name, [...path, index]);
      if (found) return found;
    }
    return null;
  }
  if (!isRecord(value)) return null;
  if (name in value) return [...path, name];
  for (const [key, item] of Object.entries(value)) {
    const found = findKey(item, name, [...path, key]);
    if (found) return found;
  }
  return null;
}

/** Fills `properties.*.default` of an options schema without loading ajv. */
export function applyOptionDefaults(schema: Options, written: Options): Options {
  const options: Options = { ...written };
  const properties = isRecord(schema.properties) ? schema.properties : {};
  for (const [name, property] of Object.entries(properties)) {
    if (!(name in options) && isRecord(property) && 'default' in property) {
      options[name] = structuredClone(property.default);
    }
  }
  return options;
}

function compileOptionSchema(rule: RuleDefinition): ValidateFunction {
  const cached = compiled.get(rule);
  if (cached) return cached;
  ajvInstance ??= loadAjv();
  const validate = ajvInstance.compile({ type: 'object', ...closeOptionSchema(rule.options) });
  compiled.set(rule, validate);
  return validate;
}

/**
 * An options schema that lists `properties` but says nothing about other keys accepts only
 * those: expressions see options typed by `properties`, so any other key is unusable and
 * almost always a misspelling. A schema that allows more says so explicitly.
 */
function closeOptionSchema(schema: Options): Options {
  const open = ['additionalProperties', 'patternProperties', 'unevaluatedProperties'].some((key) => key in schema);
  return isRecord(schema.properties) && !open ? { ...schema, additionalProperties: false } : schema;
}

/**
 * Loaded on first use, synchronously so that option resolution stays a plain function:
 * ajv costs tens of milliseconds to load and compile, which only policies that write
 * options should pay. In a bundle (a CommonJS file, where `require` exists) the plain
 * `require` call is bundled and stays lazy, so the action's bundle, which runs without
 * node_modules, has ajv inside; run from source (ESM, tests) it is read from node_modules.
 */
function loadAjv(strict = false): AjvLike {
  const loaded = (typeof require === 'function' ? require('ajv/dist/2020.js') : createRequire(import.meta.url)('ajv/dist/2020.js')) as typeof import('ajv/dist/2020.js');
  const Ajv2020 = loaded.default;
  // Strict: the load-time check of a rule file's schema; union types (`type: [string, number]`) stay allowed.
  return new Ajv2020({ allErrors: true, verbose: true, strict, allowUnionTypes: true, useDefaults: true });
}

/** A stand-in source when the policy did not come from readPolicy: every error at the rule's entry. */
function describeWrittenOnly(id: string, written: RuleSetting): YamlSource {
  return {
    file: written.location.file,
    value: { rules: { [id]: [written.severity, written.options] } },
    errors: [],
    locate: () => written.location,
    locateKey: () => written.location,
    textAt: () => null,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
