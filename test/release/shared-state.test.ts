import { describe, expect, it } from 'vitest';
import { renderStatusComment } from '../../src/release/comment.js';
import type { GitHubComment, GitHubFact } from '../../src/facts/model.js';
import type { JournalEvent, ReleaseState } from '../../src/release/model.js';
import { foldRelease } from '../../src/release/state.js';
import { shareState } from '../../src/release/shared-state.js';

const at = (minute: number) => `2026-11-24T19:${String(minute).padStart(2, '0')}:00Z`;
function dryRun(exitCode: number, minute: number, version = '0.2.0'): JournalEvent {
  return {
    v: 1, package: 'demo', version, issue: 7, id: `e${minute}`, at: at(minute), type: 'step-finished', phase: 'dry-run',
    command: ['cargo', 'publish', '--dry-run'], exitCode, outcome: exitCode === 0 ? 'ok' : 'failed', reason: exitCode === 0 ? 'exit-zero' : 'exit-nonzero',
  };
}
const blockedEvents = [dryRun(101, 10)];
const blocked = foldRelease(blockedEvents);
const idle = foldRelease([], { package: 'demo' });

let ids = 0;
function comment(state: ReleaseState, author: string, authorAssociation: string, minute: number): GitHubComment {
  ids++;
  return {
    id: `IC_${ids}`, author, authorAssociation, createdAt: at(minute), updatedAt: at(minute),
    body: renderStatusComment(state, { ecosystem: 'cargo' }), url: `https://github.com/acme/demo/issues/7#issuecomment-${ids}`,
  };
}
function fact(issue: { number: number; comments: GitHubComment[] }, blockedIssues: { number: number; comments: GitHubComment[] }[] = []): GitHubFact {
  return {
    available: true, repository: 'acme/demo', viewer: 'release-bot',
    issue: { number: issue.number, state: issue.number > 0 ? 'OPEN' : '', stateReason: '', title: '', labels: [], comments: issue.comments, events: [] },
    blocked: blockedIssues.map((b) => ({ number: b.number, title: '', labels: [], comments: b.comments })),
    rateLimit: { remaining: 5000, resetAt: '', cost: 1 },
  };
}
const base = { trusted: ['OWNER', 'MEMBER', 'COLLABORATOR'], package: null };

describe('shareState', () => {
  it("a clone without a journal takes the blocked state of the release issue's trusted comment, with its address", () => {
    const c = comment(blocked, 'release-bot', 'NONE', 20);
    const { state, view } = shareState({ ...base, local: idle, events: [], github: fact({ number: 7, comments: [c] }) });
    expect(state.status).toBe('blocked');
    expect(state.issue).toBe(7);
    expect(view).toMatchObject({ source: 'issue', issue: 7, comment: c.url, disagreement: '', ignored: [] });
  });

  it('with no issue of its own (a clone on main), an open issue holding a blocked release is found', () => {
    const c = comment(blocked, 'alice', 'MEMBER', 20);
    const { state, view } = shareState({ ...base, local: idle, events: [], github: fact({ number: 0, comments: [] }, [{ number: 7, comments: [c] }]) });
    expect(state.status).toBe('blocked');
    expect(view.issue).toBe(7);
  });

  it('an untrusted author carrying the same state counts for nothing and is reported with its issue', () => {
    const c = comment(blocked, 'mallory', 'NONE', 20);
    const { state, view } = shareState({ ...base, local: idle, events: [], github: fact({ number: 0, comments: [] }, [{ number: 9, comments: [c] }]) });
    expect(state.status).toBe('idle');
    expect(view.source).toBe('journal');
    expect(view.ignored).toHaveLength(1);
    expect(view.ignored[0]).toMatchObject({ issue: 9, author: 'mallory', authorAssociation: 'NONE' });
    // The policy's own list of trusted associations decides.
    const trusting = shareState({ ...base, trusted: ['NONE'], local: idle, events: [], github: fact({ number: 0, comments: [] }, [{ number: 9, comments: [c] }]) });
    expect(trusting.state.status).toBe('blocked');
  });

  it('a journal newer than the comment wins, and the disagreement is said', () => {
    const events = [...blockedEvents, dryRun(0, 40)];
    const local = foldRelease(events);
    expect(local.status).not.toBe('blocked');
    const c = comment(blocked, 'release-bot', 'NONE', 20);
    const { state, view } = shareState({ ...base, package: 'demo', local, events, github: fact({ number: 7, comments: [c] }) });
    expect(state.status).toBe(local.status);
    expect(view.source).toBe('journal');
    expect(view.disagreement).toMatch(/the newer, the journal's, is used/);
  });

  it('a comment newer than the journal wins, and the disagreement is said', () => {
    const events = [dryRun(0, 5)];
    const local = foldRelease(events);
    const c = comment(blocked, 'release-bot', 'NONE', 20);
    const { state, view } = shareState({ ...base, package: 'demo', local, events, github: fact({ number: 7, comments: [c] }) });
    expect(state.status).toBe('blocked');
    expect(view.source).toBe('issue');
    expect(view.disagreement).toMatch(/the newer, the issue's, is used/);
  });
});
