// What the release commands (`run`, `status`, `comment`, `decide`, `gate`) share: the
// package under release, its version in the working tree, the branch's issue, and the
// journal with the release state folded from it.
import { join } from 'node:path';
import { collectFacts } from '../facts/collect.js';
import { packageNameMismatch, readCargoManifest } from '../facts/manifest.js';
import { policyPlace } from '../facts/sources.js';
import { findRepoRoot } from '../policy/locate.js';
import { readRegularText } from '../fs/read-regular.js';
import { describeJournalProblems, type JournalContents, type JournalProblem } from '../facts/journal.js';
import { openJournal, releaseState } from '../facts/release.js';
import { didYouMean } from '../policy/did-you-mean.js';
import type { PackageConfig } from '../policy/model.js';
import type { ReleaseState } from '../release/model.js';
import { isValidVersion } from '../version/semver.js';
import { UsageError, type CliContext } from './context.js';
import { describeIoError } from './io-error.js';
import { loadPolicy, locatePolicy, resolveCwd, type LoadedPolicy } from './load.js';

export interface ReleaseScene {
  cwd: string;
  /** The command's environment (ctx.env), for the git the collectors start. */
  env: NodeJS.ProcessEnv;
  loaded: LoadedPolicy;
  pkg: PackageConfig;
  journal: { path: string; contents: JournalContents };
  state: ReleaseState;
}

export interface WorkTree {
  /** The package's version in the working tree; "" when the manifest cannot be read. */
  version: string;
  manifestError: string;
  branch: string;
  /** The issue the branch names by issues.branch; 0 for none. */
  branchIssue: number;
  head: string;
}

/**
 * The policy, the package (`--package`, else the journal's last package, else the only or
 * first package of the policy), the journal and the release state of that package.
 */
export async function readScene(
  ctx: CliContext,
  values: Record<string, unknown>,
  guess: (packages: PackageConfig[]) => PackageConfig | null = () => null,
): Promise<ReleaseScene> {
  const cwd = resolveCwd(ctx, values.cwd);
  const loaded = await loadPolicy(locatePolicy(cwd, values.policy), ctx.toolVersion);
  const packages = loaded.policy.packages;
  let journal: ReleaseScene['journal'];
  try {
    journal = await openJournal(cwd, ctx.env);
  } catch (error) {
    // A full disk, a permission or a symbolic link is said as such by the caller (src/cli/main.ts).
    if (describeIoError(error) !== null && (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new UsageError(`cannot open the release journal: ${(error as Error).message}`, 'Run the command inside the git repository the policy belongs to.');
  }
  let pkg: PackageConfig | null;
  if (typeof values.package === 'string') pkg = namedPackage(packages, values.package);
  else {
    const last = journal.contents.events.at(-1)?.package;
    pkg = guess(packages) ?? packages.find((p) => p.name === last) ?? packages[0] ?? null;
  }
  if (pkg === null) throw new UsageError('the policy names no package', 'List the package under `packages:` in release-policy.yml.');
  checkPackageName(cwd, pkg);
  const state = releaseState(journal.contents, { package: pkg.name, defaultPackage: pkg.name, ecosystem: pkg.ecosystem, journalFile: journal.path });
  return { cwd, env: ctx.env, loaded, pkg, journal, state };
}

/**
 * A package whose Cargo.toml declares another crate is exit 2 naming both, before any step
 * is recorded: `cargo publish` uploads the manifest's crate, while the journal, `verify` and
 * the gates would ask about the policy's name. A manifest that cannot be read or parsed is
 * left to the commands that need its version (and to `manifest-valid`).
 */
function checkPackageName(cwd: string, pkg: PackageConfig): void {
  const root = findRepoRoot(cwd);
  if (pkg.ecosystem !== 'cargo' || root === null) return;
  const file = join(root, pkg.manifest);
  const text = readRegularText(file);
  if (text === null) return;
  const manifest = readCargoManifest(text, pkg.manifest);
  if (typeof manifest === 'string') return;
  const problem = packageNameMismatch(manifest, pkg.manifest, pkg.name, policyPlace(root, pkg));
  if (problem) {
    throw new UsageError(problem, `cargo publishes the crate ${pkg.manifest} names; set the package's \`name:\` in the policy to "${manifest.name}", or rename the crate`);
  }
}

function namedPackage(packages: PackageConfig[], name: string): PackageConfig {
  const found = packages.find((p) => p.name === name);
  if (found) return found;
  const suggestion = didYouMean(name, packages.map((p) => p.name));
  throw new UsageError(
    `--package ${name}: the policy names no such package${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
    `Packages: ${packages.map((p) => p.name).join(', ')}.`,
  );
}

/** The package's version in the working tree, the branch, its issue and HEAD. */
export async function readWorkTree(scene: ReleaseScene): Promise<WorkTree> {
  const { facts, unavailable } = await collectFacts({
    cwd: scene.cwd,
    env: scene.env,
    packages: [scene.pkg],
    defaultBranch: scene.loaded.policy.defaultBranch,
    needs: ['packages', 'repo'],
    gate: { name: 'run', arg: '' },
    issuePatterns: scene.loaded.policy.issues.branch,
  });
  if (facts.repo === undefined || facts.packages === undefined) {
    const reason = unavailable.repo ?? unavailable.packages ?? 'unknown reason';
    throw new UsageError(`cannot read the repository: ${reason}`);
  }
  const pkg = facts.packages[0];
  return {
    version: pkg?.manifestError ? '' : (pkg?.version ?? ''),
    manifestError: pkg?.manifestError ?? '',
    branch: facts.repo.branch,
    branchIssue: facts.repo.issue,
    head: facts.repo.head,
  };
}

/** A positive issue number from a flag or argument. */
export function parseIssue(what: string, value: string): number {
  const number = /^#?\d+$/.test(value) ? Number(value.replace('#', '')) : NaN;
  if (!Number.isSafeInteger(number) || number <= 0) {
    throw new UsageError(`${what} must be an issue number such as 7, got "${value}"`);
  }
  return number;
}

/** A SemVer version from a flag or argument; a leading `v` (`v0.2.1`) is dropped. */
export function parseVersion(what: string, value: string): string {
  const version = value.replace(/^v(?=\d)/, '');
  if (!isValidVersion(version)) throw new UsageError(`${what}: not a SemVer version such as 0.2.1`);
  return version;
}

/** Journals already warned about, per command run: a command that reads the journal twice names its lines once. */
const warned = new WeakMap<CliContext, Set<string>>();

/**
 * Journal lines that did not count, as warnings on standard error (they are kept in the
 * file). Every command that reads the journal calls this: `run`, `status`, `comment`,
 * `decide`, `verify` with their scene, `check`, `gate`, `hook` and `facts` with the release fact.
 */
export function warnJournalProblems(
  ctx: CliContext,
  journal: Pick<ReleaseScene, 'journal'> | { path: string; problems: readonly JournalProblem[] },
): void {
  const { path, problems } = 'journal' in journal
    ? { path: journal.journal.path, problems: journal.journal.contents.problems }
    : journal;
  if (problems.length === 0) return;
  const seen = warned.get(ctx) ?? new Set<string>();
  warned.set(ctx, seen);
  if (seen.has(path)) return;
  seen.add(path);
  for (const line of describeJournalProblems(path, problems)) ctx.stderr(`policy: warning: ${line}\n`);
}
