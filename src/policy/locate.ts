// Finding the repository root, the policy file and the built-in rules without loading the
// YAML parser or starting git, so a cached load (src/cli/load-cache.ts) never pays for them.
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const POLICY_FILE_NAMES = ['release-policy.yml', 'release-policy.yaml'] as const;

let cachedRulesDir: string | null = null;

/** The nearest folder at or above `dir` holding `.git` (a folder, or a file as in linked worktrees). */
export function findRepoRoot(dir: string): string | null {
  for (let current = resolve(dir); ; current = dirname(current)) {
    if (existsSync(join(current, '.git'))) return current;
    if (dirname(current) === current) return null;
  }
}

/**
 * The git directories of the work tree at `root`, read from disk without starting git: its
 * own (`.git`, or the folder a linked worktree's or submodule's `.git` file names) and the
 * common one shared by all worktrees (named by the own directory's `commondir`). Null when
 * `.git` is neither a folder nor such a file.
 */
export function gitDirsOnDisk(root: string): { gitDir: string; commonDir: string } | null {
  const dotGit = join(root, '.git');
  try {
    if (statSync(dotGit).isDirectory()) return { gitDir: dotGit, commonDir: dotGit };
    const target = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, 'utf8'))?.[1];
    if (!target) return null;
    const gitDir = resolve(root, target);
    const commonFile = join(gitDir, 'commondir');
    if (!existsSync(commonFile)) return { gitDir, commonDir: gitDir };
    return { gitDir, commonDir: resolve(gitDir, readFileSync(commonFile, 'utf8').trim()) };
  } catch {
    return null;
  }
}

/** A policy path that cannot be used: what it is and what to do, for the user (exit 2). */
export class PolicyFileProblem extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'PolicyFileProblem';
  }
}

/**
 * `release-policy.yml` (or `.yaml`) in `cwd` or a parent, up to the repository root and not
 * beyond. Outside a repository only `cwd` is searched, so a stray file in a home folder
 * never applies. The nearest folder holding either name decides: both names there, or a
 * name that is not a regular file (a folder, a FIFO, a dangling link), throws
 * PolicyFileProblem rather than being skipped, since skipping it would silently apply
 * another policy, or none.
 */
export function findPolicyFile(cwd: string): string | null {
  const start = resolve(cwd);
  const root = findRepoRoot(start);
  const folders = [start];
  for (let dir = start; root !== null && dir !== root; ) {
    dir = dirname(dir);
    folders.push(dir);
  }
  for (const folder of folders) {
    const present = POLICY_FILE_NAMES.map((name) => join(folder, name)).filter((file) => lstatSync(file, { throwIfNoEntry: false }));
    const [first, second] = present;
    if (first === undefined) continue;
    if (second !== undefined) {
      throw new PolicyFileProblem(
        `two policy files: ${first} and ${second}`,
        `keep one: merge them into ${POLICY_FILE_NAMES[0]} and delete ${POLICY_FILE_NAMES[1]} (only one is read)`,
      );
    }
    checkPolicyPath(first);
    return first;
  }
  return null;
}

/**
 * Throws PolicyFileProblem when `file` exists but is not a regular file (after following
 * links). Reading a FIFO would wait forever, and a folder or dangling link would otherwise
 * be reported as a missing policy. A path that does not exist at all passes: the reader
 * says "file not found".
 */
export function checkPolicyPath(file: string): void {
  const what = describeNonRegular(file);
  if (what === null) return;
  throw new PolicyFileProblem(`${file} ${what}`, 'the policy is a YAML file: replace this with the policy file, or pass --policy FILE');
}

/**
 * What `path` is when it is not a regular file, following symbolic links, e.g. "is a
 * directory", "is a FIFO, not a regular file", "is a symbolic link to X, which does not
 * exist"; null for a regular file (or a link to one) and for nothing at all.
 */
export function describeNonRegular(path: string): string | null {
  let entry: Stats | undefined;
  try {
    entry = lstatSync(path, { throwIfNoEntry: false });
  } catch {
    // ENOTDIR, EACCES on a parent: the reader reports it with its own words.
    return null;
  }
  if (!entry) return null;
  if (!entry.isSymbolicLink()) return entry.isFile() ? null : `is ${kindOf(entry)}`;
  let target = '';
  try {
    target = readlinkSync(path);
  } catch {
    target = '?';
  }
  let resolved: Stats | undefined;
  try {
    resolved = statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return `is a symbolic link to ${target}, which loops back on itself`;
    return `is a symbolic link to ${target}, which cannot be followed (${code ?? String(error)})`;
  }
  if (!resolved) return `is a symbolic link to ${target}, which does not exist`;
  return resolved.isFile() ? null : `is a symbolic link to ${target}, which is ${kindOf(resolved)}`;
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO, not a regular file';
  if (stats.isSocket()) return 'a socket, not a regular file';
  if (stats.isCharacterDevice()) return 'a character device, not a regular file';
  if (stats.isBlockDevice()) return 'a block device, not a regular file';
  return 'not a regular file';
}

/**
 * `<package root>/rules`. The package root is the first folder up from this module with a
 * package.json named release-policy, which holds from `src/policy/*.ts` (tests) and from
 * the single bundle `dist/cli.js` alike.
 */
export function builtInRulesDir(): string {
  if (cachedRulesDir) return cachedRulesDir;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (isPackageRoot(dir)) return (cachedRulesDir = join(dir, 'rules'));
    if (dirname(dir) === dir) break;
  }
  // Not found (an unusual install): loadRuleDirs reports this path as missing.
  return (cachedRulesDir = join(start, 'rules'));
}

function isPackageRoot(dir: string): boolean {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === 'release-policy';
  } catch {
    return false;
  }
}

