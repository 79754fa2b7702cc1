import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { findStateInComment, renderStatusComment, renderStatusText } from '../../src/release/comment.js';
import type { JournalEvent, ReleaseState } from '../../src/release/model.js';
import { foldRelease } from '../../src/release/state.js';

// As GitHub renders an issue comment: raw HTML and autolinks on.
const md = new MarkdownIt({ html: true, linkify: true });
md.linkify.set({ fuzzyLink: false });

const blocked: ReleaseState = {
  package: 'demo', version: '0.2.0', issue: 7, status: 'blocked',
  failure: { phase: 'dry-run', command: 'cargo publish --registry local --dry-run', exitCode: 101, error: 'error: failed to verify package tarball', at: '2026-11-24T19:00:00Z', reason: 'exit-nonzero' },
  published: 'no', decisions: [],
  completed: [],
  verifiedSinceFailure: false,
  taken: false,
  running: [],
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

  describe('with hostile text from users and the repository', () => {
    const reason = 'x --> <img src=x> <!-- y';
    const command = ['sh', '-c', 'echo "```" `date` --> <img src=x onerror=alert(1)> <!-- z'];
    const event = (n: number, fields: Partial<JournalEvent>): JournalEvent => ({
      v: 1, id: `e${n}`, at: `2026-11-24T19:0${n}:00Z`, package: 'demo<b>x</b>', version: '0.2.0', issue: 7, type: 'step-finished', ...fields,
    });
    // A failed publish decided on with a hostile reason, folded as `policy comment` folds the journal.
    const state = foldRelease([
      event(1, { phase: 'dry-run', command: ['cargo', 'publish', '--dry-run'], exitCode: 0, outcome: 'ok', reason: 'exit-zero' }),
      event(2, { phase: 'publish', command, exitCode: 101, outcome: 'failed', reason: 'exit-nonzero', excerpt: '```\n<!-- e -->' }),
      event(3, { type: 'decision', version: '0.2.1', reason }),
    ]);
    const text = renderStatusComment(state, { ecosystem: 'cargo' });
    const html = md.render(text);

    it('puts the reason into the next action (the case this guards)', () => {
      expect(state.nextAction).toContain(reason);
    });

    it('renders no element from the text and one HTML comment, the hidden state, last', () => {
      expect(html).not.toMatch(/<img|<b>|<a /);
      expect(html.match(/<!--/g)).toHaveLength(1);
      expect(html.trimEnd().endsWith(' -->')).toBe(true);
      expect(html.indexOf('<!-- release-policy:state ')).toBeGreaterThan(html.indexOf('next action:'));
      // Only list items, paragraphs and code: the failed command's span was not broken.
      const tags = [...html.matchAll(/<\/?([a-z]+)[^>]*>/g)].map((m) => m[1]);
      expect(new Set(tags)).toEqual(new Set(['p', 'ul', 'li', 'code']));
    });

    it('shows the text as written', () => {
      expect(html).toContain('Release blocked for demo&lt;b&gt;x&lt;/b&gt; v0.2.0.');
      expect(html).toContain("<li><code>sh -c 'echo &quot;```&quot; `date` --&gt; &lt;img src=x onerror=alert(1)&gt; &lt;!-- z'</code></li>");
      expect(html).toContain('x --&gt; &lt;img src=x&gt; &lt;!-- y');
    });

    it('keeps the hidden state parseable: it reads back the same state', () => {
      expect(findStateInComment(text)).toEqual(state);
    });
  });

  it('keeps a command holding backticks one code span in the next action, so it can be copied whole', () => {
    const argv = ['sh', '-c', 'echo `date` ``x``; exit 1'];
    const failed = foldRelease([
      { v: 1, id: 'e1', at: '2026-11-24T19:00:00Z', package: 'demo', version: '0.2.0', issue: 7, type: 'step-finished', phase: 'notes', command: argv, exitCode: 1, outcome: 'failed', reason: 'exit-nonzero' },
    ]);
    const html = md.render(renderStatusComment(failed, { ecosystem: 'cargo' }));
    const command = "sh -c 'echo `date` ``x``; exit 1'";
    expect(html).toContain(`<li><code>${command}</code></li>`);
    expect(html).toContain(`<code>policy run --phase notes -- ${command}</code>`);
  });
});

