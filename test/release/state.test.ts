import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/release/model.js';
import { dryRunCommandOf, foldRelease, publishCommandOf } from '../../src/release/state.js';

let n = 0;
const base = (version = '0.2.0', issue: number | null = 7) => ({ v: 1 as const, package: 'demo', version, issue });
const at = () => `2026-11-24T19:${String(n).padStart(2, '0')}:00Z`;
function finished(phase: JournalEvent['phase'], command: string, exitCode: number, extra: Partial<JournalEvent> = {}, version?: string): JournalEvent {
  n++;
  const ok = exitCode === 0;
  return { ...base(version), id: `e${n}`, at: at(), type: 'step-finished', phase, command: command.split(' '), exitCode, outcome: ok ? 'ok' : 'failed', reason: ok ? 'exit-zero' : 'exit-nonzero', ...extra };
}
function started(phase: JournalEvent['phase'], command: string, version?: string): JournalEvent {
  n++;
  return { ...base(version), id: `e${n}`, at: at(), type: 'step-started', phase, command: command.split(' ') };
}
const dryOk = (v?: string) => finished('dry-run', 'cargo publish --dry-run', 0, { commit: 'abc123' }, v);
const dryFail = () => finished('dry-run', 'cargo publish --registry local --dry-run', 101, { excerpt: 'error: failed to verify package tarball' });
const pubOk = (v?: string) => finished('publish', 'cargo publish', 0, { outcome: 'published', published: 'yes', reason: 'uploaded' }, v);
const pubNo = () => finished('publish', 'cargo publish', 101, { outcome: 'not-published', published: 'no', reason: 'before-upload' });
const pubUnknown = (reason = 'upload-ambiguous') => finished('publish', 'cargo publish', 101, { outcome: 'unknown', published: 'unknown', reason });
const verify = (published: 'yes' | 'no', content?: 'ours' | 'other'): JournalEvent => { n++; return { ...base(), id: `e${n}`, at: at(), type: 'verification', published, ...(content ? { content } : {}) }; };
const decide = (version: string, reason: string): JournalEvent => { n++; return { ...base(version), id: `e${n}`, at: at(), type: 'decision', reason }; };
const tagOk = (v?: string) => finished('tag', 'git tag v0.2.0', 0, {}, v);
const pushOk = (v?: string) => finished('push', 'git push origin main v0.2.0', 0, {}, v);
const closeOk = (v?: string) => finished('closeout', 'gh issue close 7', 0, {}, v);

describe('foldRelease', () => {
  it.each<[string, () => JournalEvent[], string, string]>([
    ['no events', () => [], 'idle', 'no'],
    ['a started dry-run', () => [started('dry-run', 'cargo publish --dry-run')], 'in-progress', 'no'],
    ['dry-run failure', () => [dryFail()], 'blocked', 'no'],
    ['dry-run failure, then a successful rerun', () => [dryFail(), dryOk()], 'in-progress', 'no'],
    ['dry-run failure, then a tag: still blocked', () => [dryFail(), tagOk()], 'blocked', 'no'],
    ['publish before upload', () => [dryOk(), pubNo()], 'blocked', 'no'],
    ['ambiguous publish', () => [dryOk(), pubUnknown()], 'unknown', 'unknown'],
    ['version exists on publish', () => [dryOk(), pubUnknown('version-exists')], 'unknown', 'unknown'],
    ['dry-run warns the version exists', () => [finished('dry-run', 'cargo publish --dry-run', 0, { outcome: 'failed', published: 'unknown', reason: 'dry-run-version-exists' })], 'unknown', 'unknown'],
    ['ambiguous publish, verified yes', () => [dryOk(), pubUnknown(), verify('yes')], 'released', 'yes'],
    ['ambiguous publish, verified no', () => [dryOk(), pubUnknown(), verify('no')], 'blocked', 'no'],
    ['a verification alone starts no release', () => [verify('no')], 'idle', 'no'],
    ['a verification alone finds it published outside the loop', () => [verify('yes', 'ours')], 'released', 'yes'],
    ['version exists, verified ours', () => [dryOk(), pubUnknown('version-exists'), verify('yes', 'ours')], 'released', 'yes'],
    ['version exists, verified taken by other content', () => [dryOk(), pubUnknown('version-exists'), verify('yes', 'other')], 'blocked', 'no'],
    ['published by us, a later "other" does not take it back', () => [dryOk(), pubOk(), verify('yes', 'other')], 'released', 'yes'],
    ['publish started and interrupted by another step', () => [dryOk(), started('publish', 'cargo publish'), started('dry-run', 'cargo publish --dry-run')], 'unknown', 'unknown'],
    ['publish ok', () => [dryOk(), pubOk()], 'released', 'yes'],
    ['publish ok, tag and push', () => [dryOk(), pubOk(), tagOk(), pushOk()], 'released', 'yes'],
    ['publish ok, tag, push, closeout', () => [dryOk(), pubOk(), tagOk(), pushOk(), closeOk()], 'closed', 'yes'],
    ['post-publish tag failure', () => [dryOk(), pubOk(), finished('tag', 'git tag v0.2.0', 128)], 'released', 'yes'],
    ['post-publish tag failure, fixed and closed', () => [dryOk(), pubOk(), finished('tag', 'git tag v0.2.0', 128), tagOk(), pushOk(), closeOk()], 'closed', 'yes'],
    ['verification no after Uploaded does not undo it', () => [pubOk(), verify('no')], 'released', 'yes'],
    ['rerun after release says "already exists": still released', () => [pubOk(), pubUnknown('version-exists')], 'released', 'yes'],
    ['a step for another version while blocked is ignored', () => [dryFail(), dryOk('0.2.1')], 'blocked', 'no'],
  ])('%s → %s', (_name, events, status, published) => {
    const state = foldRelease(events(), {});
    expect({ status: state.status, published: state.published }).toEqual({ status, published });
  });

  it('reports the failure of a dry-run as the status JSON needs it', () => {
    n = 0;
    const state = foldRelease([dryFail()], {});
    expect(state).toEqual({
      package: 'demo', version: '0.2.0', issue: 7, status: 'blocked',
      failure: { phase: 'dry-run', command: 'cargo publish --registry local --dry-run', exitCode: 101, error: 'error: failed to verify package tarball', at: '2026-11-24T19:01:00Z', reason: 'exit-nonzero' },
      published: 'no', decisions: [], completed: [], verifiedSinceFailure: false, taken: false,
      nextAction: 'fix packaging, manifest or validation problems, then rerun the dry-run with `policy run -- cargo publish --registry local --dry-run`; do not create or push a release tag',
      commands: { dryRun: 'policy run -- cargo publish --registry local --dry-run', publish: 'policy run -- cargo publish --registry local' },
    });
  });

  it('a taken version needs a decision, and the decided version starts its own release', () => {
    n = 0;
    const taken = foldRelease([dryOk(), pubUnknown('version-exists'), verify('yes', 'other')], {});
    expect(taken).toMatchObject({ status: 'blocked', published: 'no', taken: true, verifiedSinceFailure: true });
    expect(taken.nextAction).toMatch(/^the registry holds v0.2.0 with content that is not ours: the version is taken\. Decide the next version deliberately/);
    const decided = foldRelease([dryOk(), pubUnknown('version-exists'), verify('yes', 'other'), decide('0.2.1', 'taken')], {});
    expect(decided.nextAction).toMatch(/^next version decided \(v0.2.1: taken\)/);
    const next = foldRelease([dryOk(), pubUnknown('version-exists'), verify('yes', 'other'), decide('0.2.1', 'taken'), dryOk('0.2.1')], {});
    expect(next).toMatchObject({ version: '0.2.1', status: 'in-progress', taken: false });
  });

  it('gives a specific next action per phase and error class', () => {
    expect(foldRelease([dryOk(), pubUnknown()], {}).nextAction).toMatch(/^confirm the registry state with `policy verify` before anything else/);
    expect(foldRelease([dryOk(), pubUnknown('version-exists')], {}).nextAction).toMatch(/already holds v0.2.0 \(ours or someone else's\).*`policy verify`.*`policy decide/);
    expect(foldRelease([dryOk(), pubNo()], {}).nextAction).toMatch(/^v0.2.0 is not published \(the upload did not start\): fix the cause above, confirm it with `policy verify`/);
    const limited = finished('publish', 'cargo publish', 101, { outcome: 'not-published', published: 'no', reason: 'rate-limited' });
    expect(foldRelease([dryOk(), limited], {}).nextAction).toMatch(/\(the registry refused the upload with 429, rate limited: wait until the time the error names\)/);
    expect(foldRelease([dryOk(), limited, verify('no')], {}).nextAction).toMatch(/^the registry confirmed v0.2.0 is not published/);
    expect(foldRelease([pubOk(), finished('push', 'git push origin v0.2.0', 1)], {}).nextAction)
      .toBe('the crate is released, but the push step failed (`git push origin v0.2.0`): fix it and rerun it with `policy run -- git push origin v0.2.0`, then finish the tag, push and closeout; keep issue #7 open until they match the published version');
    expect(foldRelease([pubOk(), tagOk()], {}).nextAction).toMatch(/^the crate is released: push the tag and the branch, then record closeout/);
    expect(foldRelease([finished('notes', 'test -f RELEASE_v0.2.0.md', 1)], {}).nextAction)
      .toBe('fix the release notes for v0.2.0 (keep them and the version), then rerun `policy run --phase notes -- test -f RELEASE_v0.2.0.md`');
    expect(foldRelease([dryOk()], {}).nextAction).toBe('the dry-run passed on commit abc123: publish from the same commit with `policy run -- cargo publish`');
    expect(foldRelease([dryOk(), started('publish', 'cargo publish')], {}).nextAction).toMatch(/has not finished/);
  });

  it('keeps the last successful dry-run', () => {
    const state = foldRelease([dryOk()], {});
    expect(state.lastDryRunOk).toMatchObject({ version: '0.2.0', commit: 'abc123' });
  });

  it('starts a new release for a new version after closed', () => {
    const state = foldRelease([dryOk(), pubOk(), tagOk(), pushOk(), closeOk(), { ...dryFail(), version: '0.3.0', issue: 9 }], {});
    expect(state).toMatchObject({ version: '0.3.0', issue: 9, status: 'blocked', published: 'no' });
  });

  it('moves to a deliberately decided version', () => {
    const events = [dryOk(), pubUnknown('version-exists'), verify('yes'), decide('0.2.1', 'v0.2.0 is taken by an older upload')];
    // verified yes: the registry holds it, released; a blocked release with a decision moves on
    const blocked = [dryOk(), pubNo(), decide('0.2.1', 'skip the taken version')];
    expect(foldRelease(blocked, {}).nextAction).toMatch(/^next version decided \(v0.2.1: skip the taken version\)/);
    const moved = foldRelease([...blocked, dryOk('0.2.1')], {});
    expect(moved).toMatchObject({ version: '0.2.1', status: 'in-progress', published: 'no' });
    expect(moved.decisions).toEqual([{ version: '0.2.1', reason: 'skip the taken version', at: expect.any(String) }]);
    expect(foldRelease(events, {}).status).toBe('released');
  });

  it('folds one package only', () => {
    const other = { ...dryFail(), package: 'other' };
    expect(foldRelease([dryOk(), other], { package: 'demo' }).status).toBe('in-progress');
    expect(foldRelease([dryOk(), other], {}).package).toBe('other');
  });

  it('records the latest verification', () => {
    expect(foldRelease([pubUnknown(), verify('no')], {}).lastVerification).toMatchObject({ published: 'no' });
  });
});

/** The `policy run ...` commands a next action names, as argv (split on spaces: the tests use no quoting). */
function advised(action: string): string[][] {
  return [...action.matchAll(/`policy run (?:--phase \S+ )?-- ([^`]+)`/g)].map((m) => m[1]!.split(' '));
}

describe('next actions keep the user\'s own command', () => {
  const ARGS = '-p oris-runtime --registry local --manifest-path crates/oris-runtime/Cargo.toml --features a,b';

  it('a failed dry-run is rerun with the same arguments', () => {
    const state = foldRelease([finished('dry-run', `cargo publish ${ARGS} --dry-run`, 101)], {});
    expect(advised(state.nextAction)).toEqual([`cargo publish ${ARGS} --dry-run`.split(' ')]);
  });

  it('a passed dry-run is followed by the same command without --dry-run', () => {
    const state = foldRelease([finished('dry-run', `cargo publish ${ARGS} --dry-run`, 0, { commit: 'abc123' })], {});
    expect(advised(state.nextAction)).toEqual([`cargo publish ${ARGS}`.split(' ')]);
  });

  it('cargo package -p NAME becomes cargo publish -p NAME', () => {
    const state = foldRelease([finished('dry-run', 'cargo package -p oris-runtime --list', 0, { commit: 'abc123' })], {});
    expect(advised(state.nextAction)).toEqual([['cargo', 'publish', '-p', 'oris-runtime']]);
  });

  it('a publish that failed before the upload names its dry-run with --dry-run added, and itself unchanged', () => {
    const failed = finished('publish', `cargo publish ${ARGS}`, 101, { outcome: 'not-published', published: 'no', reason: 'before-upload' });
    const state = foldRelease([started('publish', `cargo publish ${ARGS}`), failed], {});
    expect(advised(state.nextAction)).toEqual([`cargo publish ${ARGS} --dry-run`.split(' '), `cargo publish ${ARGS}`.split(' ')]);
  });

  it('the dry-run the user ran is the dry-run to rerun after a failed publish', () => {
    const dry = finished('dry-run', 'cargo publish -n -p oris-runtime --registry local', 0, { commit: 'abc123' });
    const failed = finished('publish', 'cargo publish -p oris-runtime --registry local', 101, { outcome: 'not-published', published: 'no', reason: 'upload-refused' });
    expect(advised(foldRelease([dry, failed], {}).nextAction)).toEqual([
      'cargo publish -n -p oris-runtime --registry local'.split(' '),
      'cargo publish -p oris-runtime --registry local'.split(' '),
    ]);
  });

  it('a decided next version reruns the dry-run of the release with its arguments', () => {
    const taken = verify('yes', 'other');
    const events = [finished('dry-run', `cargo publish ${ARGS} --dry-run`, 0, { commit: 'abc123' }), pubUnknown('version-exists'), taken, decide('0.2.1', 'taken')];
    expect(advised(foldRelease(events, {}).nextAction)).toEqual([`cargo publish ${ARGS} --dry-run`.split(' ')]);
  });

  it.each([
    [['cargo', 'publish', '--dry-run', '--registry', 'local'], ['cargo', 'publish', '--registry', 'local']],
    [['cargo', '+nightly', 'publish', '-n'], ['cargo', '+nightly', 'publish']],
    [['npm', 'publish', '--dry-run', '--tag', 'next'], ['npm', 'publish', '--tag', 'next']],
    [['make', 'release-check'], null],
  ])('publishCommandOf(%j) = %j', (argv, publish) => {
    expect(publishCommandOf(argv)).toEqual(publish);
  });

  it.each([
    [['cargo', 'publish', '-p', 'x'], ['cargo', 'publish', '-p', 'x', '--dry-run']],
    [['npm', 'publish', '--access', 'public'], ['npm', 'publish', '--access', 'public', '--dry-run']],
    [['cargo', 'publish', '--dry-run'], null],
  ])('dryRunCommandOf(%j) = %j', (argv, dryRun) => {
    expect(dryRunCommandOf(argv)).toEqual(dryRun);
  });
});

describe('next actions for the registry unreachable and a command that could not run', () => {
  it('a dry-run that could not reach the registry: check the network, rerun the same command; not a packaging problem', () => {
    const failed = finished('dry-run', 'cargo publish -p oris-runtime --registry local --dry-run', 101, { reason: 'registry-unreachable' });
    const state = foldRelease([failed], {});
    expect(state.status).toBe('blocked');
    expect(state.nextAction).toMatch(/^the registry could not be reached .*check the network/);
    expect(state.nextAction).not.toMatch(/packaging/);
    expect(advised(state.nextAction)).toEqual([['cargo', 'publish', '-p', 'oris-runtime', '--registry', 'local', '--dry-run']]);
  });

  it('a publish that could not reach the registry: not published, verify, rerun the same command', () => {
    const failed = finished('publish', 'cargo publish --registry local', 101, { outcome: 'not-published', published: 'no', reason: 'registry-unreachable' });
    const state = foldRelease([dryOk(), failed], {});
    expect(state).toMatchObject({ status: 'blocked', published: 'no' });
    expect(state.nextAction).toMatch(/^the registry could not be reached before the upload .*so v0.2.0 is not published: .*`policy verify`/);
    expect(advised(state.nextAction)).toEqual([['cargo', 'publish', '--registry', 'local']]);
  });

  it.each([
    [127, 'exit 127: not found'],
    [126, 'exit 126: found but not executable'],
  ])('exit %i: the step did not run (%s), not killed by a signal', (exitCode, why) => {
    const failed = finished('dry-run', 'carg publish --dry-run', exitCode, { reason: 'command-not-run' });
    const state = foldRelease([failed], {});
    expect(state.failure).toMatchObject({ exitCode, reason: 'command-not-run' });
    expect(state.nextAction).toBe(`the dry-run step did not run: \`carg\` could not be run (${why}); install it or fix PATH or its permissions, then rerun the same command with \`policy run --phase dry-run -- carg publish --dry-run\``);
  });
});

describe('next actions speak the package\'s ecosystem', () => {
  it('npm: the dry-run and publish named are npm\'s, and the package (not the crate) is released', () => {
    expect(foldRelease([], { ecosystem: 'npm' }).nextAction).toBe('no release in progress: start with the dry-run, `policy run -- npm publish --dry-run`');
    const dry = finished('dry-run', 'npm publish --dry-run --tag next', 0, { commit: 'abc123' });
    expect(advised(foldRelease([dry], { ecosystem: 'npm' }).nextAction)).toEqual([['npm', 'publish', '--tag', 'next']]);
    const published = finished('publish', 'npm publish', 0, { outcome: 'published', published: 'yes', reason: 'uploaded' });
    expect(foldRelease([published], { ecosystem: 'npm' }).nextAction).toMatch(/^the package is released: create the release tag/);
    const bumped = finished('bump', 'npm version minor', 0);
    expect(foldRelease([bumped], { ecosystem: 'npm' }).nextAction).toBe('run the dry-run for v0.2.0 with `policy run -- npm publish --dry-run`');
  });

  it('the state carries the commands it advises, for the rules\' messages', () => {
    expect(foldRelease([], { ecosystem: 'npm' }).commands).toEqual({ dryRun: 'policy run -- npm publish --dry-run', publish: 'policy run -- npm publish' });
    const dry = finished('dry-run', 'cargo package -p oris-runtime', 0, { commit: 'abc123' });
    expect(foldRelease([dry], {}).commands).toEqual({ dryRun: 'policy run -- cargo package -p oris-runtime', publish: 'policy run -- cargo publish -p oris-runtime' });
    const custom = finished('dry-run', 'make check', 0, { commit: 'abc123' });
    expect(foldRelease([custom], {}).commands).toEqual({ dryRun: 'policy run --phase dry-run -- make check', publish: 'policy run -- cargo publish' });
  });

  it('cargo stays the default', () => {
    expect(foldRelease([], {}).nextAction).toBe('no release in progress: start with the dry-run, `policy run -- cargo publish --dry-run`');
    expect(foldRelease([pubOk()], {}).nextAction).toMatch(/^the crate is released/);
  });
});
