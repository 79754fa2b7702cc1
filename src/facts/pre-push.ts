// The `push` fact from git's pre-push protocol (githooks(5), "pre-push"): argv is the remote's
// name and URL (both the URL when no named remote is used); stdin has one line per ref,
// `<local ref> SP <local object> SP <remote ref> SP <remote object> LF`. A deletion has
// `(delete)` and the all-zero object as its local side; a new remote ref has the all-zero
// remote object; the local ref is a raw object name or `HEAD` when the push named one. An
// annotated tag's local object is the tag object: it is peeled to its commit here. Reading
// costs one `cat-file --batch` (peel, existence, manifests) and one `git log` (the commits
// the push brings, with messages and files), whatever the number of refs; the `git log` only
// when a rule that applies reads the commits (src/cli/evaluate.ts).
import type { PackageConfig } from '../policy/model.js';
import { branchIssue } from '../release/references.js';
import { CatFileBatch, runGit, type Env } from './git.js';
import type { PushCommit, PushFact, PushRef } from './model.js';
import { messageFacts } from './push.js';
import { ancestorManifests, commitSource, readPackageVersion, revSource, type ParseCache } from './sources.js';
import { carrierOf, releaseTagOf } from './tags.js';

/** One stdin line of the pre-push hook. */
export interface PushLine {
  localRef: string;
  localObject: string;
  remoteRef: string;
  remoteObject: string;
}

/** A line git would never write: the message names the line and what was expected. */
export class PushInputError extends Error {
  constructor(readonly line: number, detail: string) {
    super(`pre-push input line ${line}: ${detail}; expected "<local ref> <local sha> <remote ref> <remote sha>" as git writes it`);
    this.name = 'PushInputError';
  }
}

const OBJECT = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** A full object name, SHA-1 or SHA-256. */
export const isObjectName = (oid: string): boolean => OBJECT.test(oid);

export const isZeroObject = (oid: string): boolean => /^0*$/.test(oid);

/** Parses git's pre-push stdin exactly; empty lines (none from git) are skipped. */
export function parsePushInput(text: string): PushLine[] {
  const lines: PushLine[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line === '') return;
    const fields = line.split(' ');
    if (fields.length !== 4) throw new PushInputError(index + 1, `${fields.length} fields`);
    const [localRef, localObject, remoteRef, remoteObject] = fields as [string, string, string, string];
    for (const [what, oid] of [['local object', localObject], ['remote object', remoteObject]] as const) {
      if (!OBJECT.test(oid)) throw new PushInputError(index + 1, `the ${what} "${oid}" is not an object name`);
    }
    if (!remoteRef.startsWith('refs/')) throw new PushInputError(index + 1, `the remote ref "${remoteRef}" is not a full ref name`);
    lines.push({ localRef, localObject, remoteRef, remoteObject });
  });
  return lines;
}

/**
 * Tags a reference-transaction creates or moves (githooks(5): `<old> SP <new> SP <ref>` lines):
 * refs/tags/* with a non-zero new value, and the object it will point at.
 */
export function transactionTags(input: string): { name: string; commit: string }[] {
  const out: { name: string; commit: string }[] = [];
  for (const line of input.split('\n')) {
    const [, next = '', ref = ''] = line.trim().split(' ');
    if (!ref.startsWith('refs/tags/') || isZeroObject(next)) continue;
    out.push({ name: ref.slice('refs/tags/'.length), commit: next });
  }
  return out;
}

export interface PushRequest {
  root: string;
  /** The hook's environment, for the git it starts. */
  env: Env;
  /** The remote's name, or its URL when the push named no remote. */
  remote: string;
  url: string;
  lines: PushLine[];
  packages: PackageConfig[];
  issuePatterns: string[];
  /** More refs whose commits the remote has (a new branch in CI: the default branch's remote-tracking ref). */
  bases?: string[];
  /** Whether to list the commits the push brings (default true); false: `commits` is empty. */
  commits?: boolean;
}

/** The push fact for git's lines: refs, the commits they bring, versions they change. */
export async function collectPush(req: PushRequest, shared?: CatFileBatch): Promise<PushFact> {
  const batch = shared ?? new CatFileBatch(req.root, req.env);
  try {
    const parsed: ParseCache = new Map();
    const refs = await Promise.all(req.lines.map((line) => describeRef(line, req, batch, parsed)));
    // Bases: what the remote has. Its objects we know locally, and (for a named remote) every
    // remote-tracking ref of it, as pre-commit's framework does (`--not --remotes=NAME`).
    const remoteObjects = await Promise.all(
      req.lines.filter((line) => !isZeroObject(line.remoteObject)).map(async (line) => {
        const found = await batch.read(`${line.remoteObject}^{commit}`);
        return found?.type === 'commit' ? found.oid : null;
      }),
    );
    const tips = [...new Set(refs.filter((ref) => ref.action !== 'delete' && ref.localCommit !== '').map((ref) => ref.localCommit))];
    const bases = [...new Set([...remoteObjects.filter((oid): oid is string => oid !== null), ...(req.bases ?? [])])];
    const named = req.remote !== req.url && req.remote !== '';
    const commits = tips.length === 0 || req.commits === false ? [] : await readCommits(req.root, req.env, tips, bases, named ? req.remote : null);
    await addVersionChanges(commits, req.packages, batch, parsed);
    return {
      remote: req.remote,
      refs,
      tags: refs.filter((ref) => ref.kind === 'tag' && ref.package !== ''),
      commits,
    };
  } finally {
    if (shared === undefined) await batch.close();
  }
}

async function describeRef(line: PushLine, req: PushRequest, batch: CatFileBatch, parsed: ParseCache): Promise<PushRef> {
  const deleting = line.localRef === '(delete)' || isZeroObject(line.localObject);
  const kind: PushRef['kind'] = line.remoteRef.startsWith('refs/tags/') ? 'tag' : line.remoteRef.startsWith('refs/heads/') ? 'branch' : 'other';
  const name = kind === 'tag' ? line.remoteRef.slice(10) : kind === 'branch' ? line.remoteRef.slice(11) : line.remoteRef;
  let localCommit = '';
  if (!deleting) {
    // `^{commit}` peels annotated tags (of tags, too); a ref to a tree or blob has no commit.
    const peeled = await batch.read(`${line.localObject}^{commit}`);
    localCommit = peeled?.type === 'commit' ? peeled.oid : '';
  }
  const release = kind === 'tag' ? releaseTagOf(name, req.packages) : null;
  let manifestVersion = '';
  let owner = release?.package ?? '';
  const pkgs = req.packages.filter((p) => release?.packages.includes(p.name));
  if (release !== null && localCommit !== '' && pkgs.length > 0) {
    // A commit source: an older tag pushed now (a first push) is read where its package was then.
    const source = commitSource(batch, localCommit);
    const { pkg, result } = await carrierOf(pkgs, release.version, (each) => readPackageVersion(each, source, parsed));
    owner = pkg.name;
    manifestVersion = result.kind === 'ok' ? result.version : '';
  }
  return {
    ref: line.remoteRef,
    name,
    kind,
    action: deleting ? 'delete' : isZeroObject(line.remoteObject) ? 'create' : 'update',
    localRef: line.localRef,
    localCommit,
    remoteCommit: isZeroObject(line.remoteObject) ? '' : line.remoteObject,
    package: owner,
    packages: release?.packages ?? [],
    version: release?.version ?? '',
    manifestVersion,
    issue: kind === 'branch' ? branchIssue(name, req.issuePatterns) : 0,
  };
}

/**
 * The commits reachable from the pushed tips and not from what the remote has, newest first,
 * in one `git log`: `\x1e<id>\x1f<message>\x1f` then `-z --name-status` pairs per commit.
 */
async function readCommits(root: string, env: Env, tips: string[], bases: string[], remote: string | null): Promise<PushCommit[]> {
  const args = ['log', '-z', '--no-renames', '--name-status', '--format=%x1e%H%x1f%B%x1f', ...tips, '--not', ...bases];
  if (remote !== null) args.push(`--remotes=${remote}`);
  const { stdout } = await runGit(root, env, args);
  const commits: PushCommit[] = [];
  for (const chunk of stdout.split('\x1e')) {
    if (chunk === '') continue;
    const idEnd = chunk.indexOf('\x1f');
    const bodyEnd = chunk.lastIndexOf('\x1f');
    const id = chunk.slice(0, idEnd);
    const body = chunk.slice(idEnd + 1, bodyEnd);
    const fields = chunk.slice(bodyEnd + 1).replace(/^\0?\n?/, '').split('\0');
    const files: string[] = [];
    const deleted: string[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const status = (fields[i] ?? '').replace(/^\n/, '');
      const path = fields[i + 1] ?? '';
      if (status === '' || path === '') continue;
      files.push(path);
      if (status === 'D') deleted.push(path);
    }
    const { message, issues, closes } = messageFacts(body);
    commits.push({ id, subject: message.split('\n')[0] ?? '', message, files, deleted, issues, closes, versions: [] });
  }
  return commits;
}

/** For each commit that touches a package's manifest (or a Cargo workspace root above it), the version before and after. */
async function addVersionChanges(commits: PushCommit[], packages: PackageConfig[], batch: CatFileBatch, parsed: ParseCache): Promise<void> {
  const watched = packages.map((pkg) => ({
    pkg,
    paths: new Set([pkg.manifest, ...(pkg.ecosystem === 'cargo' ? ancestorManifests(pkg.manifest) : [])]),
  }));
  await Promise.all(commits.flatMap((commit) =>
    watched.filter(({ paths }) => commit.files.some((file) => paths.has(file))).map(async ({ pkg }) => {
      const [before, after] = await Promise.all([
        readPackageVersion(pkg, revSource(batch, `${commit.id}^`), parsed),
        readPackageVersion(pkg, revSource(batch, commit.id), parsed),
      ]);
      const from = before.kind === 'ok' ? before.version : '';
      const to = after.kind === 'ok' ? after.version : '';
      if (from !== to) commit.versions.push({ package: pkg.name, from, to });
    }),
  ));
  for (const commit of commits) commit.versions.sort((a, b) => a.package.localeCompare(b.package));
}
