import type { SourceText } from '../engine/model.js';

// The normalized policy: code after readPolicy never sees raw YAML.

export type Severity = 'off' | 'warn' | 'error';

export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

export interface PackageConfig {
  name: string;
  ecosystem: 'cargo' | 'npm';
  /** Manifest path relative to the repository root. */
  manifest: string;
  registry: string;
  /** The tag template new tags use (the first of `tags`), `{version}` is replaced, e.g. `v{version}` or `sdks/go/v{version}`. */
  tag: string;
  /**
   * Every template whose tags are this package's releases, `tag` first (a crate tagged
   * `v{version}` for years and `<name>-{version}` later). Packages may share a template.
   * Absent means `[tag]` (configs built in code rather than read from a policy file).
   */
  tags?: string[];
  /** Release-notes path template relative to the repository root, e.g. `RELEASE_v{version}.md`. */
  releaseNotes: string;
  /** Where `name:` is written in the policy, to name it beside a manifest that disagrees. */
  location?: SourceLocation;
}

/** Every tag template of a package, the one new tags use first. */
export function templatesOf(pkg: Pick<PackageConfig, 'tag' | 'tags'>): string[] {
  return pkg.tags && pkg.tags.length > 0 ? pkg.tags : [pkg.tag];
}

export interface RuleSetting {
  severity: Severity;
  /** Options as written in the policy; defaults from the rule's schema are applied later. */
  options: Record<string, unknown>;
  location: SourceLocation;
}

export interface WaiverConfig {
  rule: string;
  /** CEL over the facts and `finding`, with where its text starts in the policy file. */
  when: SourceText;
  reason: string;
  owner: string;
  /** YYYY-MM-DD; the waiver holds through the end of that day, UTC. */
  expires: string;
  index: number;
  location: SourceLocation;
  ruleLocation: SourceLocation;
}

export interface Policy {
  /** Absolute path of the policy file, or "" for the built-in default policy. */
  file: string;
  version: 1;
  extends: string[];
  packages: PackageConfig[];
  /** Patterns naming a branch's issue: `{issue}` is the number, `*` any text (default `*issue-{issue}-*`). */
  issues: { branch: string[] };
  /** Overrides the detected default branch when set. */
  defaultBranch: string;
  /** Extra rule folders, absolute paths. */
  rulesDirs: string[];
  rules: Record<string, RuleSetting>;
  waivers: WaiverConfig[];
  /** Absolute path of the baseline file (`baseline:`, relative to the policy file); "" for none. */
  baseline: string;
  /** What a gate does when a fact a rule needs is unavailable. */
  onUnavailable: 'error' | 'warn';
  /** While a release is blocked: globs of the paths that may change (preserve-no-unrelated-cleanup). */
  blocked: { allowPaths: string[] };
  /** The GitHub connection (src/facts/github.ts): the token is never part of the policy. */
  github: GitHubConfig;
}

export interface GitHubConfig {
  /** `owner/name`; "" = GITHUB_REPOSITORY, else the origin remote's URL. */
  repository: string;
  /** "" = GITHUB_GRAPHQL_URL, else $GITHUB_API_URL/graphql, else https://api.github.com/graphql. */
  graphqlUrl: string;
  /** Whether `policy run` posts the status comment by itself. */
  comment: 'auto' | 'off';
  /** Whether `check --gate ci` reopens an issue closed too early. */
  enforce: 'off' | 'reopen';
  /** authorAssociation values whose status comments count (besides the token's own user). */
  trusted: string[];
}

/** A problem a user must fix, reported as `file:line:col key: message` with a hint. Exit code 2. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  /** The key path or identifier the problem is about, e.g. `rules.tag-matchs-manifest`. */
  key: string;
  message: string;
  hint: string;
}
