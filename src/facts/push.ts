// The `push` and `commit` facts for the gates that have no hook input: the tag gate's tag as
// a push of that tag, the index for pre-commit, the message file for commit-msg. The
// pre-push hook's stdin builds the push fact from git's own lines (src/cli, hooks).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PackageConfig } from '../policy/model.js';
import { closingReferences, issueReferences } from '../release/references.js';
import { runGit, type CatFileBatch, type Env } from './git.js';
import { commitSource, readPackageVersion } from './sources.js';
import type { CommitFact, PushFact, PushRef } from './model.js';
import { carrierOf, releaseTagOf } from './tags.js';

/** git's empty tree (SHA-1). */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export function emptyPush(): PushFact {
  return { remote: '', refs: [], tags: [], commits: [] };
}

export function emptyCommit(): CommitFact {
  return { paths: [], deleted: [], message: '', issues: [], closes: [] };
}

/** A push that creates tag `name` (what the tag gate asks about). */
export function tagPush(name: string, packages: PackageConfig[], localCommit = ''): PushFact {
  const short = name.replace(/^refs\/tags\//, '');
  const release = releaseTagOf(short, packages);
  const ref: PushRef = {
    ref: `refs/tags/${short}`,
    name: short,
    kind: 'tag',
    action: 'create',
    localRef: '',
    localCommit,
    remoteCommit: '',
    package: release?.package ?? '',
    packages: release?.packages ?? [],
    version: release?.version ?? '',
    manifestVersion: '',
    issue: 0,
  };
  return { remote: '', refs: [ref], tags: release === null ? [] : [ref], commits: [] };
}

/**
 * The tag gate's push: tag `name` created at `commit` (default HEAD), peeled, with its
 * package's manifest version there (new-tag-matches-manifest), read through `batch`.
 */
export async function collectTagPush(batch: CatFileBatch, name: string, packages: PackageConfig[], commit = 'HEAD'): Promise<PushFact> {
  const peeled = await batch.read(`${commit}^{commit}`);
  const fact = tagPush(name, packages, peeled?.type === 'commit' ? peeled.oid : '');
  const ref = fact.refs[0];
  const pkgs = packages.filter((p) => ref?.packages.includes(p.name));
  if (ref && pkgs.length > 0 && ref.localCommit !== '') {
    // A commit source: an older tag pushed now is read where its package was then.
    const source = commitSource(batch, ref.localCommit);
    const parsed = new Map();
    const { pkg, result } = await carrierOf(pkgs, ref.version, (each) => readPackageVersion(each, source, parsed));
    ref.package = pkg.name;
    ref.manifestVersion = result.kind === 'ok' ? result.version : '';
  }
  return fact;
}

/** Message fields of the commit fact. */
export function messageFacts(message: string): Pick<CommitFact, 'message' | 'issues' | 'closes'> {
  // git drops everything from the scissors line of `git commit -v` on, and comment lines.
  const scissors = message.search(/^# -+ >8 -+$/m);
  const kept = scissors === -1 ? message : message.slice(0, scissors);
  const text = kept.split('\n').filter((line) => !line.startsWith('#')).join('\n').trim();
  return { message: text, issues: issueReferences(text), closes: closingReferences(text) };
}

/**
 * The commit being made: paths the index changes against HEAD (every path on a first
 * commit), and for commit-msg the message in the file git passes (the gate's argument).
 */
export async function collectCommit(root: string, env: Env, gate: { name: string; arg: string }): Promise<CommitFact> {
  const fact = emptyCommit();
  if (gate.name === 'commit-msg' && gate.arg !== '') {
    Object.assign(fact, messageFacts(readFileSync(resolve(root, gate.arg), 'utf8')));
  }
  if (gate.name === 'pre-commit' || gate.name === 'commit-msg') {
    // Against HEAD; on an unborn branch (exit 128) against the empty tree, so every staged
    // path is new. One git process in the common case, on the pre-commit hook's path.
    const diff = (base: string) => runGit(root, env, ['diff-index', '--cached', '--no-renames', '--name-status', '-z', base], [128]);
    let result = await diff('HEAD');
    if (result.exitCode === 128) result = await diff(EMPTY_TREE);
    if (result.exitCode !== 0) throw new Error('git diff-index --cached failed against HEAD and the empty tree');
    const fields = result.stdout.split('\0');
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const status = fields[i] ?? '';
      const path = fields[i + 1] ?? '';
      fact.paths.push(path);
      if (status === 'D') fact.deleted.push(path);
    }
  }
  return fact;
}
