// The push fact from git's pre-push lines, on real repositories: what each kind of line
// means (creation, update, deletion, re-tag, raw object, HEAD), tags peeled to commits, the
// commits a push brings and the version changes they carry.
import { afterEach, describe, expect, it } from 'vitest';
import { collectPush, parsePushInput, PushInputError } from '../../src/facts/pre-push.js';
import type { PackageConfig } from '../../src/policy/model.js';
import { makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_GIT } from '../helpers/tools.js';

const ZERO = '0'.repeat(40);
const demo: PackageConfig = { name: 'demo', ecosystem: 'cargo', manifest: 'Cargo.toml', registry: '', tag: 'v{version}', releaseNotes: 'RELEASE_v{version}.md' };
const cargo = (version: string): string => `[package]\nname = "demo"\nversion = "${version}"\n`;

describe('parsePushInput', () => {
  it('reads the four fields of every line and skips none', () => {
    const sha = 'a'.repeat(40);
    expect(parsePushInput(`refs/heads/main ${sha} refs/heads/main ${ZERO}\n(delete) ${ZERO} refs/tags/v1 ${sha}\n`)).toEqual([
      { localRef: 'refs/heads/main', localObject: sha, remoteRef: 'refs/heads/main', remoteObject: ZERO },
      { localRef: '(delete)', localObject: ZERO, remoteRef: 'refs/tags/v1', remoteObject: sha },
    ]);
    expect(parsePushInput('')).toEqual([]);
  });

  it('names the line of anything git would not write', () => {
    expect(() => parsePushInput(`refs/heads/main ${ZERO}\n`)).toThrow(PushInputError);
    expect(() => parsePushInput(`x ${'a'.repeat(40)} refs/heads/x ${ZERO}\nHEAD nothex refs/heads/main ${ZERO}\n`)).toThrow(/line 2: the local object "nothex"/);
    expect(() => parsePushInput(`HEAD ${'a'.repeat(40)} main ${ZERO}\n`)).toThrow(/line 1: the remote ref "main" is not a full ref name/);
  });
});

describe.skipIf(!HAS_GIT)('collectPush on a real repository', () => {
  let repo: TempRepo;
  let remote: TempRepo;
  afterEach(() => {
    repo?.remove();
    remote?.remove();
  });

  function setUp(): { base: string } {
    repo = makeRepo({ files: { 'Cargo.toml': cargo('0.1.0'), 'src/lib.rs': '' } });
    remote = makeRepo();
    remote.git('config', 'receive.denyCurrentBranch', 'ignore');
    repo.git('remote', 'add', 'origin', remote.dir);
    repo.git('push', '-q', 'origin', 'main');
    return { base: repo.git('rev-parse', 'HEAD') };
  }

  const request = (lines: string, remoteName = 'origin') => ({
    root: repo.dir,
    env: process.env,
    remote: remoteName,
    url: remote.dir,
    lines: parsePushInput(lines),
    packages: [demo],
    issuePatterns: ['issue-{issue}-*'],
  });

  it('a branch update brings only the new commits, with files, references and version changes', async () => {
    const { base } = setUp();
    const bump = repo.commit('bump to 0.2.0\n\nRefs #7', { 'Cargo.toml': cargo('0.2.0') });
    const fix = repo.commit('fix the parser\n\nFixes #7', { 'src/lib.rs': 'pub fn x() {}\n', 'old.txt': null });
    const push = await collectPush(request(`refs/heads/main ${fix} refs/heads/main ${base}\n`));
    expect(push.refs).toEqual([{
      ref: 'refs/heads/main', name: 'main', kind: 'branch', action: 'update', localRef: 'refs/heads/main',
      localCommit: fix, remoteCommit: base, package: '', packages: [], version: '', manifestVersion: '', issue: 0,
    }]);
    expect(push.commits.map((c) => c.id)).toEqual([fix, bump]);
    expect(push.commits[0]).toMatchObject({ subject: 'fix the parser', files: ['src/lib.rs'], closes: [7], issues: [7], versions: [] });
    expect(push.commits[1]).toMatchObject({ subject: 'bump to 0.2.0', files: ['Cargo.toml'], closes: [], versions: [{ package: 'demo', from: '0.1.0', to: '0.2.0' }] });
  });

  it('a new branch to a named remote excludes what the remote already has, and names its issue', async () => {
    setUp();
    repo.git('checkout', '-q', '-b', 'issue-8-next');
    const work = repo.commit('parser work', { 'src/parser.rs': '' });
    const push = await collectPush(request(`refs/heads/issue-8-next ${work} refs/heads/issue-8-next ${ZERO}\n`));
    expect(push.refs[0]).toMatchObject({ name: 'issue-8-next', kind: 'branch', action: 'create', issue: 8, remoteCommit: '' });
    expect(push.commits.map((c) => c.id)).toEqual([work]);
  });

  it('an annotated release tag is peeled to its commit and carries the manifest version there', async () => {
    setUp();
    const head = repo.git('rev-parse', 'HEAD');
    repo.tag('v0.2.0', { message: 'release' });
    const tagObject = repo.git('rev-parse', 'v0.2.0');
    expect(tagObject).not.toBe(head);
    const push = await collectPush(request(`refs/tags/v0.2.0 ${tagObject} refs/tags/v0.2.0 ${ZERO}\n`));
    const expected = { name: 'v0.2.0', kind: 'tag', action: 'create', localCommit: head, package: 'demo', version: '0.2.0', manifestVersion: '0.1.0' };
    expect(push.refs[0]).toMatchObject(expected);
    expect(push.tags).toHaveLength(1);
    expect(push.commits).toEqual([]); // the tagged commit is on the remote already
  });

  it('a re-tag is an update of a tag; a deletion has no local commit; raw shas and HEAD are kept as given', async () => {
    const { base } = setUp();
    const next = repo.commit('more', { 'src/more.rs': '' });
    const push = await collectPush(request([
      `refs/tags/v0.1.0 ${next} refs/tags/v0.1.0 ${base}`,
      `(delete) ${ZERO} refs/tags/v0.0.9 ${base}`,
      `${next} ${next} refs/tags/v0.1.1 ${ZERO}`,
      `HEAD ${next} refs/heads/main ${base}`,
      '',
    ].join('\n')));
    expect(push.refs.map((r) => [r.name, r.kind, r.action, r.localRef, r.localCommit === '' ? '' : 'set'])).toEqual([
      ['v0.1.0', 'tag', 'update', 'refs/tags/v0.1.0', 'set'],
      ['v0.0.9', 'tag', 'delete', '(delete)', ''],
      ['v0.1.1', 'tag', 'create', next, 'set'],
      ['main', 'branch', 'update', 'HEAD', 'set'],
    ]);
    expect(push.tags.map((t) => t.name)).toEqual(['v0.1.0', 'v0.0.9', 'v0.1.1']);
    expect(push.commits.map((c) => c.id)).toEqual([next]);
  });

  it('a remote object this clone lacks is no base, and a push to a URL uses no remote-tracking refs', async () => {
    setUp();
    const work = repo.commit('work', { 'src/w.rs': '' });
    const unknown = 'b'.repeat(40);
    const push = await collectPush(request(`refs/heads/main ${work} refs/heads/main ${unknown}\n`, remote.dir));
    // Nothing known of the remote: the whole history of main counts as brought.
    expect(push.commits.map((c) => c.subject)).toEqual(['work', 'initial']);
  });
});
