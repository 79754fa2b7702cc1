import { describe, expect, it } from 'vitest';
import { loadRulesUnderTest } from '../src/cli/commands/test.js';
import { ruleCompleteness, runRuleTestCase } from '../src/engine/rule-tests.js';
import { builtInRulesDir, loadRuleDirs } from '../src/policy/read-rules.js';
import { createCelRoot } from '../src/engine/cel-env.js';
import { compileRuleLazily } from '../src/engine/compile.js';

// Every built-in rule's test table, one test per case, plus what each rule must carry.
const loaded = loadRuleDirs([], builtInRulesDir());
const { rules, diagnostics } = loadRulesUnderTest(loaded.rules);

describe('built-in rules', () => {
  it('load, compile and type-check without problems', () => {
    expect([...loaded.diagnostics, ...diagnostics]).toEqual([]);
    expect(rules.map((r) => r.rule.definition.id)).toEqual(
      expect.arrayContaining([
        'tag-matches-manifest',
        'version-not-lowered',
        'version-not-skipped',
        'version-valid',
        'release-notes-present',
      ]),
    );
  });

  for (const { rule, table } of rules) {
    describe(rule.definition.id, () => {
      it('has a spec line, docs and cases that both pass and fail', () => {
        expect(ruleCompleteness(rule, table)).toEqual([]);
      });
      for (const testCase of table?.cases ?? []) {
        it(testCase.name, () => {
          const result = runRuleTestCase(rule, testCase);
          expect(result.problems).toEqual([]);
        });
        // A cache hit compiles each part on first use with variables and `it` as dyn: it
        // must find exactly what the fully type-checked rule finds.
        it(`${testCase.name} (compiled lazily)`, () => {
          const lazy = compileRuleLazily(createCelRoot(), rule.definition);
          const result = runRuleTestCase(lazy, testCase);
          expect(result.problems).toEqual([]);
        });
      }
    });
  }
});
