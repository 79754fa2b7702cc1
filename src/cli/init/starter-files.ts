// The files `policy init` writes, as text: a starter release-policy.yml and a GitHub Actions
// workflow. Pure: the command decides where they go and whether they may be written.
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
export function tagTemplate(pkg: DetectedPackage, packageCount: number): string {
  return packageCount === 1 ? 'v{version}' : `${pkg.name}-v{version}`;
}

/** A YAML scalar: plain when that reads back as the same string, else double-quoted (JSON is valid YAML). */
function scalar(text: string): string {
  const plain = /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/.test(text) && !/^(true|false|null|yes|no|on|off|~|[-+]?[0-9.]+(e[-+]?[0-9]+)?)$/i.test(text);
  return plain ? text : JSON.stringify(text);
}

/** `key: value` with its comment aligned, like the README's example. */
function line(indent: string, entry: string, comment: string): string {
  const text = `${indent}${entry}`;
  return `${text.padEnd(Math.max(36, text.length + 2))}# ${comment}`;
}

export function renderStarterPolicy(input: { packages: DetectedPackage[]; schema: string }): string {
  const { packages, schema } = input;
  const several = packages.length > 1;
  const out = [
    `# yaml-language-server: $schema=${schema}`,
    '# Written by `policy init` from the manifests it found; check the packages, then commit it.',
    '# Every key is described in the README ("The policy file") and in the schema above.',
    line('', 'version: 1', 'format of this file; only 1 exists'),
    line('', 'extends: [recommended]', 'built-in rules at their own severity; [strict] makes all of them errors'),
    line('', 'packages:', 'what this repository publishes (publish = false and private ones left out)'),
  ];
  if (several) {
    out.push(
      '  # Several packages: each tag names its package. If one package owns the plain',
      '  # v<version> tags already in use, give it tag: "v{version}" (tags must stay distinct).',
    );
  }
  for (const pkg of packages) {
    out.push(line('  - ', `name: ${scalar(pkg.name)}`, `as ${pkg.ecosystem === 'cargo' ? 'crates.io' : 'npm'} knows it`));
    out.push(line('    ', `ecosystem: ${pkg.ecosystem}`, 'cargo or npm'));
    out.push(line('    ', `manifest: ${scalar(pkg.manifest)}`, 'holds the version; path from the repository root'));
    if (pkg.registry) out.push(line('    ', `registry: ${scalar(pkg.registry)}`, 'from the manifest\'s publish = [...]'));
    out.push(line('    ', `tag: ${JSON.stringify(tagTemplate(pkg, packages.length))}`, 'release tag; {version} is the manifest\'s version'));
    out.push(line('    ', `releaseNotes: ${JSON.stringify(DEFAULT_RELEASE_NOTES)}`, 'release notes file, from the repository root'));
  }
  out.push(
    line('', 'issues:', 'how branch names carry the issue they work on'),
    line('  ', `branch: ${JSON.stringify(DEFAULT_BRANCH_PATTERN)}`, 'e.g. codex/issue-334-bid-evaluation; a list is allowed'),
  );
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

const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;

export function renderWorkflow(input: {
  /** Tag templates of the policy's packages. */
  tags: string[];
  /** `--policy FILE` to pass, when the policy is not release-policy.yml at the root. */
  policyArg: string;
  /** `release-policy@X.Y.Z` so that CI runs the version that wrote the policy, or `release-policy`. */
  packageSpec: string;
}): string {
  const filters = [...new Set(input.tags.map(tagFilter))];
  const policyPath = /^[\w./@+-]+$/.test(input.policyArg) ? input.policyArg : `'${input.policyArg.replace(/'/g, `'\\''`)}'`;
  const policy = input.policyArg === '' ? '' : ` --policy ${policyPath}`;
  const command = `npx --yes ${input.packageSpec} check${policy}`;
  return `# Written by \`policy init\`: runs the release policy's checks in CI (README: "policy init").
name: release-policy

on:
  push:
    branches: ['**']
    # Release tags, from the tag templates in the policy.
    tags: [${filters.map(quote).join(', ')}]
  pull_request:
  # GitHub creates no push event for tags when more than three tags are pushed at once, so a
  # daily run checks the tags that arrived that way (and versions that drifted meanwhile).
  schedule:
    - cron: '23 5 * * *'
  workflow_dispatch:

permissions:
  contents: read

jobs:
  release-policy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          # The rules read the history (each version change along the branch) and every tag;
          # the default shallow clone holds one commit and no tags.
          fetch-depth: 0
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      # The review gate walks the pull request's own first-parent history; this version of
      # \`policy check\` takes no --base, so none is passed.
      - name: policy check --gate review
        if: github.event_name == 'pull_request'
        run: ${command} --gate review --format github
      - name: policy check --gate ci
        if: github.event_name != 'pull_request'
        run: ${command} --gate ci --format github
`;
}
