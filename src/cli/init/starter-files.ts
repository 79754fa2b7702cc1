// The files `policy init` writes, as text: a starter release-policy.yml and a GitHub Actions
// workflow. Pure: the command decides where they go and whether they may be written.
import { stringify } from 'yaml';
import type { DetectedPackage } from './detect-packages.js';

/** Where editors find the schema when release-policy is installed in the project (schema description). */
export const NODE_MODULES_SCHEMA = './node_modules/release-policy/schema/release-policy.schema.json';
/** The published copy, as the README's example uses it: for repositories without node_modules. */
export const PUBLISHED_SCHEMA = 'https://unpkg.com/release-policy/schema/release-policy.schema.json';
/** The maintainer loop's branch names, e.g. `codex/issue-334-bid-evaluation`; read-policy.ts's default. */
export const DEFAULT_BRANCH_PATTERN = '*issue-{issue}-*';
/** The maintainer loop's release notes at the repository root (maintainer-loop.md, step 6). */
export const DEFAULT_RELEASE_NOTES = 'RELEASE_v{version}.md';

/** `v{version}` for a single package; with several, each tag names its package. */
export function tagTemplate(pkg: { name: string }, packageCount: number): string {
  return packageCount === 1 ? 'v{version}' : `${pkg.name}-v{version}`;
}

/**
 * The default release-notes file: with several packages, each but the root one gets its own
 * name, so two packages releasing the same version never share (and overwrite) one file.
 */
export function releaseNotesTemplate(pkg: { name: string; manifest: string }, packageCount: number): string {
  const root = pkg.manifest === 'Cargo.toml' || pkg.manifest === 'package.json';
  return packageCount === 1 || root ? DEFAULT_RELEASE_NOTES : `RELEASE_${pkg.name.replace(/[^A-Za-z0-9._-]/g, '-')}_v{version}.md`;
}

/** A package as the starter policy lists it: detected, with what init learned or chose for it. */
export interface PolicyEntry extends DetectedPackage {
  /** Tag templates, the one explaining most tags first. */
  tags: string[];
  /** Why these templates: "learned from 12 tags" or "default: ...". */
  tagsWhy: string;
  releaseNotes: string;
  releaseNotesWhy: string;
}

/**
 * A YAML string written by the yaml library, double-quoted: names, tags and paths come from
 * the repository and may hold `:`, `#` or quotes, and a double-quoted scalar reads back as
 * the same text in block and flow context alike.
 */
export function yamlString(text: string): string {
  return stringify(text, { defaultStringType: 'QUOTE_DOUBLE', lineWidth: 0 }).trimEnd();
}

/** A YAML scalar: plain when that reads back as the same string, else quoted by the yaml library. */
function scalar(text: string): string {
  const plain = /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/.test(text) && !/^(true|false|null|yes|no|on|off|~|[-+]?[0-9.]+(e[-+]?[0-9]+)?)$/i.test(text);
  return plain ? text : yamlString(text);
}

/** `key: value` with its comment aligned, like the README's example. */
function line(indent: string, entry: string, comment: string): string {
  const text = `${indent}${entry}`;
  return `${text.padEnd(Math.max(36, text.length + 2))}# ${comment.replace(/[\r\n]+/g, ' ')}`;
}

export function renderStarterPolicy(input: {
  packages: PolicyEntry[];
  schema: string;
  /** Branch pattern and why (learned or the default). */
  branch: { pattern: string; why: string };
  /** `github: enforce: reopen`: check --gate ci reopens an issue closed while its release is blocked. */
  enforceReopen: boolean;
}): string {
  const { packages, schema } = input;
  const out = [
    `# yaml-language-server: $schema=${schema}`,
    '# Written by `policy init` from the manifests, tags, files and branches it found; check it, then commit it.',
    '# Every key is described in the README ("The policy file") and in the schema above.',
    line('', 'version: 1', 'format of this file; only 1 exists'),
    line('', 'extends: [recommended]', 'built-in rules at their own severity; [strict] makes all of them errors'),
    line('', 'packages:', 'what this repository publishes (publish = false and private ones left out)'),
  ];
  for (const pkg of packages) {
    out.push(line('  - ', `name: ${scalar(pkg.name)}`, `as ${pkg.ecosystem === 'cargo' ? 'crates.io' : 'npm'} knows it`));
    out.push(line('    ', `ecosystem: ${pkg.ecosystem}`, 'cargo or npm'));
    out.push(line('    ', `manifest: ${scalar(pkg.manifest)}`, 'holds the version; path from the repository root'));
    if (pkg.registry) out.push(line('    ', `registry: ${scalar(pkg.registry)}`, 'from the manifest\'s publish = [...]'));
    const [first = 'v{version}', ...others] = pkg.tags;
    if (others.length > 0) out.push(line('    ', `tag: [${pkg.tags.map(yamlString).join(', ')}]`, `release tags, new ones use the first; ${pkg.tagsWhy}`));
    else out.push(line('    ', `tag: ${yamlString(first)}`, `release tag; ${pkg.tagsWhy}`));
    out.push(line('    ', `releaseNotes: ${yamlString(pkg.releaseNotes)}`, `release notes file; ${pkg.releaseNotesWhy}`));
  }
  out.push(
    line('', 'issues:', 'how branch names carry the issue they work on'),
    line('  ', `branch: ${yamlString(input.branch.pattern)}`, `${input.branch.why}; a list is allowed`),
  );
  if (input.enforceReopen) {
    out.push(
      line('', 'github:', 'the GitHub connection'),
      line('  ', 'enforce: reopen', 'the ci gate reopens an issue closed while its release is blocked'),
    );
  }
  return `${out.join('\n')}\n`;
}

/**
 * A GitHub push filter for a tag template: `{version}` becomes `*` (a version has no `/`),
 * and the filter pattern characters (`* ? + [ ] !`) of the literal text are escaped with `\`
 * (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#filter-pattern-cheat-sheet).
 */
export function tagFilter(template: string): string {
  return template
    .split('{version}')
    .map((literal) => literal.replace(/[*?+[\]!\\]/g, (char) => `\\${char}`))
    .join('*');
}

/**
 * The `uses:` of an action: `owner/repo[/path]@ref`, or `./path` for an action in the
 * repository itself; anything else GitHub refuses when the workflow runs, so init refuses it now.
 */
export const ACTION_REF = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*@[A-Za-z0-9._+\/-]+|\.\/(?:[A-Za-z0-9._-]+\/?)*)$/;

export function isActionRef(ref: string): boolean {
  return ACTION_REF.test(ref) && !ref.split(/[/@]/).includes('..');
}

/** Where the action writes its SARIF when the workflow uploads it. */
export const SARIF_FILE = 'release-policy.sarif';

export function renderWorkflow(input: {
  /** Tag templates of the policy's packages. */
  tags: string[];
  /** The action's `policy` input, when the policy is not release-policy.yml at the root. */
  policyArg: string;
  /** The action, `owner/repo[/path]@ref` or `./path`. */
  actionRef: string;
  /** Upload the action's SARIF to code scanning (needs `security-events: write`). */
  sarif: boolean;
  /** The policy has `github: enforce: reopen`: the action reopens issues (`issues: write`). */
  enforceReopen: boolean;
}): string {
  const filters = [...new Set(input.tags.map(tagFilter))];
  const withInputs = [
    ...(input.policyArg === '' ? [] : [`          policy: ${yamlString(input.policyArg)}`]),
    ...(input.sarif ? [`          sarif: ${SARIF_FILE}`] : []),
  ];
  const upload = input.sarif
    ? `      # Findings on the files they are about, in the Security tab; also when the check failed.
      - name: Upload SARIF
        if: always() && steps.policy.outputs.sarif != ''
        uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: \${{ steps.policy.outputs.sarif }}
`
    : '';
  return `# Written by \`policy init\`: runs the release policy's checks in CI (README: "policy init").
# The action picks the checks from the event: a tag push checks that tag, a branch push the
# pushed commits, a pull request its range, a closed or reopened issue its release's state,
# and the daily and manual runs sweep every tag.
name: release-policy

on:
  push:
    branches: ['**']
    # Release tags, from the tag templates in the policy.
    tags: [${filters.map(yamlString).join(', ')}]
  pull_request:
  issues:
    types: [closed, reopened]
  # GitHub creates no push event for tags when more than three tags are pushed at once, so a
  # daily run checks the tags that arrived that way (and versions that drifted meanwhile).
  schedule:
    - cron: '23 5 * * *'
  workflow_dispatch:

permissions:
  contents: read
  # ${input.enforceReopen ? 'write: the policy has github.enforce: reopen, so the check reopens an issue closed too early' : 'read: the check reads the release issue; github.enforce: reopen would need write'}
  issues: ${input.enforceReopen ? 'write' : 'read'}${input.sarif ? '\n  # write: the SARIF upload to code scanning\n  security-events: write' : ''}

jobs:
  release-policy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          # The rules read the history (each version change along the branch) and every tag;
          # the default shallow clone holds one commit and no tags.
          fetch-depth: 0
      - name: release-policy
        id: policy
        uses: ${input.actionRef}${withInputs.length > 0 ? `\n        with:\n${withInputs.join('\n')}` : ''}
${upload}`;
}
