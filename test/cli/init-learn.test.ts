// `policy init` learns tag templates, release-notes naming and the branch pattern from the
// repository's own tags, files and branches (real git repositories), and says which defaults
// it chose for the rest.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runPolicy, type CliResult } from '../helpers/cli.js';
import { hermeticGitEnv, makeRepo, type Files, type TempRepo } from '../helpers/git-repo.js';
import { HAS_GIT } from '../helpers/tools.js';

interface WrittenPolicy {
  packages: { name: string; manifest: string; tag: string | string[]; releaseNotes: string }[];
  issues: { branch: string };
}

const crate = (name: string, version: string): string => `[package]\nname = "${name}"\nversion = "${version}"\n`;

/** A virtual workspace: the main crate tagged v{version}, two others under their own prefixes. */
const WORKSPACE: Files = {
  'Cargo.toml': '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n',
  'crates/main/Cargo.toml': crate('oris', '1.2.3'),
  'crates/foo/Cargo.toml': crate('oris-foo', '0.3.0'),
  'crates/bar-x/Cargo.toml': crate('bar-x', '1.0.0'),
  'crates/quiet/Cargo.toml': crate('quiet', '0.1.0'),
};

function init(repo: TempRepo, args: string[] = []): CliResult {
  return runPolicy(['init', '--no-hooks', ...args], { cwd: repo.dir, env: hermeticGitEnv });
}

function written(repo: TempRepo): { policy: WrittenPolicy; text: string; tagFilters: string[] } {
  const text = readFileSync(join(repo.dir, 'release-policy.yml'), 'utf8');
  const workflow = parse(readFileSync(join(repo.dir, '.github/workflows/release-policy.yml'), 'utf8')) as { on: { push: { tags: string[] } } };
  return { policy: parse(text) as WrittenPolicy, text, tagFilters: workflow.on.push.tags };
}

const tagsOf = (policy: WrittenPolicy): Record<string, string | string[]> =>
  Object.fromEntries(policy.packages.map((p) => [p.name, p.tag]));

describe.skipIf(!HAS_GIT)('policy init learns the repository', () => {
  let repo: TempRepo | undefined;
  afterEach(() => repo?.remove());

  it('proposes v{version} for the main crate and the <prefix>/v{version} templates the other packages use', () => {
    repo = makeRepo({ files: WORKSPACE });
    for (const tag of ['v1.0.0', 'v1.2.3', 'foo/v0.2.0', 'foo/v0.3.0', 'bar-x/v1.0.0', 'nightly-2024', 'tools/v0.1.0']) repo.tag(tag);
    const result = init(repo);
    expect([result.code, result.stderr]).toEqual([0, '']);
    const { policy, tagFilters } = written(repo);
    // foo/ names crates/foo, not the crate oris-foo; the main crate's version is the newest v tag's.
    expect(tagsOf(policy)).toEqual({ 'bar-x': 'bar-x/v{version}', 'oris-foo': 'foo/v{version}', oris: 'v{version}', quiet: 'quiet-v{version}' });
    expect(tagFilters).toEqual(['bar-x/v*', 'foo/v*', 'v*', 'quiet-v*']);
    expect(result.stdout).toContain('  oris-foo: tag foo/v{version} (2 tags)');
    expect(result.stdout).toContain('  oris: tag v{version} (2 tags)');
    expect(result.stdout).toContain('2 tags no template explains, e.g. "nightly-2024", "tools/v0.1.0"');
    expect(result.stdout).toContain('default chosen: quiet: tag quiet-v{version} (no existing tag of it)');
    // The policy loads: every template is a string with {version}.
    expect(runPolicy(['check', '--gate', 'ci', '--format', 'json'], { cwd: repo.dir, env: hermeticGitEnv }).code).not.toBe(2);
  });

  it('gives the bare v{version} tags to the root package, and says when nobody can own them', () => {
    repo = makeRepo({
      files: { 'Cargo.toml': `${crate('app', '0.1.0')}\n[workspace]\nmembers = ["sub"]\n`, 'src/lib.rs': '', 'sub/Cargo.toml': crate('sub', '2.0.0') },
    });
    for (const tag of ['v2.0.0', 'sub-v2.0.0']) repo.tag(tag);
    expect(init(repo).code).toBe(0);
    expect(tagsOf(written(repo).policy)).toEqual({ app: 'v{version}', sub: 'sub-v{version}' });
    repo.remove();

    repo = makeRepo({ files: { ...WORKSPACE, 'crates/main/Cargo.toml': crate('oris', '1.0.0') } });
    repo.tag('v9.0.0');
    const result = init(repo);
    expect(result.code).toBe(0);
    expect(Object.values(tagsOf(written(repo).policy))).not.toContain('v{version}');
    expect(result.stdout).toContain('1 tag v{version}: ambiguous which package owns them');
    expect(result.stdout).toContain('1 tag no template explains, e.g. "v9.0.0"');
    repo.remove();

    // The only package owns them wherever its manifest is, whatever its version now.
    repo = makeRepo({ files: { 'package.json': JSON.stringify({ private: true, workspaces: ['pkg'] }), 'pkg/package.json': JSON.stringify({ name: '@acme/sdk', version: '2.0.0' }) } });
    for (const tag of ['v1.0.0', 'v1.1.0', '@acme/sdk@2.0.0']) repo.tag(tag);
    const npm = init(repo);
    expect([npm.code, npm.stderr]).toEqual([0, '']);
    expect([tagsOf(written(repo).policy)['@acme/sdk']].flat()[0]).toBe('v{version}');
    expect(npm.stdout).toContain('  @acme/sdk: tag v{version} (2 tags), @acme/sdk@{version} (1 tag)');
  });

  it('keeps both templates of a package whose tags changed their form', () => {
    repo = makeRepo({ files: { 'Cargo.toml': crate('demo', '1.2.0'), 'src/lib.rs': '' } });
    for (const tag of ['v1.0.0', 'v1.1.0', 'demo-1.2.0']) repo.tag(tag);
    const result = init(repo);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toContain('  demo: tag v{version} (2 tags), demo-{version} (1 tag)');
    // A list where `tag` takes one; otherwise the main template, the other named beside it.
    expect(written(repo).text).toMatch(/^ {4}tag: \["v\{version\}", "demo-\{version\}"\] +# release tags, new ones use the first; learned from 3 existing tags$/m);
    expect(written(repo).tagFilters).toEqual(['v*', 'demo-*']);
  });

  it('learns release-notes naming per package from the newest file with a version in its name', () => {
    repo = makeRepo({
      files: {
        ...WORKSPACE,
        'release-notes/1.2.0.md': '',
        'release-notes/1.10.0.md': '',
        'crates/foo/RELEASE_v0.3.md': '',
        'docs/releases/bar-x-v1.0.0.md': '',
        'CHANGELOG.md': '',
      },
    });
    const result = init(repo);
    expect([result.code, result.stderr]).toEqual([0, '']);
    const notes = Object.fromEntries(written(repo).policy.packages.map((p) => [p.name, p.releaseNotes]));
    expect(notes).toEqual({
      'bar-x': 'docs/releases/bar-x-v{version}.md',
      'oris-foo': 'crates/foo/RELEASE_v{version}.md',
      oris: 'release-notes/{version}.md',
      quiet: 'release-notes/{version}.md',
    });
    expect(result.stdout).toContain('  oris: releaseNotes release-notes/{version}.md (from release-notes/1.10.0.md)');
    expect(result.stdout).toContain('CHANGELOG.md: one file for all releases, not per-release notes');
  });

  it('learns the issue pattern two branches or more follow, remote-tracking ones included', () => {
    repo = makeRepo({ files: { 'Cargo.toml': crate('demo', '0.1.0') } });
    for (const branch of ['codex/issue-12-parser', 'codex/issue-13-lexer', 'issue-7', 'release/1.2']) repo.git('branch', branch);
    repo.git('update-ref', 'refs/remotes/origin/codex/issue-14-docs', 'HEAD');
    repo.git('update-ref', 'refs/remotes/origin/HEAD', 'HEAD');
    const result = init(repo);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(written(repo).policy.issues).toEqual({ branch: 'codex/issue-{issue}-*' });
    expect(result.stdout).toContain('  issues.branch codex/issue-{issue}-* (3 branches follow it)');
  });

  it('says which defaults it chose when the repository teaches nothing', () => {
    repo = makeRepo({ files: { 'Cargo.toml': crate('demo', '0.1.0'), 'src/lib.rs': '', 'notes/python3.8.md': '', 'CONTRIBUTING.md': '' } });
    // Version numbers in branch names are no issue numbers.
    for (const branch of ['release-1', 'release-2', 'feature/v2-x', 'feature/v3-y', 'dependabot/cargo/serde-2', 'dependabot/cargo/log-3']) repo.git('branch', branch);
    const result = init(repo);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toContain('Learned from the repository (0 tags, 7 branch names):\n  nothing');
    expect(result.stdout).toContain('default chosen: demo: tag v{version} (no existing tag of it)');
    expect(result.stdout).toContain('default chosen: demo: releaseNotes RELEASE_v{version}.md (no release-notes file with a version in its name)');
    expect(result.stdout).toContain('default chosen: issues.branch *issue-{issue}-*');
    const { policy } = written(repo);
    expect([policy.packages[0]?.tag, policy.packages[0]?.releaseNotes, policy.issues.branch]).toEqual(['v{version}', 'RELEASE_v{version}.md', '*issue-{issue}-*']);
  });

  it('writes hostile tag and branch names as YAML that reads back the same', () => {
    const folder = `crates/x#1'q"`;
    repo = makeRepo({ files: { 'Cargo.toml': '[workspace]\nmembers = ["crates/*"]\n', [`${folder}/Cargo.toml`]: crate('xq', '1.0.0') } });
    for (const tag of [`x#1'q"/v1.0.0`, `x#1'q"/v1.1.0`, `odd#'"{tag`, `a{version}/v1.0.0`]) repo.tag(tag);
    for (const branch of [`we'ird#"/{issue}-1-x`, `we'ird#"/{issue}-2-y`, `q'#"-3`, `q'#"-4`]) repo.git('branch', branch);
    const result = init(repo);
    expect([result.code, result.stderr]).toEqual([0, '']);
    const { policy, tagFilters } = written(repo);
    expect(policy.packages).toEqual([{ name: 'xq', ecosystem: 'cargo', manifest: `${folder}/Cargo.toml`, tag: `x#1'q"/v{version}`, releaseNotes: 'RELEASE_v{version}.md' }]);
    // Names with { teach no pattern; the quotes and # are kept as they are.
    expect(policy.issues.branch).toBe(`q'#"-{issue}`);
    expect(tagFilters).toEqual([`x#1'q"/v*`]);
    expect(result.stdout).toContain('2 tags no template explains');
  });
});
