// Where manifest text comes from (work tree, HEAD, index, a commit, blob ids), its parse cache, and the packages fact.
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, sep } from 'node:path';
import type { PackageFact } from './model.js';
import type { PackageConfig } from '../policy/model.js';
import type { CatFileBatch, GitObject } from './git.js';
import { createLimiter } from './limit.js';
import { describeNonRegular } from '../policy/locate.js';
import { decodeText, type TextProblem } from '../policy/text-bytes.js';
import {
  locateTomlKey,
  packageNameMismatch,
  parseReleaseNotes,
  readCargoManifest,
  readNpmManifest,
  resolveCargoPackage,
  type CargoManifest,
  type NpmManifest,
  type ReleaseNotes,
} from './manifest.js';

/** A file's text; `problem`: where it stops being UTF-8 text (or holds a NUL), which makes it unreadable. */
export type Blob = { text: string; oid: string; problem?: TextProblem | null; notFile?: boolean } | null;

/** One entry of a git tree: a file or a folder (`dir`). */
export interface TreeEntry {
  name: string;
  dir: boolean;
}

/** Where manifests are read from; `label` prefixes error locations (`HEAD:`, `:` for the index, `v1.2.0:`). */
export interface Source {
  label: string;
  read(path: string): Promise<Blob>;
  /**
   * The entries of folder `dir` ("" for the root), null when there is no such folder. Only
   * sources of one commit have it: there readPackageVersion looks for a package that is not
   * where the policy says (moved or renamed since).
   */
  list?(dir: string): Promise<TreeEntry[] | null>;
}

/** Parsed manifests by blob id: tags and history see the same blobs again and again. */
export type ParseCache = Map<string, CargoManifest | NpmManifest>;

export type PackageVersion =
  | {
      kind: 'ok';
      version: string;
      publish: boolean;
      cargo?: CargoManifest;
      /** Where the version was found: the configured manifest, or (at a commit) where the package was then. */
      path?: string;
      /** Set when no manifest named the package and the configured one carried this other `[package] name`. */
      otherName?: string;
    }
  | { kind: 'error'; error: string; missing: boolean };

export const blobOf = (object: GitObject | null): Blob =>
  object?.type === 'blob' ? { ...decodeText(object.content), oid: object.oid } : null;

/** Work-tree files open at once: one read per package at the same moment ran out of descriptors (EMFILE). */
const fileReads = createLimiter(32);

function worktreeSource(root: string): Source {
  return {
    label: '',
    read: (path) =>
      fileReads.run(async () => {
        // Reading a FIFO would wait forever; a folder or a dangling link is not "not found".
        const what = describeNonRegular(join(root, path));
        if (what !== null) return { text: '', oid: '', notFile: true, problem: { line: 1, col: 1, message: what, hint: '' } };
        try {
          return { ...decodeText(await readFile(join(root, path))), oid: '' };
        } catch (error) {
          if (['ENOENT', 'ENOTDIR', 'EISDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) return null;
          throw error;
        }
      }),
  };
}

/** `rev:path` through cat-file; rev "" reads the index (`:path`, gitrevisions(7)). */
export function revSource(batch: CatFileBatch, rev: string, label = `${rev}:`): Source {
  return { label, read: async (path) => blobOf(await batch.read(`${rev}:${path}`)) };
}

/**
 * A commit's files, folders listed too, so that readPackageVersion finds a package whose
 * manifest was elsewhere then (tags made before a move or a rename).
 */
export function commitSource(batch: CatFileBatch, commit: string, label = `${commit}:`): Source {
  return {
    label,
    read: async (path) => blobOf(await batch.read(`${commit}:${path}`)),
    list: async (dir) => {
      const tree = await batch.read(`${commit}:${dir}`);
      return tree?.type === 'tree' ? parseTree(tree.content, tree.oid.length / 2) : null;
    },
  };
}

/** A raw tree object (`<mode> <name>\0<id>` repeated, git's object format); `idBytes` is 20 for SHA-1, 32 for SHA-256. */
export function parseTree(content: Buffer, idBytes: number): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let at = 0;
  while (at < content.length) {
    const space = content.indexOf(0x20, at);
    const nul = content.indexOf(0, space + 1);
    if (space === -1 || nul === -1) break;
    const mode = content.toString('latin1', at, space);
    entries.push({ name: content.toString('utf8', space + 1, nul), dir: mode === '40000' });
    at = nul + 1 + idBytes;
  }
  return entries;
}

/** Files known by blob id (from `git log --raw`), each blob fetched once. */
export function blobMapSource(
  batch: CatFileBatch,
  files: Map<string, string>,
  blobs: Map<string, Promise<Blob>>,
): Source {
  return {
    label: '',
    read: (path) => {
      const oid = files.get(path);
      if (!oid) return Promise.resolve(null);
      let blob = blobs.get(oid);
      if (!blob) blobs.set(oid, (blob = batch.read(oid).then(blobOf)));
      return blob;
    },
  };
}

function parseWithCache<T extends CargoManifest | NpmManifest>(
  cache: ParseCache,
  kind: PackageConfig['ecosystem'],
  blob: { text: string; oid: string },
  parse: () => T | string,
): T | string {
  // Keyed by kind too: the same bytes could in theory be read as Cargo.toml and package.json.
  const key = blob.oid ? `${kind}:${blob.oid}` : '';
  const hit = key ? (cache.get(key) as T | undefined) : undefined;
  if (hit) return hit;
  const result = parse();
  if (key && typeof result !== 'string') cache.set(key, result);
  return result;
}

/** `Cargo.toml` files in the directories above a manifest, nearest first. */
export function ancestorManifests(manifest: string): string[] {
  const out: string[] = [];
  let dir = posix.dirname(posix.normalize(manifest));
  while (dir !== '.' && dir !== '/' && dir !== '') {
    dir = posix.dirname(dir);
    out.push(dir === '.' ? 'Cargo.toml' : `${dir}/Cargo.toml`);
  }
  return out;
}

const fail = (error: string): PackageVersion => ({ kind: 'error', error, missing: false });

/**
 * The package's version in `source`. Where the source is a commit (it can `list`) and the
 * configured manifest does not carry the package (missing, no [package], or another
 * `[package] name`), the package is looked for where it may have been then (findMovedPackage);
 * the common case reads one manifest, as before.
 */
export async function readPackageVersion(
  pkg: PackageConfig,
  source: Source,
  cache: ParseCache,
): Promise<PackageVersion> {
  const file = source.label + pkg.manifest;
  const blob = await source.read(pkg.manifest);
  const search = pkg.ecosystem === 'cargo' && source.list !== undefined;
  if (!blob) {
    const moved = search ? await findMovedPackage(pkg, source, cache) : null;
    return moved ?? { kind: 'error', error: `${file}: file not found`, missing: true };
  }
  if (blob.problem) return fail(`${file}:${blob.problem.line}:${blob.problem.col}: ${blob.problem.message}`);
  if (pkg.ecosystem === 'npm') {
    const npm = parseWithCache(cache, 'npm', blob, () => readNpmManifest(blob.text, file));
    return typeof npm === 'string' ? fail(npm) : { kind: 'ok', version: npm.version, publish: npm.publish, path: pkg.manifest };
  }
  const cargo = parseWithCache(cache, 'cargo', blob, () => readCargoManifest(blob.text, file));
  if (typeof cargo === 'string') return fail(cargo);
  const misnamed = cargo.hasPackage && cargo.name !== '' && cargo.name !== pkg.name;
  if (search && (misnamed || !cargo.hasPackage)) {
    const moved = await findMovedPackage(pkg, source, cache);
    if (moved) return moved;
  }
  if (!(search && misnamed)) return cargoVersion(cargo, pkg.manifest, source, cache);
  // No manifest names the package: the configured one, under its name then, is what the
  // commit has (a rename); callers say so instead of reporting no version.
  const found = await cargoVersion(cargo, pkg.manifest, source, cache);
  return found.kind === 'ok' ? { ...found, otherName: cargo.name } : found;
}

/** The version of the crate `cargo` (read from `path`), `workspace = true` fields resolved from the workspace root above it. */
async function cargoVersion(cargo: CargoManifest, path: string, source: Source, cache: ParseCache): Promise<PackageVersion> {
  const file = source.label + path;
  let root: { manifest: CargoManifest; file: string } | null = cargo.workspace ? { manifest: cargo, file } : null;
  // Cargo looks for the workspace root in the directories above the package (it also
  // checks `members`; a root that does not list the package is still used here).
  const inherits = !root && (cargo.versionWorkspace || cargo.publishWorkspace);
  for (const above of inherits ? ancestorManifests(path) : []) {
    if (root) break;
    const blob = await source.read(above);
    if (!blob) continue;
    if (blob.problem) return fail(`${source.label}${above}:${blob.problem.line}:${blob.problem.col}: ${blob.problem.message}`);
    const parsed = parseWithCache(cache, 'cargo', blob, () => readCargoManifest(blob.text, source.label + above));
    if (typeof parsed === 'string') return fail(parsed);
    if (parsed.workspace) root = { manifest: parsed, file: source.label + above };
  }
  const resolved = resolveCargoPackage(cargo, file, root);
  if (typeof resolved === 'string') return fail(resolved);
  // Cargo reads such a package as 0.0.0 and never publishes it; a package the policy
  // releases needs a version, and every version rule would otherwise compare against 0.0.0.
  if (cargo.versionMissing) return fail(versionlessError(cargo, file));
  return { kind: 'ok', ...resolved, cargo, path };
}

/**
 * The manifest whose `[package] name` is the package, in a commit where the configured path
 * does not carry it: the root Cargo.toml, the root workspace's members (globs expanded in
 * that commit's tree, `exclude` honoured), then `<folder>/Cargo.toml` and `crates/<folder>/Cargo.toml`
 * for crates outside any workspace. Null when none names it.
 */
async function findMovedPackage(pkg: PackageConfig, source: Source, cache: ParseCache): Promise<PackageVersion | null> {
  const list = source.list;
  if (!list) return null;
  const parse = async (path: string): Promise<CargoManifest | null> => {
    const blob = await source.read(path);
    if (!blob || blob.problem) return null;
    const parsed = parseWithCache(cache, 'cargo', blob, () => readCargoManifest(blob.text, source.label + path));
    return typeof parsed === 'string' ? null : parsed;
  };
  const tried = new Set([pkg.manifest]);
  const attempt = async (path: string): Promise<PackageVersion | null> => {
    if (tried.has(path)) return null;
    tried.add(path);
    const cargo = await parse(path);
    return cargo?.hasPackage && cargo.name === pkg.name ? cargoVersion(cargo, path, source, cache) : null;
  };
  const root = await parse('Cargo.toml');
  const firstOf = async (paths: string[]): Promise<PackageVersion | null> => {
    // Read together (one cat-file round trip), taken in order.
    const results = await Promise.all(paths.map(attempt));
    return results.find((r) => r !== null) ?? null;
  };
  const atRoot = root?.hasPackage && root.name === pkg.name ? await attempt('Cargo.toml') : null;
  if (atRoot) return atRoot;
  tried.add('Cargo.toml');
  if (root?.workspace) {
    const dirs = (await Promise.all(root.workspaceMembers.map((member) => expandMember(list, member)))).flat();
    const excluded = root.workspaceExclude.map((dir) => posix.normalize(dir).replace(/\/$/, ''));
    const kept = dirs.filter((dir) => !excluded.some((ex) => dir === ex || dir.startsWith(`${ex}/`)));
    const member = await firstOf(kept.map((dir) => `${dir}/Cargo.toml`));
    if (member) return member;
  }
  const top = (await list('')) ?? [];
  const crates = top.some((entry) => entry.dir && entry.name === 'crates') ? ((await list('crates')) ?? []) : [];
  return firstOf([
    ...top.filter((entry) => entry.dir).map((entry) => `${entry.name}/Cargo.toml`),
    ...crates.filter((entry) => entry.dir).map((entry) => `crates/${entry.name}/Cargo.toml`),
  ]);
}

/**
 * The folders a `[workspace] members` entry names in a commit's tree: each path segment with
 * `*`, `?` or `[...]` is matched against that folder's entries (Cargo's glob syntax); `**`
 * is not expanded (rare in members lists, and it would walk whole trees).
 */
async function expandMember(list: NonNullable<Source['list']>, member: string): Promise<string[]> {
  const segments = posix.normalize(member).replace(/^\.\/|\/$/g, '').split('/');
  if (segments.some((segment) => segment === '..' || segment === '**' || segment === '')) return [];
  let dirs = [''];
  for (const segment of segments) {
    if (!/[*?[]/.test(segment)) {
      dirs = dirs.map((dir) => (dir ? `${dir}/${segment}` : segment));
      continue;
    }
    const pattern = globSegment(segment);
    const listed = await Promise.all(dirs.map(async (dir) => ({ dir, entries: (await list(dir)) ?? [] })));
    dirs = listed.flatMap(({ dir, entries }) =>
      entries.filter((entry) => entry.dir && pattern.test(entry.name)).map((entry) => (dir ? `${dir}/${entry.name}` : entry.name)),
    );
  }
  return dirs;
}

function globSegment(segment: string): RegExp {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] ?? '';
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end === -1) out += '\\[';
      else {
        const body = segment.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        out += `[${body}]`;
        i = end;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function versionlessError(manifest: CargoManifest, file: string): string {
  const { line, col } = locateTomlKey(manifest.text, 'package', 'version');
  return `${file}:${line}:${col}: [package] has no \`version\`: cargo defaults it to 0.0.0 and refuses to publish it; add \`version = "X.Y.Z"\` (or \`version.workspace = true\`)`;
}

/** `release-policy.yml:3:11`: where the policy names `pkg`, relative to the repository root when inside it. */
export function policyPlace(root: string, pkg: PackageConfig): string {
  const at = pkg.location;
  if (!at) return 'release-policy.yml';
  const inside = relative(root, at.file);
  const file = inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? inside.split(sep).join('/') : at.file;
  return `${file}:${at.line}:${at.col}`;
}

async function readNotes(root: string, path: string): Promise<ReleaseNotes | null> {
  const blob = await worktreeSource(root).read(path);
  // A folder (or FIFO) under the notes' name is no notes file; text with stray bytes is still read.
  return blob && !blob.notFile ? parseReleaseNotes(blob.text) : null;
}

const fill = (template: string, version: string): string => (version ? template.split('{version}').join(version) : '');

export async function collectPackages(
  root: string,
  packages: PackageConfig[],
  batch: CatFileBatch,
  parsed: ParseCache,
): Promise<PackageFact[]> {
  const work = worktreeSource(root);
  const head = revSource(batch, 'HEAD');
  const index = revSource(batch, '');
  return Promise.all(
    packages.map(async (pkg): Promise<PackageFact> => {
      const read = (source: Source): Promise<PackageVersion> => readPackageVersion(pkg, source, parsed);
      const [w, h, s] = await Promise.all([read(work), read(head), read(index)]);
      const error = [w, h, s].find((r) => r?.kind === 'error' && (r === w || !r.missing));
      const misnamed = w.kind === 'ok' && w.cargo ? packageNameMismatch(w.cargo, pkg.manifest, pkg.name, policyPlace(root, pkg)) : null;
      const version = w?.kind === 'ok' ? w.version : '';
      const notesPath = fill(pkg.releaseNotes, version);
      const notes = notesPath ? await readNotes(root, notesPath) : null;
      return {
        name: pkg.name,
        ecosystem: pkg.ecosystem,
        manifest: pkg.manifest,
        manifestError: error?.kind === 'error' ? error.error : (misnamed ?? ''),
        version,
        versionHead: h?.kind === 'ok' ? h.version : '',
        versionStaged: s?.kind === 'ok' ? s.version : '',
        publish: [w, s, h].find((r) => r?.kind === 'ok')?.publish ?? true,
        registry: pkg.registry,
        tagTemplate: pkg.tag,
        expectedTag: fill(pkg.tag, version),
        releaseNotes: {
          path: notesPath,
          present: notes !== null,
          title: notes?.title ?? '',
          headings: notes?.headings ?? [],
        },
      };
    }),
  );
}
