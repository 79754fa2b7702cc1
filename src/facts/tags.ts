// Refs and tags: reading refs with for-each-ref, peeling tags to commits, and the tags fact.
import type { ReleaseFact, TagFact } from './model.js';
import type { PackageConfig } from '../policy/model.js';
import { CatFileBatch, runGit, type Env } from './git.js';
import { readPackageVersion, revSource, type PackageVersion, type ParseCache } from './sources.js';

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

type Pattern = { pkg: PackageConfig; pattern: RegExp | null };

/**
 * Templates that overlap (`v{version}` and `v{version}-go` both match `v0.4.0-go`) are tried
 * most specific first: the longest literal text (the template without its `{version}`s) wins,
 * and among equally long ones the package listed first. The sort is stable, so equal lengths
 * keep the policy's order.
 */
function releasePatterns(packages: PackageConfig[]): Pattern[] {
  const literal = (template: string): number => template.split('{version}').join('').length;
  return packages
    .map((pkg) => ({ pkg, pattern: tagPattern(pkg.tag), weight: literal(pkg.tag) }))
    .sort((a, b) => b.weight - a.weight)
    .map(({ pkg, pattern }) => ({ pkg, pattern }));
}

function matchRelease(name: string, patterns: Pattern[]) {
  for (const { pkg, pattern } of patterns) {
    const match = pattern?.exec(name);
    if (match) return { pkg, version: match[1] ?? '' };
  }
  return null;
}

/** The package and version a tag name carries by the policy's tag templates; null for other tags. */
export function releaseTagOf(name: string, packages: PackageConfig[]): { package: string; version: string } | null {
  const found = matchRelease(name, releasePatterns(packages));
  return found === null ? null : { package: found.pkg.name, version: found.version };
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
        package: release?.pkg.name ?? '',
        version: release?.version ?? '',
        manifestVersion: '',
        manifestError: '',
      };
      if (!release) return none;
      // No commit, so no manifest: the tag's own target says why (the rule names the tag).
      if (!commit) {
        const why = type ? `tag points at a ${type}, not a commit` : 'tag points at a missing object';
        return { ...none, manifestError: why };
      }
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
 * The version's release tag by name, peeled to its commit, and the manifest version there:
 * one short-lived cat-file, instead of the whole `tags` fact (every tag) that gates on the
 * hook path cannot afford.
 */
export async function readReleaseTag(cwd: string, env: Env, pkg: PackageConfig, version: string, shared?: CatFileBatch): Promise<ReleaseTag> {
  const name = pkg.tag.replaceAll('{version}', version);
  const batch = shared ?? new CatFileBatch(cwd, env);
  try {
    const commit = await batch.read(`refs/tags/${name}^{commit}`);
    if (commit === null || commit.type !== 'commit') return { name, exists: false, commit: '', manifestVersion: '' };
    const found = await readPackageVersion(pkg, revSource(batch, commit.oid), new Map());
    return { name, exists: true, commit: commit.oid, manifestVersion: found.kind === 'ok' ? found.version : '' };
  } finally {
    if (shared === undefined) await batch.close();
  }
}
