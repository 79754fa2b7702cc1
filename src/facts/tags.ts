// Refs and tags: reading refs with for-each-ref, peeling tags to commits, and the tags fact.
import type { TagFact } from './model.js';
import type { PackageConfig } from '../policy/model.js';
import { runGit, type CatFileBatch } from './git.js';
import { readPackageVersion, revSource, type PackageVersion, type ParseCache } from './sources.js';

export interface Ref {
  name: string;
  type: string;
  oid: string;
  peeledType: string;
  peeled: string;
  symref: string;
}

/** Refs and their peeled targets from one for-each-ref; `%(refname)`, as `:short` is 15x slower at 10,000 tags. */
export async function readRefs(root: string, patterns: string[]): Promise<Ref[]> {
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

export async function collectTags(
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
