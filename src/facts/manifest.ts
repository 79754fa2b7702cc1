// Pure manifest and release-notes parsers: text in, data out, no IO. Errors are strings of
// the form `file:line:col: message`, so editors and CI annotations can jump to them.
import { parse, TomlError } from 'smol-toml';
import { tomlKey, tomlTableAt } from './manifest-position.js';

export interface Position {
  line: number;
  col: number;
}

export interface CargoManifest {
  /** `[package].name`, "" when the file has no [package] (a virtual workspace manifest). */
  name: string;
  /** `[package].version`, "" when absent or inherited. */
  version: string;
  /** `[package]` has no `version` key at all (allowed since Cargo 1.75: version 0.0.0, not published). */
  versionMissing: boolean;
  /** `version.workspace = true`: the version comes from the workspace root. */
  versionWorkspace: boolean;
  /** False for `publish = false` and `publish = []`; true when unset. */
  publish: boolean;
  /** `publish` is written (as a value or `{ workspace = true }`). */
  publishSet: boolean;
  /** `publish.workspace = true`: publish comes from the workspace root. */
  publishWorkspace: boolean;
  /** The registries `publish = [...]` names; null when `publish` is not a list of strings. */
  publishRegistries: string[] | null;
  hasPackage: boolean;
  /** The file has a [workspace] table, so members below it inherit from it. */
  workspace: boolean;
  /** `[workspace.package].version`, or "". */
  workspaceVersion: string;
  /** `[workspace.package].publish`, true when unset. */
  workspacePublish: boolean;
  /** The registries `[workspace.package].publish = [...]` names; null when it is not a list. */
  workspacePublishRegistries: string[] | null;
  /** `[workspace].members` and `exclude` as written. */
  workspaceMembers: string[];
  workspaceExclude: string[];
  /** The parsed text, to locate errors found later (positions are computed only on error). */
  text: string;
}

export interface NpmManifest {
  name: string;
  version: string;
  /** False when `"private"` is truthy (npm refuses `"private": "yes"` too), true otherwise. */
  publish: boolean;
}

export interface ReleaseNotes {
  title: string;
  headings: string[];
}

type Table = Record<string, unknown>;

const isTable = (value: unknown): value is Table =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

const at = (file: string, where: Position, message: string): string =>
  `${file}:${where.line}:${where.col}: ${message}`;

/**
 * Where `key` of `table` is written: its `key =` / `key.x =` line inside `[table]`, a
 * `[table.key]` header, or a dotted `table.key =` at top level; else the table header; else 1:1.
 * smol-toml reports positions only for syntax errors, so type errors are located by scanning.
 */
export function locateTomlKey(text: string, table: string, key: string): Position {
  const found = tomlKey(text, table, key);
  if (found !== null) return { line: found.line, col: found.column };
  const header = table === '' ? null : tomlTableAt(text, table);
  return header === null ? { line: 1, col: 1 } : { line: header.line, col: header.column };
}

/** Reads `value` as `"text"` or `{ workspace = true }`; returns an error message otherwise. */
function readInheritable(value: unknown, what: string): { text: string; workspace: boolean } | string {
  if (value === undefined) return { text: '', workspace: false };
  if (typeof value === 'string') return { text: value, workspace: false };
  if (isTable(value) && value['workspace'] === true) return { text: '', workspace: true };
  return `\`${what}\` must be a string or \`{ workspace = true }\``;
}

function readPublish(value: unknown): boolean | string {
  if (value === undefined) return true;
  if (typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.length > 0;
  return '`publish` must be a boolean or a list of registry names';
}

const stringList = (value: unknown): string[] => (Array.isArray(value) ? value.filter((each): each is string => typeof each === 'string') : []);
/** A list of registry names; null for anything else (a boolean, unset, or a list holding a non-string). */
const registries = (value: unknown): string[] | null =>
  Array.isArray(value) && value.every((each) => typeof each === 'string') ? (value as string[]) : null;

/** Parses a Cargo.toml; returns the fields release-policy needs or `file:line:col: message`. */
export function readCargoManifest(text: string, file: string): CargoManifest | string {
  let doc: Table;
  try {
    doc = parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    if (error instanceof TomlError) {
      const message = (error.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '');
      return at(file, { line: error.line, col: error.column }, `invalid TOML: ${message}`);
    }
    throw error;
  }
  const pkg = doc['package'];
  const ws = doc['workspace'];
  const wsPackage = isTable(ws) && isTable(ws['package']) ? ws['package'] : {};
  const pkgTable = isTable(pkg) ? pkg : {};
  const where = (table: string, key: string): Position => locateTomlKey(text, table, key);
  if (pkg !== undefined && !isTable(pkg)) return at(file, where('', 'package'), '`package` must be a table');
  if (pkgTable['name'] !== undefined && typeof pkgTable['name'] !== 'string')
    return at(file, where('package', 'name'), '`package.name` must be a string');
  const version = readInheritable(pkgTable['version'], 'package.version');
  if (typeof version === 'string') return at(file, where('package', 'version'), version);
  const publishValue = pkgTable['publish'];
  const publishWorkspace = isTable(publishValue) && publishValue['workspace'] === true;
  const publish = publishWorkspace ? true : readPublish(publishValue);
  if (typeof publish === 'string') return at(file, where('package', 'publish'), publish);
  const wsVersion = wsPackage['version'];
  if (wsVersion !== undefined && typeof wsVersion !== 'string')
    return at(file, where('workspace.package', 'version'), '`workspace.package.version` must be a string');
  const wsPublish = readPublish(wsPackage['publish']);
  if (typeof wsPublish === 'string') return at(file, where('workspace.package', 'publish'), wsPublish);
  return {
    name: typeof pkgTable['name'] === 'string' ? pkgTable['name'] : '',
    version: version.text,
    versionMissing: pkgTable['version'] === undefined,
    versionWorkspace: version.workspace,
    publish,
    publishSet: publishValue !== undefined,
    publishWorkspace,
    publishRegistries: registries(publishValue),
    hasPackage: isTable(pkg),
    workspace: isTable(ws),
    workspaceVersion: typeof wsVersion === 'string' ? wsVersion : '',
    workspacePublish: wsPublish,
    workspacePublishRegistries: registries(wsPackage['publish']),
    workspaceMembers: stringList(isTable(ws) ? ws['members'] : undefined),
    workspaceExclude: stringList(isTable(ws) ? ws['exclude'] : undefined),
    text,
  };
}

/**
 * The version and publish flag of a crate, with `workspace = true` fields taken from `root`
 * (the nearest Cargo.toml above it with [workspace], or the manifest itself), following
 * https://doc.rust-lang.org/cargo/reference/workspaces.html#the-package-table. A [package]
 * without `version` is version 0.0.0 and not published (Cargo 1.75 and later); Cargo refuses
 * it when `publish` still allows publishing, and so do we.
 */
export function resolveCargoPackage(
  manifest: CargoManifest,
  file: string,
  root: { manifest: CargoManifest; file: string } | null,
): { version: string; publish: boolean } | string {
  if (!manifest.hasPackage) return at(file, { line: 1, col: 1 }, 'no [package] table (a virtual workspace manifest?)');
  const needsRoot = manifest.versionWorkspace || manifest.publishWorkspace;
  if (needsRoot && !root)
    return at(
      file,
      locateTomlKey(manifest.text, 'package', 'version'),
      'inherits from the workspace, but no Cargo.toml with [workspace] was found above it',
    );
  let version = manifest.version;
  if (manifest.versionWorkspace && root) {
    version = root.manifest.workspaceVersion;
    if (version === '') return `${root.file}:1:1: [workspace.package] has no version, which ${file} inherits`;
  }
  const publish = manifest.publishWorkspace && root ? root.manifest.workspacePublish : manifest.publish;
  if (manifest.versionMissing) {
    if (manifest.publishSet && publish)
      return at(
        file,
        locateTomlKey(manifest.text, 'package', 'publish'),
        '`package.publish` requires `package.version` be specified',
      );
    return { version: '0.0.0', publish: false };
  }
  if (version === '') return at(file, locateTomlKey(manifest.text, 'package', 'version'), '`package.version` is empty');
  return { version, publish };
}

/**
 * Why the crate `manifest` declares is not the package the policy names, or null when they
 * agree: `cargo publish` uploads the manifest's crate, so verify, the registry facts and the
 * gates would otherwise ask about another one. `policyAt` is where the policy names it.
 */
export function packageNameMismatch(manifest: CargoManifest, file: string, policyName: string, policyAt: string): string | null {
  if (!manifest.hasPackage || manifest.name === '' || manifest.name === policyName) return null;
  return at(
    file,
    locateTomlKey(manifest.text, 'package', 'name'),
    `[package] name is "${manifest.name}", but the policy names the package "${policyName}" (${policyAt}); make the two the same`,
  );
}

/** Parses a package.json; returns name, version, publish or `file:line:col: message`. */
export function readNpmManifest(text: string, file: string): NpmManifest | string {
  const source = text.replace(/^\uFEFF/, '');
  let doc: unknown;
  try {
    doc = JSON.parse(source);
  } catch (error) {
    const message = (error as Error).message
      .replace(/, .*is not valid JSON$/s, '')
      .replace(/ in JSON at position \d+.*$/s, '');
    return at(file, positionOf(source, jsonErrorOffset(source)), `invalid JSON: ${message}`);
  }
  const locate = (key: string): Position => {
    const offset = source.search(new RegExp(`"${key}"\\s*:`));
    return positionOf(source, Math.max(0, offset));
  };
  if (!isTable(doc)) return at(file, { line: 1, col: 1 }, 'package.json must hold a JSON object');
  for (const key of ['name', 'version'] as const) {
    if (doc[key] !== undefined && typeof doc[key] !== 'string')
      return at(file, locate(key), `"${key}" must be a string`);
  }
  if (doc['version'] === undefined) return at(file, { line: 1, col: 1 }, 'no "version" field');
  return {
    name: typeof doc['name'] === 'string' ? doc['name'] : '',
    version: typeof doc['version'] === 'string' ? doc['version'] : '',
    // npm publish refuses any truthy "private" (`if (manifest.private)`), not only `true`.
    publish: !doc['private'],
  };
}

function positionOf(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, col: offset - lineStart + 1 };
}

/**
 * Offset of the first JSON syntax error in `text`. V8's messages carry a position for some
 * errors only (`Unexpected token 'x', "..." is not valid JSON` has none), so we scan ourselves.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const space = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] ?? '')) i++;
  };
  const expect = (char: string): void => {
    space();
    if (text[i] !== char) fail();
    i++;
  };
  const string = (): void => {
    expect('"');
    for (;;) {
      const char = text[i];
      if (char === undefined || char < ' ') fail();
      i++;
      if (char === '"') return;
      if (char === '\\') {
        if (text[i] === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) i += 5;
        else if (text[i] !== undefined && '"\\/bfnrt'.includes(text[i] ?? '')) i++;
        else fail();
      }
    }
  };
  const list = (close: string, item: () => void): void => {
    i++;
    space();
    if (text[i] === close) return void i++;
    for (;;) {
      item();
      space();
      if (text[i] === close) return void i++;
      expect(',');
    }
  };
  const value = (): void => {
    space();
    const char = text[i];
    if (char === '{') return list('}', () => (string(), expect(':'), value()));
    if (char === '[') return list(']', value);
    if (char === '"') return string();
    const literal = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
    literal.lastIndex = i;
    if (!literal.exec(text)) fail();
    i = literal.lastIndex;
  };
  try {
    value();
    space();
    if (i < text.length) fail();
    return 0;
  } catch (offset) {
    if (typeof offset === 'number') return offset;
    return 0;
  }
}

/** ATX headings (`#`..`######`) outside fenced code blocks, per CommonMark 0.31 §4.2 and §4.5. */
export function parseReleaseNotes(text: string): ReleaseNotes {
  const headings: string[] = [];
  let title: string | null = null;
  let fence: { char: string; length: number } | null = null;
  for (const line of text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)) {
    const fenceMatch = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    const marker = fenceMatch?.[1] ?? '';
    if (fence) {
      if (marker[0] === fence.char && marker.length >= fence.length && fenceMatch?.[2]?.trim() === '') fence = null;
      continue;
    }
    // A backtick fence's info string cannot contain backticks (else it is inline code).
    if (fenceMatch && !(marker[0] === '`' && (fenceMatch[2] ?? '').includes('`'))) {
      fence = { char: marker[0] ?? '`', length: marker.length };
      continue;
    }
    const heading = /^ {0,3}(#{1,6})(?:[ \t]+(.*))?$/.exec(line);
    if (!heading) continue;
    const content = (heading[2] ?? '').trim().replace(/(?:^|[ \t]+)#+$/, '').trim();
    if (content === '') continue;
    headings.push(content);
    if (title === null && heading[1] === '#') title = content;
  }
  return { title: title ?? '', headings };
}
