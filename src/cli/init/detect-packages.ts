// The publishable packages of a repository, for `policy init`: Cargo workspace members and
// npm workspaces, found the way cargo and npm find them, and kept when their manifest allows
// publishing. Reads files only; the manifests are parsed by src/facts/manifest.ts.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import picomatch from 'picomatch';
import { readCargoManifest, readNpmManifest, resolveCargoPackage, type CargoManifest } from '../../facts/manifest.js';

export interface DetectedPackage {
  name: string;
  ecosystem: 'cargo' | 'npm';
  /** Repository-relative, written with `/`. */
  manifest: string;
  /** Only when the manifest names it: `publish = ["my-registry"]`. */
  registry?: string;
  /** The manifest's version (inherited ones resolved), "" when it cannot be read. */
  version: string;
}

/** A manifest that was read and left out, with the reason, so the user can check the choice. */
export interface SkippedManifest {
  manifest: string;
  reason: string;
}

export interface Detection {
  packages: DetectedPackage[];
  skipped: SkippedManifest[];
  /** Manifest problems `policy check` will also report (`file:line:col: message`). */
  problems: string[];
  /** What was looked at, one phrase each: said when nothing publishable is found. */
  searched: string[];
}

/** Never searched for members: build output and installed dependencies hold copies of manifests. */
const SKIPPED_FOLDERS = new Set(['node_modules', 'target', '.git']);

type Table = Record<string, unknown>;

const isTable = (value: unknown): value is Table =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

export function detectPackages(root: string): Detection {
  const detection: Detection = { packages: [], skipped: [], problems: [], searched: [] };
  detectCargo(root, detection);
  detectNpm(root, detection);
  return detection;
}

/** Adds a package unless its name is taken: the policy lists each name once. */
function addPackage(detection: Detection, pkg: DetectedPackage): void {
  const taken = detection.packages.find((p) => p.name === pkg.name);
  if (taken) {
    detection.skipped.push({ manifest: pkg.manifest, reason: `the name "${pkg.name}" is already listed for ${taken.manifest}` });
    return;
  }
  detection.packages.push(pkg);
}

/**
 * The root Cargo.toml's [package], then its [workspace] members: `members` globs expanded
 * (folders holding a Cargo.toml), minus `exclude`, where, as in cargo's `is_excluded`, a
 * path under an `exclude` entry is left out unless it is also under a `members` entry
 * written as a plain path (https://doc.rust-lang.org/cargo/reference/workspaces.html#the-members-and-exclude-fields).
 */
function detectCargo(root: string, detection: Detection): void {
  const rootFile = 'Cargo.toml';
  if (!existsSync(join(root, rootFile))) {
    detection.searched.push('Cargo.toml (none at the root)');
    return;
  }
  const text = readFileSync(join(root, rootFile), 'utf8');
  const manifest = readCargoManifest(text, rootFile);
  if (typeof manifest === 'string') {
    detection.searched.push('Cargo.toml (unreadable)');
    detection.problems.push(manifest);
    return;
  }
  const workspaceRoot = manifest.workspace ? { manifest, file: rootFile } : null;
  const seen = new Set<string>();
  if (manifest.hasPackage) {
    considerCrate({ detection, file: rootFile, manifest, root: workspaceRoot });
    seen.add('');
  }
  if (!manifest.workspace) {
    detection.searched.push(manifest.hasPackage ? 'Cargo.toml ([package], no [workspace])' : 'Cargo.toml (no [package])');
    return;
  }
  const members = manifest.workspaceMembers.map(normalizePattern);
  const exclude = manifest.workspaceExclude.map(normalizePattern);
  const under = (dir: string, prefix: string): boolean => prefix === '' || dir === prefix || dir.startsWith(`${prefix}/`);
  const excluded = (dir: string): boolean =>
    exclude.some((ex) => under(dir, ex)) && !members.some((member) => under(dir, member));
  let count = 0;
  for (const pattern of members) {
    if (pattern === '..' || pattern.startsWith('../')) {
      detection.problems.push(`Cargo.toml: workspace member "${pattern}" is outside the repository; left out`);
      continue;
    }
    const dirs = expandFolders(root, pattern).filter((dir) => existsSync(join(root, dir, 'Cargo.toml')));
    if (dirs.length === 0 && !hasGlob(pattern)) {
      detection.problems.push(`Cargo.toml: workspace member "${pattern}" has no Cargo.toml`);
    }
    for (const dir of dirs) {
      if (seen.has(dir) || excluded(dir)) continue;
      seen.add(dir);
      count++;
      const file = posix.join(dir, 'Cargo.toml');
      const memberText = readFileSync(join(root, file), 'utf8');
      const member = readCargoManifest(memberText, file);
      if (typeof member === 'string') {
        detection.problems.push(member);
        continue;
      }
      considerCrate({ detection, file, manifest: member, root: workspaceRoot });
    }
  }
  const listed = members.length > 0 ? members.join(', ') : 'none listed';
  detection.searched.push(`Cargo.toml ([workspace] members: ${listed}; ${count} member manifest${count === 1 ? '' : 's'})`);
}

function considerCrate(input: {
  detection: Detection;
  file: string;
  manifest: CargoManifest;
  root: { manifest: CargoManifest; file: string } | null;
}): void {
  const { detection, file, manifest, root } = input;
  if (!manifest.hasPackage) {
    detection.skipped.push({ manifest: file, reason: 'no [package]' });
    return;
  }
  if (manifest.name === '') {
    detection.skipped.push({ manifest: file, reason: 'no package.name' });
    return;
  }
  const resolved = resolveCargoPackage(manifest, file, root);
  let publish: boolean;
  const version = typeof resolved === 'string' ? manifest.version : resolved.version;
  if (typeof resolved === 'string') {
    // Listed all the same when its `publish` allows it: `policy check` names the problem.
    detection.problems.push(resolved);
    publish = manifest.publishWorkspace && root ? root.manifest.workspacePublish : manifest.publish;
  } else {
    publish = resolved.publish;
  }
  if (!publish) {
    detection.skipped.push({ manifest: file, reason: unpublishableReason(manifest) });
    return;
  }
  const registry = knownRegistry(manifest, root);
  addPackage(detection, { name: manifest.name, ecosystem: 'cargo', manifest: file, ...(registry ? { registry } : {}), version });
}

function unpublishableReason(manifest: CargoManifest): string {
  if (manifest.versionMissing) return 'no package.version (cargo publishes no such package)';
  if (manifest.publishWorkspace) return 'publish.workspace = true, and [workspace.package] does not publish';
  return manifest.publishRegistries !== null ? 'publish = []' : 'publish = false';
}

/** `publish = ["one-registry"]` (or inherited from [workspace.package]) names the registry. */
function knownRegistry(manifest: CargoManifest, root: { manifest: CargoManifest } | null): string | undefined {
  const named = manifest.publishWorkspace && root ? root.manifest.workspacePublishRegistries : manifest.publishRegistries;
  return named?.length === 1 ? named[0] : undefined;
}

/**
 * The root package.json, then its `workspaces` (an array, or yarn's `{ packages: [...] }`):
 * globs of folders holding a package.json, `!pattern` leaving folders out. A package counts
 * when it has a `name` and is not `"private"` (npm publish refuses any truthy `private`).
 */
function detectNpm(root: string, detection: Detection): void {
  const rootFile = 'package.json';
  if (!existsSync(join(root, rootFile))) {
    detection.searched.push('package.json (none at the root)');
    return;
  }
  const raw = readPackageJson(root, rootFile, detection);
  if (raw === null) {
    detection.searched.push('package.json (unreadable)');
    return;
  }
  considerNpm(root, rootFile, raw, detection);
  const declared = isTable(raw['workspaces']) ? raw['workspaces']['packages'] : raw['workspaces'];
  const patterns = strings(declared).map((p) => (p.startsWith('!') ? `!${normalizePattern(p.slice(1))}` : normalizePattern(p)));
  if (patterns.length === 0) {
    detection.searched.push('package.json (no workspaces)');
    return;
  }
  const negated = patterns.filter((p) => p.startsWith('!')).map((p) => picomatch(p.slice(1), { dot: true }));
  const dirs = new Set<string>();
  for (const pattern of patterns.filter((p) => !p.startsWith('!'))) {
    for (const dir of expandFolders(root, pattern)) {
      if (dir === '' || negated.some((isNegated) => isNegated(dir))) continue;
      if (existsSync(join(root, dir, 'package.json'))) dirs.add(dir);
    }
  }
  for (const dir of [...dirs].sort()) {
    const file = posix.join(dir, 'package.json');
    const member = readPackageJson(root, file, detection);
    if (member !== null) considerNpm(root, file, member, detection);
  }
  detection.searched.push(`package.json (workspaces: ${patterns.join(', ')}; ${dirs.size} workspace manifest${dirs.size === 1 ? '' : 's'})`);
}

function readPackageJson(root: string, file: string, detection: Detection): Table | null {
  const text = readFileSync(join(root, file), 'utf8');
  try {
    const value: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    if (isTable(value)) return value;
    detection.problems.push(`${file}:1:1: package.json must hold a JSON object`);
  } catch {
    const problem = readNpmManifest(text, file);
    detection.problems.push(typeof problem === 'string' ? problem : `${file}: invalid JSON`);
  }
  return null;
}

function considerNpm(root: string, file: string, raw: Table, detection: Detection): void {
  if (raw['private']) {
    detection.skipped.push({ manifest: file, reason: '"private": true' });
    return;
  }
  const name = raw['name'];
  if (typeof name !== 'string' || name === '') {
    detection.skipped.push({ manifest: file, reason: 'no "name"' });
    return;
  }
  const checked = readNpmManifest(readFileSync(join(root, file), 'utf8'), file);
  if (typeof checked === 'string') detection.problems.push(checked);
  addPackage(detection, { name, ecosystem: 'npm', manifest: file, version: typeof raw['version'] === 'string' ? raw['version'] : '' });
}

/** `./crates//a/` → `crates/a`; `.` → ``. */
function normalizePattern(pattern: string): string {
  const normalized = posix.normalize(pattern.replace(/\\/g, '/')).replace(/\/+$/, '');
  return normalized === '.' ? '' : normalized.replace(/^\.\//, '');
}

function hasGlob(pattern: string): boolean {
  return /[*?[\]{}]/.test(pattern);
}

/**
 * The folders under `root` matching `pattern`, one path component at a time as cargo's
 * glob and npm's workspace matcher do: `*`, `?` and `[...]` within a component (hidden
 * folders included), `**` for any depth. Repository-relative paths with `/`; `` is the root.
 */
export function expandFolders(root: string, pattern: string): string[] {
  let current = [''];
  for (const part of pattern === '' ? [] : pattern.split('/')) {
    const next: string[] = [];
    for (const base of current) {
      if (part === '**') next.push(base, ...allFolders(root, base));
      else if (!hasGlob(part)) {
        const dir = posix.join(base, part);
        if (!SKIPPED_FOLDERS.has(part) && isFolder(join(root, dir))) next.push(dir);
      } else {
        const matches = picomatch(part, { dot: true });
        for (const name of childFolders(root, base)) if (matches(name)) next.push(posix.join(base, name));
      }
    }
    current = [...new Set(next)];
  }
  return current.sort();
}

function childFolders(root: string, base: string): string[] {
  try {
    return readdirSync(join(root, base), { withFileTypes: true })
      .filter((entry) => !SKIPPED_FOLDERS.has(entry.name))
      .filter((entry) => entry.isDirectory() || (entry.isSymbolicLink() && isFolder(join(root, base, entry.name))))
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

/** Every folder below `base`, not following symbolic links (no cycles). */
function allFolders(root: string, base: string): string[] {
  const found: string[] = [];
  const visit = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(join(root, dir), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || SKIPPED_FOLDERS.has(entry.name)) continue;
      const path = posix.join(dir, entry.name);
      found.push(path);
      visit(path);
    }
  };
  visit(base);
  return found;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
