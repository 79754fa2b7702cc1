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

/** Where manifests are read from; `label` prefixes error locations (`HEAD:`, `:` for the index, `v1.2.0:`). */
export interface Source {
  label: string;
  read(path: string): Promise<Blob>;
}

/** Parsed manifests by blob id: tags and history see the same blobs again and again. */
export type ParseCache = Map<string, CargoManifest | NpmManifest>;

export type PackageVersion =
  | { kind: 'ok'; version: string; publish: boolean; cargo?: CargoManifest }
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

export async function readPackageVersion(
  pkg: PackageConfig,
  source: Source,
  cache: ParseCache,
): Promise<PackageVersion> {
  const file = source.label + pkg.manifest;
  const fail = (error: string): PackageVersion => ({ kind: 'error', error, missing: false });
  const blob = await source.read(pkg.manifest);
  if (!blob) return { kind: 'error', error: `${file}: file not found`, missing: true };
  if (blob.problem) return fail(`${file}:${blob.problem.line}:${blob.problem.col}: ${blob.problem.message}`);
  if (pkg.ecosystem === 'npm') {
    const npm = parseWithCache(cache, 'npm', blob, () => readNpmManifest(blob.text, file));
    return typeof npm === 'string' ? fail(npm) : { kind: 'ok', version: npm.version, publish: npm.publish };
  }
  const cargo = parseWithCache(cache, 'cargo', blob, () => readCargoManifest(blob.text, file));
  if (typeof cargo === 'string') return fail(cargo);
  let root: { manifest: CargoManifest; file: string } | null = cargo.workspace ? { manifest: cargo, file } : null;
  // Cargo looks for the workspace root in the directories above the package (it also
  // checks `members`; a root that does not list the package is still used here).
  const inherits = !root && (cargo.versionWorkspace || cargo.publishWorkspace);
  for (const path of inherits ? ancestorManifests(pkg.manifest) : []) {
    if (root) break;
    const above = await source.read(path);
    if (!above) continue;
    if (above.problem) return fail(`${source.label}${path}:${above.problem.line}:${above.problem.col}: ${above.problem.message}`);
    const parsed = parseWithCache(cache, 'cargo', above, () => readCargoManifest(above.text, source.label + path));
    if (typeof parsed === 'string') return fail(parsed);
    if (parsed.workspace) root = { manifest: parsed, file: source.label + path };
  }
  const resolved = resolveCargoPackage(cargo, file, root);
  if (typeof resolved === 'string') return fail(resolved);
  // Cargo reads such a package as 0.0.0 and never publishes it; a package the policy
  // releases needs a version, and every version rule would otherwise compare against 0.0.0.
  if (cargo.versionMissing) return fail(versionlessError(cargo, file));
  return { kind: 'ok', ...resolved, cargo };
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
