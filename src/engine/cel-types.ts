// Turns the JSON Schemas of facts and rule options into CEL type declarations, so that
// every expression is type-checked before it runs: a misspelled fact or field is a load
// error with its YAML position, never a silent `false` (research: policy-anchors.md 4.3).

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  default?: unknown;
  enum?: unknown[];
  [key: string]: unknown;
}

export interface TypeDeclaration {
  name: string;
  fields: Record<string, string>;
}

/** Collects the CEL type names for schemas and the object types they need, in dependency order. */
export class CelTypeCollector {
  readonly declarations: TypeDeclaration[] = [];
  private readonly declared = new Set<string>();

  constructor(private readonly defs: Record<string, JsonSchema>) {}

  typeOf(schema: JsonSchema, nameHint: string): string {
    if (schema.$ref) {
      const name = schema.$ref.replace(/^#\/\$defs\//, '');
      const def = this.defs[name];
      if (!def) throw new Error(`unknown schema reference ${schema.$ref}`);
      return this.declareObject(name, def);
    }
    const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
    switch (type) {
      case 'string':
        return 'string';
      case 'boolean':
        return 'bool';
      case 'integer':
        return 'int';
      case 'number':
        return 'double';
      case 'array':
        return `list<${schema.items ? this.typeOf(schema.items, `${nameHint}Item`) : 'dyn'}>`;
      case 'object':
        if (schema.properties) return this.declareObject(nameHint, schema);
        if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
          return `map<string, ${this.typeOf(schema.additionalProperties, `${nameHint}Value`)}>`;
        }
        return 'map<string, dyn>';
      default:
        return 'dyn';
    }
  }

  private declareObject(name: string, schema: JsonSchema): string {
    if (this.declared.has(name)) return name;
    this.declared.add(name);
    const fields: Record<string, string> = {};
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      fields[key] = this.typeOf(property, `${name}${capitalize(key)}`);
    }
    // Pushed after its fields so that nested types are declared first.
    this.declarations.push({ name, fields });
    return name;
  }
}

function capitalize(text: string): string {
  return text.replace(/(^|[-_])(\w)/g, (_, __, c: string) => c.toUpperCase());
}

/**
 * Converts plain JSON (numbers as JS numbers) into the values CEL expects for a schema:
 * integers become bigint (CEL `int`), as both CEL libraries treat a JS number as `double`.
 * Missing properties get their empty value, so partial facts in test tables stay typed.
 */
/** Each object schema's properties as a list, made once: facts hold tens of thousands of objects of a few schemas. */
const PROPERTY_ENTRIES = new WeakMap<JsonSchema, [string, JsonSchema][]>();

export function toCelValue(value: unknown, schema: JsonSchema, defs: Record<string, JsonSchema>): unknown {
  const resolved = schema.$ref ? defs[schema.$ref.replace(/^#\/\$defs\//, '')] ?? {} : schema;
  const type = Array.isArray(resolved.type) ? resolved.type[0] : resolved.type;
  switch (type) {
    case 'integer':
      return typeof value === 'number' ? BigInt(Math.trunc(value)) : typeof value === 'bigint' ? value : 0n;
    case 'number':
      return typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : 0;
    case 'string':
      return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
    case 'boolean':
      return value === true;
    case 'array':
      return Array.isArray(value) ? value.map((item) => toCelValue(item, resolved.items ?? {}, defs)) : [];
    case 'object': {
      const source = value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
      if (!resolved.properties) return source;
      const out: Record<string, unknown> = {};
      let entries = PROPERTY_ENTRIES.get(resolved);
      if (entries === undefined) PROPERTY_ENTRIES.set(resolved, (entries = Object.entries(resolved.properties)));
      for (const [key, property] of entries) {
        out[key] = toCelValue(source[key], property, defs);
      }
      return out;
    }
    default:
      return value ?? null;
  }
}

/** Applies `default`s of an object schema's properties to options as written. */
export function applyDefaults(options: Record<string, unknown>, schema: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = { ...options };
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (out[key] === undefined && property.default !== undefined) out[key] = structuredClone(property.default);
  }
  return out;
}
