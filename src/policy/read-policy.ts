// Reads release-policy.yml: parse, validate, then normalize, so that code after this
// boundary never sees raw YAML. Errors are returned as data.
import { dirname, posix, resolve } from 'node:path';
import type { RuleDefinition } from '../engine/model.js';
import { validatePolicy } from '../generated/validators.js';
import { diagnosticsFromAjv, formatKeyPath } from './diagnostics.js';
import { didYouMean } from './did-you-mean.js';
import type { Diagnostic, GitHubConfig, PackageConfig, Policy, RuleSetting, Severity, SourceLocation, WaiverConfig } from './model.js';
import { resolveOptions } from './rule-options.js';
import { parseYamlSource } from './yaml-source.js';
import type { YamlSource } from './yaml-source.js';

export { POLICY_FILE_NAMES, findPolicyFile } from './locate.js';

const SEVERITIES: readonly Severity[] = ['off', 'warn', 'error'];
const RULE_SETS = ['recommended', 'strict'] as const;
const DEFAULT_BRANCH_PATTERN = '*issue-{issue}-*';

/**
 * The source each policy was read from, so that resolveRuleSettings can point option
 * errors at the option itself; a WeakMap keeps the Policy type free of YAML.
 */
const policySources = new WeakMap<Policy, YamlSource>();

/** The policy used when a repository has none: the recommended rules, no packages. */
export function createDefaultPolicy(): Policy {
  return {
    file: '',
    version: 1,
    extends: ['recommended'],
    packages: [],
    issues: { branch: [DEFAULT_BRANCH_PATTERN] },
    defaultBranch: '',
    rulesDirs: [],
    rules: {},
    waivers: [],
    baseline: '',
    onUnavailable: 'error',
    blocked: { allowPaths: blockedAllowPaths(undefined, []) },
    github: githubConfig(undefined),
  };
}

/**
 * Parses, validates and normalizes a policy file; pure (the caller reads the file).
 * Reports every problem at once. `policy` is null only when the text is not YAML or not a
 * mapping; otherwise it is the best normalization of what was written, so the caller can
 * also run resolveRuleSettings and report its problems in the same run. Any diagnostic
 * means the policy is invalid (exit 2).
 */
export function readPolicy(file: string, text: string): { policy: Policy | null; diagnostics: Diagnostic[] } {
  const source = parseYamlSource(file, text);
  if (source.errors.length > 0) return { policy: null, diagnostics: source.errors };
  const raw = source.value;
  if (!isRecord(raw)) {
    const empty = raw === null || raw === undefined;
    const message = empty ? 'the policy file is empty' : 'the policy file must be a mapping (key: value)';
    return { policy: null, diagnostics: [{ file, line: 1, col: 1, key: '', message, hint: 'start the file with `version: 1`' }] };
  }
  const diagnostics = validatePolicy(raw) ? [] : diagnosticsFromAjv(validatePolicy.errors, source, file);
  diagnostics.push(...checkPolicyMeaning(raw, source));
  const policy = normalizePolicy(raw, source);
  policySources.set(policy, source);
  return { policy, diagnostics: diagnostics.sort((a, b) => a.line - b.line || a.col - b.col) };
}

/**
 * What JSON Schema cannot say: real calendar dates, packages listed once, and repository
 * paths that git can name (see checkRepoPath).
 */
function checkPolicyMeaning(raw: Record<string, unknown>, source: YamlSource): Diagnostic[] {
  const found: Diagnostic[] = [];
  const report = (path: (string | number)[], message: string, hint: string): void => {
    const { line, col } = source.locate(path);
    found.push({ file: source.file, line, col, key: formatKeyPath(path), message, hint });
  };
  listOf(raw.waivers).forEach((waiver, index) => {
    const expires = isRecord(waiver) ? waiver.expires : undefined;
    if (typeof expires === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(expires) && !isCalendarDate(expires)) {
      report(['waivers', index, 'expires'], `"${expires}" is not a calendar date`, 'write an existing day as YYYY-MM-DD, e.g. 2027-06-30');
    }
  });
  const names = new Set<string>();
  listOf(raw.packages).forEach((pkg, index) => {
    const name = isRecord(pkg) ? pkg.name : undefined;
    if (typeof name !== 'string') return;
    if (names.has(name)) report(['packages', index, 'name'], `package "${name}" is listed twice`, 'keep one entry per package');
    names.add(name);
  });
  listOf(raw.packages).forEach((pkg, index) => {
    if (!isRecord(pkg)) return;
    for (const key of ['manifest', 'releaseNotes'] as const) {
      const value = pkg[key];
      const example = key === 'manifest' ? 'e.g. crates/my-crate/Cargo.toml' : 'e.g. docs/RELEASE_v{version}.md';
      const problem = typeof value === 'string' ? checkRepoPath(value, example) : null;
      if (problem) report(['packages', index, key], problem.message, problem.hint);
    }
  });
  return found;
}

/**
 * Manifest paths and release-notes templates name files in git trees (`<rev>:<path>`) and
 * are compared with the paths git reports, which are relative to the repository root and
 * normalized. So a path must be relative, inside the repository and written with `/`;
 * normalizeRepoPath then removes `./` and doubled slashes.
 */
function checkRepoPath(path: string, example: string): { message: string; hint: string } | null {
  if (path.includes('\\')) {
    return {
      message: `"${path}" contains a backslash`,
      hint: `write the path with forward slashes: ${path.replace(/\\/g, '/')}`,
    };
  }
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) {
    return {
      message: `"${path}" is an absolute path`,
      hint: `write the path relative to the repository root, ${example}`,
    };
  }
  if (path.split('/').includes('..')) {
    return {
      message: `"${path}" contains "..": paths must stay inside the repository`,
      hint: `write the path from the repository root without "..", ${example}`,
    };
  }
  const normalized = normalizeRepoPath(path);
  if (normalized === '' || normalized === '.' || normalized.endsWith('/')) {
    return { message: `"${path}" names a folder, not a file`, hint: `name the file itself, ${example}` };
  }
  return null;
}

/** `./crates//a/Cargo.toml` → `crates/a/Cargo.toml`: the form git reports paths in. */
function normalizeRepoPath(path: string): string {
  return posix.normalize(path).replace(/^(\.\/)+/, '');
}

function isCalendarDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}

function normalizePolicy(raw: Record<string, unknown>, source: YamlSource): Policy {
  const file = source.file ? resolve(source.file) : '';
  const defaults = createDefaultPolicy();
  const issues = isRecord(raw.issues) ? raw.issues : {};
  const branches = [issues.branch].flat().filter((p): p is string => typeof p === 'string');
  const rulesDirs = [raw.rulesDir].flat().filter((d): d is string => typeof d === 'string' && d !== '');
  const packages = listOf(raw.packages).flatMap((pkg, index) =>
    isRecord(pkg) ? [{ ...normalizePackage(pkg), location: source.locate(['packages', index, 'name']) }] : [],
  );
  return {
    file,
    version: 1,
    extends: Array.isArray(raw.extends)
      ? raw.extends.filter((s): s is string => (RULE_SETS as readonly unknown[]).includes(s))
      : defaults.extends,
    packages,
    issues: { branch: branches.length > 0 ? branches : [DEFAULT_BRANCH_PATTERN] },
    defaultBranch: textOr(raw.defaultBranch, ''),
    rulesDirs: rulesDirs.map((dir) => resolve(file ? dirname(file) : '.', dir)),
    rules: normalizeRules(raw.rules, source),
    waivers: listOf(raw.waivers).flatMap((waiver, index) =>
      isRecord(waiver) ? [normalizeWaiver(waiver, index, source)] : [],
    ),
    baseline: typeof raw.baseline === 'string' && raw.baseline !== '' ? resolve(file ? dirname(file) : '.', raw.baseline) : '',
    onUnavailable: raw.onUnavailable === 'warn' ? 'warn' : 'error',
    blocked: { allowPaths: blockedAllowPaths(raw.blocked, packages) },
    github: githubConfig(raw.github),
  };
}

/** `github:`, with its defaults; invalid values were reported by the schema. */
function githubConfig(raw: unknown): GitHubConfig {
  const given = isRecord(raw) ? raw : {};
  const trusted = Array.isArray(given.trusted) ? given.trusted.filter((t): t is string => typeof t === 'string') : null;
  return {
    repository: textOr(given.repository, ''),
    graphqlUrl: textOr(given.graphqlUrl, ''),
    comment: given.comment === 'off' ? 'off' : 'auto',
    enforce: given.enforce === 'reopen' ? 'reopen' : 'off',
    trusted: trusted ?? ['OWNER', 'MEMBER', 'COLLABORATOR'],
  };
}

/**
 * `blocked.allowPaths`, or by default what fixing a failed release step touches: the
 * packages' manifests, lock files, release notes (any version) and changelogs, sources and
 * build scripts, READMEs (cargo packages them) and cargo's configuration.
 */
function blockedAllowPaths(raw: unknown, packages: PackageConfig[]): string[] {
  const given = isRecord(raw) && Array.isArray(raw.allowPaths) ? raw.allowPaths.filter((p): p is string => typeof p === 'string') : null;
  if (given !== null) return given;
  const fromPackages = packages.flatMap((p) => [p.manifest, p.releaseNotes.replaceAll('{version}', '*')]);
  return [...new Set([
    ...fromPackages,
    '**/Cargo.toml', '**/Cargo.lock', '**/package.json', '**/package-lock.json', '**/CHANGELOG.md',
    '**/src/**', '**/build.rs', '**/README.md', '.cargo/config.toml',
  ])];
}

function normalizePackage(raw: Record<string, unknown>): PackageConfig {
  const npm = raw.ecosystem === 'npm';
  return {
    name: textOr(raw.name, ''),
    ecosystem: npm ? 'npm' : 'cargo',
    manifest: normalizeRepoPath(textOr(raw.manifest, npm ? 'package.json' : 'Cargo.toml')),
    registry: textOr(raw.registry, npm ? 'npmjs' : 'crates-io'),
    ...tagTemplates(raw.tag),
    releaseNotes: normalizeRepoPath(textOr(raw.releaseNotes, 'RELEASE_v{version}.md')),
  };
}

/** `tag:` as one template or a list; invalid entries were reported, the rest are kept in order. */
function tagTemplates(raw: unknown): Pick<PackageConfig, 'tag' | 'tags'> {
  const given = [raw].flat().filter((t): t is string => typeof t === 'string' && t.includes('{version}'));
  const tags = given.length > 0 ? [...new Set(given)] : ['v{version}'];
  return { tag: tags[0] ?? 'v{version}', tags };
}

/** Severity shortcuts (`warn`, `[warn]`, `[warn, {...}]`) become one shape; invalid entries were reported. */
function normalizeRules(raw: unknown, source: YamlSource): Record<string, RuleSetting> {
  const rules: Record<string, RuleSetting> = {};
  if (!isRecord(raw)) return rules;
  for (const [id, value] of Object.entries(raw)) {
    const [severity, options] = Array.isArray(value) ? value : [value, {}];
    if (!SEVERITIES.includes(severity as Severity)) continue;
    rules[id] = {
      severity: severity as Severity,
      options: isRecord(options) ? options : {},
      location: source.locateKey(['rules', id]),
    };
  }
  return rules;
}

function normalizeWaiver(raw: Record<string, unknown>, index: number, source: YamlSource): WaiverConfig {
  const path = ['waivers', index];
  return {
    rule: textOr(raw.rule, ''),
    when: source.textAt([...path, 'when']) ?? { text: textOr(raw.when, ''), at: source.locate([...path, 'when']), block: false },
    reason: textOr(raw.reason, ''),
    owner: textOr(raw.owner, ''),
    expires: textOr(raw.expires, ''),
    index,
    location: source.locate(path),
    ruleLocation: source.locate([...path, 'rule']),
  };
}

export interface RuleSettingsResult {
  /** Every catalogue rule by id, `off` included, with options after defaults. */
  settings: Map<string, { severity: Severity; options: Record<string, unknown> }>;
  diagnostics: Diagnostic[];
}

/**
 * Effective severity and options of every rule: `extends` left to right (`recommended`:
 * built-in rules at their own severity; `strict`: at error), then `rules:`; rules from
 * rulesDir are on at their own severity unless set. Unknown ids in `rules:` and waivers
 * are diagnostics. Written options are validated against the rule's schema (ajv is loaded
 * only then); schema defaults fill absent options.
 */
export function resolveRuleSettings(policy: Policy, catalogue: readonly RuleDefinition[]): RuleSettingsResult {
  const byId = new Map(catalogue.map((rule) => [rule.id, rule]));
  const ids = [...byId.keys()];
  const severities = new Map<string, Severity>(catalogue.map((rule) => [rule.id, rule.builtIn ? 'off' : rule.severity]));
  for (const set of policy.extends) {
    for (const rule of catalogue) {
      if (rule.builtIn) severities.set(rule.id, set === 'strict' ? 'error' : rule.severity);
    }
  }
  const diagnostics: Diagnostic[] = [];
  const unknownRule = (id: string, key: string, at: SourceLocation): Diagnostic => {
    const suggestion = didYouMean(id, ids);
    const hint = suggestion ? `did you mean "${suggestion}"?` : 'run `policy rules` to list the rule ids';
    return { file: at.file, line: at.line, col: at.col, key, message: `unknown rule "${id}"`, hint };
  };
  for (const [id, setting] of Object.entries(policy.rules)) {
    if (byId.has(id)) severities.set(id, setting.severity);
    else diagnostics.push(unknownRule(id, formatKeyPath(['rules', id]), setting.location));
  }
  for (const waiver of policy.waivers) {
    if (waiver.rule && !byId.has(waiver.rule)) {
      diagnostics.push(unknownRule(waiver.rule, formatKeyPath(['waivers', waiver.index, 'rule']), waiver.ruleLocation));
    }
  }
  const settings: RuleSettingsResult['settings'] = new Map();
  for (const rule of catalogue) {
    const written = policy.rules[rule.id];
    const resolved = resolveOptions({ rule, written, source: policySources.get(policy) });
    diagnostics.push(...resolved.diagnostics);
    settings.set(rule.id, { severity: severities.get(rule.id) ?? 'off', options: resolved.options });
  }
  return { settings, diagnostics: diagnostics.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function textOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}
