// Which gates each GitHub event asks, from payloads shaped as GitHub sends them, and how the
// gates' verdicts merge into the job's one.
import { describe, expect, it } from 'vitest';
import { mergeVerdicts, outcomeOf, planCi, withoutGone, type CiEvent } from '../../src/ci/plan.js';
import type { Finding, Verdict } from '../../src/engine/model.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const ZERO = '0'.repeat(40);
const repository = { full_name: 'acme/demo', default_branch: 'main' };
const event = (name: string, payload: Record<string, unknown>, extra: Partial<CiEvent> = {}): CiEvent => ({ name, payload, ref: '', sha: '', baseRef: '', ...extra });

describe('planCi', () => {
  it('a tag push: the tag gate for that tag at its commit, then ci', () => {
    const plan = planCi(event('push', { ref: 'refs/tags/v0.2.0', before: ZERO, after: A, created: true, deleted: false, repository }));
    expect(plan.runs).toEqual([{ gate: 'tag', arg: 'v0.2.0', tagCommit: A }, { gate: 'ci', arg: '' }]);
    expect(plan.commits).toEqual([A]);
  });

  it('a deleted tag or branch: ci alone, no push', () => {
    expect(planCi(event('push', { ref: 'refs/tags/v0.2.0', before: A, after: ZERO, deleted: true, repository })).runs).toEqual([{ gate: 'ci', arg: '' }]);
    expect(planCi(event('push', { ref: 'refs/heads/x', before: A, after: ZERO, deleted: true, repository })).runs).toEqual([{ gate: 'ci', arg: '' }]);
  });

  it('a branch push: ci with before..after as the push', () => {
    const plan = planCi(event('push', { ref: 'refs/heads/issue-7-fix', before: A, after: B, created: false, deleted: false, repository }));
    expect(plan.runs).toEqual([{ gate: 'ci', arg: '', lines: [{ localRef: 'refs/heads/issue-7-fix', localObject: B, remoteRef: 'refs/heads/issue-7-fix', remoteObject: A }] }]);
    expect(plan.commits).toEqual([B, A]);
    expect(plan.describe).toBe(`push to issue-7-fix: ${A.slice(0, 12)}..${B.slice(0, 12)}`);
  });

  it('a new branch: the commits not on the default branch\'s remote-tracking ref', () => {
    const plan = planCi(event('push', { ref: 'refs/heads/feature', before: ZERO, after: B, created: true, repository }));
    expect(plan.runs[0]).toMatchObject({ gate: 'ci', lines: [{ remoteObject: ZERO, localObject: B }], bases: ['refs/remotes/origin/main'] });
    expect(plan.baseBranch).toBe('main');
    // The default branch itself, new (a first push): everything it has is new.
    expect(planCi(event('push', { ref: 'refs/heads/main', before: ZERO, after: B, created: true, repository })).runs[0]!.bases).toEqual([]);
  });

  it('a forced push: its before may be gone; then the push counts from the default branch (none for the default branch itself)', () => {
    const plan = planCi(event('push', { ref: 'refs/heads/feature', before: A, after: B, forced: true, repository }));
    expect(plan.commits).toEqual([B]);
    expect(plan.optional).toEqual([A]);
    expect(withoutGone(plan, [], plan.baseBranch)).toBe(plan);
    expect(withoutGone(plan, [A], plan.baseBranch).runs).toEqual([{
      gate: 'ci', arg: '', lines: [{ localRef: 'refs/heads/feature', localObject: B, remoteRef: 'refs/heads/feature', remoteObject: ZERO }], bases: ['refs/remotes/origin/main'],
    }]);
    const main = planCi(event('push', { ref: 'refs/heads/main', before: A, after: B, forced: true, repository }));
    expect(withoutGone(main, [A], main.baseBranch).runs).toEqual([{ gate: 'ci', arg: '' }]);
  });

  it.each(['opened', 'synchronize', 'reopened'])('a pull request (%s): review over base...head', (action) => {
    const plan = planCi(event('pull_request', { action, number: 3, pull_request: { number: 3, head: { ref: 'issue-7-fix', sha: B }, base: { ref: 'main', sha: A } } }, { baseRef: 'main' }));
    expect(plan.runs).toEqual([{ gate: 'review', arg: '', lines: [{ localRef: 'refs/heads/issue-7-fix', localObject: B, remoteRef: 'refs/heads/issue-7-fix', remoteObject: A }] }]);
    expect(plan.commits).toEqual([B, A]);
    expect(plan.baseBranch).toBe('main');
  });

  it('an issue closed: close-issue and ci about that issue; reopened: ci about it', () => {
    expect(planCi(event('issues', { action: 'closed', issue: { number: 7 } })).runs).toEqual([
      { gate: 'close-issue', arg: '7', issue: 7 },
      { gate: 'ci', arg: '', issue: 7 },
    ]);
    expect(planCi(event('issues', { action: 'reopened', issue: { number: 7 } })).runs).toEqual([{ gate: 'ci', arg: '', issue: 7 }]);
  });

  it.each(['schedule', 'workflow_dispatch'])('%s: the sweep, ci and audit', (name) => {
    expect(planCi(event(name, {})).runs.map((r) => r.gate)).toEqual(['ci', 'audit']);
  });

  it('any other event, or a payload without the fields: ci', () => {
    expect(planCi(event('release', { action: 'published' })).runs).toEqual([{ gate: 'ci', arg: '' }]);
    expect(planCi(event('issues', { action: 'closed' })).runs).toEqual([{ gate: 'ci', arg: '' }]);
    expect(planCi(event('pull_request', {})).runs).toEqual([{ gate: 'review', arg: '' }]);
  });

  it('a gate asked by name replaces the event\'s choice and keeps its push', () => {
    const plan = planCi(event('push', { ref: 'refs/heads/x', before: A, after: B, repository }), 'review');
    expect(plan.runs).toEqual([{ gate: 'review', arg: '', lines: [{ localRef: 'refs/heads/x', localObject: B, remoteRef: 'refs/heads/x', remoteObject: A }] }]);
    expect(planCi(event('push', { ref: 'refs/tags/v1.0.0', before: ZERO, after: A, repository }), 'tag').runs).toEqual([{ gate: 'tag', arg: 'v1.0.0', tagCommit: A }]);
  });
});

const finding = (rule: string, severity: Finding['severity'] = 'error'): Finding => ({ rule, severity, message: `${rule} said no`, subject: { kind: 'tag', name: 'v1' }, spec: '', fix: '' });
const verdict = (gate: string, findings: Finding[], exitCode: 0 | 1 | 3, unavailable: Record<string, string> = {}): Verdict => ({
  gate, allowed: exitCode === 0, errors: findings.filter((f) => f.severity === 'error').length, warnings: findings.filter((f) => f.severity === 'warn').length,
  findings, waived: [], unavailable, exitCode,
});

describe('mergeVerdicts and outcomeOf', () => {
  it('one finding two gates make counts once; refused wins over incomplete', () => {
    const merged = mergeVerdicts([verdict('tag', [finding('dry-run-failure-no-tag')], 1), verdict('ci', [finding('dry-run-failure-no-tag'), finding('w', 'warn')], 3, { registry: 'down' })]);
    expect(merged).toMatchObject({ gate: 'tag, ci', errors: 1, warnings: 1, exitCode: 1, allowed: false, unavailable: { registry: 'down' } });
    expect(merged.findings.map((f) => f.rule)).toEqual(['dry-run-failure-no-tag', 'w']);
    expect(mergeVerdicts([verdict('ci', [], 0), verdict('audit', [], 3, { tags: 'shallow' })]).exitCode).toBe(3);
  });

  it('fail-on: error fails refused and incomplete; warning fails warnings too; never nothing', () => {
    const warned = verdict('ci', [finding('w', 'warn')], 0);
    expect(outcomeOf(warned, 'error')).toEqual({ outcome: 'allowed', exitCode: 0 });
    expect(outcomeOf(warned, 'warning')).toEqual({ outcome: 'refused', exitCode: 1 });
    expect(outcomeOf(verdict('ci', [finding('e')], 1), 'never')).toEqual({ outcome: 'refused', exitCode: 0 });
    expect(outcomeOf(verdict('ci', [], 3), 'error')).toEqual({ outcome: 'incomplete', exitCode: 3 });
    expect(outcomeOf(verdict('ci', [], 3), 'warning')).toEqual({ outcome: 'incomplete', exitCode: 3 });
    expect(outcomeOf(verdict('ci', [], 3), 'never')).toEqual({ outcome: 'incomplete', exitCode: 0 });
  });
});
