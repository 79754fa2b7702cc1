import { describe, expect, it } from 'vitest';
import { renderStatusComment, STATE_MARKER } from '../../src/release/comment.js';
import { journalTime, mergeSharedState, readIssueComments, sharedReleases, stateFromJson, type IssueComment } from '../../src/release/issue-state.js';
import type { JournalEvent, ReleaseState } from '../../src/release/model.js';
import { foldRelease } from '../../src/release/state.js';

// Journal events as `policy run` records them, folded into the states the tool posts.
let n = 0;
const at = (minute: number) => `2026-11-24T19:${String(minute).padStart(2, '0')}:00Z`;
function finished(phase: JournalEvent['phase'], command: string, exitCode: number, extra: Partial<JournalEvent> = {}, version = '0.2.0', pkg = 'demo'): JournalEvent {
  n++;
  const ok = exitCode === 0;
  return {
    v: 1, package: pkg, version, issue: 7, id: `e${n}`, at: at(n), type: 'step-finished', phase, command: command.split(' '), exitCode,
    outcome: ok ? 'ok' : 'failed', reason: ok ? 'exit-zero' : 'exit-nonzero', ...extra,
  };
}
const dryFail = (version?: string, pkg?: string) => finished('dry-run', 'cargo publish --registry local --dry-run', 101, { excerpt: 'error: failed to verify package tarball' }, version, pkg);
const dryOk = (version?: string) => finished('dry-run', 'cargo publish --registry local --dry-run', 0, { commit: 'abc123' }, version);
const pubOk = (version?: string) => finished('publish', 'cargo publish --registry local', 0, { outcome: 'published', published: 'yes', reason: 'uploaded' }, version);
const pubUnknown = () => finished('publish', 'cargo publish --registry local', 101, { outcome: 'unknown', published: 'unknown', reason: 'upload-ambiguous' });
const tagOk = () => finished('tag', 'git tag v0.2.0', 0);
const pushOk = () => finished('push', 'git push origin main v0.2.0', 0);
const closeOk = () => finished('closeout', 'gh issue close 7', 0);

const blocked = foldRelease([dryFail()]);
const unknown = foldRelease([dryOk(), pubUnknown()]);
const released = foldRelease([dryOk(), pubOk()]);
const closed = foldRelease([dryOk(), pubOk(), tagOk(), pushOk(), closeOk()]);
const idle = foldRelease([], { package: 'demo' });

let ids = 0;
function comment(state: ReleaseState | string, author: string, authorAssociation: string, createdAt = at(30), updatedAt?: string): IssueComment {
  ids++;
  const body = typeof state === 'string' ? state : renderStatusComment(state, { ecosystem: 'cargo' });
  return { id: `IC_${ids}`, author, authorAssociation, createdAt, body, ...(updatedAt === undefined ? {} : { updatedAt }) };
}
const options = { viewer: 'release-bot', package: 'demo' };
/** The hidden state line of a rendered comment, with its JSON replaced. */
const withJson = (json: string) => `Release blocked for demo v0.2.0.\n\n${STATE_MARKER}${json} -->\n`;

describe('readIssueComments', () => {
  it('reads the state of a status comment by a trusted association, as the fold made it', () => {
    expect(blocked.status).toBe('blocked');
    const c = comment(blocked, 'alice', 'MEMBER');
    const read = readIssueComments([comment('Looks good to me', 'bob', 'NONE'), c], options);
    expect(read.ignored).toEqual([]);
    expect(read.latest?.comment.id).toBe(c.id);
    expect(read.latest?.at).toBe(at(30));
    expect(read.latest?.state).toEqual(blocked);
  });

  it.each(['OWNER', 'MEMBER', 'COLLABORATOR'])('counts %s by default', (association) => {
    expect(readIssueComments([comment(unknown, 'carol', association)], options).latest?.state.status).toBe('unknown');
  });

  it("counts the token's own user whatever its association (logins compared without case or [bot])", () => {
    expect(readIssueComments([comment(blocked, 'Release-Bot', 'NONE')], options).latest?.state.status).toBe('blocked');
    const app = readIssueComments([comment(blocked, 'github-actions', 'NONE')], { ...options, viewer: 'github-actions[bot]' });
    expect(app.latest?.state.status).toBe('blocked');
  });

  it('reports and never counts the same comment by an author whose association is NONE', () => {
    const c = comment(blocked, 'mallory', 'NONE');
    const read = readIssueComments([c], options);
    expect(read.latest).toBeNull();
    expect(read.ignored).toEqual([{
      id: c.id, author: 'mallory', authorAssociation: 'NONE',
      why: "it carries a release state marker, but it was written by mallory (NONE), who is neither the token's user (release-bot) nor OWNER, MEMBER, COLLABORATOR: it is not read as the release state",
    }]);
  });

  it('takes the trusted associations from the options', () => {
    const c = comment(blocked, 'carol', 'COLLABORATOR');
    expect(readIssueComments([c], { ...options, trusted: ['OWNER'] }).latest).toBeNull();
    expect(readIssueComments([comment(blocked, 'dave', 'CONTRIBUTOR')], { ...options, trusted: ['contributor'] }).latest?.state.status).toBe('blocked');
  });

  it('reports a `Status: blocked` line without the marker, from anyone, and never counts it', () => {
    const stranger = comment('**Status:** blocked\n\n- Blocker: the dry-run\n- Next step: wait', 'mallory', 'NONE');
    const maintainer = comment('Status: blocked\n- Blocker: dry-run failed', 'alice', 'OWNER');
    const read = readIssueComments([stranger, maintainer], options);
    expect(read.latest).toBeNull();
    expect(read.ignored.map((i) => [i.id, i.why])).toEqual([
      [stranger.id, expect.stringMatching(/^it has a `Status:` line, but it was written by mallory \(NONE\)/)],
      [maintainer.id, "it has a `Status:` line but not the tool's hidden state: a hand-written status is not read as the release state"],
    ]);
  });

  it('takes the newest comment by its last edit, not by its place in the list', () => {
    const older = comment(blocked, 'release-bot', 'NONE', at(10), at(50)); // updated in place after the other was written
    const newer = comment(released, 'alice', 'MEMBER', at(40));
    expect(readIssueComments([older, newer], options).latest).toMatchObject({ comment: { id: older.id }, at: at(50), state: { status: 'blocked' } });
    const edited = comment(released, 'alice', 'MEMBER', at(40), at(55));
    expect(readIssueComments([older, edited], options).latest).toMatchObject({ comment: { id: edited.id }, state: { status: 'released' } });
  });

  it("reports a trusted comment of another package, and reads the package's newest version", () => {
    const other = comment(foldRelease([dryFail('1.0.0', 'other-crate')]), 'alice', 'MEMBER', at(45));
    const v020 = comment(blocked, 'release-bot', 'NONE', at(20));
    const v021 = comment(foldRelease([dryOk('0.2.1'), pubOk('0.2.1')]), 'release-bot', 'NONE', at(35));
    const read = readIssueComments([v020, v021, other], options);
    expect(read.latest?.state).toMatchObject({ version: '0.2.1', status: 'released' });
    expect(read.ignored).toEqual([{ id: other.id, author: 'alice', authorAssociation: 'MEMBER', why: 'its hidden state is of package other-crate, not demo' }]);
    // Without a package every package counts.
    expect(readIssueComments([v020, v021, other], { viewer: 'release-bot' }).latest?.state.package).toBe('other-crate');
  });

  it.each<[string, string, RegExp]>([
    ['garbled JSON', withJson('{"status":"blocked",'), /^its hidden state is not valid JSON/],
    ['JSON that is not an object', withJson('["blocked"]'), /^the hidden state is a list, not an object: it is not read$/],
    ['no status', withJson('{"package":"demo","version":"0.2.0"}'), /^the hidden state has no status/],
    ['a status this version does not know', withJson('{"package":"demo","status":"paused"}'), /^the hidden state.status is string "paused", not one of idle, in-progress/],
    ['a wrong type', withJson('{"package":"demo","status":"blocked","decisions":"none"}'), /^the hidden state.decisions is string "none", not a list/],
    ['a wrong nested type', withJson('{"package":"demo","status":"blocked","failure":{"phase":"dry-run","exitCode":"101"}}'), /^the hidden state.failure.exitCode is string "101", not a whole number/],
    ['a phase this version does not know', withJson('{"package":"demo","status":"blocked","failure":{"phase":"deploy"}}'), /failure.phase is string "deploy", not one of bump/],
    ['a package name with a newline', withJson('{"package":"demo\\n\\u001b[2J","status":"blocked"}'), /^the hidden state.package is string .*, not a package name/],
    ['an issue number below 1', withJson('{"package":"demo","status":"blocked","issue":-7}'), /issue is -7, not an issue number/],
    ['no closing of the hidden comment on its line', `${STATE_MARKER}{"package":"demo","status":"blocked"}\n-->`, /not closed by ` -->` on the same line/],
  ])('reports a trusted comment with %s, and reads nothing from it', (_name, body, why) => {
    const c = comment(body, 'alice', 'OWNER');
    const read = readIssueComments([c], options);
    expect(read.latest).toBeNull();
    expect(read.ignored).toHaveLength(1);
    expect(read.ignored[0]!.why).toMatch(why);
  });

  it('fills what an older version did not write with the defaults, and drops what it does not know', () => {
    const read = readIssueComments([comment(withJson('{"package":"demo","version":"0.2.0","issue":7,"status":"blocked","future":{"x":1},"completed":["bump","sign"]}'), 'alice', 'OWNER')], options);
    expect(read.ignored).toEqual([]);
    expect(read.latest?.state).toEqual({
      package: 'demo', version: '0.2.0', issue: 7, status: 'blocked', failure: null, published: 'unknown', decisions: [], completed: ['bump'],
      verifiedSinceFailure: false, nextAction: "read the status comment on the release's issue",
      commands: { dryRun: 'policy run -- cargo publish --dry-run', publish: 'policy run -- cargo publish' }, taken: false, running: [],
    });
  });

  it('does not count a hostile or misplaced marker from a trusted author', () => {
    const good = renderStatusComment(blocked, { ecosystem: 'cargo' });
    const hidden = good.split('\n').find((l) => l.startsWith(STATE_MARKER))!;
    const quoted = comment(`> ${good.split('\n').join('\n> ')}\nAgreed, see above.`, 'alice', 'OWNER');
    const fenced = comment(`The tool writes this:\n\n\`\`\`\n${hidden}\n\`\`\`\n`, 'alice', 'OWNER');
    const twice = comment(`${good}\n${hidden.replace('"blocked"', '"released"')}\n`, 'alice', 'OWNER');
    const inline = comment(`Note ${hidden}`, 'alice', 'OWNER');
    const read = readIssueComments([quoted, fenced, twice, inline], options);
    expect(read.latest).toBeNull();
    expect(read.ignored.map((i) => i.why)).toEqual([
      expect.stringMatching(/marker is not on a line of its own outside code/),
      expect.stringMatching(/marker is not on a line of its own outside code/),
      'it carries 2 hidden release states where the tool writes one: none of them is read',
      expect.stringMatching(/marker is not on a line of its own outside code/),
    ]);
  });

  it('keeps hostile text inside a trusted state as text: control characters removed, extra keys dropped, nothing polluted', () => {
    const json = JSON.stringify({
      package: 'demo', version: '0.2.0', status: 'blocked', published: 'no',
      failure: { phase: 'dry-run', command: 'cargo publish\u001b[2J\r', exitCode: 101, error: 'x\u202e --> <!-- y', at: at(1), reason: 'exit-nonzero' },
      nextAction: 'rerun\u0007 it', ['__proto__']: { polluted: true }, constructor: { prototype: { polluted: true } },
    });
    expect(json).toContain('"__proto__":{"polluted":true}');
    const safe = json.replace(/--/g, '-\\u002d').replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
    const read = readIssueComments([comment(withJson(safe), 'alice', 'OWNER')], options);
    const state = read.latest!.state;
    expect(state.failure).toEqual({ phase: 'dry-run', command: 'cargo publish[2J', exitCode: 101, error: 'x --> <!-- y', at: at(1), reason: 'exit-nonzero' });
    expect(state.nextAction).toBe('rerun it');
    expect(Object.keys(state)).not.toContain('constructor');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('marks running steps of another machine as not checkable from here', () => {
    const running: ReleaseState = { ...unknown, running: [{ phase: 'publish', at: at(3), command: 'cargo publish', pid: 4242, host: 'build-1', alive: 'yes' }] };
    const read = readIssueComments([comment(running, 'release-bot', 'NONE')], options);
    expect(read.latest?.state.running).toEqual([{ phase: 'publish', at: at(3), command: 'cargo publish', pid: 4242, host: 'build-1', alive: 'unknown' }]);
  });
});

describe('stateFromJson', () => {
  it.each([null, 7, 'blocked', [], {}, { status: 'blocked', running: [null] }, { status: 'blocked', lastVerification: { content: 'theirs' } }])(
    'gives a reason, never an exception, for %j',
    (json) => {
      const read = stateFromJson(json);
      expect('why' in read ? read.why : 'read').toMatch(/^the hidden state/);
    },
  );

  it('reads back every state the fold makes, unchanged', () => {
    for (const state of [blocked, unknown, released, closed, idle, foldRelease([dryOk(), pubUnknown(), { ...dryOk(), type: 'verification', published: 'yes', content: 'ours' }])]) {
      expect(stateFromJson(JSON.parse(JSON.stringify(state)))).toEqual({ state });
    }
  });
});

describe('mergeSharedState', () => {
  const shared = (state: ReleaseState, when: string) => ({ state, at: when, issue: 7 });

  it.each<[string, ReleaseState]>([['blocked', blocked], ['unknown', unknown], ['released', released]])(
    'gives a clone without a journal the %s state of the issue',
    (_name, state) => {
      expect(mergeSharedState({ state: idle, at: null }, shared(state, at(30)))).toEqual({ state, source: 'issue', disagreement: null });
    },
  );

  it('leaves a clone without a journal idle when the issue says the release is closed', () => {
    expect(mergeSharedState({ state: idle, at: null }, shared(closed, at(30)))).toEqual({ state: idle, source: 'journal', disagreement: null });
  });

  it('uses the journal when the issue carries no state', () => {
    expect(mergeSharedState({ state: blocked, at: at(1) }, null)).toEqual({ state: blocked, source: 'journal', disagreement: null });
  });

  it('says both when they agree, and keeps the journal (first-hand)', () => {
    const posted = { ...blocked, nextAction: 'as the issue words it' };
    expect(mergeSharedState({ state: blocked, at: at(1) }, shared(posted, at(2)))).toEqual({ state: blocked, source: 'both', disagreement: null });
  });

  it('takes the newer issue state and says how the journal disagrees', () => {
    const merged = mergeSharedState({ state: blocked, at: at(1) }, shared(released, at(20)));
    expect(merged.source).toBe('issue');
    expect(merged.state).toBe(released);
    expect(merged.disagreement).toBe(
      `the journal here says demo v0.2.0 is blocked (published: no) as of ${at(1)}, but issue #7's status comment says demo v0.2.0 is released (published: yes) as of ${at(20)}; ` +
      "the newer, the issue's, is used (if the two machines' clocks differ, run `policy verify` to confirm the registry state)",
    );
  });

  it('keeps the newer journal state (and the journal on a tie), saying how the issue disagrees', () => {
    const merged = mergeSharedState({ state: released, at: at(20) }, shared(blocked, at(5)));
    expect(merged).toMatchObject({ state: released, source: 'journal' });
    expect(merged.disagreement).toMatch(/issue #7's status comment says demo v0.2.0 is blocked \(published: no\) as of .*; the newer, the journal's, is used/);
    expect(mergeSharedState({ state: released, at: at(5) }, shared(blocked, at(5))).source).toBe('journal');
  });

  it('sees another version as a disagreement', () => {
    const next = foldRelease([dryFail('0.2.1')]);
    expect(mergeSharedState({ state: blocked, at: at(1) }, shared(next, at(9))).disagreement).toMatch(/issue #7's status comment says demo v0.2.1 is blocked/);
  });
});

describe('journalTime', () => {
  it("is the newest event of the package, status comments left out; null with none", () => {
    const events = [dryFail(), dryFail('1.0.0', 'other-crate')];
    const posted: JournalEvent = { ...events[0]!, id: 'c1', type: 'comment', at: at(59) };
    expect(journalTime([...events, posted], 'demo')).toBe(events[0]!.at);
    expect(journalTime([...events, posted], null)).toBe(events[1]!.at);
    expect(journalTime([posted], 'demo')).toBeNull();
    expect(journalTime([], 'demo')).toBeNull();
  });
});

describe('sharedReleases', () => {
  it('finds the releases trusted comments hold open, reports the rest, and names label-only issues', () => {
    const onNine = comment(`Status: blocked\n${renderStatusComment(blocked, { ecosystem: 'cargo' })}`, 'mallory', 'NONE');
    const result = sharedReleases([
      { number: 7, labels: ['status:blocked'], comments: [comment(blocked, 'release-bot', 'NONE', at(10))] },
      { number: 9, labels: [], comments: [onNine] },
      { number: 10, labels: ['Status:Blocked'], comments: [comment('Waiting on upstream.', 'alice', 'OWNER')] },
      { number: 11, labels: [], comments: [comment(released, 'alice', 'MEMBER', at(1)), comment(closed, 'alice', 'MEMBER', at(2))] },
      { number: 12, labels: [], comments: [comment(foldRelease([dryOk(), pubOk()].map((e) => ({ ...e, issue: 12 }))), 'alice', 'MEMBER')] },
    ], { viewer: 'release-bot' });
    expect(result.releases.map((r) => [r.issue, r.package, r.version, r.status, r.published])).toEqual([
      [7, 'demo', '0.2.0', 'blocked', 'no'],
      [12, 'demo', '0.2.0', 'released', 'yes'],
    ]);
    expect(result.releases[0]!.comment).toEqual({ id: expect.any(String), author: 'release-bot' });
    expect(result.ignored).toEqual([{ issue: 9, id: onNine.id, author: 'mallory', authorAssociation: 'NONE', why: expect.stringMatching(/written by mallory \(NONE\)/) }]);
    expect(result.labelOnly).toEqual([10]);
  });

  it("keeps only the package's releases when one is given", () => {
    const issues = [{ number: 7, labels: [], comments: [comment(foldRelease([dryFail('1.0.0', 'other-crate')]), 'alice', 'OWNER')] }];
    expect(sharedReleases(issues, options).releases).toEqual([]);
    expect(sharedReleases(issues, { viewer: '' }).releases.map((r) => r.package)).toEqual(['other-crate']);
  });
});
