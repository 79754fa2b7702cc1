// The git and manifest collector: reads only the facts a gate needs, with few git processes
// (one rev-parse, then status, config, for-each-ref, log and long-lived cat-file --batch
// processes, the independent ones in parallel). Every fact it cannot read is `unavailable`
// with a reason, never an empty value that would let a rule pass.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, posix, resolve, sep } from 'node:path';
import type { CollectedFacts, FactName, HistoryFact, PackageFact, RepoFact, TagFact, VersionChange } from './model.js';
import type { PackageConfig } from '../policy/model.js';
import { CatFileBatch, parseLogRaw, parseStatusPaths, redactUrl, runGit, streamGit } from './git.js';
import type { GitObject, LogCommit } from './git.js';
import {
  parseReleaseNotes,
  readCargoManifest,
  readNpmManifest,
  resolveCargoPackage,
  type CargoManifest,
  type NpmManifest,
  type ReleaseNotes,
} from './manifest.js';

export interface CollectRequest {
  cwd: string;
  packages: PackageConfig[];
  /** "" = detect */
  defaultBranch: string;
  needs: readonly FactName[];
  gate: { name: string; arg: string };
}

const SHALLOW = 'shallow clone: history is incomplete; run `git fetch --unshallow`';

interface Probe {
  root: string;
  shallow: boolean;
  head: string;
}

interface Ref {
  name: string;
  type: string;
  oid: string;
  peeledType: string;
  peeled: string;
  symref: string;
}

export async function collectFacts(req: CollectRequest): Promise<CollectedFacts> {
  const needs = new Set(req.needs);
  const out: CollectedFacts = { facts: {}, unavailable: {} };
  if (needs.has('gate')) out.facts.gate = { name: req.gate.name, arg: req.gate.arg };
  const gitFacts = (['repo', 'packages', 'tags', 'history'] as const).filter((name) => needs.has(name));
  if (gitFacts.length === 0) return out;
  const batches: CatFileBatch[] = [];
  // `<rev>:<path>` names paths from the top of the work tree, so cat-file may start in cwd
  // while rev-parse finds the root: one process start less on the hook's path.
  const open = (dir = req.cwd): CatFileBatch => {
    batches.push(new CatFileBatch(dir));
    return batches[batches.length - 1] as CatFileBatch;
  };
  let shared: CatFileBatch | null = needs.has('packages') ? open() : null;
  let probe: Probe;
  try {
    // Packages alone need only the work tree's root: found on disk, it saves the hook a
    // git process. Everything else needs rev-parse's answers (HEAD, shallowness).
    const onDisk = gitFacts.every((name) => name === 'packages') ? findWorkTreeOnDisk(req.cwd) : null;
    probe = onDisk ? { root: onDisk, shallow: false, head: '' } : await probeRepo(req.cwd);
  } catch (error) {
    await Promise.all(batches.map((each) => each.close()));
    for (const name of gitFacts) out.unavailable[name] = `not a git work tree (${req.cwd}): ${message(error)}`;
    return out;
  }
  const parsed: ParseCache = new Map();
  const wantTags = needs.has('tags') && !probe.shallow;
  const wantHistory = needs.has('history') && !probe.shallow;
  const batch = (): CatFileBatch => (shared ??= open());
  const wantBranch = needs.has('repo') || wantHistory;
  // Branches and tags are listed apart, so the history walk need not wait for 10,000 tags.
  const branches = wantBranch ? readRefs(probe.root, ['refs/heads', 'refs/remotes/origin']) : Promise.resolve([]);
  const config = needs.has('repo') || (wantHistory && !req.defaultBranch) ? readConfig(probe.root) : null;
  const detect = ([all, cfg]: [Ref[], Config | null]): DefaultBranch =>
    detectDefaultBranch(req.defaultBranch, all, cfg?.initDefault ?? '');
  const branch = wantBranch ? Promise.all([branches, config]).then(detect) : null;
  const tasks: Partial<Record<FactName, Promise<unknown>>> = {};
  if (needs.has('repo')) tasks.repo = collectRepo(probe, branch, config);
  if (needs.has('packages')) tasks.packages = collectPackages(probe.root, req.packages, batch(), parsed);
  // Tags get a cat-file of their own so their lookups run beside history's on another CPU.
  if (wantTags) {
    const tagBatch = wantHistory ? open() : batch();
    tasks.tags = readRefs(probe.root, ['refs/tags']).then((all) => collectTags(all, req.packages, tagBatch, parsed));
  }
  if (wantHistory && branch)
    tasks.history = branch.then((found) => collectHistory(probe, found, req.packages, batch(), parsed));
  if (probe.shallow) {
    if (needs.has('tags')) out.unavailable.tags = SHALLOW;
    if (needs.has('history')) out.unavailable.history = SHALLOW;
  }
  try {
    const names = Object.keys(tasks) as FactName[];
    const settled = await Promise.allSettled(names.map((name) => tasks[name]));
    for (const [i, name] of names.entries()) {
      const result = settled[i];
      if (result?.status === 'fulfilled') (out.facts as Record<string, unknown>)[name] = result.value;
      else out.unavailable[name] = message(result?.reason);
    }
  } finally {
    await Promise.all(batches.map((each) => each.close()));
  }
  return out;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The work tree's top folder: the nearest folder holding `.git` (a folder, or a file as in
 * linked worktrees). Null whenever git might answer differently: GIT_DIR or GIT_WORK_TREE
 * set, or cwd inside a git directory; the caller then asks rev-parse.
 */
function findWorkTreeOnDisk(cwd: string): string | null {
  if (process.env.GIT_DIR || process.env.GIT_WORK_TREE) return null;
  let dir = resolve(cwd);
  if (dir.split(sep).includes('.git')) return null;
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** One rev-parse for root, shallowness and HEAD; `--verify -q HEAD` exits 1, silently, on an unborn branch. */
async function probeRepo(cwd: string): Promise<Probe> {
  const args = ['rev-parse', '--show-toplevel', '--is-shallow-repository', '--verify', '-q', 'HEAD'];
  const { stdout } = await runGit(cwd, args, [1]);
  const [root = '', shallow = '', head = ''] = stdout.split('\n');
  if (root === '' || (shallow !== 'true' && shallow !== 'false'))
    throw new Error(`unexpected git rev-parse output: ${stdout}`);
  return { root, shallow: shallow === 'true', head };
}

/** Refs and their peeled targets from one for-each-ref; `%(refname)`, as `:short` is 15x slower at 10,000 tags. */
async function readRefs(root: string, patterns: string[]): Promise<Ref[]> {
  const format = '%(refname)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)%00%(symref)';
  const { stdout } = await runGit(root, ['for-each-ref', `--format=${format}`, ...patterns]);
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [name = '', type = '', oid = '', peeledType = '', peeled = '', symref = ''] = line.split('\0');
      return { name, type, oid, peeledType, peeled, symref };
    });
}

interface Config {
  initDefault: string;
  remotes: RepoFact['remotes'];
}

async function readConfig(root: string): Promise<Config> {
  // Section and key names are lowercased by --get-regexp; the remote's name keeps its case.
  const args = ['config', '-z', '--get-regexp', '^(remote\\..+\\.url|init\\.defaultbranch)$'];
  const { stdout } = await runGit(root, args, [1]);
  let initDefault = '';
  const remotes = new Map<string, string>();
  for (const entry of stdout.split('\0')) {
    // `key\nvalue`, or just `key` for a valueless (boolean) entry.
    const newline = entry.indexOf('\n');
    const key = newline < 0 ? entry : entry.slice(0, newline);
    const value = newline < 0 ? '' : entry.slice(newline + 1);
    if (key === 'init.defaultbranch') initDefault = value;
    // The first url of a remote is the one fetch uses.
    else if (key.startsWith('remote.') && !remotes.has(key.slice(7, -4)))
      remotes.set(key.slice(7, -4), redactUrl(value));
  }
  return { initDefault, remotes: [...remotes].map(([name, url]) => ({ name, url })) };
}

interface DefaultBranch {
  name: string;
  /** The ref to walk: the local branch, else origin's copy (CI checkouts often have only that). */
  ref: string;
}

function detectDefaultBranch(configured: string, refs: Ref[], initDefault: string): DefaultBranch {
  const names = new Set(refs.map((ref) => ref.name));
  const refOf = (name: string): string =>
    [`refs/heads/${name}`, `refs/remotes/origin/${name}`].find((ref) => names.has(ref)) ?? '';
  if (configured) return { name: configured, ref: refOf(configured) };
  const originHead = refs.find((ref) => ref.name === 'refs/remotes/origin/HEAD')?.symref ?? '';
  const candidates = [originHead.replace(/^refs\/remotes\/origin\//, ''), initDefault, 'main', 'master'];
  const name = candidates.find((candidate) => candidate !== '' && refOf(candidate) !== '') ?? '';
  return { name, ref: name ? refOf(name) : '' };
}

async function collectRepo(
  probe: Probe,
  branch: Promise<DefaultBranch> | null,
  config: Promise<Config> | null,
): Promise<RepoFact> {
  const status = runGit(probe.root, ['status', '--porcelain=v2', '--branch', '-z']);
  const [{ stdout }, found, cfg] = await Promise.all([status, branch, config]);
  const { branch: current, paths } = parseStatusPaths(stdout.split('\0'));
  return {
    root: probe.root,
    branch: current,
    head: probe.head,
    defaultBranch: found?.name ?? '',
    shallow: probe.shallow,
    dirty: paths,
    remotes: cfg?.remotes ?? [],
  };
}

const fill = (template: string, version: string): string => (version ? template.split('{version}').join(version) : '');

async function collectPackages(
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
      const version = w?.kind === 'ok' ? w.version : '';
      const notesPath = fill(pkg.releaseNotes, version);
      const notes = notesPath ? await readNotes(root, notesPath) : null;
      return {
        name: pkg.name,
        ecosystem: pkg.ecosystem,
        manifest: pkg.manifest,
        manifestError: error?.kind === 'error' ? error.error : '',
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

/** `{version}` becomes a capture that starts with a digit; the rest of the template is literal. */
export function tagPattern(template: string): RegExp | null {
  const parts = template.split('{version}');
  if (parts.length < 2) return null;
  const escaped = parts.map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return new RegExp(`^${escaped[0]}([0-9].*)${escaped.slice(1).join('\\1')}$`, 's');
}

function matchRelease(name: string, patterns: Array<{ pkg: PackageConfig; pattern: RegExp | null }>) {
  for (const { pkg, pattern } of patterns) {
    const match = pattern?.exec(name);
    if (match) return { pkg, version: match[1] ?? '' };
  }
  return null;
}

async function collectTags(
  refs: Ref[],
  packages: PackageConfig[],
  batch: CatFileBatch,
  parsed: ParseCache,
): Promise<TagFact[]> {
  const patterns = packages.map((pkg) => ({ pkg, pattern: tagPattern(pkg.tag) }));
  const read = new Map<string, { label: string; result: Promise<PackageVersion> }>();
  const tags = refs.filter((ref) => ref.name.startsWith('refs/tags/'));
  return Promise.all(
    tags.map(async (ref): Promise<TagFact> => {
      const name = ref.name.slice('refs/tags/'.length);
      const commit = await peelToCommit(ref, batch);
      const release = matchRelease(name, patterns);
      const none: TagFact = {
        name,
        commit,
        annotated: ref.type === 'tag',
        package: release?.pkg.name ?? '',
        version: release?.version ?? '',
        manifestVersion: '',
        manifestError: '',
      };
      if (!release) return none;
      if (!commit) return { ...none, manifestError: `${name}: tag does not point at a commit` };
      // Tags on one commit read its manifest once; an error names the tag asked about.
      const label = `${name}:`;
      const key = `${commit}\0${release.pkg.name}`;
      const source = revSource(batch, commit, label);
      const first = read.get(key) ?? { label, result: readPackageVersion(release.pkg, source, parsed) };
      read.set(key, first);
      const result = await first.result;
      if (result.kind === 'ok') return { ...none, manifestVersion: result.version };
      return { ...none, manifestError: label + result.error.slice(first.label.length) };
    }),
  );
}

/** for-each-ref's `*` peels one level only (git 2.39), so a tag of a tag is peeled with `^{commit}`. */
async function peelToCommit(ref: Ref, batch: CatFileBatch): Promise<string> {
  if (ref.type === 'commit') return ref.oid;
  if (ref.type !== 'tag') return '';
  if (ref.peeledType === 'commit') return ref.peeled;
  if (ref.peeledType !== 'tag') return '';
  const object = await batch.read(`${ref.oid}^{commit}`);
  return object?.type === 'commit' ? object.oid : '';
}

async function collectHistory(
  probe: Probe,
  branch: DefaultBranch,
  packages: PackageConfig[],
  batch: CatFileBatch,
  parsed: ParseCache,
): Promise<HistoryFact> {
  if (!branch.ref) {
    // A repository without commits has no history to hide.
    if (probe.head === '') return { branch: branch.name, changes: [] };
    const { name } = branch;
    throw new Error(
      name
        ? `default branch \`${name}\` exists neither locally nor as origin/${name}; ` +
            'fetch it or fix `defaultBranch` in release-policy.yml'
        : 'no default branch found (none of origin/HEAD, init.defaultBranch, main, master exists); ' +
            'set `defaultBranch` in release-policy.yml or create the branch',
    );
  }
  const changes = await readHistory(probe.root, branch.ref, packages, batch, parsed);
  return { branch: branch.name, changes };
}

type Blob = { text: string; oid: string } | null;

/** Where manifests are read from; `label` prefixes error locations (`HEAD:`, `:` for the index, `v1.2.0:`). */
interface Source {
  label: string;
  read(path: string): Promise<Blob>;
}

/** Parsed manifests by blob id: tags and history see the same blobs again and again. */
type ParseCache = Map<string, CargoManifest | NpmManifest>;

type PackageVersion =
  | { kind: 'ok'; version: string; publish: boolean }
  | { kind: 'error'; error: string; missing: boolean };

const blobOf = (object: GitObject | null): Blob =>
  object?.type === 'blob' ? { text: object.content.toString('utf8'), oid: object.oid } : null;

function worktreeSource(root: string): Source {
  return {
    label: '',
    read: async (path) => {
      try {
        return { text: await readFile(join(root, path), 'utf8'), oid: '' };
      } catch (error) {
        if (['ENOENT', 'ENOTDIR', 'EISDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) return null;
        throw error;
      }
    },
  };
}

/** `rev:path` through cat-file; rev "" reads the index (`:path`, gitrevisions(7)). */
function revSource(batch: CatFileBatch, rev: string, label = `${rev}:`): Source {
  return { label, read: async (path) => blobOf(await batch.read(`${rev}:${path}`)) };
}

/** Files known by blob id (from `git log --raw`), each blob fetched once. */
function blobMapSource(batch: CatFileBatch, files: Map<string, string>, blobs: Map<string, Promise<Blob>>): Source {
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
function ancestorManifests(manifest: string): string[] {
  const out: string[] = [];
  let dir = posix.dirname(posix.normalize(manifest));
  while (dir !== '.' && dir !== '/' && dir !== '') {
    dir = posix.dirname(dir);
    out.push(dir === '.' ? 'Cargo.toml' : `${dir}/Cargo.toml`);
  }
  return out;
}

async function readPackageVersion(pkg: PackageConfig, source: Source, cache: ParseCache): Promise<PackageVersion> {
  const file = source.label + pkg.manifest;
  const fail = (error: string): PackageVersion => ({ kind: 'error', error, missing: false });
  const blob = await source.read(pkg.manifest);
  if (!blob) return { kind: 'error', error: `${file}: file not found`, missing: true };
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
    const parsed = parseWithCache(cache, 'cargo', above, () => readCargoManifest(above.text, source.label + path));
    if (typeof parsed === 'string') return fail(parsed);
    if (parsed.workspace) root = { manifest: parsed, file: source.label + path };
  }
  const resolved = resolveCargoPackage(cargo, file, root);
  return typeof resolved === 'string' ? fail(resolved) : { kind: 'ok', ...resolved };
}

async function readNotes(root: string, path: string): Promise<ReleaseNotes | null> {
  const blob = await worktreeSource(root).read(path);
  return blob ? parseReleaseNotes(blob.text) : null;
}

/**
 * One path-limited `git log` along the first-parent chain gives every commit that changed a
 * watched manifest, with blob ids; with --first-parent, a merge is compared with its first
 * parent only (git-log(1) --diff-merges=first-parent, needs git 2.31), so versions that came
 * in from a side branch show up at the merge. Without --reverse git streams newest first,
 * so blobs are requested from the shared cat-file while the walk is still running; the
 * versions are then folded oldest first.
 */
async function readHistory(
  root: string,
  ref: string,
  packages: PackageConfig[],
  batch: CatFileBatch,
  cache: ParseCache,
): Promise<VersionChange[]> {
  const watched = packages.map((pkg) => ({
    pkg,
    paths: new Set([pkg.manifest, ...(pkg.ecosystem === 'cargo' ? ancestorManifests(pkg.manifest) : [])]),
  }));
  const paths = [...new Set(watched.flatMap((entry) => [...entry.paths]))];
  if (paths.length === 0) return [];
  const args = [
    '--literal-pathspecs',
    'log',
    '--first-parent',
    '--diff-merges=first-parent',
    '--root',
    '--raw',
    '--no-abbrev',
    '-z',
    '--format=%x01%H%x00%s%x00',
    // Config such as log.follow (one path), diff.renames or log.showSignature would change the output.
    '--no-renames',
    '--no-follow',
    '--no-color',
    '--no-show-signature',
    ref,
    '--',
    ...paths,
  ];
  const newestFirst: LogCommit[] = [];
  const blobs = new Map<string, Promise<Blob>>();
  let pending = '';
  const take = (found: LogCommit[]): void => {
    for (const commit of found) {
      newestFirst.push(commit);
      for (const { oid } of commit.files) {
        if (!oid || blobs.has(oid)) continue;
        const blob = batch.read(oid).then(blobOf);
        // Marked handled: if cat-file dies, the fold reports the first failure, not every blob.
        blob.catch(() => undefined);
        blobs.set(oid, blob);
      }
    }
  };
  await streamGit(root, args, (text) => {
    pending += text;
    const { commits, consumed } = parseLogRaw(pending, false);
    pending = pending.slice(consumed);
    take(commits);
  });
  take(parseLogRaw(pending).commits);
  const files = new Map<string, string>();
  const source = blobMapSource(batch, files, blobs);
  const last = new Map<string, string>();
  const changes: VersionChange[] = [];
  for (const commit of newestFirst.reverse()) {
    for (const { path, oid } of commit.files) {
      if (oid) files.set(path, oid);
      else files.delete(path);
    }
    for (const { pkg, paths: own } of watched) {
      if (!commit.files.some((file) => own.has(file.path))) continue;
      // `files` is not changed while this awaits: the loop is sequential, the blobs prefetched.
      const result = await readPackageVersion(pkg, source, cache);
      // Unreadable versions are skipped: the next readable one is compared with the last good one.
      if (result.kind !== 'ok') continue;
      const from = last.get(pkg.name);
      if (from !== undefined && from !== result.version)
        changes.push({ package: pkg.name, from, to: result.version, commit: commit.commit, subject: commit.subject });
      last.set(pkg.name, result.version);
    }
  }
  return changes;
}
