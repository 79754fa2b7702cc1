// The history fact: version changes along one first-parent `git log` walk, of the default
// branch (audit) or of HEAD (every other gate, on a branch that is not the default's tip).
import type { HistoryFact, VersionChange } from './model.js';
import type { PackageConfig } from '../policy/model.js';
import { parseLogRaw, streamGit, type CatFileBatch, type Env, type LogCommit } from './git.js';
import { ancestorManifests, blobMapSource, blobOf, readPackageVersion, type Blob, type ParseCache } from './sources.js';
import type { Ref } from './tags.js';

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

/** `head` is "" on an unborn branch. */
export async function collectHistory(
  probe: { root: string; head: string; env: Env },
  branch: HistoryWalk,
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
  const changes = await readHistory(probe.root, probe.env, branch.ref, packages, batch, parsed);
  return { branch: branch.name, changes };
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
  env: Env,
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
  await streamGit(root, env, args, (text) => {
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
