import { describe, it, expect } from 'vitest';
import {
  jsonErrorOffset,
  parseReleaseNotes,
  readCargoManifest,
  readNpmManifest,
  resolveCargoPackage,
  type CargoManifest,
} from '../../src/facts/manifest.js';

const cargo = (text: string): CargoManifest => {
  const manifest = readCargoManifest(text, 'Cargo.toml');
  if (typeof manifest === 'string') throw new Error(manifest);
  return manifest;
};

describe('readCargoManifest', () => {
  it('reads name, version and publish', () => {
    const m = cargo('[package]\nname = "demo"\nversion = "1.2.3"\n');
    expect([m.name, m.version, m.versionWorkspace, m.publish, m.workspace]).toEqual(['demo', '1.2.3', false, true, false]);
  });

  it('treats publish = false and publish = [] as not published, a registry list as published', () => {
    expect(cargo('[package]\nname = "a"\nversion = "1.0.0"\npublish = false\n').publish).toBe(false);
    expect(cargo('[package]\nname = "a"\nversion = "1.0.0"\npublish = []\n').publish).toBe(false);
    expect(cargo('[package]\nname = "a"\nversion = "1.0.0"\npublish = ["crates-io"]\n').publish).toBe(true);
  });

  it('reads workspace inheritance in both spellings and the workspace version', () => {
    expect(cargo('[package]\nname = "a"\nversion.workspace = true\n').versionWorkspace).toBe(true);
    expect(cargo('[package]\nname = "a"\nversion = { workspace = true }\n').versionWorkspace).toBe(true);
    const root = cargo('[workspace]\nmembers = ["crates/*"]\n[workspace.package]\nversion = "0.4.0"\npublish = false\n');
    expect([root.workspace, root.workspaceVersion, root.workspacePublish, root.hasPackage]).toEqual([true, '0.4.0', false, false]);
  });

  it('reports TOML syntax errors as file:line:col', () => {
    expect(readCargoManifest('[package]\nname = "a"\nversion = 1.2.3\n', 'crates/a/Cargo.toml')).toMatch(
      /^crates\/a\/Cargo\.toml:3:\d+: invalid TOML: /,
    );
    expect(readCargoManifest('[package\nname = "a"\n', 'Cargo.toml')).toMatch(/^Cargo\.toml:1:\d+: invalid TOML: \S/);
  });

  it('locates type errors on the key line', () => {
    expect(readCargoManifest('[package]\nname = "a"\n\n  version = 3\n', 'Cargo.toml')).toBe(
      'Cargo.toml:4:3: `package.version` must be a string or `{ workspace = true }`',
    );
    expect(readCargoManifest('[package]\nname = "a"\nversion = "1.0.0"\npublish = "no"\n', 'C.toml')).toMatch(/^C\.toml:4:1: `publish`/);
  });
});

describe('resolveCargoPackage', () => {
  const member = cargo('[package]\nname = "a"\nversion.workspace = true\npublish.workspace = true\n');
  const root = cargo('[workspace]\n[workspace.package]\nversion = "2.0.0"\npublish = false\n');

  it('takes inherited fields from the workspace root', () => {
    expect(resolveCargoPackage(member, 'crates/a/Cargo.toml', { manifest: root, file: 'Cargo.toml' })).toEqual({
      version: '2.0.0',
      publish: false,
    });
  });

  it('is an error without a root, or when the root has no version', () => {
    expect(resolveCargoPackage(member, 'crates/a/Cargo.toml', null)).toBe(
      'crates/a/Cargo.toml:3:1: inherits from the workspace, but no Cargo.toml with [workspace] was found above it',
    );
    const empty = cargo('[workspace]\n');
    expect(resolveCargoPackage(member, 'a/Cargo.toml', { manifest: empty, file: 'Cargo.toml' })).toBe(
      'Cargo.toml:1:1: [workspace.package] has no version, which a/Cargo.toml inherits',
    );
  });

  it('is an error for a virtual manifest or an empty version', () => {
    expect(resolveCargoPackage(root, 'Cargo.toml', null)).toMatch(/^Cargo\.toml:1:1: no \[package\] table/);
    expect(resolveCargoPackage(cargo('\n[package]\nname = "a"\nversion = ""\n'), 'Cargo.toml', null)).toBe(
      'Cargo.toml:4:1: `package.version` is empty',
    );
  });

  it('reads a [package] without version as 0.0.0, not published (Cargo 1.75)', () => {
    const resolve = (text: string) => resolveCargoPackage(cargo(text), 'Cargo.toml', { manifest: root, file: 'Cargo.toml' });
    const unpublished = { version: '0.0.0', publish: false };
    expect(resolve('[package]\nname = "a"\n')).toEqual(unpublished);
    expect(resolve('[package]\nname = "a"\npublish = false\n')).toEqual(unpublished);
    expect(resolve('[package]\nname = "a"\npublish = []\n')).toEqual(unpublished);
    // publish.workspace = true takes false from the root above.
    expect(resolve('[package]\nname = "a"\npublish.workspace = true\n')).toEqual(unpublished);
    // Cargo refuses a versionless package that may still be published, and so do we.
    expect(resolve('[package]\nname = "a"\n\npublish = true\n')).toBe(
      'Cargo.toml:4:1: `package.publish` requires `package.version` be specified',
    );
    expect(resolve('[package]\nname = "a"\npublish = ["crates-io"]\n')).toMatch(/^Cargo\.toml:3:1: `package\.publish` requires/);
  });
});

describe('readNpmManifest', () => {
  it('reads name, version and private', () => {
    expect(readNpmManifest('{"name":"@x/y","version":"1.0.0"}', 'package.json')).toEqual({ name: '@x/y', version: '1.0.0', publish: true });
    expect(readNpmManifest('\uFEFF{"name":"y","version":"0.1.0","private":true}', 'p.json')).toEqual({ name: 'y', version: '0.1.0', publish: false });
  });

  it('treats any truthy "private" as not publishable, as npm publish does', () => {
    const publish = (value: string) => (readNpmManifest(`{"version":"1.0.0","private":${value}}`, 'p.json') as { publish: boolean }).publish;
    expect(['"yes"', '"false"', '1', '{}', '[]'].map(publish)).toEqual([false, false, false, false, false]);
    expect(['false', 'null', '0', '""'].map(publish)).toEqual([true, true, true, true]);
  });

  it('reports JSON syntax errors as file:line:col, with or without a position in V8 message', () => {
    expect(readNpmManifest('{\n  "name": "a",\n}', 'sdk/package.json')).toBe(
      'sdk/package.json:3:1: invalid JSON: Expected double-quoted property name',
    );
    // V8 gives no position for this one: "Unexpected token '}', ... is not valid JSON".
    expect(readNpmManifest('{\n  "name": "a",\n  "version": }', 'package.json')).toBe(
      "package.json:3:14: invalid JSON: Unexpected token '}'",
    );
    expect(readNpmManifest('{"name": "a"', 'package.json')).toMatch(/^package\.json:1:13: invalid JSON: /);
  });

  it('rejects non-string versions and a missing version', () => {
    expect(readNpmManifest('{\n "name": "a",\n "version": 1\n}', 'package.json')).toBe('package.json:3:2: "version" must be a string');
    expect(readNpmManifest('{"name": "a"}', 'package.json')).toBe('package.json:1:1: no "version" field');
    expect(readNpmManifest('[]', 'package.json')).toBe('package.json:1:1: package.json must hold a JSON object');
  });

  it('finds the offset of the first JSON error', () => {
    expect(jsonErrorOffset('[1, 2,]')).toBe(6);
    expect(jsonErrorOffset('{"a": tru}')).toBe(6);
    expect(jsonErrorOffset('{"a": "\\x"}')).toBe(8);
    expect(jsonErrorOffset('[01]')).toBe(2);
  });
});

describe('parseReleaseNotes', () => {
  it('returns the first level-1 heading as title and every heading outside fences', () => {
    const text = [
      '## Before title',
      '# Release v1.2.0 #',
      'text',
      '```sh',
      '# not a heading',
      '````',
      '## Fixes',
      '~~~',
      '## also not',
      '~~~',
      '   ### Deep ###',
      '    # indented code',
      '#hashtag',
      '# Second h1',
    ].join('\r\n');
    expect(parseReleaseNotes(text)).toEqual({
      title: 'Release v1.2.0',
      headings: ['Before title', 'Release v1.2.0', 'Fixes', 'Deep', 'Second h1'],
    });
  });

  it('has an empty title without a level-1 heading', () => {
    expect(parseReleaseNotes('## Only\n')).toEqual({ title: '', headings: ['Only'] });
  });
});
