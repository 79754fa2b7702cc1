import { describe, expect, test } from 'vitest';
import { renderVerdict } from '../../src/report/index.js';
import { neutralizeControls } from '../../src/report/text.js';
import { finding, options, verdict, waived } from './verdict-builder.js';

const ESC = '\x1b';

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

describe('text format', () => {
  test('groups by subject: kinds as they first came, then names as they first came', () => {
    const out = renderVerdict(
      'text',
      verdict({
        findings: [
          finding({ subject: 'tag v0.1.0', rule: 'a' }),
          finding({ subject: 'version 0.1.1 → 0.1.0', rule: 'b', severity: 'warn' }),
          finding({ subject: 'tag v0.2.0', rule: 'c' }),
          finding({ subject: 'tag v0.1.0', rule: 'd' }),
        ],
      }),
      options(),
    );
    const headers = out.split('\n').filter((line) => line !== '' && !line.startsWith(' '));
    expect(headers).toEqual(['tag v0.1.0', 'tag v0.2.0', 'version 0.1.1 → 0.1.0', lastLine(out)]);
    expect(out.indexOf('  error    a  ')).toBeLessThan(out.indexOf('  error    d  '));
    expect(out.indexOf('  error    d  ')).toBeLessThan(out.indexOf('  error    c  '));
  });

  test('prints each finding, its fix, waivers, unavailable facts and one summary line', () => {
    const out = renderVerdict(
      'text',
      verdict({
        findings: [
          finding({ subject: 'tag v0.1.0', message: 'tag v0.1.0 exists but 0.1.0 is not published', fix: 'delete the tag' }),
          finding({ subject: 'version 0.1.1 → 0.1.0', rule: 'version-monotonic', severity: 'warn', message: 'went down\nfrom 0.1.1', fix: '' }),
        ],
        waived: [waived({ subject: 'tag v0.0.9', message: 'old tag', reason: 'SEC-42', owner: '@captains', expires: '2026-11-01' })],
        unavailable: { history: 'shallow clone (depth 1)' },
      }),
      options(),
    );
    expect(out).toBe(
      [
        'tag v0.1.0',
        '  error    dry-run-failure-no-tag  tag v0.1.0 exists but 0.1.0 is not published',
        '           fix: delete the tag',
        '',
        'version 0.1.1 → 0.1.0',
        '  warning  version-monotonic  went down',
        '           from 0.1.1',
        '',
        'waived (1)',
        '  tag v0.0.9',
        '    error    dry-run-failure-no-tag  old tag',
        '             waived by @captains (expires 2026-11-01): SEC-42',
        '',
        'unavailable: history — shallow clone (depth 1)',
        '',
        '✖ gate ci: 1 error, 1 warning (1 waived), 1 fact unavailable — refused',
        '',
      ].join('\n'),
    );
  });

  test.each([
    ['clean', verdict(), '✔ gate ci: no findings — allowed'],
    ['warnings only', verdict({ findings: [finding({ severity: 'warn' })] }), '⚠ gate ci: 1 warning — allowed'],
    ['only waived', verdict({ waived: [waived(), waived()] }), '✔ gate ci: no findings (2 waived) — allowed'],
    [
      'refused',
      verdict({ findings: [finding(), finding(), finding(), finding({ severity: 'warn' })], waived: [waived(), waived()] }),
      '✖ gate ci: 3 errors, 1 warning (2 waived) — refused',
    ],
    [
      'fail-closed gate with missing facts',
      verdict({ unavailable: { github: 'no token' }, failClosed: true }),
      '✖ gate ci: 1 fact unavailable — refused (exit 3: facts unavailable, the gate fails closed)',
    ],
    [
      'fail-open gate with missing facts',
      verdict({ unavailable: { github: 'no token', registry: 'offline' } }),
      '⚠ gate ci: 2 facts unavailable — allowed',
    ],
  ])('summary line: %s', (_name, input, expected) => {
    const out = renderVerdict('text', input, options());
    expect(lastLine(out)).toBe(expected);
    expect(out.endsWith(`${expected}\n`)).toBe(true);
    expect(out.match(/[✔⚠✖] gate ci/g)).toHaveLength(1);
  });

  test('the summary follows the verdict it is given, and names an exit code it does not imply', () => {
    const odd = { ...verdict(), allowed: false, exitCode: 1 as const };
    expect(lastLine(renderVerdict('text', odd, options()))).toBe('✖ gate ci: no findings — refused');
    const allowedButOne = { ...verdict({ findings: [finding()] }), allowed: true, exitCode: 1 as const };
    expect(lastLine(renderVerdict('text', allowedButOne, options()))).toBe('⚠ gate ci: 1 error — allowed (exit 1)');
  });

  test('title replaces the gate in the summary', () => {
    expect(renderVerdict('text', verdict(), options({ title: 'policy audit' }))).toBe('✔ policy audit: no findings — allowed\n');
  });

  test('no ANSI escapes without colour, even for waived and unavailable entries', () => {
    const input = verdict({ findings: [finding(), finding({ severity: 'warn' })], waived: [waived()], unavailable: { history: 'x' } });
    expect(renderVerdict('text', input, options({ color: false }))).not.toContain(ESC);
  });

  test('with colour: severities coloured, fix dimmed, summary coloured by outcome', () => {
    const out = renderVerdict('text', verdict({ findings: [finding({ fix: 'do it' })] }), options({ color: true }));
    expect(out).toContain(`${ESC}[31merror  ${ESC}[39m`);
    expect(out).toContain(`${ESC}[2m           fix: do it${ESC}[22m`);
    expect(lastLine(out)).toBe(`${ESC}[31m✖ gate ci: 1 error — refused${ESC}[39m`);
    expect(lastLine(renderVerdict('text', verdict(), options({ color: true })))).toBe(`${ESC}[32m✔ gate ci: no findings — allowed${ESC}[39m`);
  });

  test('control characters from facts cannot reach the terminal raw', () => {
    const out = renderVerdict(
      'text',
      verdict({ findings: [finding({ subject: `tag v1${ESC}[2J`, message: `bad\x07 tag\ttab`, fix: '' })] }),
      options(),
    );
    expect(out).not.toContain(ESC);
    expect(out).toContain('tag v1\\x1b[2J');
    expect(out).toContain('bad\\x07 tag\ttab');
    expect(neutralizeControls('\x9b31m')).toBe('\\x9b31m');
  });
});
