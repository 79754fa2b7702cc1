import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { collectFacts, type CollectRequest } from '../../src/facts/collect.js';
import type { PackageConfig } from '../../src/policy/model.js';
import type { HistoryFact } from '../../src/facts/model.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';

Object.assign(process.env, hermeticGitEnv);

const core: PackageConfig = {
  name: 'core',
  ecosystem: 'cargo',
  manifest: 'crates/core/Cargo.toml',
  registry: 'crates-io',
  tag: 'v{version}',
  releaseNotes: 'RELEASE_v{version}.md',
};
const lib: PackageConfig = { ...core, name: 'lib', manifest: 'crates/lib/Cargo.toml', tag: 'lib-v{version}' };
const goSdk: PackageConfig = { ...core, name: 'go-sdk', ecosystem: 'npm', manifest: 'sdks/go/package.json', tag: 'sdks/go/v{version}' };

const request = (cwd: string, packages: PackageConfig[], needs: CollectRequest['needs'], gate = 'audit'): CollectRequest => ({
  cwd,
  env: process.env,
  packages,
  defaultBranch: '',
  needs,
  gate: { name: gate, arg: '' },
});

const root = (version: string): string => `[workspace]\nmembers = ["crates/*"]\n[workspace.package]\nversion = "${version}"\n`;
const member = `[package]\nname = "core"\nversion.workspace = true\n`;
const crate = (version: string): string => `[package]\nname = "lib"\nversion = "${version}"\n`;

/** The fields these tests are about; test/facts/history-merges.test.ts covers `since` and `expected`. */
const moves = (history: HistoryFact | undefined) =>
  history && {
    branch: history.branch,
    changes: history.changes.map(({ package: pkg, from, to, commit, subject, via }) => ({ package: pkg, from, to, commit, subject, via })),
  };

describe('tags', () => {
  let repo: TempRepo;
  const commits: Record<string, string> = {};
  beforeAll(() => {
    repo = makeRepo({ files: { 'README.md': 'demo\n' } });
    commits.c0 = repo.git('rev-parse', 'HEAD');
    repo.tag('sdks/go/v0.0.1');
    commits.c1 = repo.commit('c1', {
      'Cargo.toml': root('1.0.0'),
      'crates/core/Cargo.toml': member,
      'sdks/go/package.json': '{"name": "go-sdk", "version": "0.1.0"}',
    });
    repo.tag('v1.0.0');
    repo.tag('sdks/go/v0.1.0', { message: 'go sdk 0.1.0' });
    for (const odd of ['v', 'vfoo', 'v1.2', 'v1.0.0-ünicode', 'größe']) repo.tag(odd);
    commits.c2 = repo.commit('c2', { 'Cargo.toml': root('1.1.0') });
    repo.tag('v1.1.0', { message: 'release 1.1.0' });
    repo.git('tag', '-a', '-m', 'tag of a tag', 'v1.1.1', 'v1.1.0');
    repo.git('tag', 'v3.0.0', 'HEAD^{tree}');
    repo.git('tag', 'blob-tag', 'HEAD:Cargo.toml');
    repo.git('tag', 'v4.0.0', 'HEAD:Cargo.toml');
    repo.git('tag', '-a', '-m', 'a tree', 'v5.0.0', 'HEAD^{tree}');
    repo.git('tag', '-a', '-m', 'tag of a tree tag', 'v5.0.1', 'v5.0.0');
    commits.c3 = repo.commit('c3', { 'Cargo.toml': '[workspace]\n[workspace.package\nversion = "9.9.9"\n' });
    repo.tag('v9.9.9');
    repo.tag('v9.9.10');
  });
  afterAll(() => repo.remove());

  it('peels annotated tags, matches templates and reads the manifest at each tagged commit', async () => {
    const { facts, unavailable } = await collectFacts(request(repo.dir, [core, goSdk], ['tags']));
    expect(unavailable).toEqual({});
    const rows = Object.fromEntries((facts.tags ?? []).map((t) => [t.name, [t.commit, t.annotated, t.package, t.version, t.manifestVersion, t.manifestError]]));
    const tomlError = 'Cargo.toml:2:19: invalid TOML: illegal character in key';
    expect(rows).toEqual({
      'blob-tag': ['', false, '', '', '', ''],
      'größe': [commits.c1, false, '', '', '', ''],
      'sdks/go/v0.0.1': [commits.c0, false, 'go-sdk', '0.0.1', '', 'sdks/go/v0.0.1:sdks/go/package.json: file not found'],
      'sdks/go/v0.1.0': [commits.c1, true, 'go-sdk', '0.1.0', '0.1.0', ''],
      v: [commits.c1, false, '', '', '', ''],
      'v1.0.0': [commits.c1, false, 'core', '1.0.0', '1.0.0', ''],
      'v1.0.0-ünicode': [commits.c1, false, 'core', '1.0.0-ünicode', '1.0.0', ''],
      'v1.1.0': [commits.c2, true, 'core', '1.1.0', '1.1.0', ''],
      'v1.1.1': [commits.c2, true, 'core', '1.1.1', '1.1.0', ''],
      'v1.2': [commits.c1, false, 'core', '1.2', '1.0.0', ''],
      'v3.0.0': ['', false, 'core', '3.0.0', '', 'tag points at a tree, not a commit'],
      'v4.0.0': ['', false, 'core', '4.0.0', '', 'tag points at a blob, not a commit'],
      'v5.0.0': ['', true, 'core', '5.0.0', '', 'tag points at a tree, not a commit'],
      'v5.0.1': ['', true, 'core', '5.0.1', '', 'tag points at a tree, not a commit'],
      'v9.9.10': [commits.c3, false, 'core', '9.9.10', '', `v9.9.10:${tomlError}`],
      'v9.9.9': [commits.c3, false, 'core', '9.9.9', '', `v9.9.9:${tomlError}`],
      vfoo: [commits.c1, false, '', '', '', ''],
    });
  });

  it('gives the first matching package the tag', async () => {
    const anyV: PackageConfig = { ...lib, tag: '{version}' };
    const { facts } = await collectFacts(request(repo.dir, [goSdk, anyV], ['tags']));
    const byName = new Map((facts.tags ?? []).map((t) => [t.name, t.package]));
    expect([byName.get('sdks/go/v0.1.0'), byName.get('v1.0.0'), byName.get('größe')]).toEqual(['go-sdk', '', '']);
  });
});

describe('overlapping tag templates', () => {
  let repo: TempRepo;
  const a: PackageConfig = { ...core, name: 'a', manifest: 'Cargo.toml' };
  const go: PackageConfig = { ...core, name: 'go-sdk', ecosystem: 'npm', manifest: 'go/package.json', tag: 'v{version}-go' };
  beforeAll(() => {
    repo = makeRepo({ files: { 'Cargo.toml': crate('0.4.0'), 'go/package.json': '{"name": "go-sdk", "version": "0.4.0"}' } });
    for (const name of ['v0.4.0', 'v0.4.0-go', 'r0.4-x']) repo.tag(name);
  });
  afterAll(() => repo.remove());

  const owners = async (packages: PackageConfig[]) => {
    const { facts, unavailable } = await collectFacts(request(repo.dir, packages, ['tags']));
    expect(unavailable).toEqual({});
    return Object.fromEntries((facts.tags ?? []).map((t) => [t.name, [t.package, t.version, t.manifestVersion]]));
  };

  it('gives a tag to the most specific template, whatever the package order', async () => {
    const expected = { 'r0.4-x': ['', '', ''], 'v0.4.0': ['a', '0.4.0', '0.4.0'], 'v0.4.0-go': ['go-sdk', '0.4.0', '0.4.0'] };
    expect(await owners([a, go])).toEqual(expected);
    expect(await owners([go, a])).toEqual(expected);
  });

  it('gives the first-listed package a tag that equally long templates both match', async () => {
    // `r{version}-x` reads 0.4 and `r0.{version}` reads 4-x from r0.4-x: three literal characters each.
    const suffix: PackageConfig = { ...a, name: 'suffix', tag: 'r{version}-x' };
    const prefix: PackageConfig = { ...a, name: 'prefix', tag: 'r0.{version}' };
    expect((await owners([suffix, prefix]))['r0.4-x']?.slice(0, 2)).toEqual(['suffix', '0.4']);
    expect((await owners([prefix, suffix]))['r0.4-x']?.slice(0, 2)).toEqual(['prefix', '4-x']);
  });
});

describe('history', () => {
  let repo: TempRepo;
  const at: Record<string, string> = {};
  beforeAll(() => {
    repo = makeRepo({ files: { 'Cargo.toml': root('1.0.0'), 'crates/core/Cargo.toml': member, 'crates/lib/Cargo.toml': crate('0.1.0') } });
    at.raise = repo.commit('raise', { 'Cargo.toml': root('1.1.0') });
    at.lower = repo.commit('lower', { 'Cargo.toml': root('1.0.5') });
    at.skip = repo.commit('skip', { 'Cargo.toml': root('1.3.0') });
    repo.commit('break', { 'Cargo.toml': '[workspace\n' });
    at.fix = repo.commit('fix', { 'Cargo.toml': root('1.4.0') });
    repo.git('checkout', '-q', '-b', 'side');
    at.side2 = repo.commit('side 0.2.0', { 'crates/lib/Cargo.toml': crate('0.2.0') });
    at.side3 = repo.commit('side 0.3.0', { 'crates/lib/Cargo.toml': crate('0.3.0') });
    repo.git('checkout', '-q', 'main');
    repo.commit('unrelated', { 'README.md': 'x\n' });
    repo.git('merge', '-q', '--no-ff', '-m', 'merge side', 'side');
    at.mergeSide = repo.git('rev-parse', 'HEAD');
    repo.git('checkout', '-q', '-b', 'plain', 'HEAD~1');
    repo.commit('plain work', { 'docs.md': 'y\n' });
    repo.git('checkout', '-q', 'main');
    // The merge itself bumps the version: its diff against the first parent carries it.
    repo.git('merge', '-q', '--no-ff', '--no-commit', 'plain');
    repo.commit('merge plain with bump', { 'Cargo.toml': root('1.5.0') });
    at.mergeBump = repo.git('rev-parse', 'HEAD');
  });
  afterAll(() => repo.remove());

  it('lists version changes along the first-parent chain, oldest first', async () => {
    const { facts, unavailable } = await collectFacts(request(repo.dir, [core, lib], ['history', 'repo']));
    expect(unavailable).toEqual({});
    expect(facts.repo?.defaultBranch).toBe('main');
    // The merge took side's version: side's own commits are judged, each naming the merge.
    expect(moves(facts.history)).toEqual({
      branch: 'main',
      changes: [
        { package: 'core', from: '1.0.0', to: '1.1.0', commit: at.raise, subject: 'raise', via: '' },
        { package: 'core', from: '1.1.0', to: '1.0.5', commit: at.lower, subject: 'lower', via: '' },
        { package: 'core', from: '1.0.5', to: '1.3.0', commit: at.skip, subject: 'skip', via: '' },
        { package: 'core', from: '1.3.0', to: '1.4.0', commit: at.fix, subject: 'fix', via: '' },
        { package: 'lib', from: '0.1.0', to: '0.2.0', commit: at.side2, subject: 'side 0.2.0', via: at.mergeSide },
        { package: 'lib', from: '0.2.0', to: '0.3.0', commit: at.side3, subject: 'side 0.3.0', via: at.mergeSide },
        { package: 'core', from: '1.4.0', to: '1.5.0', commit: at.mergeBump, subject: 'merge plain with bump', via: '' },
      ],
    });
  });

  it('walks the default branch, not the checked-out one', async () => {
    repo.git('checkout', '-q', 'side');
    const { facts } = await collectFacts(request(repo.dir, [lib], ['history']));
    repo.git('checkout', '-q', 'main');
    expect(facts.history?.changes.map((c) => c.subject)).toEqual(['side 0.2.0', 'side 0.3.0']);
  });
});

describe('history of a feature branch', () => {
  // main stays at 0.1.0; the branch bumps to 0.1.7, a skip that must be seen before it merges.
  let repo: TempRepo;
  const at: Record<string, string> = {};
  const mainOnly = { branch: 'main', changes: [] };
  beforeAll(() => {
    repo = makeRepo({ files: { 'crates/lib/Cargo.toml': crate('0.1.0') } });
    repo.commit('main work', { 'README.md': 'main\n' });
    at.main = repo.git('rev-parse', 'HEAD');
    repo.git('checkout', '-q', '-b', 'feature/bump');
    at.bump = repo.commit('bump to 0.1.7', { 'crates/lib/Cargo.toml': crate('0.1.7') });
    repo.git('checkout', '-q', 'main');
    repo.commit('main moves on', { 'README.md': 'main 2\n' });
    repo.git('checkout', '-q', 'feature/bump');
  });
  afterAll(() => repo.remove());

  const history = async (gate: string) => {
    const { facts, unavailable } = await collectFacts(request(repo.dir, [lib], ['history'], gate));
    expect(unavailable).toEqual({});
    return moves(facts.history);
  };
  const bumped = (branch: string, via = '') => ({
    branch,
    changes: [{ package: 'lib', from: '0.1.0', to: '0.1.7', commit: at.bump, subject: 'bump to 0.1.7', via }],
  });

  it('walks HEAD for ci and review, so a branch sees its own bumps before it merges', async () => {
    expect(await history('ci')).toEqual(bumped('feature/bump'));
    expect(await history('review')).toEqual(bumped('feature/bump'));
  });

  it('walks the default branch for audit', async () => {
    expect(await history('audit')).toEqual(mainOnly);
  });

  it('names HEAD when detached, and sees a pull request merge commit (first parent: the base)', async () => {
    repo.git('checkout', '-q', '--detach', 'main');
    repo.git('merge', '-q', '--no-ff', '-m', 'Merge feature/bump into main', 'feature/bump');
    const merge = repo.git('rev-parse', 'HEAD');
    try {
      // The merge took the branch's version: the branch's own commit is named, and the merge.
      expect(await history('ci')).toEqual(bumped('HEAD', merge));
      expect(await history('audit')).toEqual(mainOnly);
    } finally {
      repo.git('checkout', '-q', 'feature/bump');
    }
  });

  it("walks the default branch when HEAD is its tip, on whatever branch", async () => {
    repo.git('checkout', '-q', 'main');
    try {
      expect(await history('ci')).toEqual(mainOnly);
      repo.git('checkout', '-q', '-b', 'fresh');
      expect(await history('ci')).toEqual(mainOnly);
    } finally {
      repo.git('checkout', '-q', 'feature/bump');
    }
  });
});
