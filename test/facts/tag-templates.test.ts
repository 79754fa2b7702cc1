// Tags judged against the package wherever it was at the tagged commit (moved, renamed), and
// tag templates shared by packages or several per package: real git repositories, the built
// CLI, the exact findings.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CatFileBatch } from '../../src/facts/git.js';
import { commitSource, readPackageVersion, revSource } from '../../src/facts/sources.js';
import { releaseTagOf } from '../../src/facts/tags.js';
import { hookPatterns } from '../../src/hooks/settings.js';
import type { PackageConfig } from '../../src/policy/model.js';
import { runPolicy } from '../helpers/cli.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_GIT } from '../helpers/tools.js';

Object.assign(process.env, hermeticGitEnv);

interface Finding {
  rule: string;
  message: string;
  subject: { kind: string; name: string };
}

const crate = (name: string, version: string): string => `[package]\nname = "${name}"\nversion = "${version}"\n`;
const inherits = (name: string): string => `[package]\nname = "${name}"\nversion.workspace = true\n`;
const workspace = (members: string[], version: string): string =>
  `[workspace]\nmembers = ${JSON.stringify(members)}\n[workspace.package]\nversion = "${version}"\n`;

/** Only the tag rules, so the findings are exactly theirs. */
function writePolicy(repo: TempRepo, packages: string): void {
  const rules = 'rules:\n  tag-matches-manifest: error\n  new-tag-matches-manifest: error\n';
  writeFileSync(join(repo.dir, 'release-policy.yml'), `version: 1\nextends: []\npackages:\n${packages}${rules}`);
}

function findings(repo: TempRepo, args: string[]): { code: number; found: [string, string][] } {
  const result = runPolicy([...args, '--format', 'json'], { cwd: repo.dir });
  expect(result.stderr).toBe('');
  const report = JSON.parse(result.stdout) as { findings: Finding[] };
  const found = report.findings.map((f): [string, string] => [f.subject.name, f.message]).sort((a, b) => a[0].localeCompare(b[0]));
  return { code: result.code, found };
}

const audit = (repo: TempRepo) => findings(repo, ['check', '--gate', 'audit']);
const short = (commit: string): string => commit.slice(0, 12);

describe.skipIf(!HAS_GIT)('tags read where the package was at the tagged commit', () => {
  let repo: TempRepo;
  afterEach(() => repo.remove());

  it('a crate at the root before its move to crates/foo/: old tags aligned, a drifted one named with where it was read', () => {
    repo = makeRepo({ files: { 'Cargo.toml': crate('foo', '0.1.0'), 'src/lib.rs': '' } });
    repo.tag('v0.1.0');
    const c2 = repo.commit('0.2.0', { 'Cargo.toml': crate('foo', '0.2.0') });
    repo.tag('v0.2.0');
    repo.tag('v0.2.1');
    repo.commit('move to crates/foo', {
      'Cargo.toml': workspace(['crates/*'], '0.3.0'),
      'crates/foo/Cargo.toml': inherits('foo'),
      'src/lib.rs': null,
      'crates/foo/src/lib.rs': '',
    });
    repo.tag('v0.3.0');
    writePolicy(repo, '  - { name: foo, manifest: crates/foo/Cargo.toml }\n');
    expect(audit(repo)).toEqual({
      code: 1,
      found: [['v0.2.1', `tag v0.2.1 names foo 0.2.1, but the manifest at commit ${short(c2)} (Cargo.toml, where foo was then) carries 0.2.0`]],
    });
  });

  it('a foo/ -> crates/foo/ move, with the version from the workspace at each commit', () => {
    repo = makeRepo({
      files: {
        'Cargo.toml': workspace(['bar', 'foo'], '1.0.0'),
        'bar/Cargo.toml': crate('bar', '5.0.0'),
        'foo/Cargo.toml': inherits('foo'),
      },
    });
    repo.tag('v1.0.0');
    const c2 = repo.commit('1.1.0', { 'Cargo.toml': workspace(['bar', 'foo'], '1.1.0') });
    repo.tag('v1.1.0');
    repo.tag('v1.1.1');
    repo.commit('move to crates/', {
      'Cargo.toml': workspace(['crates/*'], '1.2.0'),
      'bar/Cargo.toml': null,
      'foo/Cargo.toml': null,
      'crates/bar/Cargo.toml': crate('bar', '5.0.0'),
      'crates/foo/Cargo.toml': inherits('foo'),
    });
    repo.tag('v1.2.0');
    writePolicy(repo, '  - { name: foo, manifest: crates/foo/Cargo.toml }\n');
    expect(audit(repo)).toEqual({
      code: 1,
      found: [['v1.1.1', `tag v1.1.1 names foo 1.1.1, but the manifest at commit ${short(c2)} (foo/Cargo.toml, where foo was then) carries 1.1.0`]],
    });
  });

  it('a renamed package: a tag its old name carried is aligned, a drifted one names the old name', () => {
    repo = makeRepo({ files: { 'crates/foo/Cargo.toml': crate('old-foo', '0.1.0') } });
    repo.tag('v0.1.0');
    const c2 = repo.commit('0.2.0', { 'crates/foo/Cargo.toml': crate('old-foo', '0.2.0') });
    repo.tag('v0.2.1');
    repo.commit('rename', { 'crates/foo/Cargo.toml': crate('foo', '0.3.0') });
    repo.tag('v0.3.0');
    writePolicy(repo, '  - { name: foo, manifest: crates/foo/Cargo.toml }\n');
    expect(audit(repo)).toEqual({
      code: 1,
      found: [[
        'v0.2.1',
        `tag v0.2.1 names foo 0.2.1, but the manifest at commit ${short(c2)} carries old-foo 0.2.0: ` +
          'the package was named old-foo then, and no manifest there names foo',
      ]],
    });
  });

  it('a tag on a commit where no manifest carries the package at all still says why', () => {
    repo = makeRepo({ files: { 'README.md': 'x\n' } });
    const c1 = repo.git('rev-parse', 'HEAD');
    repo.tag('v0.0.1');
    repo.commit('crate', { 'crates/foo/Cargo.toml': crate('foo', '0.1.0') });
    repo.tag('v0.1.0');
    writePolicy(repo, '  - { name: foo, manifest: crates/foo/Cargo.toml }\n');
    expect(audit(repo)).toEqual({
      code: 1,
      found: [['v0.0.1', `tag v0.0.1 names foo 0.0.1, but the manifest at commit ${short(c1)} carries no readable version (v0.0.1:crates/foo/Cargo.toml: file not found)`]],
    });
  });
});

describe.skipIf(!HAS_GIT)('tag templates', () => {
  let repo: TempRepo;
  afterEach(() => repo.remove());

  it('a v* series shared by two crates: aligned when either carries the version; a tag neither carries names both', () => {
    repo = makeRepo({
      files: { 'Cargo.toml': workspace(['crates/*'], '0.0.0'), 'crates/a/Cargo.toml': crate('a', '1.0.0'), 'crates/b/Cargo.toml': crate('b', '0.5.0') },
    });
    repo.tag('v1.0.0');
    repo.tag('v0.5.0');
    const c1 = repo.git('rev-parse', 'HEAD');
    repo.tag('v2.0.0');
    writePolicy(repo, '  - { name: a, manifest: crates/a/Cargo.toml, tag: "v{version}" }\n  - { name: b, manifest: crates/b/Cargo.toml, tag: "v{version}" }\n');
    const neither = `none of them carries 2.0.0: a carries 1.0.0, b carries 0.5.0`;
    expect(audit(repo)).toEqual({
      code: 1,
      found: [['v2.0.0', `tag v2.0.0 names 2.0.0, a release of a or b (a shared tag template), but at commit ${short(c1)} ${neither}`]],
    });
    // The tag gate judges a new tag the same way.
    expect(findings(repo, ['gate', 'tag', 'v0.5.0'])).toEqual({ code: 0, found: [] });
    expect(findings(repo, ['gate', 'tag', 'v3.0.0'])).toEqual({
      code: 1,
      found: [[
        'v3.0.0',
        `creating release tag v3.0.0 at commit ${short(c1)} is refused: the tag names 3.0.0, a release of a or b ` +
          '(a shared tag template), but none of their manifests there carries it',
      ]],
    });
  });

  it('a package with tag: [v{version}, foo-{version}]: tags of both forms are judged', () => {
    repo = makeRepo({ files: { 'Cargo.toml': crate('foo', '0.1.0') } });
    const c1 = repo.git('rev-parse', 'HEAD');
    repo.tag('v0.1.0');
    repo.tag('v0.1.1');
    const c2 = repo.commit('0.2.0', { 'Cargo.toml': crate('foo', '0.2.0') });
    repo.tag('foo-0.2.0');
    repo.tag('foo-0.2.1');
    repo.tag('bar-0.2.0');
    writePolicy(repo, '  - { name: foo, tag: ["v{version}", "foo-{version}"] }\n');
    expect(audit(repo)).toEqual({
      code: 1,
      found: [
        ['foo-0.2.1', `tag foo-0.2.1 names foo 0.2.1, but the manifest at commit ${short(c2)} carries 0.2.0`],
        ['v0.1.1', `tag v0.1.1 names foo 0.1.1, but the manifest at commit ${short(c1)} carries 0.1.0`],
      ],
    });
    expect(findings(repo, ['gate', 'tag', 'foo-0.2.0'])).toEqual({ code: 0, found: [] });
    expect(findings(repo, ['gate', 'tag', 'v0.3.0']).code).toBe(1);
  });

  it('a list of no templates, or a template without {version}, is a policy error (exit 2) at its place', () => {
    repo = makeRepo({ files: { 'Cargo.toml': crate('foo', '0.1.0') } });
    for (const [tag, where, message] of [
      ['[]', '3:23 packages[0].tag', 'must not be empty'],
      ['["v{version}", "release"]', '3:38 packages[0].tag[1]', 'must contain {version}, where the version stands in the tag name, got "release"'],
    ] as const) {
      writeFileSync(join(repo.dir, 'release-policy.yml'), `version: 1\npackages:\n  - { name: foo, tag: ${tag} }\n`);
      const result = runPolicy(['check'], { cwd: repo.dir });
      expect([result.code, result.stdout]).toEqual([2, '']);
      expect(result.stderr).toContain(`release-policy.yml:${where}: ${message}\n  hint: A `);
    }
  });
});

describe.skipIf(!HAS_GIT)('readPackageVersion at a commit', () => {
  let repo: TempRepo;
  afterEach(() => repo.remove());

  const readAt = async (pkg: PackageConfig, commit: string) => {
    const batch = new CatFileBatch(repo.dir, process.env);
    try {
      const at = await readPackageVersion(pkg, commitSource(batch, commit, 'x:'), new Map());
      const head = await readPackageVersion(pkg, revSource(batch, commit, 'x:'), new Map());
      return { at, head };
    } finally {
      await batch.close();
    }
  };
  const foo: PackageConfig = { name: 'foo', ecosystem: 'cargo', manifest: 'crates/foo/Cargo.toml', registry: 'crates-io', tag: 'v{version}', releaseNotes: '' };

  it('finds a workspace member by its glob, skips excluded folders, and takes the version the workspace had there', async () => {
    repo = makeRepo({
      files: {
        'Cargo.toml': '[workspace]\nmembers = ["pkgs/*/rs"]\nexclude = ["pkgs/a-old"]\n[workspace.package]\nversion = "2.1.0"\n',
        'pkgs/a-old/rs/Cargo.toml': crate('foo', '0.0.1'),
        'pkgs/foo/rs/Cargo.toml': inherits('foo'),
      },
    });
    const { at, head } = await readAt(foo, repo.git('rev-parse', 'HEAD'));
    expect(at).toMatchObject({ kind: 'ok', version: '2.1.0', path: 'pkgs/foo/rs/Cargo.toml' });
    // Sources that are not a commit's (HEAD, the index, the work tree) read only the configured path.
    expect(head).toEqual({ kind: 'error', error: 'x:crates/foo/Cargo.toml: file not found', missing: true });
  });

  it('prefers a manifest that names the package over the configured one under another name', async () => {
    repo = makeRepo({ files: { 'crates/foo/Cargo.toml': crate('other', '9.0.0'), 'foo/Cargo.toml': crate('foo', '1.0.0') } });
    const { at } = await readAt(foo, repo.git('rev-parse', 'HEAD'));
    expect(at).toMatchObject({ kind: 'ok', version: '1.0.0', path: 'foo/Cargo.toml' });
    expect(at.kind === 'ok' ? at.otherName : 'error').toBeUndefined();
  });
});

describe('template matching', () => {
  const base: PackageConfig = { name: '', ecosystem: 'cargo', manifest: 'Cargo.toml', registry: 'crates-io', tag: '', releaseNotes: '' };
  const pkg = (name: string, tags: string[]): PackageConfig => ({ ...base, name, tag: tags[0] ?? '', tags });

  it('releaseTagOf names every package of a shared template, and one for a template of its own', () => {
    const packages = [pkg('a', ['v{version}']), pkg('b', ['b-{version}', 'v{version}']), pkg('c', ['c/v{version}'])];
    expect(releaseTagOf('v1.2.0', packages)).toEqual({ package: 'a', version: '1.2.0', packages: ['a', 'b'] });
    expect(releaseTagOf('b-0.3.0', packages)).toEqual({ package: 'b', version: '0.3.0', packages: ['b'] });
    expect(releaseTagOf('c/v0.1.0', packages)).toEqual({ package: 'c', version: '0.1.0', packages: ['c'] });
    expect(releaseTagOf('d-1.0.0', packages)).toBeNull();
  });

  it('the hooks watch the tags of every template', () => {
    expect(hookPatterns({ packages: [pkg('a', ['v{version}', 'a-{version}'])] }).tags).toEqual(['v[0-9]*', 'a-[0-9]*']);
  });
});
