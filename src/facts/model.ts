// The fact model rules see; schema/facts.schema.json is its published form and the
// source of the CEL types. Facts never hold null: a missing string is "", a missing list [].
import type { ReleaseFact } from '../release/fact.js';

export interface Remote {
  name: string;
  url: string;
}

export interface RepoFact {
  root: string;
  branch: string;
  head: string;
  defaultBranch: string;
  shallow: boolean;
  dirty: string[];
  remotes: Remote[];
  /** The issue the checked-out branch names (issues.branch); 0 when none. */
  issue: number;
}

export interface ReleaseNotesFact {
  path: string;
  present: boolean;
  title: string;
  headings: string[];
}

export interface PackageFact {
  name: string;
  ecosystem: 'cargo' | 'npm';
  manifest: string;
  manifestError: string;
  version: string;
  versionHead: string;
  versionStaged: string;
  publish: boolean;
  registry: string;
  tagTemplate: string;
  expectedTag: string;
  releaseNotes: ReleaseNotesFact;
}

export interface TagFact {
  name: string;
  commit: string;
  annotated: boolean;
  /** The package the tag releases: of a shared template's packages, the one that carries the version (else the first). */
  package: string;
  /** Every package whose template the name matches: one, or all that share the template. */
  packages: string[];
  version: string;
  manifestVersion: string;
  manifestError: string;
  /** Where the version was read when not at the configured manifest (the package was elsewhere then); "" otherwise. */
  manifestPath: string;
  /** The `[package] name` the configured manifest carried when no manifest named the package (a rename); "" otherwise. */
  manifestName: string;
  /** For a tag of a shared template: what each package's manifest carries, read in order up to the one that carries the version. */
  shared: SharedTagReading[];
}

export interface SharedTagReading {
  package: string;
  manifestVersion: string;
  manifestError: string;
  manifestPath: string;
  manifestName: string;
}

export interface VersionChange {
  package: string;
  from: string;
  to: string;
  /** The commit that changed the version. */
  commit: string;
  subject: string;
  /** The merge on the walked branch's first-parent chain that brought `commit` in; "" when `commit` is on that chain. */
  via: string;
  /**
   * The version the change is judged against: `from`; when `from` is a placeholder (a
   * pre-release no release tag names, such as `0.1.5-pre`, or a release version whose tags
   * were all made after this commit), the last release before it; raised to the highest
   * tagged version below `to` when a release made elsewhere fills the gap. "" when none.
   */
  since: string;
  /** The next versions after `since` (patch, minor, major; after a pre-release its release), for a change to none of them; [] when `to` is one, or `since` is "". */
  expected: string[];
  /** True when `since` and `to` are one version apart only by pre-release label, so comparing them rests on SemVer's ordering of labels. */
  byLabel: boolean;
}

/**
 * Version changes of one history, in the order its first-parent chain brought them: the
 * default branch's for the audit gate; for every other gate HEAD's, when HEAD is not the
 * default branch's tip (the history the default branch will have once the checked-out work
 * merges). A merge that took a merged branch's version contributes that branch's own changes.
 */
export interface HistoryFact {
  /** The branch walked: the default branch, the checked-out branch, or `HEAD` when detached. */
  branch: string;
  changes: VersionChange[];
}

export interface GateFact {
  name: string;
  arg: string;
}

/** The current release; its home is the release model (src/release/fact.ts). */
export type { ReleaseFact } from '../release/fact.js';

export interface PushRef {
  ref: string;
  name: string;
  kind: 'tag' | 'branch' | 'other';
  action: 'create' | 'update' | 'delete';
  /** The local side as git gave it: a ref, `HEAD`, a raw object name, `(delete)`; "" for the tag gate. */
  localRef: string;
  localCommit: string;
  remoteCommit: string;
  /** For a release tag: its package; of a shared template's packages, the one that carries the version at localCommit (else the first). */
  package: string;
  /** For a release tag: every package whose template the name matches (several when they share it); [] otherwise. */
  packages: string[];
  version: string;
  /** For a release tag: its package's manifest version at localCommit. */
  manifestVersion: string;
  issue: number;
}

export interface VersionStep {
  package: string;
  from: string;
  to: string;
}

export interface PushCommit {
  id: string;
  subject: string;
  message: string;
  files: string[];
  deleted: string[];
  issues: number[];
  closes: number[];
  versions: VersionStep[];
}

export interface PushFact {
  remote: string;
  refs: PushRef[];
  tags: PushRef[];
  commits: PushCommit[];
}

export interface CommitFact {
  paths: string[];
  deleted: string[];
  message: string;
  issues: number[];
  closes: number[];
}

export interface RegistryPackageFact {
  package: string;
  ecosystem: 'cargo' | 'npm';
  registry: string;
  url: string;
  reachable: boolean;
  version: string;
  published: 'yes' | 'no' | 'unknown';
  checksum: string;
  yanked: boolean;
  versions: { version: string; checksum: string; yanked: boolean }[];
  /** status -1: no answer came. */
  evidence: { source: string; status: number; at: string; detail: string }[];
  reason: string;
}

export interface GitHubComment {
  /** The comment's node id. */
  id: string;
  /** The author's login; "ghost" for a deleted account. */
  author: string;
  authorAssociation: string;
  createdAt: string;
  updatedAt: string;
  body: string;
  url: string;
}

export interface GitHubIssueFact {
  /** 0 when the release names no issue. */
  number: number;
  state: 'OPEN' | 'CLOSED' | '';
  stateReason: string;
  title: string;
  labels: string[];
  /** The newest 50, oldest first. */
  comments: GitHubComment[];
  events: { type: 'closed' | 'reopened'; actor: string; at: string }[];
}

export interface GitHubBlockedIssue {
  number: number;
  title: string;
  labels: string[];
  comments: GitHubComment[];
}

/** The release's issue and the open issues on GitHub (src/facts/github-fact.ts). */
export interface GitHubFact {
  available: boolean;
  repository: string;
  viewer: string;
  issue: GitHubIssueFact;
  /** Open issues carrying the tool's state marker or a `status:blocked` label. */
  blocked: GitHubBlockedIssue[];
  rateLimit: { remaining: number; resetAt: string; cost: number };
}

export interface Facts {
  repo: RepoFact;
  packages: PackageFact[];
  tags: TagFact[];
  history: HistoryFact;
  gate: GateFact;
  release: ReleaseFact;
  push: PushFact;
  commit: CommitFact;
  registry: RegistryPackageFact[];
  github: GitHubFact;
}

export type FactName = keyof Facts;

export const FACT_NAMES: readonly FactName[] = ['repo', 'packages', 'tags', 'history', 'gate', 'release', 'push', 'commit', 'registry', 'github'];

/** What collectors return: the facts they could read, and a reason for each they could not. */
export interface CollectedFacts {
  facts: Partial<Facts>;
  unavailable: Partial<Record<FactName, string>>;
}
