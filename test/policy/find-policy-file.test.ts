import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { findPolicyFile } from '../../src/policy/read-policy.js';
import { PolicyFileProblem } from '../../src/policy/locate.js';

describe('findPolicyFile', () => {
  // outer/release-policy.yml sits above the repository and must never be found from inside it.
  const outer = mkdtempSync(join(tmpdir(), 'find-policy-'));
  afterAll(() => rmSync(outer, { recursive: true, force: true }));
  const repo = join(outer, 'repo');
  const deep = join(repo, 'crates', 'core', 'src');
  mkdirSync(deep, { recursive: true });
  mkdirSync(join(repo, '.git'));
  writeFileSync(join(outer, 'release-policy.yml'), 'version: 1\n');

  test('stops at the repository root', () => {
    expect(findPolicyFile(deep)).toBeNull();
    expect(findPolicyFile(repo)).toBeNull();
  });

  test('finds the file in the current folder or a parent inside the repository', () => {
    writeFileSync(join(repo, 'release-policy.yaml'), 'version: 1\n');
    expect(findPolicyFile(deep)).toBe(join(repo, 'release-policy.yaml'));
    rmSync(join(repo, 'release-policy.yaml'));
    writeFileSync(join(repo, 'release-policy.yml'), 'version: 1\n');
    expect(findPolicyFile(deep)).toBe(join(repo, 'release-policy.yml'));
    writeFileSync(join(repo, 'crates', 'release-policy.yml'), 'version: 1\n');
    expect(findPolicyFile(deep)).toBe(join(repo, 'crates', 'release-policy.yml'));
  });

  test('a worktree or submodule root (.git file) is a repository root too', () => {
    const worktree = join(outer, 'worktree', 'sub');
    mkdirSync(worktree, { recursive: true });
    writeFileSync(join(outer, 'worktree', '.git'), 'gitdir: /elsewhere\n');
    expect(findPolicyFile(worktree)).toBeNull();
  });

  test('outside any repository only the current folder counts', () => {
    const loose = mkdtempSync(join(tmpdir(), 'no-repo-'));
    try {
      expect(findPolicyFile(loose)).toBeNull();
      writeFileSync(join(loose, 'release-policy.yml'), 'version: 1\n');
      expect(findPolicyFile(loose)).toBe(join(loose, 'release-policy.yml'));
    } finally {
      rmSync(loose, { recursive: true, force: true });
    }
  });

  test('both names in one folder, or a name that is not a regular file, is a problem, never skipped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'no-repo-'));
    const problem = (): string => {
      try {
        findPolicyFile(dir);
      } catch (error) {
        expect(error).toBeInstanceOf(PolicyFileProblem);
        return (error as Error).message;
      }
      return 'no problem';
    };
    try {
      writeFileSync(join(dir, 'release-policy.yml'), 'version: 1\n');
      writeFileSync(join(dir, 'release-policy.yaml'), 'version: [\n');
      expect(problem()).toBe(`two policy files: ${join(dir, 'release-policy.yml')} and ${join(dir, 'release-policy.yaml')}`);
      rmSync(join(dir, 'release-policy.yaml'));
      rmSync(join(dir, 'release-policy.yml'));
      mkdirSync(join(dir, 'release-policy.yml'));
      expect(problem()).toBe(`${join(dir, 'release-policy.yml')} is a directory`);
      rmSync(join(dir, 'release-policy.yml'), { recursive: true });
      symlinkSync('gone.yml', join(dir, 'release-policy.yml'));
      expect(problem()).toBe(`${join(dir, 'release-policy.yml')} is a symbolic link to gone.yml, which does not exist`);
      rmSync(join(dir, 'release-policy.yml'));
      execFileSync('mkfifo', [join(dir, 'release-policy.yaml')]);
      expect(problem()).toBe(`${join(dir, 'release-policy.yaml')} is a FIFO, not a regular file`);
      rmSync(join(dir, 'release-policy.yaml'));
      writeFileSync(join(dir, 'real.yml'), 'version: 1\n');
      symlinkSync('real.yml', join(dir, 'release-policy.yml'));
      expect(findPolicyFile(dir)).toBe(join(dir, 'release-policy.yml'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
