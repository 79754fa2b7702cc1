// What git shows of a release: the version's release tag in the local repository, and what the
// remote holds, read from the remote-tracking refs (as of the last fetch or push) or asked with
// `git ls-remote` under a deadline. src/release/observed.ts merges it with the journal.
import type { PackageConfig } from '../policy/model.js';
import type { JournalEvent, ReleaseState } from '../release/model.js';
import { redactText } from '../release/redact.js';
import { pushRemoteOf, type Observation, type ObservedRemote, type ObservedTag } from '../release/observed.js';
import { runGit, runGitWithDeadline, type CatFileBatch, type Env } from './git.js';
import { readReleaseTag } from './tags.js';

/** How long `git ls-remote` may take by default; POLICY_REMOTE_TIMEOUT (seconds) changes it. */
export const DEFAULT_REMOTE_TIMEOUT_MS = 10_000;

/** The remote that could not be read: the gate that needs it reports its fact unavailable (exit 3). */
export class RemoteUnreadable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RemoteUnreadable';
  }
}

/** POLICY_REMOTE_TIMEOUT in seconds (fractions allowed); the default when unset or not a positive number. */
export function remoteTimeoutMs(env: NodeJS.ProcessEnv): number {
  const raw = env.POLICY_REMOTE_TIMEOUT;
  if (raw === undefined || raw.trim() === '') return DEFAULT_REMOTE_TIMEOUT_MS;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : DEFAULT_REMOTE_TIMEOUT_MS;
}

/**
 * The remote the release is pushed to: the one the journal's last push of this version named,
 * else `origin`. A name starting with `-` would be read by git as an option: never used.
 */
export function releaseRemote(events: readonly JournalEvent[], state: Pick<ReleaseState, 'package' | 'version'>): string {
  let remote = '';
  for (const e of events) {
    if (e.phase === 'push' && e.package === state.package && e.version === state.version && e.command !== undefined) {
      remote = pushRemoteOf(e.command) || remote;
    }
  }
  return remote === '' || remote.startsWith('-') ? 'origin' : remote;
}

export interface ObserveOptions {
  /** `ls-remote`: ask the remote now; `tracking`: read the remote-tracking refs only. */
  remote: 'ls-remote' | 'tracking';
  timeoutMs: number;
  remoteName: string;
  batch?: CatFileBatch;
  /** The caller's environment: git runs with it, and its secret values are redacted from git's messages. */
  env: Env;
}

/** The release tag and the remote, for the state's package and version. */
export async function observeRelease(cwd: string, pkg: PackageConfig, version: string, options: ObserveOptions): Promise<Observation> {
  const tag: ObservedTag = await readReleaseTag(cwd, options.env, pkg, version, options.batch);
  const observation: Observation = { tag, remote: null };
  if (!tag.exists) {
    // Nothing to look for on the remote; the push is not done either way.
    observation.remote = { name: options.remoteName, via: options.remote, tagCommit: '', branches: [] };
    return observation;
  }
  try {
    observation.remote = options.remote === 'ls-remote'
      ? await askRemote(cwd, options.env, options.remoteName, tag, options.timeoutMs)
      : await readTracking(cwd, options.env, options.remoteName, tag.commit);
  } catch (error) {
    if (options.remote === 'ls-remote') throw error;
    observation.remoteError = `the remote-tracking refs of ${options.remoteName} could not be read: ${(error as Error).message}`;
  }
  return observation;
}

/** Remote-tracking branches of `remote` whose tip holds `commit`. */
async function readTracking(cwd: string, env: Env, remote: string, commit: string): Promise<ObservedRemote> {
  const prefix = `refs/remotes/${remote}/`;
  const { stdout } = await runGit(cwd, env, ['for-each-ref', `--contains=${commit}`, '--format=%(refname)', prefix]);
  const branches = stdout.split('\n').filter((ref) => ref.startsWith(prefix) && ref !== `${prefix}HEAD`).map((ref) => ref.slice(prefix.length));
  return { name: remote, via: 'tracking', tagCommit: '', branches };
}

/** At most this many of the remote's branches are checked for the tag's commit (each is one git process). */
const MAX_BRANCH_CHECKS = 20;

/** `git ls-remote --heads --tags REMOTE` under the deadline: the remote's tag and the branches holding it. */
async function askRemote(cwd: string, env: Env, remote: string, tag: ObservedTag, timeoutMs: number): Promise<ObservedRemote> {
  const result = await runGitWithDeadline(cwd, env, ['ls-remote', '--heads', '--tags', remote], timeoutMs);
  if (result.timedOut) {
    throw new RemoteUnreadable(`the remote ${remote} could not be read: \`git ls-remote ${remote}\` did not answer within ${timeoutMs / 1000} s (POLICY_REMOTE_TIMEOUT sets the deadline in seconds); check the network and the remote, then ask again`);
  }
  if (result.exitCode !== 0) {
    // git's own message may quote the remote's URL with its credentials.
    const said = redactText(result.stderr.trim(), env);
    const why = said.split('\n').filter((line) => line !== '').slice(-2).join('; ') || `exit code ${String(result.exitCode)}`;
    throw new RemoteUnreadable(`the remote ${remote} could not be read: \`git ls-remote ${remote}\` failed: ${why}; check \`git remote -v\` and the access to the remote, then ask again`);
  }
  const refs = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const [oid = '', ref = ''] = line.split('\t');
    if (oid !== '' && ref !== '') refs.set(ref, oid);
  }
  const tagRef = `refs/tags/${tag.name}`;
  // An annotated tag is listed with its peeled commit on a `^{}` line.
  const tagCommit = refs.get(`${tagRef}^{}`) ?? refs.get(tagRef) ?? '';
  const heads = [...refs].filter(([ref]) => ref.startsWith('refs/heads/')).map(([ref, oid]) => ({ name: ref.slice('refs/heads/'.length), oid }));
  const branches: string[] = [];
  if (tagCommit !== '') {
    const exact = heads.filter((h) => h.oid === tag.commit);
    branches.push(...exact.map((h) => h.name));
    if (branches.length === 0) {
      for (const head of heads.slice(0, MAX_BRANCH_CHECKS)) {
        // 0: the tag's commit is an ancestor; 1: it is not; 128: the branch's tip is not here (fetch first).
        const { exitCode } = await runGit(cwd, env, ['merge-base', '--is-ancestor', tag.commit, head.oid], [1, 128]);
        if (exitCode === 0) {
          branches.push(head.name);
          break;
        }
      }
    }
  }
  return { name: remote, via: 'ls-remote', tagCommit, branches };
}
