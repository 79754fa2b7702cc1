// The job summary `policy ci` appends to $GITHUB_STEP_SUMMARY: verdict, findings table with
// repository text escaped, the release and its steps, and under GitHub's 1 MiB limit however
// many findings there are.
import { describe, expect, it } from 'vitest';
import type { Finding, Verdict } from '../../src/engine/model.js';
import type { ReleaseFact } from '../../src/release/fact.js';
import { toReleaseFact } from '../../src/release/fact.js';
import type { JournalEvent } from '../../src/release/model.js';
import { foldRelease } from '../../src/release/state.js';
import { renderJobSummary } from '../../src/report/job-summary.js';

const finding = (i: number, name = `v0.${i}.0`): Finding => ({
  rule: 'tag-matches-manifest',
  severity: 'error',
  message: `tag ${name} names demo 0.${i}.0, but the manifest carries something else`,
  subject: { kind: 'tag', name },
  spec: '',
  fix: 'Move the tag with `git tag -f NAME COMMIT`.',
});
const verdict = (findings: Finding[]): Verdict => ({
  gate: 'ci, audit', allowed: findings.length === 0, errors: findings.length, warnings: 0, findings, waived: [], unavailable: {}, exitCode: findings.length === 0 ? 0 : 1,
});

const blocked: ReleaseFact = toReleaseFact(
  foldRelease([{
    v: 1, package: 'demo', version: '0.2.0', issue: 7, id: 'e1', at: '2026-11-24T19:01:00Z', type: 'step-finished', phase: 'dry-run',
    command: ['cargo', 'publish', '--dry-run'], exitCode: 101, outcome: 'failed', reason: 'exit-nonzero',
  } as JournalEvent]),
  { path: '', contents: { problems: [] } },
  [],
);

describe('renderJobSummary', () => {
  it('the verdict, a findings table, the blocked release and its steps', () => {
    const text = renderJobSummary({ verdict: verdict([finding(1)]), outcome: 'refused', event: 'push of tag v0.1.0 (abc)', release: blocked });
    expect(text).toContain('✖ **refused**: push of tag v0.1.0 (abc); gates ci, audit.');
    expect(text).toContain('| ✖ error | tag-matches-manifest | tag v0.1.0 | tag v0.1.0 names demo 0.1.0, but the manifest carries something else | Move the tag with `git tag -f NAME COMMIT`. |');
    expect(text).toContain('| demo | 0.2.0 | blocked | no | #7 |');
    expect(text).toContain('Failed step: **dry-run**: `cargo publish --dry-run`');
    expect(text).toMatch(/\| bump \| · pending \|\n\| notes \| · pending \|\n\| dry-run \| ✖ failed \|\n\| publish \| · pending \|/);
  });

  it('no findings and an idle release: the verdict alone', () => {
    const idle = toReleaseFact(foldRelease([], { package: 'demo' }), { path: '', contents: { problems: [] } }, []);
    const text = renderJobSummary({ verdict: verdict([]), outcome: 'allowed', event: 'scheduled sweep', release: idle });
    expect(text).toContain('✔ **allowed**: scheduled sweep');
    expect(text).not.toContain('### Findings');
    expect(text).not.toContain('### Release');
  });

  it('repository text cannot add HTML, links or table cells', () => {
    const hostile = finding(2, 'v1|<img src=x onerror=alert(1)>[x](https://evil.example)');
    const text = renderJobSummary({ verdict: verdict([hostile]), outcome: 'refused', event: 'push of tag <b>x</b>', release: null });
    expect(text).not.toContain('<img');
    expect(text).not.toContain('<b>');
    expect(text).not.toContain('](https://evil.example)');
    const row = text.split('\n').find((line) => line.startsWith('| ✖ error'))!;
    // Five cells: the `|` in the tag name is escaped, not a cell border.
    expect(row.split(/(?<!\\)\|/).length - 2).toBe(5);
  });

  it('50,000 findings: under 1 MiB, with the count of those left out', () => {
    const many = Array.from({ length: 50_000 }, (_, i) => finding(i));
    const text = renderJobSummary({ verdict: verdict(many), outcome: 'refused', event: 'scheduled sweep', release: blocked });
    expect(Buffer.byteLength(text, 'utf8')).toBeLessThan(1024 * 1024);
    const rows = text.split('\n').filter((line) => line.startsWith('| ✖ error')).length;
    expect(rows).toBeGreaterThan(100);
    expect(text).toContain(`_${50_000 - rows} more findings left out to keep the job summary under GitHub's 1 MiB limit`);
    expect(text).toContain('### Findings (50000)');
    expect(text).toContain('| demo | 0.2.0 | blocked | no | #7 |');
  });
});
