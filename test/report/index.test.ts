import { describe, expect, test } from 'vitest';
import { FORMATS, isFormat, renderVerdict } from '../../src/report/index.js';
import { finding, options, verdict, waived } from './verdict-builder.js';

describe('renderVerdict', () => {
  const input = verdict({
    findings: [finding({ message: 'a | b\n%c: d, e' }), finding({ severity: 'warn', subject: 'version 0.1.1 → 0.1.0' })],
    waived: [waived()],
    unavailable: { history: 'shallow clone' },
  });

  test('names the five formats', () => {
    expect(FORMATS).toEqual(['text', 'json', 'sarif', 'github', 'markdown']);
    expect(isFormat('sarif')).toBe(true);
    expect(isFormat('junit')).toBe(false);
  });

  test.each(FORMATS)('%s: renders a string ending in a newline, no ANSI without colour', (format) => {
    const out = renderVerdict(format, input, options());
    expect(out.endsWith('\n')).toBe(true);
    expect(out).not.toContain('\x1b');
  });

  test.each(['text', 'github', 'markdown'] as const)('%s: the human formats end with the same summary line', (format) => {
    const last = renderVerdict(format, input, options()).trimEnd().split('\n').at(-1);
    expect(last?.replace(/\*\*/g, '')).toBe('✖ gate ci: 1 error, 1 warning (1 waived), 1 fact unavailable — refused');
  });

  test.each(['json', 'sarif'] as const)('%s: parses as JSON', (format) => {
    expect(() => JSON.parse(renderVerdict(format, input, options()))).not.toThrow();
  });
});
