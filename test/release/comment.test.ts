import { describe, expect, it } from 'vitest';
import { findStateInComment, renderStatusComment, renderStatusText } from '../../src/release/comment.js';
import type { ReleaseState } from '../../src/release/model.js';

const blocked: ReleaseState = {
  package: 'demo', version: '0.2.0', issue: 7, status: 'blocked',
  failure: { phase: 'dry-run', command: 'cargo publish --registry local --dry-run', exitCode: 101, error: 'error: failed to verify package tarball', at: '2026-11-24T19:00:00Z', reason: 'exit-nonzero' },
  published: 'no', decisions: [],
  completed: [],
  verifiedSinceFailure: false,
  taken: false,
  running: [],
  nextAction: 'fix packaging, manifest or validation problems, then rerun the dry-run with `policy run -- cargo publish --registry local --dry-run`',
};

describe('renderStatusComment', () => {
  it("renders the spec's pattern exactly, then the hidden state", () => {
    const text = renderStatusComment(blocked, { ecosystem: 'cargo' });
    const json = JSON.stringify(blocked).replace(/--/g, '-\\u002d');
    expect(text).toBe(
      'Release blocked for demo v0.2.0.\n' +
      '\n' +
      'Failed step:\n' +
      '- cargo publish --registry local --dry-run\n' +
      '\n' +
      'Current state:\n' +
      '- crate published: no\n' +
      '- next action: fix packaging, manifest or validation problems, then rerun the dry-run with `policy run -- cargo publish --registry local --dry-run`\n' +
      '\n' +
      `<!-- release-policy:state ${json} -->\n`,
    );
  });

  it('says "package published" for npm and "blocked" for an unknown publish', () => {
    const text = renderStatusComment({ ...blocked, status: 'unknown', published: 'unknown' }, { ecosystem: 'npm' });
    expect(text.split('\n').slice(0, 7)).toEqual([
      'Release blocked for demo v0.2.0.', '', 'Failed step:', '- cargo publish --registry local --dry-run', '', 'Current state:', '- package published: unknown',
    ]);
  });

  it('renders a released state without a failed step', () => {
    const text = renderStatusComment({ ...blocked, status: 'released', failure: null, published: 'yes', nextAction: 'tag it' }, { ecosystem: 'cargo' });
    expect(text.split('\n').slice(0, 5)).toEqual([
      'Release published for demo v0.2.0; closeout pending.', '', 'Current state:', '- crate published: yes', '- next action: tag it',
    ]);
  });

  it('has exactly one hidden comment, which nothing inside the state can close', () => {
    const hostile: ReleaseState = { ...blocked, failure: { ...blocked.failure!, error: 'x --> <!-- y --!> z ---' } };
    const text = renderStatusComment(hostile, { ecosystem: 'cargo' });
    expect(text.match(/<!--/g)).toHaveLength(1);
    expect(text.match(/-->/g)).toHaveLength(1);
    const hidden = text.slice(text.indexOf('<!--') + 4, text.lastIndexOf('-->'));
    expect(hidden).not.toContain('--');
    expect(findStateInComment(text)).toEqual(hostile);
  });

  it('says which step is still running, in the comment and in the status text', () => {
    const running: ReleaseState = {
      ...blocked, status: 'in-progress', failure: null, published: 'unknown', nextAction: 'wait',
      running: [{ phase: 'publish', at: '2026-12-03T06:00:00.000Z', command: 'cargo publish', pid: 4242, host: 'build-1', alive: 'yes' }],
    };
    expect(renderStatusComment(running, { ecosystem: 'cargo' }).split('\n').slice(0, 6)).toEqual([
      'Release in progress for demo v0.2.0.', '', 'Current state:', '- crate published: unknown',
      '- running: a publish is running since 2026-12-03T06:00:00.000Z (pid 4242 on build-1)', '- next action: wait',
    ]);
    expect(renderStatusText(running)).toContain('\n  running:      a publish is running since 2026-12-03T06:00:00.000Z (pid 4242 on build-1)\n');
    const unchecked = { ...running, running: [{ ...running.running[0]!, pid: null, host: null, alive: 'unknown' as const }] };
    expect(renderStatusText(unchecked)).toContain(
      'running:      a publish started at 2026-12-03T06:00:00.000Z (its process was not recorded) has not finished, and whether it still runs cannot be checked from here',
    );
  });

  it('finds no state in other comments', () => {
    expect(findStateInComment('LGTM')).toBeNull();
    expect(findStateInComment('<!-- release-policy:state {broken -->')).toBeNull();
  });
});
