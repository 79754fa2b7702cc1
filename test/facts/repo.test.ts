import { describe, it, expect } from 'vitest';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectFacts, type CollectRequest } from '../../src/facts/collect.js';
import type { PackageConfig } from '../../src/policy/model.js';
import { gitSync, hermeticGitEnv, makeRepo } from '../helpers/git-repo.js';

/** A change on the walked branch's own chain, judged against its `from`. */
// A next version (1.0.0 -> 1.1.0) needs no expected list: only a change to none of them carries one.
const onMainLine = (from: string, expected: string[]) => ({ via: '', since: from, expected, byLabel: false });

Object.assign(process.env, hermeticGitEnv);

const demo: PackageConfig = {
  name: 'demo',
  ecosystem: 'cargo',
  manifest: 'Cargo.toml',
  registry: 'crates-io',
  tag: 'v{version}',
  releaseNotes: 'RELEASE_v{version}.md',
};
const manifest = (version: string): string => `[package]\nname = "demo"\nversion = "${version}"\n`;
const ALL = ['repo', 'packages', 'tags', 'history', 'gate'] as const;
const SHALLOW = 'shallow clone: history is incomplete; run `git fetch --unshallow`';

const request = (cwd: string, needs: CollectRequest['needs'], defaultBranch = '', gate = 'tag'): CollectRequest => ({
  cwd,
  env: process.env,
  packages: [demo],
  defaultBranch,
  needs,
  gate: { name: gate, arg: 'v1.1.0' },
});

function cloneOf(source: string, ...options: string[]): { dir: string; remove: () => void } {
  const parent = mkdtempSync(join(tmpdir(), 'release-policy-clone-'));
  gitSync(parent, ['clone', '-q', ...options, `file://${source}`, 'clone']);
  return { dir: join(parent, 'clone'), remove: () => rmSync(parent, { recursive: true, force: true }) };
}

describe('repo', () => {
  it('reads branch, head, dirty paths, default branch from origin/HEAD and redacted remotes', async () => {
    const origin = makeRepo({ files: { 'Cargo.toml': manifest('1.0.0'), 'src/lib.rs': '' } });
    const clone = cloneOf(origin.dir);
    gitSync(clone.dir, ['checkout', '-q', '-b', 'codex/issue-7-fix']);
    gitSync(clone.dir, ['remote', 'add', 'mirror', 'https://bot:ghp_secret@example.com/o/r.git?token=abc']);
    gitSync(clone.dir, ['config', '--add', 'remote.mirror.url', 'https://second.example.com/r.git']);
    const head = gitSync(clone.dir, ['rev-parse', 'HEAD']);
    const { facts, unavailable } = await collectFacts({
      ...request(join(clone.dir, 'src'), ['repo', 'gate']),
      issuePatterns: ['issue-{issue}', 'codex/issue-{issue}-*'],
    });
    expect(unavailable).toEqual({});
    expect(facts.gate).toEqual({ name: 'tag', arg: 'v1.1.0' });
    expect(facts.repo).toEqual({
      root: realpathSync(clone.dir),
      branch: 'codex/issue-7-fix',
      head,
      defaultBranch: 'main',
      shallow: false,
      dirty: [],
      remotes: [
        { name: 'origin', url: `file://${origin.dir}` },
        { name: 'mirror', url: 'https://example.com/o/r.git' },
      ],
      issue: 7,
    });
    expect(JSON.stringify(facts)).not.toContain('secret');

    gitSync(clone.dir, ['checkout', '-q', '--detach']);
    writeFileSync(join(clone.dir, 'Cargo.toml'), manifest('1.1.0'));
    writeFileSync(join(clone.dir, 'notes new.md'), 'x');
    const again = await collectFacts(request(clone.dir, ['repo'], 'release'));
    expect([again.facts.repo?.branch, again.facts.repo?.dirty, again.facts.repo?.defaultBranch]).toEqual([
      '',
      ['Cargo.toml', 'notes new.md'],
      'release',
    ]);
    clone.remove();
    origin.remove();
  });

  it('walks origin/<default> when the local branch does not exist (CI checkouts)', async () => {
    const origin = makeRepo({ files: { 'Cargo.toml': manifest('1.0.0') } });
    const bump = origin.commit('bump', { 'Cargo.toml': manifest('1.1.0') });
    const clone = cloneOf(origin.dir);
    gitSync(clone.dir, ['checkout', '-q', '--detach']);
    gitSync(clone.dir, ['branch', '-q', '-D', 'main']);
    const { facts, unavailable } = await collectFacts(request(clone.dir, ['history']));
    expect(unavailable).toEqual({});
    expect(facts.history).toEqual({ branch: 'main', changes: [{ package: 'demo', from: '1.0.0', to: '1.1.0', commit: bump, subject: 'bump', ...onMainLine('1.0.0', []) }] });
    clone.remove();
    origin.remove();
  });
});

describe('incomplete or missing history', () => {
  it('marks tags and history unavailable in a shallow clone, and still reads repo and packages', async () => {
    const origin = makeRepo({ files: { 'Cargo.toml': manifest('1.0.0') } });
    origin.tag('v1.0.0');
    origin.commit('bump', { 'Cargo.toml': manifest('1.1.0') });
    const clone = cloneOf(origin.dir, '--depth', '1');
    const { facts, unavailable } = await collectFacts(request(clone.dir, ALL));
    expect(unavailable).toEqual({ tags: SHALLOW, history: SHALLOW });
    expect(facts.tags).toBeUndefined();
    expect(facts.history).toBeUndefined();
    expect([facts.repo?.shallow, facts.repo?.defaultBranch, facts.packages?.[0]?.version]).toEqual([true, 'main', '1.1.0']);
    clone.remove();
    origin.remove();
  });

  it('says how to fix a missing default branch when the audit needs it', async () => {
    const repo = makeRepo({ branch: 'dev', files: { 'Cargo.toml': manifest('1.0.0') } });
    const missing = await collectFacts(request(repo.dir, ['repo', 'history'], '', 'audit'));
    expect(missing.facts.repo?.defaultBranch).toBe('');
    expect(missing.unavailable.history).toMatch(/^no default branch found .*set `defaultBranch` in release-policy\.yml or create the branch$/);
    const wrong = await collectFacts(request(repo.dir, ['history'], 'trunk', 'audit'));
    expect(wrong.unavailable.history).toMatch(/^default branch `trunk` exists neither locally nor as origin\/trunk/);
    expect((await collectFacts(request(repo.dir, ['history'], 'dev', 'audit'))).facts.history).toEqual({ branch: 'dev', changes: [] });
    repo.git('config', 'init.defaultBranch', 'dev');
    const configured = await collectFacts(request(repo.dir, ['repo', 'history'], '', 'audit'));
    expect([configured.facts.repo?.defaultBranch, configured.facts.history?.branch]).toEqual(['dev', 'dev']);
    repo.remove();
  });

  it('needs no default branch for the other gates: they walk HEAD', async () => {
    const repo = makeRepo({ branch: 'dev', files: { 'Cargo.toml': manifest('1.0.0') } });
    const bump = repo.commit('bump', { 'Cargo.toml': manifest('1.1.0') });
    for (const [gate, configured] of [['ci', ''], ['review', 'trunk']] as const) {
      const { facts, unavailable } = await collectFacts(request(repo.dir, ['repo', 'history'], configured, gate));
      expect(unavailable).toEqual({});
      expect(facts.repo?.defaultBranch).toBe(configured);
      expect(facts.history).toEqual({ branch: 'dev', changes: [{ package: 'demo', from: '1.0.0', to: '1.1.0', commit: bump, subject: 'bump', ...onMainLine('1.0.0', []) }] });
    }
    repo.remove();
  });

  it('gives empty tags and history in a repository without commits', async () => {
    const repo = makeRepo();
    const { facts, unavailable } = await collectFacts(request(repo.dir, ALL));
    expect(unavailable).toEqual({});
    expect([facts.repo?.head, facts.repo?.branch, facts.tags, facts.history]).toEqual(['', 'main', [], { branch: '', changes: [] }]);
    expect(facts.packages?.[0]?.manifestError).toBe('Cargo.toml: file not found');
    repo.remove();
  });

  it('marks every git fact unavailable outside a repository, and still copies the gate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'release-policy-nogit-'));
    const { facts, unavailable } = await collectFacts(request(dir, ALL));
    rmSync(dir, { recursive: true });
    expect(facts).toEqual({ gate: { name: 'tag', arg: 'v1.1.0' } });
    expect(Object.keys(unavailable).sort()).toEqual(['history', 'packages', 'repo', 'tags']);
    expect(unavailable.repo).toMatch(/^not a git work tree \(.*\): git rev-parse .*: fatal: not a git repository/);
  });

  it('starts no git process when only the gate is needed', async () => {
    const { facts, unavailable } = await collectFacts(request('/nonexistent/dir', ['gate']));
    expect([facts, unavailable]).toEqual([{ gate: { name: 'tag', arg: 'v1.1.0' } }, {}]);
    const missing = await collectFacts(request('/nonexistent/dir', ['repo']));
    expect(missing.unavailable.repo).toMatch(/^not a git work tree \(\/nonexistent\/dir\): .*cannot run git in \/nonexistent\/dir/);
  });
});
