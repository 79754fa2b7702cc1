// The history fact: version changes of the default branch (audit) or of HEAD (every other
// gate, on a branch that is not the default's tip), read from one `git log` of every commit
// and judged along the history as git has it: the first-parent chain, and the merged
// branches whose version a merge took.
import type { HistoryFact, VersionChange } from './model.js';
import type { PackageConfig } from '../policy/model.js';
import { parseLogRaw, streamGit, type CatFileBatch, type Env } from './git.js';
import { ancestorManifests, blobOf, readPackageVersion, type Blob, type ParseCache, type Source } from './sources.js';
import { releaseTagOf, type Ref } from './tags.js';
import { compareParsed, compareVersions, isNextParsed, nextVersions, parseVersion, type Version } from '../version/semver.js';

export interface DefaultBranch {
  name: string;
  /** The ref to walk: the local branch, else origin's copy (CI checkouts often have only that). */
  ref: string;
  /** The commit `ref` points at; "" when `ref` is "". */
  oid: string;
}

/** What the history fact walks: `name` becomes `history.branch`; `ref` is "" when the default branch is missing. */
export interface HistoryWalk {
  name: string;
  ref: string;
}

/**
 * The history a gate judges. `audit` judges what the default branch has. Every other gate
 * judges what the default branch will have once the checked-out work merges: HEAD's
 * first-parent history, which is the branch's own commits on top of the base it started from
 * (in CI on a pull request, actions/checkout checks out the merge commit, whose first parent
 * is the base). On the default branch's tip both walks are the same; without a HEAD commit
 * (an unborn branch) the default branch is walked. Walking HEAD needs no default branch, so a
 * missing one is no error then.
 * `head` is HEAD's commit ("" on an unborn branch); `branches` the refs/heads listing with
 * `%(HEAD)`, which names the checked-out branch (`HEAD` when detached).
 */
export function chooseHistoryWalk(gate: string, head: string, branches: Ref[], found: DefaultBranch): HistoryWalk {
  if (gate === 'audit' || head === '' || head === found.oid) return { name: found.name, ref: found.ref };
  const current = branches.find((ref) => ref.head && ref.name.startsWith('refs/heads/'));
  return { name: current ? current.name.slice('refs/heads/'.length) : 'HEAD', ref: head };
}

/** A tag by name and the commit it names ("" when it names no commit). */
export interface TagTarget {
  name: string;
  commit: string;
}

/**
 * `head` is "" on an unborn branch. `tags` lists the repository's tags; it is asked for only
 * when a pre-release is met or a change looks like a finding, so a clean history costs no tag listing.
 */
export async function collectHistory(
  probe: { root: string; head: string; env: Env },
  branch: HistoryWalk,
  packages: PackageConfig[],
  batch: CatFileBatch,
  parsed: ParseCache,
  tags: () => Promise<TagTarget[]> = () => Promise.resolve([]),
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
  const graph = await readGraph(probe.root, probe.env, branch.ref, packages, batch, parsed);
  if (graph === null) return { branch: branch.name, changes: [] };
  let released: Released | null = null;
  const changes: Ordered[] = [];
  for (const [index, pkg] of packages.entries()) {
    let judged = judgePackage(graph, pkg, index, released?.get(pkg.name) ?? NO_TAGS);
    if (judged.needTags && released === null) {
      released = releasesByPackage(await tags(), packages);
      judged = judgePackage(graph, pkg, index, released.get(pkg.name) ?? NO_TAGS);
    }
    changes.push(...judged.changes);
  }
  changes.sort((a, b) => a.order - b.order || a.pkg - b.pkg || a.seq - b.seq);
  return { branch: branch.name, changes: changes.map((each) => each.change) };
}

/** Blob ids of the watched manifest paths (by position in the path list, "" when absent) at one commit; shared by every commit that left them alone. */
type State = readonly string[];

/**
 * Every commit reachable from the walked ref, by index in git's listing (newest first, so a
 * commit's parents mostly come after it): integers and arrays, not maps of commit ids, as
 * the bench history has 20,000 commits.
 */
interface Graph {
  ids: string[];
  subjects: string[];
  /** Index of each commit's first parent; -1 for a root (or a parent outside the listing). */
  first: Int32Array;
  /** All parents of merges, by index; other commits have only `first`. */
  merges: Map<number, number[]>;
  /** Per package, its version at each commit; null where unreadable. */
  versions: Map<string, Array<string | null>>;
}

/**
 * One `git log` of every commit reachable from `ref` (--full-history --sparse: none is
 * dropped as uninteresting, and %P gives the true parents), each with its changes to the
 * watched manifests against its first parent (--diff-merges=first-parent, git 2.31). That
 * gives every commit's manifest blobs without a process per commit. Without --topo-order git
 * streams, so blobs are asked of the shared cat-file while the walk is still running.
 */
async function readGraph(
  root: string,
  env: Env,
  ref: string,
  packages: PackageConfig[],
  batch: CatFileBatch,
  cache: ParseCache,
): Promise<Graph | null> {
  const watched = packages.map((pkg) => ({
    pkg,
    paths: new Set([pkg.manifest, ...(pkg.ecosystem === 'cargo' ? [...ancestorManifests(pkg.manifest), ...formerManifests(pkg.manifest)] : [])]),
  }));
  const paths = [...new Set(watched.flatMap((entry) => [...entry.paths]))];
  if (paths.length === 0) return null;
  const args = [
    '--literal-pathspecs',
    'log',
    '--full-history',
    '--sparse',
    '--diff-merges=first-parent',
    '--root',
    '--raw',
    '--no-abbrev',
    '-z',
    '--format=%x01%H %P%x00%s%x00',
    // Config such as log.follow (one path), diff.renames or log.showSignature would change the output.
    '--no-renames',
    '--no-follow',
    '--no-color',
    '--no-show-signature',
    ref,
    '--',
    ...paths,
  ];
  const ids: string[] = [];
  const subjects: string[] = [];
  const parentIds: string[][] = [];
  const diffs: Array<Array<{ path: string; oid: string }> | undefined> = [];
  const blobs = new Map<string, Promise<Blob>>();
  let pending = '';
  const take = (text: string, complete: boolean): void => {
    pending += text;
    const { commits, consumed } = parseLogRaw(pending, complete);
    pending = pending.slice(consumed);
    for (const entry of commits) {
      const fields = entry.commit.split(' ');
      ids.push(fields[0] ?? '');
      parentIds.push(fields.slice(1).filter((id) => id !== ''));
      subjects.push(entry.subject);
      diffs.push(entry.files.length > 0 ? entry.files : undefined);
      for (const { oid } of entry.files) {
        if (!oid || blobs.has(oid)) continue;
        const blob = batch.read(oid).then(blobOf);
        // Marked handled: if cat-file dies, the fold reports the first failure, not every blob.
        blob.catch(() => undefined);
        blobs.set(oid, blob);
      }
    }
  };
  await streamGit(root, env, args, (text) => take(text, false));
  take('', true);
  const count = ids.length;
  if (count === 0) return null;
  const index = new Map<string, number>();
  for (let i = 0; i < count; i += 1) index.set(ids[i] as string, i);
  const first = new Int32Array(count).fill(-1);
  const merges = new Map<number, number[]>();
  for (let i = 0; i < count; i += 1) {
    const own = (parentIds[i] as string[]).map((id) => index.get(id) ?? -1);
    first[i] = own[0] ?? -1;
    if (own.length > 1) merges.set(i, own);
  }

  // A commit's State is its first parent's with its own changes applied. git lists a commit
  // before its parents (but for clock skew), so the list is folded from its end; a parent
  // not folded yet is resolved with an explicit stack, as chains are thousands deep.
  const slot = new Map(paths.map((path, k) => [path, k]));
  const EMPTY: State = paths.map(() => '');
  const states: Array<State | undefined> = new Array<State | undefined>(count);
  const fold = (i: number): void => {
    const base = first[i] === -1 ? EMPTY : (states[first[i] as number] ?? EMPTY);
    const diff = diffs[i];
    if (!diff) {
      states[i] = base;
      return;
    }
    const next = base.slice();
    for (const { path, oid } of diff) {
      const k = slot.get(path);
      if (k !== undefined) next[k] = oid;
    }
    states[i] = next;
  };
  for (let i = count - 1; i >= 0; i -= 1) {
    if (states[i] !== undefined) continue;
    const stack = [i];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as number;
      const parent = first[top] as number;
      if (parent !== -1 && states[parent] === undefined) stack.push(parent);
      else {
        fold(top);
        stack.pop();
      }
    }
  }

  // Versions are read once per distinct State and package, all before the (synchronous) walk.
  const byState = new Map<State, Array<string | null>>();
  for (const state of new Set(states as State[])) {
    const source: Source = {
      label: '',
      read: (path) => {
        const oid = state[slot.get(path) ?? -1] ?? '';
        if (!oid) return Promise.resolve(null);
        let blob = blobs.get(oid);
        if (!blob) blobs.set(oid, (blob = batch.read(oid).then(blobOf)));
        return blob;
      },
      // The watched manifests this commit has, as folders: where the package was before a move
      // (the root, or `foo/` before `crates/foo/`), looked at only where the configured
      // manifest does not carry it.
      list: (dir) => Promise.resolve(listWatched(paths, state, dir)),
    };
    const read: Array<string | null> = [];
    for (const { pkg } of watched) {
      // Sequential: the blobs are prefetched, so each await is a resolved promise's turn.
      const result = await readPackageVersion(pkg, source, cache);
      read.push(result.kind === 'ok' ? result.version : null);
    }
    byState.set(state, read);
  }
  const versions = new Map<string, Array<string | null>>();
  for (const [k, { pkg }] of watched.entries()) {
    versions.set(pkg.name, (states as State[]).map((state) => byState.get(state)?.[k] ?? null));
  }
  return { ids, subjects, first, merges, versions };
}

/**
 * Where a crate's manifest may have been before a move to its configured place: the
 * repository root (already watched as the workspace root above it) and, for
 * `crates/foo/Cargo.toml`, `foo/Cargo.toml`.
 */
function formerManifests(manifest: string): string[] {
  const dirs = manifest.split('/').slice(0, -1);
  const last = dirs.at(-1);
  return dirs.length >= 2 && last !== undefined ? [`${last}/Cargo.toml`] : [];
}

/** The entries of folder `dir` among the watched paths present in `state`. */
function listWatched(paths: readonly string[], state: State, dir: string): { name: string; dir: boolean }[] | null {
  const prefix = dir === '' ? '' : `${dir}/`;
  const entries = new Map<string, boolean>();
  paths.forEach((path, k) => {
    if (!state[k] || !path.startsWith(prefix)) return;
    const [name = '', ...rest] = path.slice(prefix.length).split('/');
    entries.set(name, (entries.get(name) ?? false) || rest.length > 0);
  });
  return entries.size === 0 && dir !== '' ? null : [...entries].map(([name, isDir]) => ({ name, dir: isDir }));
}

/** Per package, each tagged version and the commits its tags name. */
type Released = Map<string, Map<string, string[]>>;
const NO_TAGS: ReadonlyMap<string, string[]> = new Map();

function releasesByPackage(tags: TagTarget[], packages: PackageConfig[]): Released {
  const out: Released = new Map();
  for (const { name, commit } of tags) {
    const release = releaseTagOf(name, packages);
    if (!release) continue;
    // A tag of a shared template (several packages under one `v{version}` series) may be the
    // release of any of them; the history only asks whether a version was released, so it
    // counts for each, without reading which one carried it.
    for (const pkg of release.packages) {
      const versions = out.get(pkg) ?? new Map<string, string[]>();
      out.set(pkg, versions);
      versions.set(release.version, [...(versions.get(release.version) ?? []), commit]);
    }
  }
  return out;
}

/**
 * Where a walk stands after a commit: the last readable version, the last release carried
 * and the release carried before that one (for a release version the manifest carried before
 * its tag was made).
 */
interface Ctx {
  last: string | null;
  release: string | null;
  before: string | null;
}

const START: Ctx = { last: null, release: null, before: null };

interface Ordered {
  change: VersionChange;
  /** Position on the walked branch's first-parent chain of the commit or the merge that brought it. */
  order: number;
  pkg: number;
  seq: number;
}

/**
 * One package's version changes. The walked branch's first-parent chain is read oldest
 * first; at a merge that took the version of a merged parent, that parent's own commits (its
 * first-parent chain back to a commit already walked) are read in its place, recursively, so
 * a change is judged at the commit that made it and each commit is read at most once. A merge
 * whose version is none of its parents' is judged against the highest of them. The same
 * change (from, to) brought twice, by rebased copies, is kept once.
 */
function judgePackage(
  graph: Graph,
  pkg: PackageConfig,
  pkgIndex: number,
  released: ReadonlyMap<string, string[]>,
): { changes: Ordered[]; needTags: boolean } {
  const { ids, subjects, first, merges } = graph;
  const versionOf = graph.versions.get(pkg.name) ?? [];
  const version = (i: number): string | null => (i === -1 ? null : (versionOf[i] ?? null));
  const tagged = (v: string): boolean => released.has(v);
  let needTags = false;
  const visited = new Uint8Array(ids.length);
  const ctxAt: Array<Ctx | undefined> = new Array<Ctx | undefined>(ids.length);
  const out: Ordered[] = [];
  const seen = new Set<string>();
  let seq = 0;
  let order = 0;
  // Each version text is parsed once: the bench history has 10,000 of them.
  const facts = new Map<string, { parsed: Version | null; valid: boolean; pre: boolean; release: boolean }>();
  const about = (v: string) => {
    let known = facts.get(v);
    if (known === undefined) {
      const parsed = parseVersion(v);
      const pre = parsed !== null && parsed.prerelease.length > 0;
      // A release: a version without pre-release label, or a pre-release a tag released.
      known = { parsed, valid: parsed !== null, pre, release: parsed !== null && (!pre || tagged(v)) };
      facts.set(v, known);
    }
    return known;
  };

  /** `from`'s first-parent chain back to a walked commit (exclusive) or the root, oldest first. */
  const chainFrom = (from: number): { chain: number[]; fork: number } => {
    const chain: number[] = [];
    let at = from;
    while (at !== -1 && visited[at] === 0) {
      visited[at] = 1;
      chain.push(at);
      at = first[at] as number;
    }
    return { chain: chain.reverse(), fork: at };
  };

  /** The highest tagged version below `to`: a release made elsewhere (a release branch) that fills a gap. */
  const highestTaggedBelow = (to: string): string => {
    let best = '';
    for (const v of released.keys()) {
      if (!about(v).valid || compareVersions(v, to) >= 0) continue;
      if (best === '' || compareVersions(v, best) > 0) best = v;
    }
    return best;
  };

  const looksLikeFinding = (since: string, to: string): boolean => {
    const [a, b] = [about(since).parsed, about(to).parsed];
    return a !== null && b !== null && !(compareParsed(b, a) > 0 && isNextParsed(a, b));
  };
  const sameCore = (a: string, b: string): boolean => {
    const [x, y] = [about(a).parsed, about(b).parsed];
    return x !== null && y !== null && x.major === y.major && x.minor === y.minor && x.patch === y.patch;
  };

  const record = (i: number, from: string, to: string, ctx: Ctx, via: string): void => {
    const key = `${from}\0${to}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (about(from).pre || about(to).pre) needTags = true;
    // A bump away from a pre-release no tag released (a placeholder such as 0.1.5-pre) is
    // judged against the last release before it ("" when there was none: nothing released
    // that it could skip or lower).
    const placeholder = about(from).pre && !about(from).release;
    let since = placeholder ? (ctx.release ?? '') : from;
    if (looksLikeFinding(since, to)) {
      needTags = true;
      // A release version the manifest carried before its tag was made was a placeholder too.
      const tags = since === '' ? undefined : released.get(since);
      if (tags !== undefined && !tags.some((target) => target === '' || reaches(i, target)))
        since = (ctx.release === since ? ctx.before : ctx.release) ?? '';
      const filled = highestTaggedBelow(to);
      if (filled !== '' && (since === '' || compareVersions(filled, since) > 0)) since = filled;
      since = lowerOnlyBelowTagged(i, to, since);
    }
    out.push({
      change: {
        package: pkg.name,
        from,
        to,
        commit: ids[i] as string,
        subject: subjects[i] ?? '',
        via,
        since,
        // Only a change that is not a next version of `since` needs them (a finding says them).
        expected: since && looksLikeFinding(since, to) ? nextVersions(since) : [],
        byLabel: since !== '' && (about(since).pre || about(to).pre) && sameCore(since, to),
      },
      order,
      pkg: pkgIndex,
      seq: seq++,
    });
  };

  /**
   * In a package whose releases are tagged, a version no tag names was never released: a
   * move down from it (a `0.2.0` placeholder relabelled `0.2.0-alpha.1`, an unreleased bump
   * reverted) is a lowering only below the last tagged release, and going back to that release
   * is none. A skip keeps the untagged version as it was (it may have been published untagged).
   * "" when the change is not judged.
   */
  let indexOfId: Map<string, number> | undefined;
  let taggedReleases: boolean | undefined;
  /** Whether a release tag names a SemVer version of the package (tags that only match the template do not count). */
  const hasTaggedReleases = (): boolean => (taggedReleases ??= [...released.keys()].some((v) => about(v).valid));
  const lowerOnlyBelowTagged = (i: number, to: string, since: string): string => {
    if (since === '' || !hasTaggedReleases() || !about(to).valid || !about(since).valid) return since;
    if (compareVersions(to, since) > 0) return since;
    // The versions whose tag was made on a commit before this one (one walk of its ancestors).
    const before = ancestorIds(i);
    const releasedBefore = (v: string): boolean => (released.get(v) ?? []).some((target) => target === '' || before.has(target));
    // A release tag on a commit that carried `since` released it, whatever version the tag names
    // (a misnamed tag is tag-matches-manifest's finding, not a reason to forget the release).
    indexOfId ??= new Map(ids.map((id, k) => [id, k]));
    const positions = indexOfId;
    const carriedAtTag = [...released.values()].flat().some((target) => before.has(target) && version(positions.get(target) ?? -1) === since);
    if (releasedBefore(since) || carriedAtTag) return since;
    let low = '';
    for (const v of released.keys()) {
      if (about(v).valid && releasedBefore(v) && (low === '' || compareVersions(v, low) > 0)) low = v;
    }
    return low !== '' && compareVersions(to, low) < 0 ? low : '';
  };

  /**
   * Visits the ids of commit `i`'s ancestors (itself excluded), breadth first, until `stop`
   * returns true; whether it did. Asked only about changes that look like findings.
   */
  const someAncestor = (i: number, stop: (id: string) => boolean): boolean => {
    const queue = [...(merges.get(i) ?? [first[i] as number])].filter((p) => p !== -1);
    const seenHere = new Set(queue);
    for (let k = 0; k < queue.length; k += 1) {
      const at = queue[k] as number;
      if (stop(ids[at] as string)) return true;
      for (const parent of merges.get(at) ?? [first[at] as number]) {
        if (parent !== -1 && !seenHere.has(parent)) {
          seenHere.add(parent);
          queue.push(parent);
        }
      }
    }
    return false;
  };
  /** Whether `target` is an ancestor of commit `i` (a release before it). */
  const reaches = (i: number, target: string): boolean => someAncestor(i, (id) => id === target);
  /** The ids of commit `i`'s ancestors. */
  const ancestorIds = (i: number): Set<string> => {
    const out = new Set<string>();
    someAncestor(i, (id) => (out.add(id), false));
    return out;
  };

  const advance = (ctx: Ctx, to: string): Ctx =>
    about(to).release && to !== ctx.release ? { last: to, release: to, before: ctx.release } : { ...ctx, last: to };

  const walk = (chain: number[], start: Ctx, via: string, top: boolean): Ctx => {
    let ctx = start;
    for (const i of chain) {
      if (top) order += 1;
      const v = version(i);
      if (v !== null && ctx.last === null) ctx = advance(ctx, v);
      else if (v !== null && v !== ctx.last) ctx = step(i, v, ctx, via);
      ctxAt[i] = ctx;
    }
    return ctx;
  };

  const step = (i: number, v: string, ctx: Ctx, via: string): Ctx => {
    const from = ctx.last as string;
    const own = merges.get(i);
    if (own !== undefined && version(own[0] as number) !== v) {
      const taken = own.slice(1).find((parent) => parent !== -1 && version(parent) === v);
      if (taken !== undefined) {
        // Already walked (a branch that merged the default branch back in): judged there.
        if (visited[taken] === 1) return ctxAt[taken] ?? advance(ctx, v);
        const { chain, fork } = chainFrom(taken);
        return walk(chain, fork === -1 ? START : (ctxAt[fork] ?? START), via || (ids[i] as string), false);
      }
      // The merge set a version of its own: judged against the highest version it merged.
      const highest = own
        .map(version)
        .filter((each): each is string => each !== null && about(each).valid)
        .sort(compareVersions)
        .pop();
      record(i, highest ?? from, v, ctx, via);
      return advance(ctx, v);
    }
    record(i, from, v, ctx, via);
    return advance(ctx, v);
  };

  walk(chainFrom(0).chain, START, '', true);
  return { changes: out, needTags };
}
