// Refs and tags: reading refs with for-each-ref, peeling tags to commits, and the tags fact.
import type { ReleaseFact, TagFact } from './model.js';
import { templatesOf, type PackageConfig } from '../policy/model.js';
import { CatFileBatch, runGit, type Env } from './git.js';
import { commitSource, readPackageVersion, type PackageVersion, type ParseCache } from './sources.js';

export interface Ref {
  name: string;
  type: string;
  oid: string;
  peeledType: string;
  peeled: string;
  symref: string;
  /** True for the branch HEAD is on (`%(HEAD)`); false for every ref when HEAD is detached. */
  head: boolean;
}

/**
 * Refs and their peeled targets from one for-each-ref; `%(refname)`, as `:short` is 15x slower
 * at 10,000 tags. `%(HEAD)` marks the checked-out branch, so the branch listing also says which
 * one HEAD is on without another git process.
 */
export async function readRefs(root: string, env: Env, patterns: string[]): Promise<Ref[]> {
  const format = '%(refname)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)%00%(symref)%00%(HEAD)';
  const { stdout } = await runGit(root, env, ['for-each-ref', `--format=${format}`, ...patterns]);
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [name = '', type = '', oid = '', peeledType = '', peeled = '', symref = '', head = ''] = line.split('\0');
      return { name, type, oid, peeledType, peeled, symref, head: head === '*' };
    });
}

/** `{version}` becomes a capture that starts with a digit; the rest of the template is literal. */
export function tagPattern(template: string): RegExp | null {
  const parts = template.split('{version}');
  if (parts.length < 2) return null;
  const escaped = parts.map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return new RegExp(`^${escaped[0]}([0-9].*)${escaped.slice(1).join('\\1')}$`, 's');
}

/** A template and the packages that list it: several when packages share a tag series. */
type Pattern = { pkgs: PackageConfig[]; names: string[]; pattern: RegExp | null };

/**
 * Templates that overlap (`v{version}` and `v{version}-go` both match `v0.4.0-go`) are tried
 * most specific first: the longest literal text (the template without its `{version}`s) wins,
 * and among equally long ones the package listed first. The sort is stable, so equal lengths
 * keep the policy's order. Packages listing the same template share its tags.
 */
function releasePatterns(packages: PackageConfig[]): Pattern[] {
  const literal = (template: string): number => template.split('{version}').join('').length;
  const shared = new Map<string, PackageConfig[]>();
  for (const pkg of packages) {
    for (const template of templatesOf(pkg)) {
      const pkgs = shared.get(template) ?? [];
      if (!pkgs.includes(pkg)) pkgs.push(pkg);
      shared.set(template, pkgs);
    }
  }
  return [...shared]
    .map(([template, pkgs]) => ({ pkgs, names: pkgs.map((pkg) => pkg.name), pattern: tagPattern(template), weight: literal(template) }))
    .sort((a, b) => b.weight - a.weight)
    .map(({ pkgs, names, pattern }) => ({ pkgs, names, pattern }));
}

function matchRelease(name: string, patterns: Pattern[]) {
  for (const { pkgs, names, pattern } of patterns) {
    const match = pattern?.exec(name);
    if (match) return { pkgs, names, version: match[1] ?? '' };
  }
  return null;
}

/**
 * The package and version a tag name carries by the policy's tag templates; null for other
 * tags. `packages` lists every package of a shared template (the tag is the release of
 * whichever carries the version), `package` is the first of them.
 */
export function releaseTagOf(name: string, packages: PackageConfig[]): { package: string; version: string; packages: string[] } | null {
  const found = matchRelease(name, releasePatterns(packages));
  if (found === null) return null;
  return { package: found.names[0] ?? '', version: found.version, packages: [...found.names] };
}

/**
 * Of the packages a tag may release, the one whose manifest at `commit` carries `version`,
 * else the first; each read once. `read` reads a package's version there.
 */
export async function carrierOf(
  pkgs: PackageConfig[],
  version: string,
  read: (pkg: PackageConfig) => Promise<PackageVersion>,
): Promise<{ pkg: PackageConfig; result: PackageVersion; all: { pkg: PackageConfig; result: PackageVersion }[] }> {
  const all: { pkg: PackageConfig; result: PackageVersion }[] = [];
  for (const pkg of pkgs) {
    // In order, stopping at the first that carries it: a shared series costs one read per tag in the common case.
    const result = await read(pkg);
    all.push({ pkg, result });
    if (result.kind === 'ok' && result.version === version) return { pkg, result, all };
  }
  const first = all[0];
  if (!first) throw new Error('a release tag matches no package');
  return { ...first, all };
}

export async function collectTags(
  refs: Ref[],
  packages: PackageConfig[],
  batch: CatFileBatch,
  parsed: ParseCache,
): Promise<TagFact[]> {
  const patterns = releasePatterns(packages);
  const read = new Map<string, { label: string; result: Promise<PackageVersion> }>();
  const tags = refs.filter((ref) => ref.name.startsWith('refs/tags/'));
  return Promise.all(
    tags.map(async (ref): Promise<TagFact> => {
      const name = ref.name.slice('refs/tags/'.length);
      const { commit, type } = await peelToCommit(ref, batch);
      const release = matchRelease(name, patterns);
      const none: TagFact = {
        name,
        commit,
        annotated: ref.type === 'tag',
        package: release?.pkgs[0]?.name ?? '',
        // One list per template, shared by all its tags (not one per tag: 10,000 tags).
        packages: release?.names ?? [],
        version: release?.version ?? '',
        manifestVersion: '',
        manifestError: '',
        manifestPath: '',
        manifestName: '',
        shared: [],
      };
      if (!release) return none;
      // No commit, so no manifest: the tag's own target says why (the rule names the tag).
      if (!commit) {
        const why = type ? `tag points at a ${type}, not a commit` : 'tag points at a missing object';
        return { ...none, manifestError: why };
      }
      // Tags on one commit read its manifest once; an error names the tag asked about.
      const label = `${name}:`;
      const source = commitSource(batch, commit, label);
      const readAt = (pkg: PackageConfig): Promise<PackageVersion> => {
        const key = `${commit}\0${pkg.name}`;
        const first = read.get(key);
        if (!first) {
          const result = readPackageVersion(pkg, source, parsed);
          read.set(key, { label, result });
          return result;
        }
        return first.result.then((result) =>
          result.kind === 'ok' ? result : { ...result, error: label + result.error.slice(first.label.length) });
      };
      const only = release.pkgs.length === 1 ? release.pkgs[0] : undefined;
      if (only) return { ...none, ...readings(only, await readAt(only)) };
      const { pkg, result, all } = await carrierOf(release.pkgs, release.version, readAt);
      const shared = all.map((each) => ({ package: each.pkg.name, ...readings(each.pkg, each.result) }));
      return { ...none, package: pkg.name, ...readings(pkg, result), shared };
    }),
  );
}

/** What a tag fact says of one package's manifest at the tagged commit. */
function readings(pkg: PackageConfig, result: PackageVersion): Pick<TagFact, 'manifestVersion' | 'manifestError' | 'manifestPath' | 'manifestName'> {
  if (result.kind === 'error') return { manifestVersion: '', manifestError: result.error, manifestPath: '', manifestName: '' };
  const moved = result.path !== undefined && result.path !== pkg.manifest;
  return { manifestVersion: result.version, manifestError: '', manifestPath: moved ? result.path ?? '' : '', manifestName: result.otherName ?? '' };
}

/**
 * The commit a tag names, annotated tags peeled, or "" with the type of what it names instead
 * (a tree or blob; "" when the object is missing). for-each-ref's `*` peels one level only
 * (git 2.39), so a tag of a tag is peeled with `^{}`, which stops at the first non-tag object.
 */
async function peelToCommit(ref: Ref, batch: CatFileBatch): Promise<{ commit: string; type: string }> {
  const target = (type: string, oid: string) => (type === 'commit' ? { commit: oid, type } : { commit: '', type });
  if (ref.type !== 'tag') return target(ref.type, ref.oid);
  if (ref.peeledType !== 'tag') return target(ref.peeledType, ref.peeled);
  const object = await batch.read(`${ref.oid}^{}`);
  return target(object?.type ?? '', object?.oid ?? '');
}

type ReleaseTag = ReleaseFact['tag'];

/**
 * The version's release tag by name (by the package's first template, the one new tags use),
 * peeled to its commit, and the manifest version there: one short-lived cat-file, instead of the whole `tags` fact (every tag) that gates on the
 * hook path cannot afford.
 */
export async function readReleaseTag(cwd: string, env: Env, pkg: PackageConfig, version: string, shared?: CatFileBatch): Promise<ReleaseTag> {
  const name = pkg.tag.replaceAll('{version}', version);
  const batch = shared ?? new CatFileBatch(cwd, env);
  try {
    const commit = await batch.read(`refs/tags/${name}^{commit}`);
    if (commit === null || commit.type !== 'commit') return { name, exists: false, commit: '', manifestVersion: '' };
    const found = await readPackageVersion(pkg, commitSource(batch, commit.oid), new Map());
    return { name, exists: true, commit: commit.oid, manifestVersion: found.kind === 'ok' ? found.version : '' };
  } finally {
    if (shared === undefined) await batch.close();
  }
}
