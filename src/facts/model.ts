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
  commit: string;
  subject: string;
}

/**
 * Version changes along one first-parent history, oldest first: the default branch's for the
 * audit gate; for every other gate HEAD's, when HEAD is not the default branch's tip (the
 * history the default branch will have once the checked-out work merges).
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
