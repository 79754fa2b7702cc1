import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectCommit, emptyCommit, emptyPush, messageFacts, tagPush } from '../../src/facts/push.js';
import type { PackageConfig } from '../../src/policy/model.js';
import { gitSync, hermeticGitEnv, makeRepo, type Files, type TempRepo } from '../helpers/git-repo.js';
import { HAS_GIT } from '../helpers/tools.js';

// These tests hand the collectors process.env: give it an identity and no machine config.
Object.assign(process.env, hermeticGitEnv);

function cargoPackage(name: string, tag: string): PackageConfig {
  return { name, ecosystem: 'cargo', manifest: 'Cargo.toml', registry: 'crates-io', tag, releaseNotes: 'RELEASE_v{version}.md' };
}

const demo = cargoPackage('demo', 'v{version}');
const goSdk: PackageConfig = { ...cargoPackage('demo-go', 'sdks/go/v{version}'), manifest: 'sdks/go/Cargo.toml' };

describe('emptyPush / emptyCommit', () => {
  it('are empty and fresh each time', () => {
    expect(emptyPush()).toEqual({ remote: '', refs: [], tags: [], commits: [] });
    expect(emptyCommit()).toEqual({ paths: [], deleted: [], message: '', issues: [], closes: [] });
    const a = emptyCommit();
    a.paths.push('x');
    expect(emptyCommit().paths).toEqual([]);
  });
});

describe('tagPush', () => {
  it('gives a release tag its package and version and lists it in tags', () => {
    const push = tagPush('v0.2.0', [demo]);
    const ref = {
      ref: 'refs/tags/v0.2.0',
      name: 'v0.2.0',
      kind: 'tag',
      action: 'create',
      localRef: '',
      localCommit: '',
      remoteCommit: '',
      package: 'demo',
      packages: ['demo'],
      version: '0.2.0',
      manifestVersion: '',
      issue: 0,
    };
    expect(push).toEqual({ remote: '', refs: [ref], tags: [ref], commits: [] });
  });

  it('strips a refs/tags/ prefix', () => {
    const push = tagPush('refs/tags/v0.2.0', [demo]);
    expect(push.refs).toHaveLength(1);
    expect(push.refs[0]).toMatchObject({ ref: 'refs/tags/v0.2.0', name: 'v0.2.0', package: 'demo', version: '0.2.0' });
    expect(push.tags).toEqual(push.refs);
  });

  it('keeps the local commit it is given', () => {
    const push = tagPush('v1.0.0', [demo], 'a'.repeat(40));
    expect(push.refs[0]?.localCommit).toBe('a'.repeat(40));
    expect(push.tags[0]?.localCommit).toBe('a'.repeat(40));
  });

  it('lists a tag that is no release tag in refs only, without package or version', () => {
    for (const name of ['nightly', 'vnext', 'v', 'release-0.2.0']) {
      const push = tagPush(name, [demo]);
      expect(push.refs).toEqual([
        expect.objectContaining({ ref: `refs/tags/${name}`, name, kind: 'tag', action: 'create', package: '', version: '' }),
      ]);
      expect(push.tags).toEqual([]);
    }
  });

  it('lists every tag in refs only when there are no packages', () => {
    const push = tagPush('v0.2.0', []);
    expect(push.refs[0]).toMatchObject({ name: 'v0.2.0', package: '', version: '' });
    expect(push.tags).toEqual([]);
  });

  it('tells tags of packages with templates v{version} and sdks/go/v{version} apart', () => {
    for (const packages of [[demo, goSdk], [goSdk, demo]]) {
      expect(tagPush('v0.2.0', packages).tags[0]).toMatchObject({ package: 'demo', version: '0.2.0' });
      expect(tagPush('sdks/go/v0.4.0', packages).tags[0]).toMatchObject({
        ref: 'refs/tags/sdks/go/v0.4.0',
        name: 'sdks/go/v0.4.0',
        package: 'demo-go',
        version: '0.4.0',
      });
      expect(tagPush('refs/tags/sdks/go/v0.4.0', packages).tags[0]).toMatchObject({ name: 'sdks/go/v0.4.0', package: 'demo-go' });
      expect(tagPush('sdks/rust/v0.4.0', packages).tags).toEqual([]);
    }
  });

  it('prefers the more specific of two templates that both match (v{version} and v{version}-go)', () => {
    const go = cargoPackage('demo-go', 'v{version}-go');
    for (const packages of [[demo, go], [go, demo]]) {
      expect(tagPush('v0.4.0-go', packages).tags[0]).toMatchObject({ package: 'demo-go', version: '0.4.0' });
      expect(tagPush('v0.4.0', packages).tags[0]).toMatchObject({ package: 'demo', version: '0.4.0' });
    }
  });

  it('keeps a pre-release or build version whole', () => {
    expect(tagPush('v1.0.0-rc.1+build.5', [demo]).tags[0]).toMatchObject({ version: '1.0.0-rc.1+build.5' });
  });
});

describe('messageFacts', () => {
  it('finds issues and closing references', () => {
    expect(messageFacts('Fix tag order (#12)\n\nFixes #7, closes acme/widgets#8\nSee GH-3\n')).toEqual({
      message: 'Fix tag order (#12)\n\nFixes #7, closes acme/widgets#8\nSee GH-3',
      issues: [12, 7, 8, 3],
      closes: [7, 8],
    });
  });

  it('drops comment lines starting with # and trims the message', () => {
    const file = [
      '',
      'Fix tagging',
      '',
      'Refs #4',
      '# Please enter the commit message for your changes. See #99.',
      '# Fixes #98',
      '#',
      '# On branch issue-5-x',
      '',
    ].join('\n');
    expect(messageFacts(file)).toEqual({ message: 'Fix tagging\n\nRefs #4', issues: [4], closes: [] });
  });

  it('keeps a line with # later in the line or indented', () => {
    const facts = messageFacts('Subject\n  #6 indented\nsee #7');
    expect(facts.message).toBe('Subject\n  #6 indented\nsee #7');
    expect(facts.issues).toEqual([6, 7]);
  });

  it('gives empty facts for an empty or comment-only message', () => {
    expect(messageFacts('')).toEqual({ message: '', issues: [], closes: [] });
    expect(messageFacts('# only a comment\n#\n')).toEqual({ message: '', issues: [], closes: [] });
  });

  it('ignores everything below the scissors line of `git commit -v`', () => {
    // The message file git hands commit-msg under `git commit -v` (or commit.verbose): the diff
    // below the scissors line is no part of the message git records.
    const file = [
      'Add a',
      '',
      '# Please enter the commit message for your changes. Lines starting',
      "# with '#' will be ignored, and an empty message aborts the commit.",
      '#',
      '# ------------------------ >8 ------------------------',
      '# Do not modify or remove the line above.',
      '# Everything below it will be ignored.',
      'diff --git a/a b/a',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/a',
      '@@ -0,0 +1 @@',
      '+Fixes #5',
      '',
    ].join('\n');
    expect(messageFacts(file)).toEqual({ message: 'Add a', issues: [], closes: [] });
  });
});

describe.skipIf(!HAS_GIT)('collectCommit', () => {
  let repo: TempRepo;
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });
  function newRepo(files?: Files): TempRepo {
    const made = makeRepo(files === undefined ? {} : { files });
    cleanups.push(made.remove);
    return made;
  }

  describe('with a first commit', () => {
    beforeEach(() => {
      repo = newRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n', 'keep.txt': 'k\n' });
    });

    it('lists staged added, modified and deleted paths for pre-commit, deleted ones also in deleted', async () => {
      repo.write({ 'a.txt': 'changed\n', 'd.txt': 'd\n', 'dir/with space.txt': 's\n', 'ünï.txt': 'u\n' });
      repo.git('add', 'a.txt', 'd.txt', 'dir/with space.txt', 'ünï.txt');
      repo.git('rm', '-q', 'b.txt');
      repo.write({ 'c.txt': 'unstaged change\n', 'untracked.txt': 'u\n' });

      const fact = await collectCommit(repo.dir, process.env, { name: 'pre-commit', arg: '' });
      expect(fact).toEqual({
        paths: ['a.txt', 'b.txt', 'd.txt', 'dir/with space.txt', 'ünï.txt'],
        deleted: ['b.txt'],
        message: '',
        issues: [],
        closes: [],
      });
    });

    it('lists a rename as a deletion and an addition', async () => {
      repo.git('mv', 'a.txt', 'z.txt');
      const fact = await collectCommit(repo.dir, process.env, { name: 'pre-commit', arg: '' });
      expect(fact.paths).toEqual(['a.txt', 'z.txt']);
      expect(fact.deleted).toEqual(['a.txt']);
    });

    it('lists nothing when nothing is staged', async () => {
      repo.write({ 'a.txt': 'unstaged\n' });
      expect(await collectCommit(repo.dir, process.env, { name: 'pre-commit', arg: '' })).toEqual(emptyCommit());
    });

    it('reads the index git names in GIT_INDEX_FILE (git commit -a, git commit PATH)', async () => {
      const index = join(repo.dir, '.git', 'alt-index');
      repo.write({ 'keep.txt': 'changed\n' });
      gitSync(repo.dir, ['read-tree', 'HEAD'], { GIT_INDEX_FILE: index });
      gitSync(repo.dir, ['add', 'keep.txt'], { GIT_INDEX_FILE: index });
      const saved = process.env.GIT_INDEX_FILE;
      process.env.GIT_INDEX_FILE = index;
      try {
        const fact = await collectCommit(repo.dir, process.env, { name: 'pre-commit', arg: '' });
        expect(fact.paths).toEqual(['keep.txt']);
      } finally {
        if (saved === undefined) delete process.env.GIT_INDEX_FILE;
        else process.env.GIT_INDEX_FILE = saved;
      }
      // The regular index has nothing staged.
      expect((await collectCommit(repo.dir, process.env, { name: 'pre-commit', arg: '' })).paths).toEqual([]);
    });

    it('reads the message file (relative to root) for commit-msg, with the staged paths', async () => {
      repo.write({ 'a.txt': 'changed\n' });
      repo.git('add', 'a.txt');
      writeFileSync(
        join(repo.dir, '.git', 'COMMIT_EDITMSG'),
        'Fix tag order (#12)\n\nFixes #7 and #8\n# Please enter the commit message. #99\n',
      );
      const fact = await collectCommit(repo.dir, process.env, { name: 'commit-msg', arg: '.git/COMMIT_EDITMSG' });
      expect(fact).toEqual({
        paths: ['a.txt'],
        deleted: [],
        message: 'Fix tag order (#12)\n\nFixes #7 and #8',
        issues: [12, 7, 8],
        closes: [7, 8],
      });
    });

    it('reads a message file given by an absolute path', async () => {
      const file = join(repo.dir, 'msg.txt');
      writeFileSync(file, 'Closes #3\n');
      const fact = await collectCommit(repo.dir, process.env, { name: 'commit-msg', arg: file });
      expect(fact).toMatchObject({ message: 'Closes #3', issues: [3], closes: [3] });
    });

    it('has an empty message for commit-msg without a message file', async () => {
      repo.git('rm', '-q', 'c.txt');
      const fact = await collectCommit(repo.dir, process.env, { name: 'commit-msg', arg: '' });
      expect(fact).toEqual({ paths: ['c.txt'], deleted: ['c.txt'], message: '', issues: [], closes: [] });
    });

    it('does not read the message file for pre-commit', async () => {
      writeFileSync(join(repo.dir, 'msg.txt'), 'Fixes #3\n');
      const fact = await collectCommit(repo.dir, process.env, { name: 'pre-commit', arg: 'msg.txt' });
      expect(fact).toEqual(emptyCommit());
    });
  });

  describe('on an unborn branch', () => {
    beforeEach(() => {
      repo = newRepo();
    });

    it('lists every staged path on the first commit', async () => {
      repo.write({ 'Cargo.toml': '[package]\n', 'src/lib.rs': '\n', '.cargo/config.toml': '\n', 'not-staged.txt': 'x\n' });
      repo.git('add', 'Cargo.toml', 'src/lib.rs', '.cargo/config.toml');
      const fact = await collectCommit(repo.dir, process.env, { name: 'pre-commit', arg: '' });
      expect(fact).toEqual({
        paths: ['.cargo/config.toml', 'Cargo.toml', 'src/lib.rs'],
        deleted: [],
        message: '',
        issues: [],
        closes: [],
      });
    });

    it('lists nothing when nothing is staged yet', async () => {
      expect(await collectCommit(repo.dir, process.env, { name: 'pre-commit', arg: '' })).toEqual(emptyCommit());
    });

    it('gives message and paths for commit-msg on the first commit', async () => {
      repo.write({ 'a.txt': 'a\n', 'msg': 'Initial commit\n\nresolves #1\n' });
      repo.git('add', 'a.txt');
      const fact = await collectCommit(repo.dir, process.env, { name: 'commit-msg', arg: 'msg' });
      expect(fact).toEqual({ paths: ['a.txt'], deleted: [], message: 'Initial commit\n\nresolves #1', issues: [1], closes: [1] });
    });
  });

  describe('for any other gate', () => {
    it.each(['pre-push', 'tag', 'ci', 'post-commit', ''])('gives the empty fact for gate %j', async (name) => {
      repo = newRepo({ 'a.txt': 'a\n' });
      repo.write({ 'a.txt': 'changed\n', 'msg': 'Fixes #1\n' });
      repo.git('add', 'a.txt');
      expect(await collectCommit(repo.dir, process.env, { name, arg: 'msg' })).toEqual(emptyCommit());
    });

    it('does not need a repository', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'release-policy-norepo-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      expect(await collectCommit(dir, process.env, { name: 'pre-push', arg: '' })).toEqual(emptyCommit());
    });
  });
});
