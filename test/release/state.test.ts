import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/release/model.js';
import { abandonRefusal, dryRunCommandOf, foldRelease, publishCommandOf, unfinishedSteps } from '../../src/release/state.js';

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
      published: 'no', decisions: [], completed: [], verifiedSinceFailure: false, taken: false, running: [],
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

describe('deliberate moves only', () => {
  const abandon = (reason: string, version = '0.2.0'): JournalEvent => { n++; return { ...base(version), id: `e${n}`, at: at(), type: 'abandon', reason }; };

  it.each<[string, string, number]>([
    ['true', 'true', 0],
    ['a shell script', 'sh -c exit', 0],
    ['a make target', 'make package', 0],
  ])('a successful %s labelled dry-run clears no dry-run failure and is no passing dry-run', (_name, command, exitCode) => {
    const state = foldRelease([dryFail(), finished('dry-run', command, exitCode)]);
    expect(state).toMatchObject({ status: 'blocked', failure: { phase: 'dry-run', exitCode: 101 }, notTheStep: { phase: 'dry-run', command } });
    expect(state.lastDryRunOk).toBeUndefined();
    expect(state.completed).toEqual([]);
  });

  it.each([['cargo publish --dry-run'], ['cargo package'], ['cargo +nightly publish -p demo --dry-run'], ['npm publish --dry-run']])('%s clears a dry-run failure', (command) => {
    const state = foldRelease([dryFail(), finished('dry-run', command, 0)]);
    expect(state).toMatchObject({ status: 'in-progress', failure: null });
    expect(state.notTheStep).toBeUndefined();
  });

  it('a tag or push step clears only when the command is a tag or a push; bump, notes and closeout are what the project runs', () => {
    const tagFail = finished('tag', 'git tag v0.2.0', 128);
    expect(foldRelease([dryOk(), pubOk(), tagFail, finished('tag', 'echo tagged', 0)]).failure).toMatchObject({ phase: 'tag' });
    expect(foldRelease([dryOk(), pubOk(), finished('tag', 'git tag v0.2.0', 128), finished('tag', 'git tag -a v0.2.0 -m v0.2.0', 0)]).failure).toBeNull();
    expect(foldRelease([finished('notes', 'vim RELEASE.md', 1), finished('notes', './scripts/notes.sh', 0)])).toMatchObject({ status: 'in-progress', failure: null });
  });

  it('abandon ends a blocked release; its version takes no more steps; the next version starts fresh', () => {
    const events = [dryFail(), abandon('superseded by 0.3.0')];
    expect(foldRelease(events)).toMatchObject({ status: 'abandoned', failure: null, published: 'no', abandoned: { reason: 'superseded by 0.3.0' } });
    expect(foldRelease(events).nextAction).toContain('v0.2.0 will not be published; re-plan issue #7');
    expect(foldRelease([...events, dryOk()])).toMatchObject({ status: 'abandoned', version: '0.2.0' });
    const next = foldRelease([...events, finished('dry-run', 'cargo publish --dry-run', 0, {}, '0.3.0')]);
    expect(next).toMatchObject({ status: 'in-progress', version: '0.3.0', failure: null });
    expect(next.abandoned).toBeUndefined();
  });

  it('proof that an abandoned version got published anyway wins', () => {
    const state = foldRelease([dryFail(), abandon('dropped'), verify('yes', 'ours')]);
    expect(state).toMatchObject({ status: 'released', published: 'yes' });
    expect(state.abandoned).toBeUndefined();
  });

  it('abandonRefusal: only a release in progress whose version is not on the registry', () => {
    expect(abandonRefusal(foldRelease([]))).toContain('no release in progress');
    expect(abandonRefusal(foldRelease([dryFail()]))).toBeNull();
    expect(abandonRefusal(foldRelease([dryOk(), pubNo()]))).toBeNull();
    expect(abandonRefusal(foldRelease([dryOk(), pubOk()]))).toContain('is published: a published version cannot be abandoned');
    expect(abandonRefusal(foldRelease([dryOk(), pubUnknown()]))).toContain('confirm it with `policy verify` first');
    expect(abandonRefusal(foldRelease([dryOk(), pubOk(), tagOk(), pushOk(), closeOk()]))).toContain('no release in progress');
    expect(abandonRefusal(foldRelease([dryFail(), abandon('x')]))).toContain('already abandoned');
  });
});

describe('steps that did not finish', () => {
  const proc = { pid: 4242, host: 'build-1', processStart: 'boot/100' };
  const startedBy = (phase: JournalEvent['phase'], command: string, who: Partial<JournalEvent> = proc): JournalEvent => ({ ...started(phase, command), ...who });
  const fold = (events: JournalEvent[], processes: [JournalEvent, 'running' | 'gone' | 'elsewhere'][]) =>
    foldRelease(events, { processes: new Map(processes.map(([e, p]) => [e.id, p])) });

  it('a publish whose process runs is not finished: no second publish, published unknown until it ends', () => {
    const publish = startedBy('publish', 'cargo publish --registry local');
    const state = fold([dryOk(), publish], [[publish, 'running']]);
    expect(state).toMatchObject({
      status: 'in-progress', published: 'unknown', failure: null,
      running: [{ phase: 'publish', at: publish.at, command: 'cargo publish --registry local', pid: 4242, host: 'build-1', alive: 'yes' }],
    });
    expect(state.nextAction).toBe(`a publish is running since ${publish.at} (pid 4242 on build-1): wait for it to finish and read its outcome with \`policy status\`; do not start another publish`);
  });

  it('another step while the publish runs does not interrupt it, and its own finish settles it', () => {
    const publish = startedBy('publish', 'cargo publish');
    const notes = startedBy('notes', 'true', { pid: 5151, host: 'build-1' });
    const during = [dryOk(), publish, notes, finished('notes', 'true', 0, { pid: 5151, host: 'build-1' })];
    expect(fold(during, [[publish, 'running']])).toMatchObject({ status: 'in-progress', published: 'unknown', running: [{ phase: 'publish' }] });
    const done = fold([...during, finished('publish', 'cargo publish', 0, { outcome: 'published', published: 'yes', reason: 'uploaded', ...proc })], [[publish, 'running']]);
    expect(done).toMatchObject({ status: 'released', published: 'yes', running: [] });
  });

  it('a publish whose process is gone is unknown with reason interrupted, until a verification answers', () => {
    const publish = startedBy('publish', 'cargo publish --registry local');
    const gone = fold([dryOk(), publish], [[publish, 'gone']]);
    expect(gone).toMatchObject({
      status: 'unknown', published: 'unknown', running: [],
      failure: { phase: 'publish', command: 'cargo publish --registry local', exitCode: null, reason: 'interrupted', at: publish.at },
    });
    expect(gone.failure?.error).toContain('(pid 4242 on build-1) ended without recording an outcome');
    expect(gone.nextAction).toMatch(/^confirm the registry state with `policy verify`/);
    expect(fold([dryOk(), publish, verify('yes', 'ours')], [[publish, 'gone']])).toMatchObject({ status: 'released', published: 'yes' });
    const no = fold([dryOk(), publish, verify('no')], [[publish, 'gone']]);
    expect(no).toMatchObject({ status: 'blocked', published: 'no', verifiedSinceFailure: true, failure: { reason: 'interrupted' } });
    expect(no.nextAction).toMatch(/\(the publish was interrupted before it recorded an outcome\)/);
  });

  it('a publish started on another host is treated as running, says so, and a verification settles it', () => {
    const publish = startedBy('publish', 'cargo publish', { ...proc, host: 'laptop' });
    const state = fold([dryOk(), publish], [[publish, 'elsewhere']]);
    expect(state).toMatchObject({ status: 'in-progress', published: 'unknown', running: [{ phase: 'publish', host: 'laptop', alive: 'unknown' }] });
    expect(state.nextAction).toMatch(/has not finished, and whether it still runs cannot be checked from here: if it is no longer running, confirm the registry state with `policy verify`/);
    expect(fold([dryOk(), publish, verify('yes', 'ours')], [[publish, 'elsewhere']])).toMatchObject({ status: 'released', published: 'yes', running: [] });
  });

  it('a publish of an older journal (no process recorded) that never finished counts as running until a verification settles it', () => {
    const publish = started('publish', 'cargo publish');
    expect(fold([dryOk(), publish], [])).toMatchObject({ status: 'in-progress', published: 'unknown', running: [{ phase: 'publish', pid: null, host: null, alive: 'unknown' }] });
    expect(fold([dryOk(), publish, verify('no')], [])).toMatchObject({
      status: 'blocked', published: 'no', verifiedSinceFailure: true, running: [], failure: { phase: 'publish', reason: 'interrupted' },
    });
  });

  it('a step of another version does not end a publish that never finished', () => {
    const publish = startedBy('publish', 'cargo publish');
    expect(fold([dryOk(), publish, dryOk('0.2.1')], [[publish, 'running']])).toMatchObject({ version: '0.2.0', published: 'unknown', running: [{ phase: 'publish' }] });
  });

  it('a verification while the publish still runs does not end it', () => {
    const publish = startedBy('publish', 'cargo publish');
    expect(fold([dryOk(), publish, verify('no')], [[publish, 'running']])).toMatchObject({ status: 'in-progress', published: 'unknown', running: [{ phase: 'publish' }] });
  });

  it('an interrupted dry-run is a failed dry-run, an interrupted tag a failed tag', () => {
    const dry = startedBy('dry-run', 'cargo publish --dry-run');
    const dryState = fold([dryOk(), dry], [[dry, 'gone']]);
    expect(dryState).toMatchObject({ status: 'blocked', published: 'no', failure: { phase: 'dry-run', reason: 'interrupted', exitCode: null } });
    expect(dryState.lastDryRunOk).toBeUndefined();
    expect(dryState.nextAction).toMatch(/^the dry-run step of v0.2.0 was interrupted \(.*\): check what it left behind, then rerun it with `policy run -- cargo publish --dry-run`/);
    const tag = startedBy('tag', 'git tag v0.2.0');
    expect(fold([dryOk(), pubOk(), tag], [[tag, 'gone']])).toMatchObject({ status: 'released', published: 'yes', failure: { phase: 'tag', reason: 'interrupted' } });
    const push = startedBy('push', 'git push origin v0.2.0');
    expect(fold([dryOk(), pubNo(), verify('no'), push], [[push, 'gone']])).toMatchObject({ status: 'blocked', failure: { phase: 'push', reason: 'interrupted' } });
  });

  it('a step that finished is not interrupted, whatever its process does now', () => {
    const dry = startedBy('dry-run', 'cargo publish --dry-run');
    const done = finished('dry-run', 'cargo publish --dry-run', 0, proc);
    expect(fold([dry, done], [[dry, 'gone']])).toMatchObject({ status: 'in-progress', failure: null, running: [] });
  });

  it('matches each finish to the start of its own process', () => {
    const a = startedBy('notes', 'true', { pid: 1, host: 'h' });
    const b = startedBy('notes', 'true', { pid: 2, host: 'h' });
    const c = started('notes', 'true'); // an older line without a process
    expect(unfinishedSteps([a, b, finished('notes', 'true', 0, { pid: 1, host: 'h' })]).map((e) => e.id)).toEqual([b.id]);
    expect(unfinishedSteps([a, b, finished('notes', 'true', 0, { pid: 2, host: 'h' })]).map((e) => e.id)).toEqual([a.id]);
    expect(unfinishedSteps([c, a, finished('notes', 'true', 0)]).map((e) => e.id)).toEqual([c.id]);
    expect(unfinishedSteps([a, finished('notes', 'true', 0, { pid: 2, host: 'h' })]).map((e) => e.id)).toEqual([a.id]);
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

describe('a release closed with a tag and push git saw, not the journal', () => {
  it('a closeout of the issue after a plain git tag and push closes the release, and the next version starts', () => {
    const closed = foldRelease([dryOk(), pubOk(), closeOk()]);
    expect(closed).toMatchObject({ status: 'closed', failure: null });
    const next = foldRelease([dryOk(), pubOk(), closeOk(), finished('dry-run', 'cargo publish --dry-run', 0, {}, '0.3.0')]);
    expect(next).toMatchObject({ version: '0.3.0', status: 'in-progress', lastDryRunOk: { version: '0.3.0' } });
  });

  it('a tag step the journal saw fail is settled by the closeout the close-issue gate allowed', () => {
    expect(foldRelease([dryOk(), pubOk(), finished('tag', 'git tag v0.2.0', 128), closeOk()])).toMatchObject({ status: 'closed', failure: null });
  });

  it('a closeout with no issue (no gate was asked) closes nothing the journal has not seen', () => {
    const noIssue = finished('closeout', 'gh issue close', 0, { issue: null });
    expect(foldRelease([dryOk(), pubOk(), noIssue]).status).toBe('released');
  });

  it('a real dry-run after a mislabelled one clears the "not counted" note', () => {
    const state = foldRelease([dryFail(), finished('dry-run', 'true', 0), dryOk()]);
    expect(state.notTheStep).toBeUndefined();
    expect(state.status).toBe('in-progress');
  });
});

describe('advice never carries a redacted secret', () => {
  it('drops --token *** and --token=*** from the command a next action names', () => {
    const failedPublish = finished('publish', "cargo publish --registry local --token *** -p demo", 101, { outcome: 'not-published', published: 'no', reason: 'before-upload' });
    const state = foldRelease([dryOk(), failedPublish]);
    expect(state.nextAction).toContain('`policy run -- cargo publish --registry local -p demo`');
    expect(state.nextAction).not.toContain('***');
    const eq = foldRelease([finished('dry-run', 'cargo publish --dry-run --token=*** --registry local', 101)]);
    expect(eq.nextAction).toContain('`policy run -- cargo publish --dry-run --registry local`');
  });
});
