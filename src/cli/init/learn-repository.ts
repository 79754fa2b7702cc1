// What `policy init` learns from a repository's own history, so that the starter policy
// describes the tags, release notes and branch names already in use instead of imposing
// new ones. Pure: the command reads the tags, branches and file paths and hands them here.
import { posix } from 'node:path';

/** The package facts learning needs: its name, its manifest's folder and its current version. */
export interface PackageToLearn {
  name: string;
  /** Repository-relative manifest path, written with `/`. */
  manifest: string;
  /** The manifest's version, "" when unknown. */
  version: string;
}

export interface RepositoryHistory {
  /** `git tag -l`. */
  tags: string[];
  /** Branch names, local and remote-tracking (without `refs/heads/` or `refs/remotes/<remote>/`). */
  branches: string[];
  /** Repository-relative paths of the files in the work tree (tracked or not ignored). */
  files: string[];
}

export interface LearnedPackage {
  /** Tag templates, most tags first; empty when no tag of this package was recognised. */
  tags: string[];
  /** How many tags each template explains, in the order of `tags`. */
  tagCounts: number[];
  /** Release-notes template learned from a file, or "" (the default then). */
  releaseNotes: string;
  /** The file the release-notes template came from. */
  releaseNotesFrom: string;
}

export interface Learned {
  packages: Map<string, LearnedPackage>;
  /** Tags that no chosen template explains. */
  unexplained: string[];
  /** Set when several packages could own the bare `v{version}` tags and none was chosen. */
  ambiguousBareTags: { count: number; candidates: string[] } | null;
  /** Files that look like a changelog but name no version (one file for all releases). */
  changelogs: string[];
  /** The issue pattern of the branch names and how many branches it matches, or null. */
  branch: { pattern: string; count: number } | null;
}

/** A version as it stands in a tag or file name: SemVer, with optional pre-release and build. */
const VERSION = String.raw`\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?`;
const BARE = 'v{version}';

export function learnRepository(packages: PackageToLearn[], history: RepositoryHistory): Learned {
  const { chosen, unexplained, ambiguous } = learnTags(packages, history.tags);
  const notes = learnReleaseNotes(packages, history.files);
  const learned = new Map<string, LearnedPackage>();
  for (const pkg of packages) {
    const tags = chosen.get(pkg.name) ?? [];
    const note = notes.perPackage.get(pkg.name);
    learned.set(pkg.name, {
      tags: tags.map((t) => t.template),
      tagCounts: tags.map((t) => t.count),
      releaseNotes: note?.template ?? '',
      releaseNotesFrom: note?.file ?? '',
    });
  }
  return { packages: learned, unexplained, ambiguousBareTags: ambiguous, changelogs: notes.changelogs, branch: learnBranchPattern(history.branches) };
}

// ---- Tags ------------------------------------------------------------------------------------

/** A template as a whole-name regular expression; only `{version}` is a placeholder. */
function templateRegExp(template: string): RegExp {
  return new RegExp(`^${template.split('{version}').map(escapeRegExp).join(VERSION)}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Names compared as cargo and npm users write them: `foo_bar` and `foo-bar` are one name. */
const normal = (text: string): string => text.toLowerCase().replace(/_/g, '-');

/** The package's folder ("" at the root). */
const folderOf = (pkg: PackageToLearn): string => {
  const dir = posix.dirname(pkg.manifest);
  return dir === '.' ? '' : dir;
};

/**
 * How well a tag prefix (`foo` of `foo/v1.0.0`) names a package: 3 its name or folder path,
 * 2 its folder's last part, 1 a part of its name (`foo` of `oris-foo`), 0 not at all. A
 * prefix may name the package differently from its crate name; the folder usually agrees.
 */
function prefixMatch(prefix: string, pkg: PackageToLearn): number {
  const p = normal(prefix);
  const name = normal(pkg.name.replace(/^@[^/]+\//, ''));
  const folder = normal(folderOf(pkg));
  if (p === normal(pkg.name) || p === name || (folder !== '' && p === folder)) return 3;
  const last = p.split('/').pop() ?? p;
  if (folder !== '' && (last === posix.basename(folder) || p === posix.basename(folder))) return 2;
  if (last === name) return 2;
  if (name.split('-').includes(last) || name.startsWith(`${last}-`) || name.endsWith(`-${last}`)) return 1;
  return 0;
}

interface Counted {
  template: string;
  count: number;
}

function learnTags(
  packages: PackageToLearn[],
  tags: string[],
): { chosen: Map<string, Counted[]>; unexplained: string[]; ambiguous: Learned['ambiguousBareTags'] } {
  const bareTags = tags.filter((tag) => templateRegExp(BARE).test(tag));
  const owner = bareOwner(packages, bareTags);
  // Prefixes ending in `/` before a `v{version}`: `<prefix>/v{version}`, as Go-style monorepos
  // tag. A prefix with `{` or `}` cannot be written in a template (`{version}` is its syntax).
  const prefixes = new Set<string>();
  for (const tag of tags) {
    const match = new RegExp(`^(.+)/v?${VERSION}$`).exec(tag);
    if (match?.[1] && !/[{}]/.test(match[1])) prefixes.add(match[1]);
  }
  // Each prefix belongs to the package it names best; a tie leaves it to none.
  const prefixOwner = new Map<string, string>();
  for (const prefix of prefixes) {
    const scored = packages.map((pkg) => ({ pkg, score: prefixMatch(prefix, pkg) })).filter((s) => s.score > 0);
    const best = Math.max(0, ...scored.map((s) => s.score));
    const top = scored.filter((s) => s.score === best);
    if (top.length === 1 && top[0]) prefixOwner.set(prefix, top[0].pkg.name);
  }
  const chosen = new Map<string, Counted[]>();
  const explained = new Set<string>();
  for (const pkg of packages) {
    // In order of preference when two explain as many tags.
    const candidates = new Set<string>(owner.name === pkg.name ? [BARE] : []);
    // `name@version` is how npm monorepo tools (changesets, lerna) tag.
    for (const template of [`${pkg.name}-v{version}`, `${pkg.name}-{version}`, `${pkg.name}/v{version}`, `${pkg.name}@{version}`]) {
      candidates.add(template);
    }
    if (folderOf(pkg) !== '') candidates.add(`${folderOf(pkg)}/v{version}`);
    for (const [prefix, name] of prefixOwner) {
      if (name === pkg.name) candidates.add(`${prefix}/v{version}`).add(`${prefix}/{version}`);
    }
    const counted: Counted[] = [];
    const matched: string[] = [];
    for (const template of candidates) {
      if (/[{}]/.test(template.replace('{version}', ''))) continue;
      const re = templateRegExp(template);
      const matching = tags.filter((tag) => re.test(tag) && !explained.has(tag));
      if (matching.length > 0) counted.push({ template, count: matching.length });
      matched.push(...matching);
    }
    // The template explaining most tags first; a second one stays when the package's tags
    // used it too (a series renamed over time), so every release tag stays known.
    counted.sort((a, b) => b.count - a.count);
    if (counted.length === 0) continue;
    chosen.set(pkg.name, counted);
    for (const tag of matched) explained.add(tag);
  }
  return {
    chosen,
    unexplained: tags.filter((tag) => !explained.has(tag)),
    ambiguous: owner.name === '' && bareTags.length > 0 ? { count: bareTags.length, candidates: owner.candidates } : null,
  };
}

/**
 * Who owns the bare `v{version}` tags: the package whose manifest is at the root, else the one
 * package whose current version is the newest bare tag's version; otherwise nobody can tell
 * (the candidates are then the packages, for the message).
 */
function bareOwner(packages: PackageToLearn[], bareTags: string[]): { name: string; candidates: string[] } {
  if (bareTags.length === 0) return { name: '', candidates: [] };
  if (packages.length === 1 && packages[0]) return { name: packages[0].name, candidates: [] };
  const atRoot = packages.filter((pkg) => folderOf(pkg) === '');
  if (atRoot.length === 1 && atRoot[0]) return { name: atRoot[0].name, candidates: [] };
  const newest = bareTags.map((tag) => tag.slice(1)).sort(compareVersions).at(-1) ?? '';
  const same = packages.filter((pkg) => pkg.version === newest);
  if (same.length === 1 && same[0]) return { name: same[0].name, candidates: [] };
  return { name: '', candidates: (same.length > 1 ? same : packages).map((pkg) => pkg.name) };
}

/** Orders versions by their numbers (`1.10.0` after `1.9.0`); a pre-release before its release. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string): [number[], string] => {
    const [core = '', pre = ''] = v.split('+')[0]?.split(/-(.*)/s) ?? [];
    return [core.split('.').map((n) => Number(n) || 0), pre];
  };
  const [ca, pa] = parts(a);
  const [cb, pb] = parts(b);
  for (let i = 0; i < Math.max(ca.length, cb.length); i++) {
    const d = (ca[i] ?? 0) - (cb[i] ?? 0);
    if (d !== 0) return d;
  }
  if (pa === pb) return 0;
  if (pa === '') return 1;
  if (pb === '') return -1;
  return pa < pb ? -1 : 1;
}

// ---- Release notes ---------------------------------------------------------------------------

/** A version in a file name: `1.2`, `v1.2.0`, `1.2.0-rc.1`, not glued to other digits. */
const NOTES_VERSION = /(?<![0-9A-Za-z.])v?(\d+\.\d+(?:\.\d+)?(?:-[0-9A-Za-z.]+?)?)(?=\.(?:md|markdown|txt|rst|adoc)$|[^0-9A-Za-z.])/i;
const NOTES_WORDS = /release|changelog|changes|notes|news|history/i;
const NOTES_EXTENSIONS = /\.(md|markdown|txt|rst|adoc)$/i;

interface NotesFile {
  file: string;
  version: string;
  template: string;
}

function learnReleaseNotes(
  packages: PackageToLearn[],
  files: string[],
): { perPackage: Map<string, { template: string; file: string }>; changelogs: string[] } {
  const notes: NotesFile[] = [];
  const changelogs: string[] = [];
  for (const file of files) {
    if (!NOTES_EXTENSIONS.test(file) || !NOTES_WORDS.test(file) || file.split('/').some((part) => SKIPPED.has(part))) continue;
    const base = posix.basename(file);
    const match = NOTES_VERSION.exec(base);
    if (!match?.[1]) {
      if (/^(changelog|changes|history|news)\b/i.test(base)) changelogs.push(file);
      continue;
    }
    // The path up to the version's digits stays literal: `RELEASE_v1.2.md` → `RELEASE_v{version}.md`.
    const start = file.length - base.length + match.index + match[0].length - match[1].length;
    const template = `${file.slice(0, start)}{version}${file.slice(start + match[1].length)}`;
    if (!/[{}]/.test(template.replace('{version}', ''))) notes.push({ file, version: match[1], template });
  }
  // A file belongs to the package whose folder holds it, else to the one its name names
  // (the longest such name), else it is shared by the packages that have none of their own.
  const owned = new Map<string, NotesFile[]>();
  const shared: NotesFile[] = [];
  for (const note of notes) {
    const byFolder = packages
      .filter((pkg) => folderOf(pkg) !== '' && note.file.startsWith(`${folderOf(pkg)}/`))
      .sort((a, b) => folderOf(b).length - folderOf(a).length)[0];
    const byName = packages
      .filter((pkg) => normal(note.file).includes(normal(pkg.name.replace(/^@[^/]+\//, ''))))
      .sort((a, b) => b.name.length - a.name.length)[0];
    const owner = byFolder ?? byName;
    if (owner) owned.set(owner.name, [...(owned.get(owner.name) ?? []), note]);
    else shared.push(note);
  }
  const perPackage = new Map<string, { template: string; file: string }>();
  for (const pkg of packages) {
    const own = owned.get(pkg.name) ?? shared;
    const newest = [...own].sort((a, b) => compareVersions(a.version, b.version)).at(-1);
    if (newest) perPackage.set(pkg.name, { template: newest.template, file: newest.file });
  }
  return { perPackage, changelogs: changelogs.sort() };
}

const SKIPPED = new Set(['node_modules', 'target', '.git']);

// ---- Branch names ----------------------------------------------------------------------------

/**
 * The issue pattern most branch names follow (`codex/issue-{issue}-*`, `issue-{issue}`,
 * `{issue}-*`), when at least two branches follow it. Each run of digits in a name is a
 * candidate issue number, except a part of a version (`release/1.2`); the text before it is
 * kept literally, the text after it becomes `*`.
 */
function learnBranchPattern(branches: string[]): { pattern: string; count: number } | null {
  const counts = new Map<string, Set<string>>();
  for (const branch of new Set(branches)) {
    // Bots' branches carry versions, not issues.
    if (/^(dependabot|renovate)\//.test(branch)) continue;
    for (const match of branch.matchAll(/\d+/g)) {
      const start = match.index;
      const end = start + match[0].length;
      // A version's numbers (`release/1.2`, `v2`, `release-3`) are no issue numbers.
      if (/(?:[.\d]|\bv|release[-_/]?)$/i.test(branch.slice(0, start)) || /^\.\d/.test(branch.slice(end))) continue;
      const before = branch.slice(0, start);
      const after = branch.slice(end);
      // `*`, `?` and `{` would be read as pattern syntax; such names teach nothing.
      if (/[*?{}]/.test(before)) continue;
      const rest = after === '' ? '' : /^[-_/.]/.test(after) ? `${after[0]}*` : '*';
      const pattern = `${before}{issue}${rest}`;
      counts.set(pattern, (counts.get(pattern) ?? new Set()).add(branch));
    }
  }
  const ranked = [...counts].map(([pattern, names]) => ({ pattern, count: names.size }))
    .filter((c) => c.count >= 2)
    .sort((a, b) => b.count - a.count || Number(/issue/i.test(b.pattern)) - Number(/issue/i.test(a.pattern)) || b.pattern.length - a.pattern.length);
  return ranked[0] ?? null;
}
