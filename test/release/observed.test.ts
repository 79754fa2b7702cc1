import { describe, expect, it } from 'vitest';
import type { ReleaseState } from '../../src/release/model.js';
import { mergeObserved, pushRemoteOf, renderStepSources, type Observation, type StepSources } from '../../src/release/observed.js';

const TAG_COMMIT = 'a'.repeat(40);

const released: ReleaseState = {
  package: 'demo', version: '0.2.0', issue: 7, status: 'released', failure: null, published: 'yes', decisions: [],
  completed: ['dry-run', 'publish'], verifiedSinceFailure: false, taken: false, running: [],
  commands: { dryRun: 'policy run -- cargo publish --dry-run', publish: 'policy run -- cargo publish' },
  nextAction: 'the crate is released: create the release tag, then push the tag and the branch; keep issue #7 open until then',
};

const goodTag = { name: 'v0.2.0', exists: true, commit: TAG_COMMIT, manifestVersion: '0.2.0' };
const onRemote: Observation = {
  tag: goodTag,
  remote: { name: 'origin', via: 'ls-remote', tagCommit: TAG_COMMIT, branches: ['main'] },
};
const step = (steps: StepSources[], name: string) => steps.find((s) => s.step === name);

describe('mergeObserved', () => {
  it('counts a tag and a push made outside `policy run` when git shows them', () => {
    const { state, steps } = mergeObserved(released, onRemote);
    expect(state.completed).toEqual(['dry-run', 'publish', 'tag', 'push']);
    expect(state.status).toBe('released'); // the closeout is not recorded
    expect(state.nextAction).toBe('the crate is released: record closeout with `policy run --phase closeout -- gh issue close ...`; keep issue #7 open until then');
    expect(step(steps, 'tag')).toEqual({
      step: 'tag', done: true, journal: 'none', git: 'done', registry: null, disagreement: '',
      detail: 'v0.2.0 is on commit aaaaaaaaaaaa, whose manifest carries 0.2.0',
    });
    expect(step(steps, 'push')).toMatchObject({ done: true, journal: 'none', git: 'done', detail: 'origin has v0.2.0 at aaaaaaaaaaaa, and origin/main holds it' });
  });

  it('closes the release once the closeout is recorded and git shows the tag and the push', () => {
    const { state } = mergeObserved({ ...released, completed: ['dry-run', 'publish', 'closeout'] }, onRemote);
    expect(state.status).toBe('closed');
    expect(state.nextAction).toBe('the release of demo v0.2.0 is closed: the next issue may start');
  });

  it('clears a tag failure git shows repaired, and says the journal disagrees', () => {
    const failed: ReleaseState = {
      ...released,
      failure: { phase: 'tag', command: 'git tag v0.2.0', exitCode: 128, error: "fatal: tag 'v0.2.0' already exists", at: '2026-12-01T00:00:00Z', reason: 'exit-nonzero' },
    };
    const { state, steps } = mergeObserved(failed, onRemote);
    expect(state.failure).toBeNull();
    expect(step(steps, 'tag')).toMatchObject({
      done: true, journal: 'failed', git: 'done',
      disagreement: 'the journal says the tag step failed, git shows v0.2.0 is on commit aaaaaaaaaaaa, whose manifest carries 0.2.0',
    });
  });

  it('does not count a tag on a commit whose manifest carries another version, nor its push', () => {
    const wrong: Observation = { ...onRemote, tag: { ...goodTag, manifestVersion: '0.1.0' } };
    const { state, steps } = mergeObserved({ ...released, completed: ['dry-run', 'publish', 'tag', 'push'] }, wrong);
    expect(state.completed).toEqual(['dry-run', 'publish']);
    expect(step(steps, 'tag')).toMatchObject({
      done: false, journal: 'done', git: 'wrong-commit', detail: 'v0.2.0 is on commit aaaaaaaaaaaa, whose manifest carries 0.1.0, not 0.2.0',
    });
    expect(step(steps, 'push')).toMatchObject({ done: false, git: 'not-done' });
    expect(state.nextAction).toContain('`git tag -d v0.2.0`');
  });

  it('believes the remote over a journal that says pushed', () => {
    const gone: Observation = { ...onRemote, remote: { name: 'origin', via: 'ls-remote', tagCommit: '', branches: [] } };
    const { state, steps } = mergeObserved({ ...released, completed: ['dry-run', 'publish', 'tag', 'push'] }, gone);
    expect(state.completed).toEqual(['dry-run', 'publish', 'tag']);
    expect(step(steps, 'push')).toMatchObject({
      done: false, journal: 'done', git: 'not-done', disagreement: 'the journal says the push succeeded, git shows origin has no tag v0.2.0',
    });
    const moved: Observation = { ...onRemote, remote: { name: 'origin', via: 'ls-remote', tagCommit: 'b'.repeat(40), branches: ['main'] } };
    expect(step(mergeObserved(released, moved).steps, 'push')?.detail).toBe('origin has v0.2.0 on commit bbbbbbbbbbbb, not on the local aaaaaaaaaaaa');
    const noBranch: Observation = { ...onRemote, remote: { name: 'origin', via: 'ls-remote', tagCommit: TAG_COMMIT, branches: [] } };
    expect(step(mergeObserved(released, noBranch).steps, 'push')).toMatchObject({ done: false, detail: "origin has v0.2.0, but none of its branches holds commit aaaaaaaaaaaa" });
  });

  it('takes a remote-tracking branch as the push the journal recorded, or one the closeout followed, never a failed one', () => {
    const tracking: Observation = { tag: goodTag, remote: { name: 'origin', via: 'tracking', tagCommit: '', branches: ['main'] } };
    // The tag's presence on the remote is not visible locally: a push the journal never saw is not done.
    expect(step(mergeObserved(released, tracking).steps, 'push')).toMatchObject({ done: false, journal: 'none', git: 'branch-only', disagreement: '' });
    expect(step(mergeObserved({ ...released, completed: ['dry-run', 'publish', 'push'] }, tracking).steps, 'push')).toMatchObject({ done: true, git: 'branch-only' });
    const closedOut = mergeObserved({ ...released, completed: ['dry-run', 'publish', 'closeout'] }, tracking);
    expect(step(closedOut.steps, 'push')).toMatchObject({ done: true, journal: 'none' });
    expect(closedOut.state.status).toBe('closed');
    const noBranch: Observation = { tag: goodTag, remote: { name: 'origin', via: 'tracking', tagCommit: '', branches: [] } };
    expect(step(mergeObserved({ ...released, completed: ['dry-run', 'publish', 'push'] }, noBranch).steps, 'push')).toMatchObject({
      done: false, git: 'not-done', disagreement: 'the journal says the push succeeded, git shows no remote-tracking branch of origin holds v0.2.0\'s commit aaaaaaaaaaaa (as of the last fetch or push)',
    });
    const failedPush: ReleaseState = {
      ...released,
      failure: { phase: 'push', command: 'git push origin v0.2.0', exitCode: 1, error: 'rejected', at: '2026-12-01T00:00:00Z', reason: 'exit-nonzero' },
    };
    const { state, steps } = mergeObserved(failedPush, tracking);
    expect(step(steps, 'push')).toMatchObject({ done: false, journal: 'failed', git: 'branch-only' });
    expect(state.failure?.phase).toBe('push');
  });

  it('falls back on the journal when the remote could not be read, and leaves unpublished and closed releases alone', () => {
    const unread: Observation = { tag: goodTag, remote: null, remoteError: 'the remote origin could not be read: timeout' };
    const merged = mergeObserved({ ...released, completed: ['dry-run', 'publish', 'push'] }, unread);
    expect(step(merged.steps, 'push')).toMatchObject({ done: true, git: 'unknown', detail: 'the remote origin could not be read: timeout', disagreement: '' });
    const blocked: ReleaseState = { ...released, status: 'blocked', published: 'no', completed: ['dry-run'] };
    expect(mergeObserved(blocked, onRemote).state).toBe(blocked);
    const closed: ReleaseState = { ...released, status: 'closed', completed: ['dry-run', 'publish', 'tag', 'push', 'closeout'] };
    expect(mergeObserved(closed, { ...onRemote, tag: { ...goodTag, exists: false } }).state).toBe(closed);
  });

  it('reports the registry word for the publish and a disagreement with the journal', () => {
    const verified: ReleaseState = { ...released, lastVerification: { published: 'no', at: '2026-12-01T00:00:00Z', content: '', evidence: [] } };
    expect(step(mergeObserved(verified, onRemote).steps, 'publish')).toMatchObject({
      done: true, journal: 'done', registry: 'no', disagreement: "the journal says the publish succeeded, the registry's last answer was no",
    });
  });

  it('renders each step with its sources', () => {
    const text = renderStepSources(mergeObserved({ ...released, completed: ['dry-run', 'publish', 'push'] }, { ...onRemote, remote: { name: 'origin', via: 'ls-remote', tagCommit: '', branches: [] } }).steps);
    expect(text.split('\n')).toContain('    push      not done  journal: succeeded; git: not-done (origin has no tag v0.2.0)');
    expect(text).toContain('disagree: the journal says the push succeeded, git shows origin has no tag v0.2.0');
  });
});

describe('pushRemoteOf', () => {
  it.each([
    [['git', 'push', 'origin', 'HEAD', 'v0.2.0'], 'origin'],
    [['git', 'push', '-u', '--follow-tags', 'upstream', 'main'], 'upstream'],
    [['git', 'push', '-o', 'ci.skip', 'fork'], 'fork'],
    [['git', 'push'], ''],
    [['git', 'tag', 'v1'], ''],
  ])('%j names %j', (argv, remote) => {
    expect(pushRemoteOf(argv)).toBe(remote);
  });
});
