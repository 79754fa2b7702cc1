// Finding the repository root, the policy file and the built-in rules without loading the
// YAML parser or starting git, so a cached load (src/cli/load-cache.ts) never pays for them.
import { existsSync, readFileSync, statSync } from 'node:fs';
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

/**
 * `release-policy.yml` (or `.yaml`) in `cwd` or a parent, up to the repository root and not
 * beyond. Outside a repository only `cwd` is searched, so a stray file in a home folder
 * never applies.
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
    for (const name of POLICY_FILE_NAMES) {
      const file = join(folder, name);
      if (existsSync(file) && statSync(file).isFile()) return file;
    }
  }
  return null;
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

