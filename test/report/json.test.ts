import { describe, expect, test } from 'vitest';
import { renderVerdict } from '../../src/report/index.js';
import { finding, options, verdict, waived } from './verdict-builder.js';

describe('json format', () => {
  const input = verdict({
    gate: 'pre-push',
    findings: [finding({ rule: 'r1', severity: 'error', message: 'm: 100%\n|', subject: 'tag v0.2.0', spec: 's', fix: 'f' })],
    waived: [waived({ rule: 'r2', severity: 'warn', subject: 'version 0.1.1 → 0.1.0', reason: 'why', owner: '@o', expires: '2026-11-01' })],
    unavailable: { github: 'no token' },
  });

  test('has the documented shape, with exitCode and waivers', () => {
    const parsed = JSON.parse(renderVerdict('json', input, options({ toolVersion: '1.2.3' })));
    expect(parsed).toEqual({
      gate: 'pre-push',
      verdict: { allowed: false, errors: 1, warnings: 0, exitCode: 1 },
      findings: [
        { rule: 'r1', severity: 'error', message: 'm: 100%\n|', subject: { kind: 'tag', name: 'v0.2.0' }, spec: 's', fix: 'f' },
      ],
      waived: [
        {
          rule: 'r2',
          severity: 'warn',
          message: 'tag v0.1.0 exists but 0.1.0 is not published',
          subject: { kind: 'version', name: '0.1.1 → 0.1.0' },
          spec: 'Dry-Run Failure: do not tag',
          fix: 'delete the tag: git push origin :refs/tags/v0.1.0',
          waiver: { reason: 'why', owner: '@o', expires: '2026-11-01' },
        },
      ],
      unavailable: { github: 'no token' },
      tool: { name: 'release-policy', version: '1.2.3' },
    });
  });

  test('pretty-printed with two spaces and a trailing newline, stable key order', () => {
    const out = renderVerdict('json', input, options());
    expect(out.startsWith('{\n  "gate": "pre-push",\n  "verdict": {\n    "allowed": false,')).toBe(true);
    expect(out.endsWith('}\n')).toBe(true);
    expect(Object.keys(JSON.parse(out))).toEqual(['gate', 'verdict', 'findings', 'waived', 'unavailable', 'tool']);
  });

  test('fields the engine adds to its own objects do not leak into the contract', () => {
    const extra = { ...finding(), internal: 'x', subject: { kind: 'tag', name: 'v1', at: 3 } };
    const parsed = JSON.parse(renderVerdict('json', verdict({ findings: [extra] }), options()));
    expect(parsed.findings[0]).not.toHaveProperty('internal');
    expect(parsed.findings[0].subject).toEqual({ kind: 'tag', name: 'v1' });
  });

  test('exit 3 is carried through', () => {
    const parsed = JSON.parse(renderVerdict('json', verdict({ unavailable: { history: 'shallow' }, failClosed: true }), options()));
    expect(parsed.verdict).toEqual({ allowed: false, errors: 0, warnings: 0, exitCode: 3 });
  });
});
