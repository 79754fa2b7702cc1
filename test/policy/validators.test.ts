import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, test } from 'vitest';
import { GATES } from '../../src/engine/model.js';
import { FACT_NAMES } from '../../src/facts/model.js';

const ROOT = join(__dirname, '..', '..');
// Inside the package, so the bundle finds ajv in node_modules and the package's rules folder.
const OUT = join(ROOT, 'node_modules', '.cache', 'release-policy-validators-test');

function readSchema(name: string): Record<string, any> {
  return JSON.parse(readFileSync(join(ROOT, 'schema', name), 'utf8')) as Record<string, any>;
}

/** Paths of properties without a description, following $ref into $defs. */
function listUndescribed(schema: Record<string, any>, node: unknown = schema, path = '#'): string[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => listUndescribed(schema, item, `${path}/${i}`));
  if (node === null || typeof node !== 'object') return [];
  const entries = Object.entries(node as Record<string, any>);
  const missing = entries
    .filter(([key]) => key === 'properties')
    .flatMap(([, properties]) => Object.entries(properties as Record<string, any>))
    .filter(([, property]) => {
      const target = typeof property.$ref === 'string' && property.$ref.startsWith('#/$defs/') ? schema.$defs[property.$ref.slice(8)] : property;
      return typeof target?.description !== 'string' && typeof property.description !== 'string';
    })
    .map(([name]) => `${path}/properties/${name}`);
  // Options are a JSON Schema written by rule authors; its inner keys are theirs to describe.
  const children = entries.filter(([key]) => key !== 'options' || path !== '#/properties');
  return [...missing, ...children.flatMap(([key, value]) => listUndescribed(schema, value, `${path}/${key}`))];
}

describe('schemas', () => {
  test('rule.schema.json lists exactly the gates and facts of the model', () => {
    const rule = readSchema('rule.schema.json');
    expect(rule.properties.gates.items.enum).toEqual([...GATES]);
    expect(rule.properties.facts.items.enum).toEqual([...FACT_NAMES]);
  });

  test('every key of the policy and rule schemas has a description for editors', () => {
    expect(listUndescribed(readSchema('release-policy.schema.json'))).toEqual([]);
    expect(listUndescribed(readSchema('rule.schema.json'))).toEqual([]);
    expect(listUndescribed(readSchema('rule-test.schema.json'))).toEqual([]);
  });
});

describe('precompiled validators', () => {
  mkdirSync(OUT, { recursive: true });
  afterAll(() => rmSync(OUT, { recursive: true, force: true }));

  test('build-validators writes an ES module without require() and its declarations', () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-validators.mjs'), OUT]);
    const code = readFileSync(join(OUT, 'validators.js'), 'utf8');
    expect(code).not.toMatch(/\brequire\(/);
    expect(code).toMatch(/^import \* as runtime0Module from "ajv\/dist\/runtime\/[a-z0-9]+\.js";$/m);
    for (const name of ['validatePolicy', 'validateRule', 'validateRuleTest', 'validateFacts']) {
      expect(code).toContain(`export const ${name} =`);
      expect(readFileSync(join(OUT, 'validators.d.ts'), 'utf8')).toContain(`export declare const ${name}: ValidateFunction;`);
    }
  });

  test('a single esbuild bundle validates, resolves options with ajv, and finds the rules folder', async () => {
    const policy = join(ROOT, 'src', 'policy', 'read-policy.ts');
    const rules = join(ROOT, 'src', 'policy', 'read-rules.ts');
    const outfile = join(OUT, 'cli.js');
    await build({
      stdin: {
        contents: `
          import { readPolicy, resolveRuleSettings } from ${JSON.stringify(policy)};
          import { builtInRulesDir } from ${JSON.stringify(rules)};
          const { policy, diagnostics } = readPolicy('p.yml', 'version: 1\\npakages: []\\nrules:\\n  a-rule: [warn, { limt: 1 }]\\n');
          const rule = { id: 'a-rule', severity: 'warn', builtIn: true, file: 'a.yml',
            options: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer' } } } };
          const settings = resolveRuleSettings(policy, [rule]);
          console.log(JSON.stringify({ diagnostics, options: settings.diagnostics, rulesDir: builtInRulesDir() }));
        `,
        resolveDir: ROOT,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile,
      logLevel: 'silent',
      // yaml's CommonJS build calls require('process'); an ESM bundle must provide require.
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    });
    const result = JSON.parse(execFileSync(process.execPath, [outfile], { encoding: 'utf8' })) as Record<string, any>;
    expect(result.diagnostics).toMatchObject([
      { line: 1, col: 1, key: 'packages', message: 'missing required key "packages"' },
      { line: 2, col: 1, key: 'pakages', hint: 'did you mean "packages"?' },
    ]);
    expect(result.options).toMatchObject([{ line: 4, col: 20, key: 'rules.a-rule[1].limt', hint: 'did you mean "limit"?' }]);
    expect(result.rulesDir).toBe(join(ROOT, 'rules'));
  });
});
