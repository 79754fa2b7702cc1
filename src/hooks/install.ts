// Installing the hook shims (hooks/) for plain git or for husky, and finding where git looks
// for hooks in a worktree. Plain git: the shims go where `git rev-parse --git-path hooks`
// says (the common hooks folder, shared by every worktree, or a local core.hooksPath); a
// hook already there is kept as `<name>.before-release-policy` and runs after ours. Husky:
// the shims go to `.husky/release-policy/` (committed with the project), a line calling them
// goes at the top of `.husky/pre-push`, `pre-commit` and `commit-msg`, and the
// `reference-transaction` shim that husky does not create goes into `.husky/_/` (git-ignored,
// so every clone and worktree needs `policy hooks install --manager husky`, or `prepare`).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { runGit, type Env } from '../facts/git.js';
import { builtInRulesDir, gitDirsOnDisk } from '../policy/locate.js';
import { refreshSettings, type SettingsRequest } from './settings.js';

export type HookManager = 'git' | 'husky';

export const HOOK_NAMES = ['pre-push', 'pre-commit', 'commit-msg', 'reference-transaction'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** The file every shim sources. */
export const SHIM_LIBRARY = 'release-policy.sh';
/** Suffix of a hook that was there before ours and now runs after it. */
export const CHAINED_SUFFIX = '.before-release-policy';
/** Marks a husky hook file's line as ours. */
export const MARKER = 'release-policy';

/** Hooks husky's own `.husky/_` shims run; reference-transaction is not among them. */
export const HUSKY_HOOKS = ['pre-push', 'pre-commit', 'commit-msg'] as const;

export interface InstallRequest {
  /** The work tree's top folder. */
  root: string;
  /** The command's environment: git and husky run with it (HOME expands `~/` in core.hooksPath). */
  env: Env;
  manager: HookManager;
  /** What the shims' settings record for this worktree (hooks.conf): the policy and the command. */
  settings: Omit<SettingsRequest, 'root' | 'force'>;
}

export interface InstallReport {
  manager: HookManager;
  /** Where git looks for the hooks (absolute). */
  hooksDir: string;
  /** Files written or updated (absolute paths). */
  written: string[];
  /** Hooks that were already there and now run after ours (absolute paths of the kept copies). */
  chained: string[];
  /** Things the user should know or do (one sentence each). */
  notes: string[];
}

/** A reason the hooks cannot be installed as asked; the CLI prints it with its hint (exit 2). */
export class InstallError extends Error {
  constructor(message: string, readonly hint: string) {
    super(message);
    this.name = 'InstallError';
  }
}

/** `<package root>/hooks`: the shims shipped with the package. */
export function shimSourceDir(): string {
  return join(dirname(builtInRulesDir()), 'hooks');
}

/** How git finds hooks in the worktree at `root`. */
export interface HooksLocation {
  /** core.hooksPath as configured ("" when unset), and where it is set. */
  hooksPath: string;
  scope: 'local' | 'worktree' | 'global' | 'system' | 'command' | '';
  /** The folder git runs hooks from in this worktree (absolute). */
  dir: string;
  /** This worktree's git directory and the common one. */
  gitDir: string;
  commonDir: string;
}

export async function locateHooks(root: string, env: Env): Promise<HooksLocation> {
  const [parse, config] = await Promise.all([
    runGit(root, env, ['rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir', '--git-path', 'hooks']),
    runGit(root, env, ['config', '--show-scope', '--get', 'core.hooksPath'], [1]),
  ]);
  const [gitDir = '', commonDir = '', gitPathHooks = ''] = parse.stdout.split('\n');
  const [scope = '', ...rest] = config.stdout.trim().split('\t');
  const hooksPath = rest.join('\t');
  // git resolves a relative core.hooksPath against the worktree it runs in (githooks(5)).
  const dir = hooksPath === '' ? gitPathHooks : resolve(root, expandHome(hooksPath, env));
  return { hooksPath, scope: hooksPath === '' ? '' : (scope as HooksLocation['scope']), dir, gitDir, commonDir };
}

function expandHome(path: string, env: Env): string {
  return path.startsWith('~/') ? join(env.HOME ?? '~', path.slice(2)) : path;
}

/** core.hooksPath as husky sets it (`.husky/_`, or `sub/.husky/_` in a monorepo). */
export const isHuskyPath = (hooksPath: string): boolean => /(^|\/)\.husky\/_\/?$/.test(hooksPath);

/** Installs the shims, then this worktree's settings, without which they cannot find the command. */
export async function installHooks(request: InstallRequest): Promise<InstallReport> {
  const report = request.manager === 'git' ? await installForGit(request.root, request.env) : await installForHusky(request.root, request.env, request.settings.node);
  const settings = refreshSettings({ ...request.settings, root: request.root, force: true });
  if (settings !== null) report.written.push(settings);
  return report;
}

async function installForGit(root: string, env: Env): Promise<InstallReport> {
  const where = await locateHooks(root, env);
  if (where.hooksPath !== '') {
    if (isHuskyPath(where.hooksPath)) {
      throw new InstallError(
        `core.hooksPath is ${where.hooksPath}: husky runs this repository's hooks`,
        'Run `policy hooks install --manager husky`, or `git config --unset core.hooksPath` to leave husky.',
      );
    }
    if (where.scope !== 'local' && where.scope !== 'worktree') {
      throw new InstallError(
        `core.hooksPath is ${where.hooksPath} in your ${where.scope} git config: installing there would change the hooks of every repository`,
        'Set a path for this repository (`git config core.hooksPath .git/hooks`) and install again.',
      );
    }
  }
  const report: InstallReport = { manager: 'git', hooksDir: where.dir, written: [], chained: [], notes: [] };
  mkdirSync(where.dir, { recursive: true });
  const source = shimSourceDir();
  copyShim(join(source, SHIM_LIBRARY), join(where.dir, SHIM_LIBRARY), report);
  for (const name of HOOK_NAMES) {
    const target = join(where.dir, name);
    if (existsSync(target) && !isShim(target)) {
      const kept = target + CHAINED_SUFFIX;
      if (existsSync(kept)) {
        throw new InstallError(
          `${target} is not a release-policy shim, and ${kept} already holds an earlier hook`,
          `Merge the two by hand (the shim runs ${kept} after itself), then install again.`,
        );
      }
      renameSync(target, kept);
      report.chained.push(kept);
    }
    copyShim(join(source, name), target, report);
  }
  if (where.hooksPath !== '') report.notes.push(`core.hooksPath is ${where.hooksPath}: the shims went there.`);
  if (report.chained.length > 0) report.notes.push('Hooks that were already installed were kept and run after the release-policy check.');
  return report;
}

async function installForHusky(root: string, env: Env, node: string): Promise<InstallReport> {
  if (!existsSync(join(root, 'package.json'))) {
    throw new InstallError(`${root} has no package.json: husky installs from one`, 'Use `policy hooks install --manager git`.');
  }
  let where = await locateHooks(root, env);
  if (!isHuskyPath(where.hooksPath) || !existsSync(join(where.dir, 'h'))) {
    runHusky(root, env, node);
    where = await locateHooks(root, env);
    if (!isHuskyPath(where.hooksPath)) {
      throw new InstallError(`husky did not set core.hooksPath (it is "${where.hooksPath}")`, 'Run `npx husky` and look at what it prints.');
    }
  }
  const husky = join(root, '.husky');
  const report: InstallReport = { manager: 'husky', hooksDir: where.dir, written: [], chained: [], notes: [] };
  const shims = join(husky, 'release-policy');
  mkdirSync(shims, { recursive: true });
  const source = shimSourceDir();
  for (const file of [SHIM_LIBRARY, ...HOOK_NAMES]) copyShim(join(source, file), join(shims, file), report);
  for (const name of HUSKY_HOOKS) addHuskyLine(join(husky, name), name, report);
  // husky has no reference-transaction shim: ours goes beside its own, straight to the shim.
  const transaction = join(where.dir, 'reference-transaction');
  writeFileSync(transaction, [
    '#!/bin/sh',
    '# release-policy: husky does not create this hook; `policy hooks install --manager husky` does.',
    '[ "${HUSKY-}" = "0" ] && exit 0',
    'rp_hook=reference-transaction',
    'rp_here=${0%/*}/../release-policy',
    '. "$rp_here/reference-transaction"',
    '',
  ].join('\n'), { mode: 0o755 });
  chmodSync(transaction, 0o755);
  report.written.push(transaction);
  report.notes.push(
    `Commit ${relative(root, shims)}/ and the .husky hook files; .husky/_/ is git-ignored, so every clone and worktree needs \`policy hooks install --manager husky\` (add it to the "prepare" script after husky).`,
  );
  return report;
}

/** Runs husky's installer (node_modules/husky/bin.js of this worktree, else of the main one) with `node`, the Node running this command. */
function runHusky(root: string, env: Env, node: string): void {
  const candidates = [root];
  const dirs = gitDirsOnDisk(root);
  if (dirs !== null && dirs.commonDir !== dirs.gitDir) candidates.push(dirname(dirs.commonDir));
  const bin = candidates.map((dir) => join(dir, 'node_modules', 'husky', 'bin.js')).find((file) => existsSync(file));
  if (bin === undefined) {
    throw new InstallError(
      `husky is not installed in ${root} (no node_modules/husky)`,
      'Run `npm install --save-dev husky` (or `npm ci`), then install again; or use `--manager git`.',
    );
  }
  const run = spawnSync(node, [bin], { cwd: root, encoding: 'utf8', env: { ...env, HUSKY: '' } });
  // husky exits 0 on every failure and says why on stdout (.git can't be found, ...).
  const said = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim();
  if (run.status !== 0 || (said !== '' && !existsSync(join(root, '.husky', '_', 'h')))) {
    throw new InstallError(`husky could not install: ${said || `exit ${String(run.status)}`}`, 'Run `npx husky` in the worktree root and fix what it reports.');
  }
}

/** A hook file we wrote: every shim (and the husky reference-transaction wrapper) sets rp_hook. */
export function isShim(file: string): boolean {
  try {
    return readFileSync(file, 'utf8').includes('rp_hook=');
  } catch {
    return false;
  }
}

function copyShim(from: string, to: string, report: InstallReport): void {
  if (!existsSync(from)) throw new InstallError(`the shim ${from} is missing from the installed package`, 'Reinstall release-policy.');
  copyFileSync(from, to);
  chmodSync(to, 0o755);
  report.written.push(to);
}

/** The line `.husky/NAME` runs; git's arguments and stdin pass through. */
export function huskyLine(name: string): string {
  return `sh "\${0%/*}/release-policy/${name}" "$@" || exit $? # ${MARKER}: the release hard stops`;
}

function addHuskyLine(file: string, name: string, report: InstallReport): void {
  const line = huskyLine(name);
  if (!existsSync(file)) {
    writeFileSync(file, `${line}\n`, { mode: 0o755 });
    report.written.push(file);
    return;
  }
  const text = readFileSync(file, 'utf8');
  if (text.includes(`# ${MARKER}:`)) {
    const updated = text.split('\n').map((each) => (each.includes(`# ${MARKER}:`) ? line : each)).join('\n');
    if (updated !== text) {
      writeFileSync(file, updated);
      report.written.push(file);
    }
    return;
  }
  // First, so that it reads git's stdin before anything else in the file can.
  const lines = text.split('\n');
  const at = lines[0]?.startsWith('#!') ? 1 : 0;
  lines.splice(at, 0, line);
  writeFileSync(file, lines.join('\n'));
  report.written.push(file);
  report.notes.push(`${file} already had commands: the release-policy line now runs first and reads git's stdin${name === 'pre-push' ? '; later commands that read stdin get none' : ''}.`);
}
