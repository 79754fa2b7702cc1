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

describe('renderVerdict with baselined findings', () => {
  const accepted = finding({ rule: 'tag-matches-manifest', message: 'tag v0.0.9 names demo 0.0.9, but the manifest carries 0.0.8', subject: 'tag v0.0.9' });
  const input = { ...verdict({ findings: [] }), baselined: [accepted] };

  test.each(['text', 'github', 'markdown'] as const)('%s: lists them apart and says they were baselined, allowed', (format) => {
    const out = renderVerdict(format, input, options());
    expect(out).toContain('tag v0.0.9 names demo 0.0.9, but the manifest carries 0.0.8');
    expect(out.trimEnd().split('\n').at(-1)?.replace(/\*\*/g, '')).toBe('✔ gate ci: no new findings (1 baselined) — allowed');
  });

  test('text, github and markdown name the baseline', () => {
    expect(renderVerdict('text', input, options())).toContain('baselined (1, accepted by `policy baseline`)');
    expect(renderVerdict('github', input, options())).toContain('::notice title=tag-matches-manifest (baselined)::');
    expect(renderVerdict('markdown', input, options())).toContain('#### Baselined (1)');
  });

  test('json: a `baselined` list beside `waived`; sarif: a suppression accepted by the baseline', () => {
    const json = JSON.parse(renderVerdict('json', input, options())) as { findings: unknown[]; baselined: { rule: string; subject: { name: string } }[] };
    expect(json.findings).toEqual([]);
    expect(json.baselined.map((f) => [f.rule, f.subject.name])).toEqual([['tag-matches-manifest', 'v0.0.9']]);
    const sarif = JSON.parse(renderVerdict('sarif', input, options())) as { runs: { results: { ruleId: string; suppressions: unknown }[] }[] };
    expect(sarif.runs[0]!.results).toEqual([
      expect.objectContaining({ ruleId: 'tag-matches-manifest', suppressions: [{ kind: 'external', status: 'accepted', justification: 'baseline' }] }),
    ]);
    // Without a baseline the JSON shape is as it was.
    expect(JSON.parse(renderVerdict('json', verdict({}), options()))).not.toHaveProperty('baselined');
  });
});
