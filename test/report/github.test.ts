import { describe, expect, test } from 'vitest';
import { renderVerdict } from '../../src/report/index.js';
import { escapeData, escapeProperty } from '../../src/report/github.js';
import { finding, options, verdict, waived } from './verdict-builder.js';

describe('github format', () => {
  test('escapes data as @actions/core does: %, CR and LF', () => {
    expect(escapeData('100% a:b,c\r\nd|e')).toBe('100%25 a:b,c%0D%0Ad|e');
    // `%` first: an escape already present in the text must survive as text, not decode.
    expect(escapeData('%0A')).toBe('%250A');
  });

  test('escapes property values additionally for : and ,', () => {
    expect(escapeProperty('ns:rule,x%\n')).toBe('ns%3Arule%2Cx%25%0A');
  });

  test('one workflow command per finding, then a plain summary line', () => {
    const out = renderVerdict(
      'github',
      verdict({
        findings: [
          finding({ rule: 'ns:rule,a', message: '100% done: a, b | c\nnext', subject: 'tag v0.1.0', fix: 'run: x' }),
          finding({ rule: 'soft', severity: 'warn', message: 'w', subject: 'version 0.1.1 → 0.1.0', fix: '' }),
        ],
      }),
      options(),
    );
    expect(out).toBe(
      [
        '::error title=ns%3Arule%2Ca::100%25 done: a, b | c%0Anext%0Asubject: tag v0.1.0%0Afix: run: x',
        '::warning title=soft::w%0Asubject: version 0.1.1 → 0.1.0',
        '✖ gate ci: 1 error, 1 warning — refused',
        '',
      ].join('\n'),
    );
  });

  test('waived findings become notices; unavailable facts warn, or error when they refused the gate', () => {
    const input = {
      waived: [waived({ rule: 'r', message: 'm', subject: 'tag v1', reason: 'ok, fine', owner: '@o', expires: '2026-11-01' })],
      unavailable: { history: 'shallow\nclone' },
    };
    expect(renderVerdict('github', verdict(input), options())).toBe(
      [
        '::notice title=r (waived)::m%0Asubject: tag v1%0Awaived by @o (expires 2026-11-01): ok, fine',
        '::warning title=fact unavailable%3A history::shallow%0Aclone',
        '⚠ gate ci: no findings (1 waived), 1 fact unavailable — allowed',
        '',
      ].join('\n'),
    );
    const closed = renderVerdict('github', verdict({ ...input, failClosed: true }), options());
    expect(closed).toContain('::error title=fact unavailable%3A history::shallow%0Aclone\n');
    expect(closed).toContain('refused (exit 3: facts unavailable, the gate fails closed)\n');
  });

  test('every line is a command except the last, whatever the text holds', () => {
    const out = renderVerdict(
      'github',
      verdict({ findings: [finding({ message: 'a\n::error::injected\r\n::warning::x', fix: '\n::add-mask::y' })] }),
      options({ title: 'x\n::error::from title' }),
    );
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]?.startsWith('::error title=dry-run-failure-no-tag::')).toBe(true);
    expect(lines[1]).toBe('✖ x ::error::from title: 1 error — refused');
  });
});
