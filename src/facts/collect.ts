// The git and manifest collector: reads only the facts a gate needs, with few git processes
// (at most one rev-parse, then status, config, for-each-ref, log and long-lived cat-file
// --batch processes, the independent ones in parallel). Every fact it cannot read is `unavailable`
// with a reason, never an empty value that would let a rule pass.
import { existsSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { CollectedFacts, FactName, GitHubFact, PackageFact, PushFact, RegistryPackageFact, RepoFact } from './model.js';
import { findRepoRoot, gitDirsOnDisk } from '../policy/locate.js';
import type { GitHubConfig, PackageConfig } from '../policy/model.js';
import { redactUrl } from '../release/redact.js';
import { CatFileBatch, parseStatusPaths, runGit } from './git.js';
import { chooseHistoryWalk, collectHistory, type DefaultBranch, type TagTarget } from './history.js';
import { collectPackages, type ParseCache } from './sources.js';
import { collectTags, readRefs, type Ref } from './tags.js';
import { JournalSymlinkError } from './journal.js';
import { collectRelease, gitCommonDir, openJournal, releaseState, type ReleaseContext } from './release.js';
import { RemoteUnreadable, remoteTimeoutMs } from './observe.js';
import { collectCommit, collectTagPush, emptyPush } from './push.js';
import { collectPush, type PushLine } from './pre-push.js';
import { branchIssue } from '../release/references.js';
import type { ReleaseState } from '../release/model.js';
import type { JournalEvent } from './journal.js';
import type { GitHubView } from './github-fact.js';
import type { SharedView } from '../release/shared-state.js';
import { releaseTagOf } from './tags.js';

export { tagPattern } from './tags.js';

export interface CollectRequest {
  /** The folder the command runs in, and its environment: the collectors read neither from this process (see Env in ./git.js). */
  cwd: string;
  env: NodeJS.ProcessEnv;
  packages: PackageConfig[];
  /** "" = detect */
  defaultBranch: string;
  needs: readonly FactName[];
  gate: { name: string; arg: string };
  /** issues.branch patterns (repo.issue); none: repo.issue is 0. */
  issuePatterns?: string[];
  /** blocked.allowPaths (release.allowPaths); default none. */
  allowPaths?: string[];
  /** The package whose release to fold; default the journal's last. */
  releasePackage?: string;
  /** What the hook was given: pre-push's remote, URL and stdin lines; the tag gate's commit. */
  hook?: HookInput;
  /**
   * The `repo` fields the caller reads; absent: all. Fields left out keep their empty value
   * (defaultBranch "", remotes []) and cost no git process.
   */
  repoFields?: readonly string[];
  /**
   * Whether the pre-push fact lists the commits the push brings (default true). Only the release
   * rules read them, and only while a release is open: without them a first push of a long
   * history reads no commit at all.
   */
  pushCommits?: boolean;
  /** Skip network facts (`registry`): they are reported unavailable. */
  offline?: boolean;
  /** For network facts: the tool version (User-Agent). */
  toolVersion?: string;
  /** The policy's github: settings (repository, endpoint, trusted) for the `github` fact and the shared release state. */
  github?: Pick<GitHubConfig, 'repository' | 'graphqlUrl'> & Partial<Pick<GitHubConfig, 'trusted'>>;
  /**
   * The one GitHub read of the command: a command may collect in two steps (the gate's `when`
   * facts, then the rest), and the `release` and `github` facts both use the same answer.
   */
  githubRead?: GitHubRead;
  /** A git hook is asking: GitHub is read only for an open release or a pushed release tag, with a short deadline. */
  viaHook?: boolean;
  /** The issue whose release state is read from GitHub (a CI event about that issue); default the journal's, else the branch's. */
  issue?: number;
}

/** Holds the command's one GitHub request, once started. */
export interface GitHubRead {
  view?: Promise<GitHubView>;
}

export interface HookInput {
  remote?: string;
  url?: string;
  lines?: PushLine[];
  /** The commit a tag is being created at (reference-transaction); default HEAD. */
  tagCommit?: string;
  /** Refs whose commits the push does not bring (a new branch in CI: the default branch's remote-tracking ref). */
  bases?: string[];
}

const SHALLOW = 'shallow clone: history is incomplete; run `git fetch --unshallow`';

interface Probe {
  root: string;
  env: NodeJS.ProcessEnv;
  shallow: boolean;
  head: string;
}

export async function collectFacts(given: CollectRequest): Promise<CollectedFacts> {
  // The `release` and `github` facts of one collect share one GitHub request.
  const req: CollectRequest = given.githubRead === undefined ? { ...given, githubRead: {} } : given;
  const needs = new Set(req.needs);
  const out: CollectedFacts = { facts: {}, unavailable: {} };
  if (needs.has('gate')) out.facts.gate = { name: req.gate.name, arg: req.gate.arg };
  const batches: CatFileBatch[] = [];
  // `<rev>:<path>` names paths from the top of the work tree, so cat-file may start in cwd
  // while rev-parse finds the root: one process start less on the hook's path.
  const open = (dir = req.cwd): CatFileBatch => {
    batches.push(new CatFileBatch(dir, req.env));
    return batches[batches.length - 1] as CatFileBatch;
  };
  // One cat-file serves packages, the release tag and the push (a hook starts fewer
  // processes), started by the first that needs it: an idle journal and an empty push start none.
  // The registry is asked about the packages' versions: it needs the packages read.
  const wantPackages = needs.has('packages') || needs.has('registry');
  let shared: CatFileBatch | null = wantPackages ? open() : null;
  const batch = (): CatFileBatch => (shared ??= open());
  // The journal, the push and the commit being made start at once, beside the git facts; the
  // cat-files close after both (the local facts read through the shared one too).
  const localDone = localFacts(req, needs, batch)(out);
  // It may reject (a refused journal) before finish() awaits it: that is handled there.
  localDone.catch(() => undefined);
  const finish = async (): Promise<CollectedFacts> => {
    try {
      await localDone;
    } finally {
      await Promise.all(batches.map((each) => each.close()));
    }
    return out;
  };
  const gitFacts = (['repo', 'packages', 'tags', 'history'] as const).filter((name) => (name === 'packages' ? wantPackages : needs.has(name)));
  if (gitFacts.length === 0) return finish();
  let probe: Probe;
  try {
    // Packages and repo need no rev-parse when the layout on disk answers: the root holds
    // `.git`, a shallow clone has `<common dir>/shallow`, and `git status` names HEAD's commit.
    // Tags and history need rev-parse's HEAD before they start.
    const onDisk = gitFacts.every((name) => name === 'packages' || name === 'repo') ? findWorkTreeOnDisk(req.cwd, req.env) : null;
    const dirs = onDisk === null ? null : gitDirsOnDisk(onDisk);
    probe = onDisk !== null && dirs !== null
      ? { root: onDisk, env: req.env, shallow: existsSync(join(dirs.commonDir, 'shallow')), head: '' }
      : await probeRepo(req.cwd, req.env);
  } catch (error) {
    for (const name of gitFacts) out.unavailable[name] = `not a git work tree (${req.cwd}): ${message(error)}`;
    return finish();
  }
  const parsed: ParseCache = new Map();
  const wantTags = needs.has('tags') && !probe.shallow;
  const wantHistory = needs.has('history') && !probe.shallow;
  const reads = (field: keyof RepoFact): boolean => needs.has('repo') && (req.repoFields?.includes(field) ?? true);
  const wantBranch = reads('defaultBranch') || wantHistory;
  // Branches and tags are listed apart, so the history walk need not wait for 10,000 tags.
  const branches = wantBranch ? readRefs(probe.root, req.env, ['refs/heads', 'refs/remotes/origin']) : Promise.resolve([]);
  const config = reads('remotes') || (wantHistory && !req.defaultBranch) ? readConfig(probe.root, req.env) : null;
  const detect = ([all, cfg]: [Ref[], Config | null]): DefaultBranch =>
    detectDefaultBranch(req.defaultBranch, all, cfg?.initDefault ?? '');
  const branch = wantBranch ? Promise.all([branches, config]).then(detect) : null;
  const tasks: Partial<Record<FactName, Promise<unknown>>> = {};
  if (needs.has('repo')) tasks.repo = collectRepo(probe, branch, config, req.issuePatterns ?? []);
  if (wantPackages) tasks.packages = collectPackages(probe.root, req.packages, batch(), parsed);
  if (needs.has('registry')) tasks.registry = registryFact(req, tasks.packages as Promise<PackageFact[]>);
  // Tags get a cat-file of their own so their lookups run beside history's on another CPU.
  // The tag listing is shared: history asks for it only when it meets a pre-release.
  let tagRefs: Promise<Ref[]> | null = null;
  const listTags = (): Promise<Ref[]> => (tagRefs ??= readRefs(probe.root, req.env, ['refs/tags']));
  if (wantTags) {
    const tagBatch = wantHistory ? open() : batch();
    tasks.tags = listTags().then((all) => collectTags(all, req.packages, tagBatch, parsed));
  }
  // Which history depends on the gate and on whether HEAD is the default branch's tip (see
  // chooseHistoryWalk); the branch listing answers both, so walking HEAD costs no extra process.
  if (wantHistory && branch)
    tasks.history = Promise.all([branches, branch]).then(([all, found]) =>
      collectHistory(probe, chooseHistoryWalk(req.gate.name, probe.head, all, found), req.packages, batch(), parsed, () =>
        listTags().then((refs) => refs.map(tagTarget)),
      ),
    );
  if (probe.shallow) {
    if (needs.has('tags')) out.unavailable.tags = SHALLOW;
    if (needs.has('history')) out.unavailable.history = SHALLOW;
  }
  try {
    const names = Object.keys(tasks) as FactName[];
    const settled = await Promise.allSettled(names.map((name) => tasks[name]));
    for (const [i, name] of names.entries()) {
      if (name === 'packages' && !needs.has('packages')) continue; // read for the registry only
      const result = settled[i];
      if (result?.status === 'fulfilled') (out.facts as Record<string, unknown>)[name] = result.value;
      else out.unavailable[name] = message(result?.reason);
    }
  } finally {
    await finish();
  }
  return out;
}

/** A tag's name and commit from its listing alone (a tag of a tag names none here: history needs no more). */
const tagTarget = (ref: Ref): TagTarget => ({
  name: ref.name.slice('refs/tags/'.length),
  commit: ref.type === 'commit' ? ref.oid : ref.peeledType === 'commit' ? ref.peeled : '',
});

const OFFLINE = 'offline: the registry is not asked (--offline or POLICY_OFFLINE=1); run without it where the registry is reachable';

/** The registry's word on each package's manifest version; unavailable offline. */
async function registryFact(req: CollectRequest, packages: Promise<PackageFact[]>): Promise<RegistryPackageFact[]> {
  if (req.offline) throw new Error(OFFLINE);
  // Loaded on first use: the hooks, which never ask the registry, do not pay for its module.
  const [read, commonDir, { collectRegistry }, { publishTargets }] = await Promise.all([
    packages,
    gitCommonDir(req.cwd, req.env).catch(() => null),
    import('./registry.js'),
    import('./publish-target.js'),
  ]);
  const versions = new Map(read.filter((p) => p.manifestError === '').map((p) => [p.name, p.version]));
  return collectRegistry({
    cwd: req.cwd,
    packages: req.packages,
    versions,
    // A version published to another registry, or as another crate, is asked about there.
    targets: commonDir === null ? new Map() : await publishTargets(req.cwd, commonDir, req.packages, versions, req.env),
    env: req.env,
    cacheDir: commonDir === null ? null : join(commonDir, 'release-policy', 'registry-cache'),
    toolVersion: req.toolVersion ?? '',
  });
}

/** The journal's release and the commit being made: read beside the git facts. */
function localFacts(req: CollectRequest, needs: Set<FactName>, batch: () => CatFileBatch): (out: CollectedFacts) => Promise<void> {
  return async (out) => {
    const tasks: Promise<void>[] = [];
    if (needs.has('release')) {
      // Closing the issue needs the remote's own word on the tag and the branch (offline: the
      // remote-tracking refs of the last fetch or push).
      const remote = req.gate.name === 'close-issue' && !req.offline ? 'ls-remote' : 'tracking';
      const context: ReleaseContext = {
        defaultPackage: req.packages[0]?.name ?? '',
        allowPaths: req.allowPaths ?? [],
        packages: req.packages,
        env: req.env,
        observe: { remote, timeoutMs: remoteTimeoutMs(req.env) },
      };
      if (req.releasePackage !== undefined) context.package = req.releasePackage;
      context.share = (local, events) => shareRelease(req, local, events);
      tasks.push(collectRelease(req.cwd, context, batch).then(
        (fact) => void (out.facts.release = fact),
        (error: unknown) => {
          // Not a fact that is missing but a journal refused (a symbolic link) or unreadable (a
          // system call failed: EACCES, EIO): said as such with the errno in words, exit 2
          // (src/cli/main.ts), as for every other command that reads the journal.
          if (error instanceof JournalSymlinkError || typeof (error as NodeJS.ErrnoException).syscall === 'string') throw error;
          out.unavailable.release = error instanceof RemoteUnreadable ? error.message : `cannot read the release journal: ${message(error)}`;
        },
      ));
    }
    if (needs.has('github')) tasks.push(githubFact(req).then(
      (fact) => void (out.facts.github = fact),
      (error: unknown) => void (out.unavailable.github = message(error)),
    ));
    if (needs.has('push')) tasks.push(collectPushFact(req, batch).then(
      (fact) => void (out.facts.push = fact),
      (error: unknown) => void (out.unavailable.push = `cannot read what is being pushed: ${message(error)}`),
    ));
    if (needs.has('commit')) {
      const root = findRepoRoot(req.cwd) ?? req.cwd;
      tasks.push(collectCommit(root, req.env, req.gate).then(
        (fact) => void (out.facts.commit = fact),
        (error: unknown) => void (out.unavailable.commit = `cannot read the commit being made: ${message(error)}`),
      ));
    }
    await Promise.all(tasks);
  };
}

/**
 * The `github` fact: one GraphQL request about the release's issue (the journal's, else the
 * one the branch names). Loaded on first use: a hook that never asks GitHub does not pay for
 * the client's modules.
 */
async function githubFact(req: CollectRequest): Promise<GitHubFact> {
  if (req.viaHook && !(await hookMayAskGitHub(req))) return NOT_ASKED;
  return (await readGitHubOnce(req)).fact;
}

/**
 * The `github` fact of a hook while no release is open here and no release tag is pushed:
 * GitHub is not asked (a commit or push on an idle repository waits for no network). Not
 * unavailable either: the rules that read it apply while a release is open, and an idle
 * repository's commit must not be refused for a fact nobody needed.
 */
const NOT_ASKED: GitHubFact = {
  available: false,
  repository: '',
  viewer: '',
  issue: { number: 0, state: '', stateReason: '', title: '', labels: [], comments: [], events: [] },
  blocked: [],
  rateLimit: { remaining: 0, resetAt: '', cost: 0 },
};

/** Whether a hook may ask GitHub: the journal here says a release is open, or the push carries a release tag. */
async function hookMayAskGitHub(req: CollectRequest): Promise<boolean> {
  if (pushesReleaseTag(req)) return true;
  try {
    const journal = await openJournal(req.cwd, req.env);
    const name = req.releasePackage ?? journal.contents.events.at(-1)?.package ?? req.packages[0]?.name ?? '';
    return HOLDS.includes(releaseState(journal.contents, { package: name, defaultPackage: name, journalFile: journal.path }).status);
  } catch {
    return false;
  }
}

/** The command's one GitHub request, shared by the `github` and `release` facts. */
function readGitHubOnce(req: CollectRequest): Promise<GitHubView> {
  const read = async (): Promise<GitHubView> => {
    const [{ connect, githubHookTimeoutMs }, { readGitHub }] = await Promise.all([import('./github.js'), import('./github-fact.js')]);
    const connection = await connect({
      cwd: req.cwd,
      env: req.env,
      config: req.github ?? { repository: '', graphqlUrl: '' },
      offline: req.offline ?? false,
      toolVersion: req.toolVersion ?? '',
    });
    // A hook holds the user's git command: it waits a short while, then goes on from the journal.
    if (req.viaHook) Object.assign(connection, { timeoutMs: githubHookTimeoutMs(req.env), timeoutSetting: 'POLICY_GITHUB_HOOK_TIMEOUT' });
    return readGitHub(connection, await releaseIssue(req));
  };
  if (req.githubRead === undefined) return read();
  return (req.githubRead.view ??= read());
}

const HOLDS: readonly ReleaseState['status'][] = ['blocked', 'unknown', 'released'];

/**
 * The journal's release merged with the state the issue's trusted status comments carry
 * (src/release/shared-state.ts), so that a clone or CI job without the journal sees a blocked
 * release. GitHub is not asked offline or without a token; a hook asks only while the release
 * here is open or when the push carries a release tag. GitHub failing: the journal alone (a
 * rule that needs GitHub's word reads the `github` fact, which is then unavailable).
 */
async function shareRelease(req: CollectRequest, local: ReleaseState, events: readonly JournalEvent[]): Promise<ReleaseState> {
  // Offline or without a token nothing is asked, and the client's modules are not loaded.
  if (req.offline || !(req.env.GITHUB_TOKEN || req.env.GH_TOKEN)) return local;
  if (req.viaHook && !HOLDS.includes(local.status) && !pushesReleaseTag(req)) return local;
  return (await readSharedRelease(req, local, events)).state;
}

/** The shared release state, or the journal's with the reason the issue was not read (`unread`). */
export async function readSharedRelease(
  req: CollectRequest,
  local: ReleaseState,
  events: readonly JournalEvent[],
): Promise<{ state: ReleaseState; view: SharedView | null; unread: string }> {
  const [{ OFFLINE_REASON, NO_TOKEN_REASON }, { shareState }] = await Promise.all([import('./github.js'), import('../release/shared-state.js')]);
  if (req.offline) return { state: local, view: null, unread: OFFLINE_REASON };
  if (!(req.env.GITHUB_TOKEN || req.env.GH_TOKEN)) return { state: local, view: null, unread: NO_TOKEN_REASON };
  let github: GitHubView;
  try {
    github = await readGitHubOnce(req);
  } catch (error) {
    return { state: local, view: null, unread: message(error) };
  }
  const { state, view } = shareState({
    local,
    events,
    github: github.fact,
    package: req.releasePackage ?? (events.length > 0 ? local.package : null),
    trusted: req.github?.trusted ?? ['OWNER', 'MEMBER', 'COLLABORATOR'],
  });
  return { state, view, unread: '' };
}

/** Whether the pre-push lines push a tag of one of the policy's packages. */
function pushesReleaseTag(req: CollectRequest): boolean {
  return (req.hook?.lines ?? []).some((line) =>
    line.remoteRef.startsWith('refs/tags/') && releaseTagOf(line.remoteRef.slice('refs/tags/'.length), req.packages) !== null);
}

/** The issue of the release in progress: the journal's, else the checked-out branch's; 0 for none. */
async function releaseIssue(req: CollectRequest): Promise<number> {
  if (req.issue !== undefined && req.issue > 0) return req.issue;
  try {
    const journal = await openJournal(req.cwd, req.env);
    const last = journal.contents.events.at(-1)?.package;
    const name = req.releasePackage ?? last ?? req.packages[0]?.name ?? '';
    const state = releaseState(journal.contents, { package: name, defaultPackage: name, journalFile: journal.path });
    if (state.issue !== null && state.issue > 0 && state.status !== 'idle') return state.issue;
  } catch {
    // No journal to read: the branch may still name the issue.
  }
  const { stdout } = await runGit(req.cwd, req.env, ['symbolic-ref', '--short', '-q', 'HEAD'], [1]).catch(() => ({ stdout: '' }));
  return branchIssue(stdout.trim(), req.issuePatterns ?? []);
}

/**
 * The push: git's pre-push lines (or a CI event's pushed range, as lines, for `ci` and
 * `review`), the tag gate's tag, or nothing for every other gate.
 */
async function collectPushFact(req: CollectRequest, batch: () => CatFileBatch): Promise<PushFact> {
  if (req.gate.name === 'tag') return collectTagPush(batch(), req.gate.arg, req.packages, req.hook?.tagCommit);
  if (['pre-push', 'ci', 'review'].includes(req.gate.name) && req.hook?.lines !== undefined) {
    return collectPush({
      root: findRepoRoot(req.cwd) ?? req.cwd,
      env: req.env,
      remote: req.hook.remote ?? '',
      url: req.hook.url ?? '',
      lines: req.hook.lines,
      packages: req.packages,
      issuePatterns: req.issuePatterns ?? [],
      ...(req.hook.bases === undefined ? {} : { bases: req.hook.bases }),
      commits: req.pushCommits ?? true,
    }, batch());
  }
  return emptyPush();
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The work tree's top folder: the nearest folder holding `.git` (a folder, or a file as in
 * linked worktrees). Null whenever git might answer differently: GIT_DIR or GIT_WORK_TREE
 * set, or cwd inside a git directory; the caller then asks rev-parse.
 */
function findWorkTreeOnDisk(cwd: string, env: NodeJS.ProcessEnv): string | null {
  if (env.GIT_DIR || env.GIT_WORK_TREE) return null;
  if (resolve(cwd).split(sep).includes('.git')) return null;
  return findRepoRoot(cwd);
}

/** One rev-parse for root, shallowness and HEAD; `--verify -q HEAD` exits 1, silently, on an unborn branch. */
async function probeRepo(cwd: string, env: NodeJS.ProcessEnv): Promise<Probe> {
  const args = ['rev-parse', '--show-toplevel', '--is-shallow-repository', '--verify', '-q', 'HEAD'];
  const { stdout } = await runGit(cwd, env, args, [1]);
  const [root = '', shallow = '', head = ''] = stdout.split('\n');
  if (root === '' || (shallow !== 'true' && shallow !== 'false'))
    throw new Error(`unexpected git rev-parse output: ${stdout}`);
  return { root, env, shallow: shallow === 'true', head };
}

interface Config {
  initDefault: string;
  remotes: RepoFact['remotes'];
}

async function readConfig(root: string, env: NodeJS.ProcessEnv): Promise<Config> {
  // Section and key names are lowercased by --get-regexp; the remote's name keeps its case.
  const args = ['config', '-z', '--get-regexp', '^(remote\\..+\\.url|init\\.defaultbranch)$'];
  const { stdout } = await runGit(root, env, args, [1]);
  let initDefault = '';
  const remotes = new Map<string, string>();
  for (const entry of stdout.split('\0')) {
    // `key\nvalue`, or just `key` for a valueless (boolean) entry.
    const newline = entry.indexOf('\n');
    const key = newline < 0 ? entry : entry.slice(0, newline);
    const value = newline < 0 ? '' : entry.slice(newline + 1);
    if (key === 'init.defaultbranch') initDefault = value;
    // The first url of a remote is the one fetch uses.
    else if (key.startsWith('remote.') && !remotes.has(key.slice(7, -4)))
      remotes.set(key.slice(7, -4), redactUrl(value));
  }
  return { initDefault, remotes: [...remotes].map(([name, url]) => ({ name, url })) };
}

function detectDefaultBranch(configured: string, refs: Ref[], initDefault: string): DefaultBranch {
  const names = new Set(refs.map((ref) => ref.name));
  const refOf = (name: string): string =>
    [`refs/heads/${name}`, `refs/remotes/origin/${name}`].find((ref) => names.has(ref)) ?? '';
  const found = (name: string): DefaultBranch => {
    const ref = name ? refOf(name) : '';
    return { name, ref, oid: refs.find((each) => each.name === ref)?.oid ?? '' };
  };
  if (configured) return found(configured);
  const originHead = refs.find((ref) => ref.name === 'refs/remotes/origin/HEAD')?.symref ?? '';
  const candidates = [originHead.replace(/^refs\/remotes\/origin\//, ''), initDefault, 'main', 'master'];
  return found(candidates.find((candidate) => candidate !== '' && refOf(candidate) !== '') ?? '');
}

async function collectRepo(
  probe: Probe,
  branch: Promise<DefaultBranch> | null,
  config: Promise<Config> | null,
  issuePatterns: string[],
): Promise<RepoFact> {
  // --no-ahead-behind: counting commits against the upstream costs a history walk nobody reads.
  const status = runGit(probe.root, probe.env, ['status', '--porcelain=v2', '--branch', '--no-ahead-behind', '-z']);
  const [{ stdout }, found, cfg] = await Promise.all([status, branch, config]);
  const { branch: checkedOut, head, paths } = parseStatusPaths(stdout.split('\0'));
  // A pull request's checkout in CI is a detached merge commit: the branch it brings is the
  // one GitHub Actions names in GITHUB_HEAD_REF, and it is the branch the rules ask about.
  const current = checkedOut !== '' ? checkedOut : (probe.env.GITHUB_HEAD_REF ?? '');
  return {
    root: probe.root,
    branch: current,
    head: probe.head || head,
    defaultBranch: found?.name ?? '',
    shallow: probe.shallow,
    dirty: paths,
    remotes: cfg?.remotes ?? [],
    issue: branchIssue(current, issuePatterns),
  };
}
