import { describe, expect, test } from 'vitest';
import { renderVerdict } from '../../src/report/index.js';
import { SUMMARY_BUDGET_BYTES } from '../../src/report/markdown.js';
import { finding, options, verdict, waived } from './verdict-builder.js';

describe('markdown format', () => {
  test('renders findings, waived, unavailable and the summary line', () => {
    const out = renderVerdict(
      'markdown',
      verdict({
        findings: [finding({ rule: 'r1', subject: 'tag v0.1.0', message: '100% a:b, c | d\ne', fix: 'run `x`' })],
        waived: [waived({ rule: 'r2', subject: 'tag v0.0.9', message: 'm', reason: 'SEC|42', owner: '@o', expires: '2026-11-01' })],
        unavailable: { history: 'shallow clone' },
      }),
      options({ title: 'policy audit' }),
    );
    expect(out).toBe(
      [
        '### release-policy: policy audit',
        '',
        '| severity | rule | subject | message | fix |',
        '| --- | --- | --- | --- | --- |',
        '| error | r1 | tag v0.1.0 | 100% a:b, c \\| d<br>e | run `x` |',
        '',
        '#### Waived (1)',
        '',
        '| severity | rule | subject | message | reason | owner | expires |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        '| error | r2 | tag v0.0.9 | m | SEC\\|42 | \\@o | 2026-11-01 |',
        '',
        '#### Unavailable facts',
        '',
        '- **history**: shallow clone',
        '',
        '**✖ policy audit: 1 error (1 waived), 1 fact unavailable — refused**',
        '',
      ].join('\n'),
    );
  });

  test('a clean verdict says so without an empty table', () => {
    expect(renderVerdict('markdown', verdict(), options())).toBe(
      '### release-policy: gate ci\n\nNo findings.\n\n**✔ gate ci: no findings — allowed**\n',
    );
  });

  test('stays under the step-summary limit and says how many rows it left out', () => {
    const big = 'x'.repeat(10_000);
    const findings = Array.from({ length: 100 }, (_, i) => finding({ message: big, subject: `tag v${i}` }));
    const out = renderVerdict('markdown', verdict({ findings }), options());
    expect(new TextEncoder().encode(out).length).toBeLessThan(SUMMARY_BUDGET_BYTES + 1024);
    const rows = out.split('\n').filter((line) => line.startsWith('| error |')).length;
    expect(rows).toBeGreaterThan(0);
    expect(out).toContain(`_${100 - rows} more findings left out`);
    expect(out.trimEnd().endsWith('**✖ gate ci: 100 errors — refused**')).toBe(true);
  });
});
