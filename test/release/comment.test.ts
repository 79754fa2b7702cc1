import { describe, expect, it } from 'vitest';
import { findStateInComment, renderStatusComment } from '../../src/release/comment.js';
import type { ReleaseState } from '../../src/release/model.js';

const blocked: ReleaseState = {
  package: 'demo', version: '0.2.0', issue: 7, status: 'blocked',
  failure: { phase: 'dry-run', command: 'cargo publish --registry local --dry-run', exitCode: 101, error: 'error: failed to verify package tarball', at: '2026-11-24T19:00:00Z', reason: 'exit-nonzero' },
  published: 'no', decisions: [],
  completed: [],
  verifiedSinceFailure: false,
  taken: false,
  nextAction: 'fix packaging, manifest or validation problems, then rerun the dry-run with `policy run -- cargo publish --registry local --dry-run`',
  commands: { dryRun: 'policy run -- cargo publish --registry local --dry-run', publish: 'policy run -- cargo publish --registry local' },
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

  it('finds no state in other comments', () => {
    expect(findStateInComment('LGTM')).toBeNull();
    expect(findStateInComment('<!-- release-policy:state {broken -->')).toBeNull();
  });
});
