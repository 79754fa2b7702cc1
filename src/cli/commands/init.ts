// `policy init`: detect the publishable packages, write a starter release-policy.yml and a
// CI workflow, install the git hooks. Exit 0 written, 1 written but hooks not installed,
// 2 usage error, nothing publishable found, or a file that is there already.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { git } from '../../facts/git.js';
import { installHooks, type HookManager, type InstallReport, type InstallRequest } from '../../hooks/install.js';
import { POLICY_FILE_NAMES, findRepoRoot } from '../../policy/locate.js';
import { plural } from '../../report/summary.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { UsageError, type CliContext } from '../context.js';
import { detectPackages, type Detection } from '../init/detect-packages.js';
import { learnRepository, type Learned, type RepositoryHistory } from '../init/learn-repository.js';
import {
  DEFAULT_BRANCH_PATTERN,
  NODE_MODULES_SCHEMA,
  PUBLISHED_SCHEMA,
  isActionRef,
  releaseNotesTemplate,
  renderStarterPolicy,
  renderWorkflow,
  tagTemplate,
  type PolicyEntry,
} from '../init/starter-files.js';
import { resolveCwd } from '../load.js';
import { hookSettings } from './hooks.js';

export const INIT_HELP = `Usage: policy init [--force] [--dry-run] [--manager git|husky] [--no-hooks] [--no-workflow]
                   [--action-ref REF] [--sarif] [--enforce-reopen]

Sets a repository up for release-policy, from its root (the folder holding .git):

  1. finds the publishable packages: the root Cargo.toml's [package] and its [workspace]
     members (globs expanded, \`exclude\` honoured), the root package.json and its
     workspaces; a crate with \`publish = false\` or \`publish = []\`, a package.json that
     is "private" or has no "name" is left out; node_modules and target are not searched
  2. learns from the repository: per package the tag template that explains most of the
     existing tags (\`git tag -l\`), the release-notes naming of files with a version in
     their name, the issue pattern of the branch names; says what it learned, and which
     default it chose for the rest (tag v{version} for one package, <name>-v{version} for
     several; release notes RELEASE_v{version}.md; branches *issue-{issue}-*)
  3. writes release-policy.yml listing them
  4. writes .github/workflows/release-policy.yml, which runs the release-policy action on
     pushes, release tags, pull requests, closed and reopened issues, daily and by hand
     (kept when it exists, unless --force)
  5. installs the git hooks, as \`policy hooks install\` does

Options:
  --force          overwrite release-policy.yml and the workflow when they exist
  --dry-run        print what would be written, the files' text included; write nothing
  --manager M      git or husky (default: husky when package.json depends on husky, else git)
  --no-hooks       do not install the hooks
  --no-workflow    do not write the workflow
  --action-ref REF the action the workflow uses: owner/repo[/path]@ref or ./path
                   (default release-policy/release-policy@v<this version>)
  --sarif          the workflow uploads the action's SARIF to code scanning
                   (adds security-events: write)
  --enforce-reopen the policy gets github.enforce: reopen, the workflow issues: write
  --policy FILE    write the policy to FILE instead of release-policy.yml at the root
  --cwd DIR        run as if started in DIR
  --debug          print stack traces for internal errors

Exit codes: 0 written, 1 written but the hooks could not be installed, 2 usage error,
no publishable package found, or release-policy.yml exists (without --force).
`;

const OPTIONS = {
  force: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  manager: { type: 'string' },
  'no-hooks': { type: 'boolean' },
  'no-workflow': { type: 'boolean' },
  'action-ref': { type: 'string' },
  sarif: { type: 'boolean' },
  'enforce-reopen': { type: 'boolean' },
} as const;

const MANAGERS = ['git', 'husky'] as const satisfies readonly HookManager[];
const WORKFLOW_FILE = '.github/workflows/release-policy.yml';
const SCHEMA_LINE = /^# yaml-language-server: \$schema=(\S+)/;

interface Planned {
  path: string;
  text: string;
  /** Kept as it is: it exists and --force was not given. */
  kept: boolean;
}

export async function runInit(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('init', argv, OPTIONS);
  if (values.help) {
    ctx.stdout(INIT_HELP);
    return 0;
  }
  const force = values.force === true;
  const dryRun = values['dry-run'] === true;
  const withHooks = values['no-hooks'] !== true;
  if (!withHooks && values.manager !== undefined) throw new UsageError('--manager and --no-hooks contradict each other', 'Give one of them.');
  const cwd = resolveCwd(ctx, values.cwd);
  const root = findRepoRoot(cwd);
  if (root === null) throw new UsageError(`${cwd} is not inside a git work tree (no .git found from here up)`, 'Run `git init` first, or pass --cwd DIR.');
  const actionRef = typeof values['action-ref'] === 'string' ? values['action-ref'] : `release-policy/release-policy@v${ctx.toolVersion}`;
  if (!isActionRef(actionRef)) {
    throw new UsageError(
      `--action-ref "${actionRef}" is not an action reference`,
      'Give owner/repo@ref or owner/repo/path@ref (e.g. release-policy/release-policy@v1), or ./path for an action in this repository.',
    );
  }
  const withWorkflow = values['no-workflow'] !== true;
  if (!withWorkflow && (values['action-ref'] !== undefined || values.sarif === true)) {
    throw new UsageError('--action-ref and --sarif shape the workflow, which --no-workflow leaves out', 'Give one or the other.');
  }
  const enforceReopen = values['enforce-reopen'] === true;
  const manager = withHooks ? (values.manager === undefined ? defaultManager(root) : oneOf('manager', String(values.manager), MANAGERS)) : null;

  const policyFile = targetPolicyFile(root, cwd, values.policy);
  const existing = existsSync(policyFile) ? readFileSync(policyFile, 'utf8') : null;
  if (existing !== null && !force) {
    throw new UsageError(`${show(root, policyFile)} exists already; policy init does not overwrite it`, 'Pass --force to replace it with a new starter policy.');
  }
  const detection = detectPackages(root);
  if (detection.packages.length === 0) throw nothingFound(root, detection);

  const history = await readHistory(root, ctx.env);
  const learned = learnRepository(detection.packages, history);
  const entries = policyEntries(detection, learned);
  const branch = learned.branch
    ? { pattern: learned.branch.pattern, why: `learned from ${learned.branch.count} branch names` }
    : { pattern: DEFAULT_BRANCH_PATTERN, why: 'default, e.g. codex/issue-334-bid-evaluation' };
  const policyText = await loadableStarterPolicy(policyFile, {
    packages: entries,
    schema: schemaFor(root, policyFile, existing),
    branch,
    enforceReopen,
  });
  const planned: Planned[] = [{ path: policyFile, text: policyText, kept: false }];
  if (withWorkflow) {
    const workflowFile = join(root, WORKFLOW_FILE);
    planned.push({
      path: workflowFile,
      text: renderWorkflow({
        tags: entries.flatMap((entry) => entry.tags),
        policyArg: policyArgument(root, policyFile),
        actionRef,
        sarif: values.sarif === true,
        enforceReopen,
      }),
      kept: existsSync(workflowFile) && !force,
    });
  }

  ctx.stdout(describeDetection(root, detection));
  ctx.stdout(describeLearned(entries, learned, branch, history));
  if (dryRun) {
    ctx.stdout(describeDryRun(root, planned, manager));
    return 0;
  }
  for (const file of planned.filter((p) => !p.kept)) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.text);
  }
  const lines = ['', 'Wrote:', ...planned.filter((p) => !p.kept).map((p) => `  ${show(root, p.path)}`)];
  for (const file of planned.filter((p) => p.kept)) lines.push(`Kept ${show(root, file.path)} (it exists; --force replaces it)`);
  let hookError = '';
  if (manager !== null) {
    const installed = await installOrExplain(root, ctx.env, manager, await hookSettings(ctx, policyFile));
    if (typeof installed === 'string') hookError = installed;
    else lines.push(...describeHooks(root, installed));
    // The hooks find their policy by name, from the work tree up (policy/locate.ts).
    if (!isDefaultPolicy(root, policyFile)) lines.push(`  note: the hooks look for release-policy.yml, not ${show(root, policyFile)}`);
  }
  lines.push(...nextSteps(root, planned, cwd, policyFile, manager === null ? 'skipped' : hookError === '' ? 'installed' : 'failed'));
  ctx.stdout(`${lines.join('\n')}\n`);
  if (hookError === '') return 0;
  ctx.stderr(`policy: the hooks were not installed: ${hookError}\n  hint: fix that, then run \`policy hooks install${manager === 'git' ? '' : ` --manager ${manager}`}\`.\n`);
  return 1;
}

/** --policy FILE, else the policy file at the root: the existing one (.yml or .yaml) or release-policy.yml. */
function targetPolicyFile(root: string, cwd: string, flag: unknown): string {
  if (typeof flag === 'string') return resolve(cwd, flag);
  const present = POLICY_FILE_NAMES.map((name) => join(root, name)).find((file) => existsSync(file));
  return present ?? join(root, POLICY_FILE_NAMES[0]);
}

/** husky when the root package.json depends on it: its hooks folder replaces .git/hooks there. */
function defaultManager(root: string): HookManager {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
    const depends = (field: string): boolean => {
      const deps = pkg[field];
      return typeof deps === 'object' && deps !== null && 'husky' in deps;
    };
    return depends('dependencies') || depends('devDependencies') ? 'husky' : 'git';
  } catch {
    return 'git';
  }
}

/**
 * The schema comment: the one the replaced file had, else the copy in node_modules when the
 * project installs release-policy, else the published copy (a Cargo-only repository has no
 * node_modules, and `npx` leaves none behind).
 */
function schemaFor(root: string, policyFile: string, existing: string | null): string {
  const kept = existing === null ? null : SCHEMA_LINE.exec(existing.replace(/^\uFEFF/, ''))?.[1];
  if (kept) return kept;
  if (dependsOnReleasePolicy(root) || existsSync(join(root, 'node_modules', 'release-policy', 'schema'))) {
    const fromPolicy = relative(dirname(policyFile), join(root, NODE_MODULES_SCHEMA)).split(sep).join('/');
    return fromPolicy.startsWith('.') ? fromPolicy : `./${fromPolicy}`;
  }
  return PUBLISHED_SCHEMA;
}

function dependsOnReleasePolicy(root: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, unknown> | undefined>;
    return ['dependencies', 'devDependencies'].some((field) => typeof pkg[field] === 'object' && pkg[field] !== null && 'release-policy' in pkg[field]);
  } catch {
    return false;
  }
}

/** The starter policy, checked as `policy check` loads it: a problem here is a bug in init. */
async function loadableStarterPolicy(file: string, input: Parameters<typeof renderStarterPolicy>[0]): Promise<string> {
  const { readPolicy } = await import('../../policy/read-policy.js');
  const text = renderStarterPolicy(input);
  const { diagnostics } = readPolicy(file, text);
  if (diagnostics.length > 0) {
    throw new Error(`the starter policy does not validate: ${diagnostics.map((d) => `${d.line}:${d.col} ${d.key}: ${d.message}`).join('; ')}`);
  }
  return text;
}

/**
 * Tags, branch names and files, the material init learns from. A repository without commits
 * has no branches yet; git failing here leaves the defaults, said in the output.
 */
async function readHistory(root: string, env: NodeJS.ProcessEnv): Promise<RepositoryHistory & { problems: string[] }> {
  const problems: string[] = [];
  const read = async (args: string[], what: string): Promise<string> => {
    try {
      return await git(root, env, args);
    } catch (error) {
      problems.push(`could not read ${what}: ${(error as Error).message}`);
      return '';
    }
  };
  const tags = (await read(['tag', '-l'], 'the tags')).split('\n').filter((t) => t !== '');
  const refs = (await read(['for-each-ref', '--format=%(refname)', 'refs/heads', 'refs/remotes'], 'the branches')).split('\n');
  const branches = refs.flatMap((ref) => {
    if (ref.startsWith('refs/heads/')) return [ref.slice('refs/heads/'.length)];
    const remote = /^refs\/remotes\/[^/]+\/(.+)$/.exec(ref)?.[1];
    return remote && remote !== 'HEAD' ? [remote] : [];
  });
  const files = (await read(['ls-files', '-z', '--cached', '--others', '--exclude-standard'], 'the files')).split('\0').filter((f) => f !== '');
  return { tags, branches: [...new Set(branches)], files, problems };
}

/** Each package with the tags and release notes learned for it, or the defaults. */
function policyEntries(detection: Detection, learned: Learned): PolicyEntry[] {
  const count = detection.packages.length;
  return detection.packages.map((pkg) => {
    const found = learned.packages.get(pkg.name);
    const learnedTags = found?.tags.length ? found.tags : null;
    const tags = learnedTags ?? [tagTemplate(pkg, count)];
    const tagsWhy = learnedTags
      ? `learned from ${plural(found?.tagCounts.reduce((a, b) => a + b, 0) ?? 0, 'existing tag')}`
      : `default (no tag of this package found); {version} is the manifest's version`;
    const notes = found?.releaseNotes ?? '';
    return {
      ...pkg,
      tags,
      tagsWhy,
      releaseNotes: notes === '' ? releaseNotesTemplate(pkg, count) : notes,
      releaseNotesWhy: notes === '' ? 'default (no file with a version in its name found)' : `learned from ${found?.releaseNotesFrom ?? ''}`,
    };
  });
}

function describeLearned(
  entries: PolicyEntry[],
  learned: Learned,
  branch: { pattern: string; why: string },
  history: RepositoryHistory & { problems: string[] },
): string {
  const lines = ['', `Learned from the repository (${plural(history.tags.length, 'tag')}, ${plural(history.branches.length, 'branch name')}):`];
  const defaults: string[] = [];
  for (const entry of entries) {
    const found = learned.packages.get(entry.name);
    if (found && found.tags.length > 0) {
      const counts = found.tags.map((template, index) => `${template} (${plural(found.tagCounts[index] ?? 0, 'tag')})`);
      lines.push(`  ${entry.name}: tag ${counts.join(', ')}`);
    } else defaults.push(`${entry.name}: tag ${entry.tags[0] ?? ''} (no existing tag of it)`);
    if (found && found.releaseNotes !== '') lines.push(`  ${entry.name}: releaseNotes ${found.releaseNotes} (from ${found.releaseNotesFrom})`);
    else defaults.push(`${entry.name}: releaseNotes ${entry.releaseNotes} (no release-notes file with a version in its name)`);
  }
  if (learned.branch) lines.push(`  issues.branch ${branch.pattern} (${plural(learned.branch.count, 'branch', 'branches')} follow it)`);
  else defaults.push(`issues.branch ${branch.pattern} (no pattern followed by 2 branch names or more)`);
  if (lines.length === 2) lines.push('  nothing');
  if (learned.unexplained.length > 0) {
    const examples = learned.unexplained.slice(0, 5).map((tag) => JSON.stringify(tag)).join(', ');
    lines.push(`${plural(learned.unexplained.length, 'tag')} no template explains, e.g. ${examples}${learned.unexplained.length > 5 ? ', ...' : ''}`);
  }
  if (learned.ambiguousBareTags) {
    lines.push(
      `${plural(learned.ambiguousBareTags.count, 'tag')} v{version}: ambiguous which package owns them ` +
        `(no package at the root, and not exactly one whose version is the newest such tag's; could be ${learned.ambiguousBareTags.candidates.join(', ')}); ` +
        'give that package tag: "v{version}"',
    );
  }
  for (const changelog of learned.changelogs) lines.push(`${changelog}: one file for all releases, not per-release notes (no version in its name)`);
  for (const problem of history.problems) lines.push(`Problem: ${problem}`);
  for (const choice of defaults) lines.push(`default chosen: ${choice}`);
  return `${lines.join('\n')}\n`;
}


/** `--policy FILE` for the workflow's commands when the policy is not found on its own. */
function policyArgument(root: string, policyFile: string): string {
  if (dirname(policyFile) === root && (POLICY_FILE_NAMES as readonly string[]).includes(policyFile.slice(root.length + 1))) return '';
  const path = relative(root, policyFile).split(sep).join('/');
  return path.startsWith('..') || isAbsolute(path) ? '' : path;
}

function nothingFound(root: string, detection: Detection): UsageError {
  const lines = [`no publishable package found in ${root}`, `  searched: ${detection.searched.join('; ')}`];
  for (const skipped of detection.skipped) lines.push(`  left out: ${skipped.manifest} (${skipped.reason})`);
  for (const problem of detection.problems) lines.push(`  problem: ${problem}`);
  return new UsageError(
    lines.join('\n'),
    'write release-policy.yml by hand: `version: 1`, then `packages:` with `- name: <crate>` and ' +
      '`manifest: <path/to/Cargo.toml>` (README, "The policy file"); or allow publishing in a manifest and run `policy init` again.',
  );
}

function describeDetection(root: string, detection: Detection): string {
  const count = detection.packages.length;
  const lines = [`Found ${count} publishable package${count === 1 ? '' : 's'} in ${root}:`];
  for (const pkg of detection.packages) lines.push(`  ${pkg.name} (${pkg.ecosystem}, ${pkg.manifest})`);
  for (const skipped of detection.skipped) lines.push(`Left out ${skipped.manifest}: ${skipped.reason}`);
  for (const problem of detection.problems) lines.push(`Problem: ${problem}`);
  return `${lines.join('\n')}\n`;
}

function describeDryRun(root: string, planned: Planned[], manager: HookManager | null): string {
  const lines = ['', 'Dry run: nothing written.'];
  for (const file of planned) {
    if (file.kept) {
      lines.push('', `Would keep ${show(root, file.path)} (it exists; --force replaces it)`);
      continue;
    }
    lines.push('', `Would write ${show(root, file.path)}:`, file.text.trimEnd());
  }
  lines.push('', manager === null ? 'Would not install hooks (--no-hooks).' : `Would install the hooks (--manager ${manager}).`);
  return `${lines.join('\n')}\n`;
}

async function installOrExplain(root: string, env: NodeJS.ProcessEnv, manager: HookManager, settings: InstallRequest['settings']): Promise<InstallReport | string> {
  try {
    return await installHooks({ root, env, manager, settings });
  } catch (error) {
    return (error as Error).message ?? String(error);
  }
}

function describeHooks(root: string, report: InstallReport): string[] {
  const lines = [`Hooks (${report.manager}, in ${show(root, report.hooksDir)}):`];
  for (const file of report.written) lines.push(`  ${show(root, file)}`);
  for (const file of report.chained) lines.push(`  kept ${show(root, file)}: it runs after ours`);
  for (const note of report.notes) lines.push(`  note: ${note}`);
  return lines;
}

function nextSteps(root: string, planned: Planned[], cwd: string, policyFile: string, hooks: 'installed' | 'failed' | 'skipped'): string[] {
  const written = planned.filter((p) => !p.kept).map((p) => relative(cwd, p.path).split(sep).join('/') || '.');
  const policyFlag = isDefaultPolicy(root, policyFile) ? '' : ` --policy ${relative(cwd, policyFile).split(sep).join('/')}`;
  const steps = [
    [`git add ${written.join(' ')}`, `commit them, once the packages in ${show(root, policyFile)} are right`],
    [`policy check${policyFlag}`, 'the ci gate, as the workflow runs it'],
    hooks === 'installed'
      ? ['policy hooks doctor', 'whether the hooks run in this worktree']
      : ['policy hooks install', hooks === 'failed' ? 'once the problem with the hooks is fixed' : 'when you want the git hooks'],
  ] as const;
  const width = Math.max(...steps.map(([command]) => command.length)) + 3;
  return ['', 'Next steps:', ...steps.map(([command, why], index) => `  ${index + 1}. ${command.padEnd(width)}${why}`)];
}

function isDefaultPolicy(root: string, policyFile: string): boolean {
  return POLICY_FILE_NAMES.some((name) => join(root, name) === policyFile);
}

/** A path as the user reads it: relative to the root when inside it. */
function show(root: string, path: string): string {
  const rel = relative(root, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel.split(sep).join('/');
}
