import { describe, expect, test } from 'vitest';
import { renderVerdict } from '../../src/report/index.js';
import { PROJECT_URL } from '../../src/report/help-uri.js';
import { DEFAULT_INFORMATION_URI } from '../../src/report/sarif.js';
import { finding, options, rule, verdict, waived } from './verdict-builder.js';

function sarif(...args: Parameters<typeof renderVerdict> extends [unknown, ...infer Rest] ? Rest : never) {
  return JSON.parse(renderVerdict('sarif', ...args));
}

describe('sarif format', () => {
  const input = verdict({
    gate: 'ci',
    findings: [
      finding({ rule: 'dry-run-failure-no-tag', subject: 'tag v0.2.0', message: 'no tag' }),
      finding({ rule: 'version-monotonic', severity: 'warn', subject: 'version 0.1.1 → 0.1.0', message: 'went down' }),
      finding({ rule: 'dry-run-failure-no-tag', subject: 'tag v0.3.0', message: 'no tag either' }),
    ],
    waived: [waived({ rule: 'waived-only', subject: 'tag v0.0.9', reason: 'SEC-42', owner: '@captains', expires: '2026-11-01' })],
  });
  const catalogue = [rule('dry-run-failure-no-tag'), rule('version-monotonic', { severity: 'warn' }), rule('waived-only'), rule('unused')];

  test('one 2.1.0 run whose driver lists exactly the rules that appear, with their docs', () => {
    const log = sarif(input, options({ rules: catalogue, toolVersion: '1.2.3' }));
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const driver = log.runs[0].tool.driver;
    expect(driver).toMatchObject({ name: 'release-policy', version: '1.2.3', informationUri: DEFAULT_INFORMATION_URI });
    expect(driver.rules.map((r: { id: string }) => r.id)).toEqual(['dry-run-failure-no-tag', 'version-monotonic', 'waived-only']);
    expect(driver.rules[1]).toEqual({
      id: 'version-monotonic',
      shortDescription: { text: 'title of version-monotonic' },
      fullDescription: { text: 'why version-monotonic' },
      help: { text: 'fix version-monotonic' },
      helpUri: `${PROJECT_URL}#built-in-rules`,
      defaultConfiguration: { level: 'warning' },
      properties: { spec: 'spec line of version-monotonic' },
    });
  });

  test('results carry per-rule ruleIds, levels, messages and the subject as a logical location', () => {
    const results = sarif(input, options({ rules: catalogue })).runs[0].results;
    expect(results.map((r: { ruleId: string; ruleIndex: number; level: string }) => [r.ruleId, r.ruleIndex, r.level])).toEqual([
      ['dry-run-failure-no-tag', 0, 'error'],
      ['version-monotonic', 1, 'warning'],
      ['dry-run-failure-no-tag', 0, 'error'],
      ['waived-only', 2, 'error'],
    ]);
    expect(results[1].message).toEqual({ text: 'went down' });
    expect(results[1].locations).toEqual([
      { logicalLocations: [{ name: '0.1.1 → 0.1.0', kind: 'version', fullyQualifiedName: 'version 0.1.1 → 0.1.0' }] },
    ]);
    expect(results[0].partialFingerprints).not.toEqual(results[2].partialFingerprints);
  });

  test('waived findings are suppressed results with a justification, not note results', () => {
    const results = sarif(input, options({ rules: catalogue })).runs[0].results;
    const suppressed = results.filter((r: { suppressions?: unknown }) => r.suppressions);
    expect(suppressed).toHaveLength(1);
    expect(suppressed[0].ruleId).toBe('waived-only');
    expect(suppressed[0].suppressions).toEqual([
      { kind: 'external', status: 'accepted', justification: 'SEC-42', properties: { owner: '@captains', expires: '2026-11-01' } },
    ]);
    expect(results.some((r: { level: string }) => r.level === 'note')).toBe(false);
  });

  test('a rule missing from the catalogue still gets a descriptor; helpUri and the policy file when given', () => {
    const log = sarif(verdict({ findings: [finding({ rule: 'engine/waiver-expired', spec: 'waivers expire' })] }), {
      ...options(),
      ruleHelpUri: (id) => `https://example.test/rules/${id}`,
      policyFile: 'release-policy.yml',
    });
    const run = log.runs[0];
    expect(run.tool.driver.rules).toEqual([
      {
        id: 'engine/waiver-expired',
        shortDescription: { text: 'engine/waiver-expired' },
        fullDescription: { text: 'waivers expire' },
        helpUri: 'https://example.test/rules/engine/waiver-expired',
        defaultConfiguration: { level: 'error' },
        properties: { spec: 'waivers expire' },
      },
    ]);
    expect(run.results[0].locations[0].physicalLocation).toEqual({ artifactLocation: { uri: 'release-policy.yml', uriBaseId: '%SRCROOT%' }, region: { startLine: 1 } });
  });

  test('unavailable facts are tool notifications; exit 3 marks the execution unsuccessful', () => {
    const open = sarif(verdict({ unavailable: { github: 'no token' } }), options()).runs[0].invocations[0];
    expect(open).toEqual({
      executionSuccessful: true,
      exitCode: 0,
      toolExecutionNotifications: [{ level: 'warning', message: { text: 'fact github unavailable: no token' }, descriptor: { id: 'unavailable/github' } }],
    });
    const closed = sarif(verdict({ unavailable: { github: 'no token' }, failClosed: true }), options()).runs[0].invocations[0];
    expect(closed.executionSuccessful).toBe(false);
    expect(closed.exitCode).toBe(3);
    expect(closed.toolExecutionNotifications[0].level).toBe('error');
  });

  test('the run is categorised by gate so uploads per gate do not replace each other', () => {
    expect(sarif(verdict({ gate: 'audit' }), options()).runs[0].automationDetails).toEqual({ id: 'release-policy/audit/' });
  });
});
