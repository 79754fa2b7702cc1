import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatFileBatch, GitError, git, parseLogRaw, parseStatusPaths } from '../../src/facts/git.js';
import { gitSync, hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';

Object.assign(process.env, hermeticGitEnv);

describe('CatFileBatch', () => {
  let repo: TempRepo;
  // Bytes that break naive text parsing: newlines, a NUL, a multi-byte character, invalid UTF-8.
  const binary = Buffer.from([0x0a, 0x00, 0xe2, 0x82, 0xac, 0x0a, 0xff, 0xfe, 0x0a]);
  const large = 'x'.repeat(3 * 1024 * 1024 + 7) + '\n';

  beforeAll(() => {
    repo = makeRepo({ files: { 'a.txt': 'é\n', 'dir/b.txt': 'b', 'large.txt': large } });
    repo.commit('binary', { 'bin.dat': binary });
  });
  afterAll(() => repo.remove());

  it('returns each object with its byte size intact, and null for missing ones, in request order', async () => {
    const batch = new CatFileBatch(repo.dir, process.env);
    const [a, bin, missing, big, tree, newline, b] = await batch.readMany([
      'HEAD:a.txt',
      'HEAD:bin.dat',
      'HEAD:nope.txt',
      'HEAD:large.txt',
      'HEAD:dir',
      'HEAD:a\n.txt',
      'HEAD~1:dir/b.txt',
    ]);
    await batch.close();
    expect(a?.content.toString('utf8')).toBe('é\n');
    expect(a?.type).toBe('blob');
    expect(a?.oid).toBe(gitSync(repo.dir, ['rev-parse', 'HEAD:a.txt']));
    expect(bin?.content.equals(binary)).toBe(true);
    expect(missing).toBeNull();
    expect(big?.content.length).toBe(Buffer.byteLength(large));
    expect(tree?.type).toBe('tree');
    expect(newline).toBeNull();
    expect(b?.content.toString()).toBe('b');
  });

  it('answers requests made across event-loop turns on the same process', async () => {
    const batch = new CatFileBatch(repo.dir, process.env);
    const first = await batch.read('HEAD:a.txt');
    const second = await batch.read(':dir/b.txt');
    await batch.close();
    expect([first?.content.toString(), second?.content.toString()]).toEqual(['é\n', 'b']);
    await expect(batch.read('HEAD:a.txt')).rejects.toBeInstanceOf(GitError);
  });

  it('rejects with git stderr outside a repository', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'release-policy-nogit-'));
    const batch = new CatFileBatch(dir, process.env);
    await expect(batch.read('HEAD:x')).rejects.toThrow(/git cat-file --batch: fatal: not a git repository/);
    await batch.close();
    rmSync(dir, { recursive: true });
  });
});

describe('git', () => {
  it('carries the command and stderr in its error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'release-policy-nogit-'));
    const error = await git(dir, process.env, ['rev-parse', 'HEAD']).catch((e: unknown) => e);
    rmSync(dir, { recursive: true });
    expect(error).toBeInstanceOf(GitError);
    expect((error as GitError).command).toEqual(['rev-parse', 'HEAD']);
    expect((error as GitError).exitCode).toBe(128);
    expect((error as GitError).message).toMatch(/^git rev-parse HEAD: fatal: not a git repository/);
  });
});

describe('parseStatusPaths', () => {
  it('reads the branch, HEAD\'s commit and repository-relative paths from real porcelain v2 output', () => {
    const repo = makeRepo({ files: { 'a b.txt': '1', 'old.txt': 'same content here\n', 'sub/c.txt': '3' } });
    repo.write({ 'a b.txt': '2', 'new file.txt': 'n' });
    repo.git('mv', 'old.txt', 'sub/renamed.txt');
    const out = gitSync(join(repo.dir, 'sub'), ['status', '--porcelain=v2', '--branch', '-z']);
    expect(parseStatusPaths(out.split('\0'))).toEqual({
      branch: 'main',
      head: repo.git('rev-parse', 'HEAD'),
      paths: ['a b.txt', 'new file.txt', 'old.txt', 'sub/renamed.txt'],
    });
    repo.git('checkout', '-q', '--detach');
    expect(parseStatusPaths(repo.git('status', '--porcelain=v2', '--branch', '-z').split('\0')).branch).toBe('');
    repo.remove();
  });
});

describe('parseLogRaw', () => {
  it('splits commits, subjects and changed blobs, with deletions as ""', () => {
    const z = '0'.repeat(40);
    const out =
      `\x01${'a'.repeat(40)}\0first: a\x01b\0\n:000000 100644 ${z} ${'1'.repeat(40)} A\0Cargo.toml\0` +
      `\x01${'b'.repeat(40)}\0second\0\n:100644 000000 ${'1'.repeat(40)} ${z} D\0x y/Cargo.toml\0`;
    const expected = [
      { commit: 'a'.repeat(40), subject: 'first: a\x01b', files: [{ path: 'Cargo.toml', oid: '1'.repeat(40) }] },
      { commit: 'b'.repeat(40), subject: 'second', files: [{ path: 'x y/Cargo.toml', oid: '' }] },
    ];
    expect(parseLogRaw(out)).toEqual({ commits: expected, consumed: out.length });
  });

  it('gives the same commits whatever the chunk boundaries when streaming', () => {
    const z = '0'.repeat(40);
    const raw = (path: string): string => `\n:100644 100644 ${z} ${'2'.repeat(40)} M\0${path}\0`;
    const out = `\x01${'a'.repeat(40)}\0\x01odd\0${raw('A')}${raw('B')}\x01${'b'.repeat(40)}\0s\0${raw('C')}`;
    const whole = parseLogRaw(out).commits;
    expect(whole.map((c) => [c.subject, c.files.map((f) => f.path)])).toEqual([
      ['\x01odd', ['A', 'B']],
      ['s', ['C']],
    ]);
    for (let cut = 0; cut <= out.length; cut++) {
      const first = parseLogRaw(out.slice(0, cut), false);
      const second = parseLogRaw(out.slice(first.consumed), true);
      expect([...first.commits, ...second.commits]).toEqual(whole);
    }
  });
});
