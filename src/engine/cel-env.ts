import { Environment } from '@marcbachmann/cel-js';
import factsSchema from '../../schema/facts.schema.json' with { type: 'json' };
import { matchesAnyGlob } from '../release/references.js';
import { compareVersions, isNextVersion, isValidVersion, mentionsVersion } from '../version/semver.js';
import { CelTypeCollector, type JsonSchema } from './cel-types.js';

export const FACTS_SCHEMA = factsSchema as unknown as JsonSchema;
export const FACT_DEFS = (FACTS_SCHEMA.$defs ?? {}) as Record<string, JsonSchema>;

/** The schema of the `finding` variable that waiver `when` expressions see. */
export const FINDING_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    rule: { type: 'string' },
    severity: { type: 'string' },
    message: { type: 'string' },
    subject: { type: 'object', properties: { kind: { type: 'string' }, name: { type: 'string' } } },
  },
};

export interface CelRoot {
  env: Environment;
  /** CEL type name of each fact. */
  factTypes: Record<string, string>;
  findingType: string;
}

/**
 * The environment every rule starts from: fact types and the version functions. Rules
 * clone it and declare only the facts they list, so a rule that reads a fact it did not
 * declare fails to load instead of reading an empty value the collector never filled.
 */
export function createCelRoot(): CelRoot {
  const collector = new CelTypeCollector(FACT_DEFS);
  const factTypes: Record<string, string> = {};
  for (const [name, schema] of Object.entries(FACTS_SCHEMA.properties ?? {})) {
    factTypes[name] = collector.typeOf(schema, capitalizeFact(name));
  }
  const findingType = collector.typeOf(FINDING_SCHEMA, 'Finding');
  const env = new Environment({ homogeneousAggregateLiterals: false });
  for (const declaration of collector.declarations) {
    env.registerType(declaration.name, { fields: declaration.fields });
  }
  env
    .registerFunction({
      signature: 'semverValid(string): bool',
      handler: (text: string) => isValidVersion(text),
      description: 'Whether the text is a SemVer 2.0.0 version as Cargo and npm accept it (no leading v).',
    })
    .registerFunction({
      signature: 'semverCompare(string, string): int',
      handler: (a: string, b: string) => BigInt(compareVersions(a, b)),
      description: '-1, 0 or 1; an evaluation error when either is not a valid version.',
    })
    .registerFunction({
      // CEL's substring() fails on a string shorter than its end; a commit id from saved
      // facts may be abbreviated already.
      signature: 'shortCommit(string): string',
      handler: (commit: string) => commit.slice(0, 12),
      description: 'The first 12 characters of a commit id, as git abbreviates it in messages.',
    })
    .registerFunction({
      signature: 'mentionsVersion(string, string): bool',
      handler: (text: string, version: string) => mentionsVersion(text, version),
      description: 'Whether the text names the version as a whole token, with or without a leading v.',
    })
    .registerFunction({
      signature: 'pathMatches(string, list<string>): bool',
      handler: (path: string, globs: string[]) => matchesAnyGlob(path, globs),
      description: 'Whether a repository-relative path matches any of the globs (`*` within a folder, `**` across folders, `{a,b}`).',
    })
    .registerFunction({
      signature: 'semverIsNext(string, string): bool',
      handler: (prev: string, next: string) => isNextVersion(prev, next),
      description:
        'Whether the second version is one step after the first: next patch, minor or major, a pre-release of one, or the release of a pre-release.',
    });
  return { env, factTypes, findingType };
}

function capitalizeFact(name: string): string {
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}Fact`;
}
