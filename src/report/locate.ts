// Where each finding can be shown in the repository (annotations, SARIF, JSON). Pure: the
// caller reads the files `filesToRead` names (src/cli/locate-findings.ts) and passes their
// texts in, until it names no more; nothing is read for a verdict without findings.
import { isAbsolute, posix, relative, sep } from 'node:path';
import { unjudgedRules } from '../engine/gate.js';
import type { Finding, FindingLocation, RuleDefinition, Verdict } from '../engine/model.js';
import type { PackageConfig, Policy, SourceLocation } from '../policy/model.js';
import { hasWorkspaceTable, jsonVersionKey, tomlVersionKey } from '../facts/manifest-position.js';

export interface LocateIndex {
  /** Absolute path of the repository root: policy and rule files are made relative to it. */
  root: string;
  policy: Pick<Policy, 'packages' | 'rules' | 'waivers'> & { file?: string };
  catalogue: readonly RuleDefinition[];
  /** Repository files read so far, by repository-relative path: their text, or null when absent or unreadable. */
  files: ReadonlyMap<string, string | null>;
}

/** The rules whose `version` subject is about the release-notes file of that version. */
const NOTES_RULES: ReadonlySet<string> = new Set(['release-notes-present']);

/** Subject kinds that name a package (`name`) or a package version (`name 1.2.3`, `name 1.2.3 -> 1.1.0`). */
const PACKAGE_SUBJECTS: ReadonlySet<string> = new Set(['version', 'package']);

/** Subject kinds with no file of their own: they keep their logical location (SARIF adds a fallback); a tag also gets its package's policy entry. */
const LOGICAL_SUBJECTS: ReadonlySet<string> = new Set(['tag', 'commit']);

type Step = { need: string } | { at: FindingLocation | null };

/** Repository-relative paths to read (or null) before `locateFindings` can place every finding; [] when none are missing. */
export function filesToRead(findings: readonly Finding[], index: LocateIndex): string[] {
  const needs = new Set<string>();
  for (const finding of findings) {
    const step = place(finding, index);
    if ('need' in step) needs.add(step.need);
  }
  return [...needs];
}

/** The verdict with a location on every finding that has one (waived findings too); the rest unchanged. */
export function locateFindings(verdict: Verdict, index: LocateIndex): Verdict {
  if (verdict.findings.length === 0 && verdict.waived.length === 0) return verdict;
  const locate = <T extends Finding>(finding: T): T => {
    const step = place(finding, index);
    const at = 'at' in step ? step.at : null;
    const { location: _engine, ...rest } = finding;
    return (at === null ? rest : { ...rest, location: at }) as T;
  };
  return { ...verdict, findings: verdict.findings.map(locate), waived: verdict.waived.map(locate) };
}

function place(finding: Finding, index: LocateIndex): Step {
  const { kind, name } = finding.subject;
  if (kind === 'tag') return { at: tagPackageEntry(name, index) ?? policyFile(index) };
  if (LOGICAL_SUBJECTS.has(kind)) return { at: null };
  if (kind === 'waiver') return { at: waiverLocation(name, index) ?? ruleEntry(finding.rule, index) };
  if (kind === 'rule') return { at: ruleErrorLocation(finding, index) ?? ruleEntry(finding.rule, index) };
  if (PACKAGE_SUBJECTS.has(kind)) {
    const [pkgName = '', version = ''] = name.split(' ');
    const pkg = index.policy.packages.find((candidate) => candidate.name === pkgName);
    if (pkg !== undefined) {
      if (kind === 'version' && NOTES_RULES.has(finding.rule) && pkg.releaseNotes !== '' && version !== '') {
        const notes = posix.normalize(pkg.releaseNotes.replaceAll('{version}', version));
        const text = index.files.get(notes);
        if (text === undefined) return { need: notes };
        if (text !== null) return { at: { file: notes, line: 1, column: 1 } };
      }
      const step = manifestVersionStep(pkg, index.files);
      if ('need' in step || step.at !== null) return step;
    }
  }
  // Unavailable facts, issues, branches, paths: the policy line that enables the rule, else the
  // policy file itself, so that an annotation shows on a file the reader can open.
  // A fact unavailable to several rules: the entry of the first of them the policy writes.
  const entry = [finding.rule, ...unjudgedRules(finding)].map((id) => ruleEntry(id, index)).find((at) => at !== null);
  return { at: entry ?? policyFile(index) };
}

/**
 * A tag is about no file of its own: the policy's entry of the package whose tag template
 * it matches (where that template is written) stands for it; the tag stays the logical location.
 */
function tagPackageEntry(tag: string, index: LocateIndex): FindingLocation | null {
  const pkg = index.policy.packages.find((candidate) => {
    const at = candidate.tag.indexOf('{version}');
    if (at < 0) return false;
    const prefix = candidate.tag.slice(0, at);
    const suffix = candidate.tag.slice(at + '{version}'.length);
    return tag.length > prefix.length + suffix.length && tag.startsWith(prefix) && tag.endsWith(suffix);
  });
  return pkg?.location === undefined ? null : inRepository(pkg.location, index.root);
}

function policyFile(index: LocateIndex): FindingLocation | null {
  return index.policy.file === undefined || index.policy.file === '' ? null : inRepository({ file: index.policy.file, line: 1, col: 0 }, index.root);
}

/** The line of the package's version in its manifest (or the workspace root it inherits from). */
function manifestVersionStep(pkg: Pick<PackageConfig, 'manifest' | 'ecosystem'>, files: ReadonlyMap<string, string | null>): Step {
  const manifest = posix.normalize(pkg.manifest);
  const text = files.get(manifest);
  if (text === undefined) return { need: manifest };
  if (text === null) return { at: null };
  if (pkg.ecosystem === 'npm') return { at: withFile(manifest, jsonVersionKey(text)) };
  const own = tomlVersionKey(text, 'package');
  if (own === null || !own.workspace) return { at: withFile(manifest, own) };
  // Cargo takes an inherited version from the nearest Cargo.toml at or above the package with a [workspace].
  for (const candidate of [manifest, ...ancestorManifests(manifest)]) {
    const above = candidate === manifest ? text : files.get(candidate);
    if (above === undefined) return { need: candidate };
    if (above === null || !hasWorkspaceTable(above)) continue;
    return { at: withFile(candidate, tomlVersionKey(above, 'workspace.package')) ?? withFile(manifest, own) };
  }
  return { at: withFile(manifest, own) };
}

function withFile(file: string, key: { line: number; column: number } | null): FindingLocation | null {
  return key === null ? { file, line: 1, column: 0 } : { file, line: key.line, column: key.column };
}

/** `Cargo.toml` files in the directories above a manifest, nearest first. */
function ancestorManifests(manifest: string): string[] {
  const out: string[] = [];
  for (let dir = posix.dirname(manifest); dir !== '.' && dir !== '/' && dir !== ''; ) {
    dir = posix.dirname(dir);
    out.push(dir === '.' ? 'Cargo.toml' : `${dir}/Cargo.toml`);
  }
  return out;
}

function waiverLocation(subjectName: string, index: LocateIndex): FindingLocation | null {
  const number = /^waivers\[(\d+)\]/.exec(subjectName)?.[1];
  const waiver = index.policy.waivers.find((candidate) => String(candidate.index) === number);
  return waiver === undefined ? null : inRepository(waiver.location, index.root);
}

/** A rule's own file and the line of the check that failed, when the rule is the project's (a built-in rule's file is not in the repository). */
function ruleErrorLocation(finding: Finding, index: LocateIndex): FindingLocation | null {
  const rule = index.catalogue.find((candidate) => candidate.id === finding.rule);
  if (rule === undefined || rule.builtIn || finding.location === undefined) return null;
  const { file, line, column } = finding.location;
  return inRepository({ file, line, col: column }, index.root);
}

function ruleEntry(ruleId: string, index: LocateIndex): FindingLocation | null {
  const setting = index.policy.rules[ruleId];
  return setting === undefined ? null : inRepository(setting.location, index.root);
}

/** A source location as a repository-relative, `/`-separated path; null outside the repository (or for the built-in policy). */
export function inRepository(at: SourceLocation, root: string): FindingLocation | null {
  if (at.file === '') return null;
  const inside = isAbsolute(at.file) ? relative(root, at.file) : at.file;
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return null;
  return { file: inside.split(sep).join('/'), line: at.line, column: at.col };
}
