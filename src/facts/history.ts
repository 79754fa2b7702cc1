// The history fact: version changes of the default branch (audit) or of HEAD (every other
// gate, on a branch that is not the default's tip), read from one `git log` of every commit
// and judged along the history as git has it: the first-parent chain, and the merged
// branches whose version a merge took.
import type { HistoryFact, VersionChange } from './model.js';
import type { PackageConfig } from '../policy/model.js';
import { parseLogRaw, streamGit, type CatFileBatch, type Env } from './git.js';
import { ancestorManifests, blobMapSource, blobOf, readPackageVersion, type Blob, type ParseCache } from './sources.js';
import { releaseTagOf, type Ref } from './tags.js';
import { compareVersions, isNextVersion, isPrerelease, isValidVersion, nextVersions, sameCore } from '../version/semver.js';

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

/** Watched manifest paths to blob ids at one commit; shared by every commit that left them alone. */
type State = ReadonlyMap<string, string>;

interface Graph {
  tip: string;
  parents: Map<string, string[]>;
  subjects: Map<string, string>;
  /** Each package's version at a commit, by the commit's State; null where unreadable. */
  versionAt(commit: string, pkg: string): string | null;
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
    paths: new Set([pkg.manifest, ...(pkg.ecosystem === 'cargo' ? ancestorManifests(pkg.manifest) : [])]),
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
  const parents = new Map<string, string[]>();
  const subjects = new Map<string, string>();
  const diffs = new Map<string, Array<{ path: string; oid: string }>>();
  const blobs = new Map<string, Promise<Blob>>();
  let tip = '';
  let pending = '';
  const take = (text: string, complete: boolean): void => {
    pending += text;
    const { commits, consumed } = parseLogRaw(pending, complete);
    pending = pending.slice(consumed);
    for (const entry of commits) {
      const [commit = '', ...rest] = entry.commit.split(' ');
      if (tip === '') tip = commit;
      parents.set(commit, rest.filter((id) => id !== ''));
      subjects.set(commit, entry.subject);
      if (entry.files.length > 0) diffs.set(commit, entry.files);
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
  if (tip === '') return null;

  // A commit's State is its first parent's with its own changes applied. git lists a commit
  // before its parents (but for clock skew), so the list is folded from its end; a parent
  // not folded yet is resolved with an explicit stack, as chains are thousands deep.
  const EMPTY: State = new Map();
  const states = new Map<string, State>();
  const fold = (commit: string): void => {
    const first = parents.get(commit)?.[0];
    const base = first === undefined ? EMPTY : (states.get(first) ?? EMPTY);
    const diff = diffs.get(commit);
    if (!diff) {
      states.set(commit, base);
      return;
    }
    const next = new Map(base);
    for (const { path, oid } of diff) {
      if (oid) next.set(path, oid);
      else next.delete(path);
    }
    states.set(commit, next);
  };
  const listed = [...parents.keys()];
  for (let i = listed.length - 1; i >= 0; i -= 1) {
    const commit = listed[i] as string;
    if (states.has(commit)) continue;
    const stack = [commit];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as string;
      const first = parents.get(top)?.[0];
      if (first !== undefined && parents.has(first) && !states.has(first)) stack.push(first);
      else {
        fold(top);
        stack.pop();
      }
    }
  }

  // Versions are read once per distinct State and package, all before the (synchronous) walk.
  const versions = new Map<State, Map<string, string | null>>();
  await Promise.all(
    [...new Set(states.values())].map(async (state) => {
      const source = blobMapSource(batch, state as Map<string, string>, blobs);
      const byPackage = new Map<string, string | null>();
      versions.set(state, byPackage);
      for (const { pkg } of watched) {
        const result = await readPackageVersion(pkg, source, cache);
        const version = result.kind === 'ok' ? result.version : null;
        byPackage.set(pkg.name, version);
      }
    }),
  );
  return {
    tip,
    parents,
    subjects,
    versionAt: (commit, pkg) => versions.get(states.get(commit) ?? EMPTY)?.get(pkg) ?? null,
  };
}

/** Per package, each tagged version and the commits its tags name. */
type Released = Map<string, Map<string, string[]>>;
const NO_TAGS: ReadonlyMap<string, string[]> = new Map();

function releasesByPackage(tags: TagTarget[], packages: PackageConfig[]): Released {
  const out: Released = new Map();
  for (const { name, commit } of tags) {
    const release = releaseTagOf(name, packages);
    if (!release) continue;
    const versions = out.get(release.package) ?? new Map<string, string[]>();
    out.set(release.package, versions);
    versions.set(release.version, [...(versions.get(release.version) ?? []), commit]);
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
  const tagged = (version: string): boolean => released.has(version);
  let needTags = false;
  const { parents, subjects } = graph;
  const version = (commit: string): string | null => graph.versionAt(commit, pkg.name);
  const visited = new Set<string>();
  const ctxAt = new Map<string, Ctx>();
  const out: Ordered[] = [];
  const seen = new Set<string>();
  let seq = 0;
  let order = 0;
  // Each version text is parsed once: the bench history has 10,000 of them.
  const facts = new Map<string, { valid: boolean; pre: boolean; release: boolean }>();
  const about = (v: string) => {
    let known = facts.get(v);
    if (known === undefined) {
      const valid = isValidVersion(v);
      const pre = valid && isPrerelease(v);
      // A release: a version without pre-release label, or a pre-release a tag released.
      known = { valid, pre, release: valid && (!pre || tagged(v)) };
      facts.set(v, known);
    }
    return known;
  };

  /** `from`'s first-parent chain back to a walked commit (exclusive) or the root, oldest first. */
  const chainFrom = (from: string): { chain: string[]; fork: string } => {
    const chain: string[] = [];
    let at: string | undefined = from;
    while (at !== undefined && parents.has(at) && !visited.has(at)) {
      visited.add(at);
      chain.push(at);
      at = parents.get(at)?.[0];
    }
    return { chain: chain.reverse(), fork: at !== undefined && visited.has(at) ? at : '' };
  };

  /** Whether `target` is an ancestor of `commit` (a release before it): asked only about changes that look like findings. */
  const reaches = (commit: string, target: string): boolean => {
    const queue = [...(parents.get(commit) ?? [])];
    const seen = new Set(queue);
    for (let i = 0; i < queue.length; i += 1) {
      const at = queue[i] as string;
      if (at === target) return true;
      for (const parent of parents.get(at) ?? []) {
        if (!seen.has(parent)) {
          seen.add(parent);
          queue.push(parent);
        }
      }
    }
    return false;
  };

  /** The highest tagged version below `to`: a release made elsewhere (a release branch) that fills a gap. */
  const highestTaggedBelow = (to: string): string => {
    let best = '';
    for (const version of released.keys()) {
      if (!about(version).valid || compareVersions(version, to) >= 0) continue;
      if (best === '' || compareVersions(version, best) > 0) best = version;
    }
    return best;
  };

  const looksLikeFinding = (since: string, to: string): boolean =>
    about(since).valid && about(to).valid && !(compareVersions(to, since) > 0 && isNextVersion(since, to));

  const record = (commit: string, from: string, to: string, ctx: Ctx, via: string): void => {
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
      if (tags !== undefined && !tags.some((target) => target === '' || reaches(commit, target)))
        since = (ctx.release === since ? ctx.before : ctx.release) ?? '';
      const filled = highestTaggedBelow(to);
      if (filled !== '' && (since === '' || compareVersions(filled, since) > 0)) since = filled;
    }
    out.push({
      change: {
        package: pkg.name,
        from,
        to,
        commit,
        subject: subjects.get(commit) ?? '',
        via,
        since,
        expected: since ? nextVersions(since) : [],
        byLabel: since !== '' && (about(since).pre || about(to).pre) && sameCore(since, to),
      },
      order,
      pkg: pkgIndex,
      seq: seq++,
    });
  };

  const advance = (ctx: Ctx, to: string): Ctx =>
    about(to).release && to !== ctx.release ? { last: to, release: to, before: ctx.release } : { ...ctx, last: to };

  const walk = (chain: string[], start: Ctx, via: string, top: boolean): Ctx => {
    let ctx = start;
    for (const commit of chain) {
      if (top) order += 1;
      const v = version(commit);
      if (v !== null && ctx.last === null) ctx = advance(ctx, v);
      else if (v !== null && v !== ctx.last) ctx = step(commit, v, ctx, via);
      ctxAt.set(commit, ctx);
    }
    return ctx;
  };

  const step = (commit: string, v: string, ctx: Ctx, via: string): Ctx => {
    const from = ctx.last as string;
    const own = parents.get(commit) ?? [];
    if (own.length > 1 && version(own[0] as string) !== v) {
      const taken = own.slice(1).find((parent) => version(parent) === v);
      if (taken !== undefined) {
        // Already walked (a branch that merged the default branch back in): judged there.
        if (visited.has(taken)) return ctxAt.get(taken) ?? advance(ctx, v);
        const { chain, fork } = chainFrom(taken);
        return walk(chain, fork ? (ctxAt.get(fork) ?? START) : START, via || commit, false);
      }
      // The merge set a version of its own: judged against the highest version it merged.
      const highest = own
        .map(version)
        .filter((each): each is string => each !== null && about(each).valid)
        .sort(compareVersions)
        .pop();
      record(commit, highest ?? from, v, ctx, via);
      return advance(ctx, v);
    }
    record(commit, from, v, ctx, via);
    return advance(ctx, v);
  };

  walk(chainFrom(graph.tip).chain, START, '', true);
  return { changes: out, needTags };
}
