import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { collectFacts, tagPattern, type CollectRequest } from '../../src/facts/collect.js';
import type { PackageConfig } from '../../src/policy/model.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';

Object.assign(process.env, hermeticGitEnv);

const pkg = (name: string, manifest: string, extra: Partial<PackageConfig> = {}): PackageConfig => ({
  name,
  ecosystem: 'cargo',
  manifest,
  registry: 'crates-io',
  tag: 'v{version}',
  releaseNotes: 'RELEASE_v{version}.md',
  ...extra,
});

const request = (cwd: string, packages: PackageConfig[], needs: CollectRequest['needs'], defaultBranch = ''): CollectRequest => ({
  cwd,
  env: process.env,
  packages,
  defaultBranch,
  needs,
  gate: { name: 'ci', arg: '' },
});

const workspaceRoot = (version: string): string =>
  `[workspace]\nmembers = ["crates/*"]\n\n[workspace.package]\nversion = "${version}"\n`;
const member = (name: string): string => `[package]\nname = "${name}"\nversion.workspace = true\n`;
const crate = (name: string, version: string, extra = ''): string =>
  `[package]\nname = "${name}"\nversion = "${version}"\n${extra}`;

describe('packages', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = makeRepo({
      files: {
        'Cargo.toml': workspaceRoot('1.2.0'),
        'crates/core/Cargo.toml': member('core'),
        'crates/internal/Cargo.toml': crate('internal', '0.3.0', 'publish = false\n'),
        'crates/bad/Cargo.toml': crate('bad', '0.1.0'),
        'sdk/package.json': '{"name": "sdk", "version": "2.0.0"}',
        'app/package.json': '{"name": "app", "version": "0.0.1", "private": true}',
      },
    });
    // Three states of the workspace version: HEAD 1.2.0, index 1.2.5, working tree 1.3.0.
    repo.write({ 'Cargo.toml': workspaceRoot('1.2.5') });
    repo.git('add', 'Cargo.toml');
    repo.write({
      'Cargo.toml': workspaceRoot('1.3.0'),
      'crates/bad/Cargo.toml': '[package]\nname = "bad"\nversion = "0.2.0\n',
      'sdk/package.json': '{\n  "name": "sdk",\n  "version": "2.1.0",\n}\n',
      'RELEASE_v1.3.0.md': '# oris 1.3.0\n\n## Fixes\n\n```md\n# not a heading\n```\n## Notes\n',
    });
  });
  afterAll(() => repo.remove());

  it('resolves workspace-inherited versions in the working tree, index and HEAD', async () => {
    const { facts, unavailable } = await collectFacts(request(repo.dir, [pkg('core', 'crates/core/Cargo.toml')], ['packages']));
    expect(unavailable).toEqual({});
    expect(Object.keys(facts)).toEqual(['packages']);
    expect(facts.packages).toEqual([
      {
        name: 'core',
        ecosystem: 'cargo',
        manifest: 'crates/core/Cargo.toml',
        manifestError: '',
        version: '1.3.0',
        versionHead: '1.2.0',
        versionStaged: '1.2.5',
        publish: true,
        registry: 'crates-io',
        tagTemplate: 'v{version}',
        expectedTag: 'v1.3.0',
        releaseNotes: { path: 'RELEASE_v1.3.0.md', present: true, title: 'oris 1.3.0', headings: ['oris 1.3.0', 'Fixes', 'Notes'] },
      },
    ]);
  });

  it('reads publish = false, malformed and missing manifests, and npm packages', async () => {
    const packages = [
      pkg('internal', 'crates/internal/Cargo.toml'),
      pkg('bad', 'crates/bad/Cargo.toml'),
      pkg('gone', 'crates/gone/Cargo.toml'),
      pkg('sdk', 'sdk/package.json', { ecosystem: 'npm', tag: 'sdk/v{version}', releaseNotes: '' }),
      pkg('app', 'app/package.json', { ecosystem: 'npm' }),
    ];
    const { facts } = await collectFacts(request(join(repo.dir, 'crates'), packages, ['packages']));
    const summary = facts.packages?.map((p) => [p.name, p.version, p.versionHead, p.publish, p.manifestError, p.expectedTag]);
    expect(summary).toEqual([
      ['internal', '0.3.0', '0.3.0', false, '', 'v0.3.0'],
      ['bad', '', '0.1.0', true, 'crates/bad/Cargo.toml:3:17: invalid TOML: control characters are not allowed in strings', ''],
      ['gone', '', '', true, 'crates/gone/Cargo.toml: file not found', ''],
      ['sdk', '', '2.0.0', true, 'sdk/package.json:4:1: invalid JSON: Expected double-quoted property name', ''],
      ['app', '0.0.1', '0.0.1', false, '', 'v0.0.1'],
    ]);
    expect(facts.packages?.[0]?.releaseNotes).toEqual({ path: 'RELEASE_v0.3.0.md', present: false, title: '', headings: [] });
    expect(facts.packages?.[1]?.releaseNotes.path).toBe('');
  });
});

describe('packages that are never published', () => {
  it('names a versionless crate (cargo reads it as 0.0.0 and never publishes it) and reads a truthy npm "private" as unpublished', async () => {
    const repo = makeRepo({
      files: {
        'tools/Cargo.toml': '[package]\nname = "tools"\nedition = "2021"\n',
        'pub/Cargo.toml': '[package]\nname = "pub"\npublish = true\n',
        'virtual/Cargo.toml': '[workspace]\nmembers = []\n',
        'web/package.json': '{"name": "web", "version": "1.0.0", "private": "yes"}',
        'open/package.json': '{"name": "open", "version": "1.0.0", "private": false}',
      },
    });
    const npm = { ecosystem: 'npm' as const };
    const packages = [
      pkg('tools', 'tools/Cargo.toml'),
      pkg('pub', 'pub/Cargo.toml'),
      pkg('virtual', 'virtual/Cargo.toml'),
      pkg('web', 'web/package.json', npm),
      pkg('open', 'open/package.json', npm),
    ];
    const { facts } = await collectFacts(request(repo.dir, packages, ['packages']));
    repo.remove();
    expect(facts.packages?.map((p) => [p.name, p.version, p.versionHead, p.versionStaged, p.publish, p.manifestError])).toEqual([
      ['tools', '', '', '', true, 'tools/Cargo.toml:1:1: [package] has no `version`: cargo defaults it to 0.0.0 and refuses to publish it; add `version = "X.Y.Z"` (or `version.workspace = true`)'],
      ['pub', '', '', '', true, 'pub/Cargo.toml:3:1: `package.publish` requires `package.version` be specified'],
      ['virtual', '', '', '', true, 'virtual/Cargo.toml:1:1: no [package] table (a virtual workspace manifest?)'],
      ['web', '1.0.0', '1.0.0', '1.0.0', false, ''],
      ['open', '1.0.0', '1.0.0', '1.0.0', true, ''],
    ]);
  });
});

describe('packages without a workspace root', () => {
  it('reports an inherited version as an error, never as a version', async () => {
    const repo = makeRepo({ files: { 'orphan/Cargo.toml': member('orphan') } });
    const { facts } = await collectFacts(request(repo.dir, [pkg('orphan', 'orphan/Cargo.toml')], ['packages']));
    repo.remove();
    expect(facts.packages?.map((p) => [p.version, p.versionHead, p.manifestError])).toEqual([
      ['', '', 'orphan/Cargo.toml:3:1: inherits from the workspace, but no Cargo.toml with [workspace] was found above it'],
    ]);
  });
});

describe('tag patterns', () => {
  it('anchors the template and needs a version that starts with a digit', () => {
    const v = tagPattern('v{version}');
    expect(['v1.2.3', 'v1.2', 'v1-ü', 'v', 'vfoo', 'xv1.0.0', 'sdks/go/v1.0.0'].map((name) => v?.exec(name)?.[1] ?? null)).toEqual([
      '1.2.3',
      '1.2',
      '1-ü',
      null,
      null,
      null,
      null,
    ]);
    expect(tagPattern('sdks/go/v{version}')?.exec('sdks/go/v0.4.0')?.[1]).toBe('0.4.0');
    expect(tagPattern('a.b+{version}')?.exec('axb+1')).toBeNull();
    expect(tagPattern('no-version')).toBeNull();
  });
});
