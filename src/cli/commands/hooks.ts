// `policy hooks install [--manager git|husky]` and `policy hooks doctor`.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  CHAINED_SUFFIX, HOOK_NAMES, HUSKY_HOOKS, InstallError, MARKER, SHIM_LIBRARY, installHooks, isHuskyPath, isShim, locateHooks,
  type HookManager, type HooksLocation, type InstallRequest,
} from '../../hooks/install.js';
import { readSettings, settingsPath, settingsStale } from '../../hooks/settings.js';
import { findRepoRoot } from '../../policy/locate.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { UsageError, type CliContext } from '../context.js';
import { findPolicy, loadPolicy, resolveCwd } from '../load.js';

export const HOOKS_HELP = `Usage: policy hooks install [--manager git|husky]
       policy hooks doctor

install   Installs the hook shims (pre-push, pre-commit, commit-msg, reference-transaction)
          for this repository. They decide in shell whether the policy engine is needed and
          run \`policy hook NAME\` only then.
          --manager git     into the folder git runs hooks from (.git/hooks, shared by every
                            worktree, or a local core.hooksPath). Hooks already there are kept
                            as NAME${CHAINED_SUFFIX} and run after ours.
          --manager husky   .husky/release-policy/ (commit it), a line at the top of
                            .husky/pre-push, pre-commit and commit-msg, and the
                            reference-transaction shim husky does not create (.husky/_/).
          Default: husky when core.hooksPath is .husky/_, else git.
doctor    Checks that every hook actually runs in this worktree and can find the policy
          command, and says how to fix each gap (husky's relative core.hooksPath leaves a
          new worktree without hooks).

Options: --policy FILE, --cwd DIR, --debug
Exit codes: 0 installed / all hooks run, 1 doctor found a gap, 2 usage or install error.
`;

export async function runHooks(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('hooks', argv, { manager: { type: 'string' } }, 1);
  const [action] = positionals;
  if (values.help || action === undefined) {
    ctx.stdout(HOOKS_HELP);
    return values.help ? 0 : 2;
  }
  const cwd = resolveCwd(ctx, values.cwd);
  const root = findRepoRoot(cwd);
  if (root === null) throw new UsageError(`${cwd} is not inside a git work tree`, 'Run it in the repository whose hooks to install or check.');
  if (action === 'install') {
    const manager = typeof values.manager === 'string' ? oneOf('manager', values.manager, ['git', 'husky'] as const) : await defaultManager(root, ctx.env);
    return install(ctx, root, manager, findPolicy(cwd, values.policy));
  }
  if (values.manager !== undefined) throw new UsageError('--manager is an option of `policy hooks install`');
  if (action === 'doctor') return doctor(ctx, root, findPolicy(cwd, values.policy));
  throw new UsageError(`unknown action "${action}" of policy hooks`, 'Actions: install, doctor.');
}

async function defaultManager(root: string, env: NodeJS.ProcessEnv): Promise<HookManager> {
  return isHuskyPath((await locateHooks(root, env)).hooksPath) ? 'husky' : 'git';
}

async function install(ctx: CliContext, root: string, manager: HookManager, policyFile: string | null): Promise<number> {
  let report;
  try {
    report = await installHooks({ root, env: ctx.env, manager, settings: await hookSettings(ctx, policyFile) });
  } catch (error) {
    if (error instanceof InstallError) throw new UsageError(error.message, error.hint);
    throw error;
  }
  const lines = [`Installed the release-policy hooks (${manager}) in ${report.hooksDir}`];
  for (const file of report.written) lines.push(`  wrote ${relative(root, file) || file}`);
  for (const file of report.chained) lines.push(`  kept  ${relative(root, file) || file} (runs after the release-policy check)`);
  for (const note of report.notes) lines.push(`note: ${note}`);
  lines.push('Check them with `policy hooks doctor`. Bypasses and why CI stays the authority: README, "Git hooks".');
  ctx.stdout(`${lines.join('\n')}\n`);
  return 0;
}

/** What the shims' settings record: the policy (its packages give the patterns) and this command. */
export async function hookSettings(ctx: CliContext, policyFile: string | null): Promise<InstallRequest['settings']> {
  const loaded = policyFile === null ? null : await loadPolicy(policyFile, ctx.toolVersion);
  return { policyFile: policyFile ?? '', policy: loaded?.policy ?? null, cli: ctx.cliPath, node: ctx.nodePath };
}

interface Check {
  ok: boolean;
  text: string;
  fix?: string;
}

async function doctor(ctx: CliContext, root: string, policyFile: string | null): Promise<number> {
  const where = await locateHooks(root, ctx.env);
  const checks: Check[] = [];
  const husky = isHuskyPath(where.hooksPath);
  checks.push({
    ok: true,
    text: where.hooksPath === '' ? `git runs hooks from ${where.dir}` : `core.hooksPath is ${where.hooksPath} (${where.scope}): git runs hooks from ${where.dir} in this worktree`,
  });
  for (const name of HOOK_NAMES) checks.push(husky && (HUSKY_HOOKS as readonly string[]).includes(name) ? huskyHook(root, where, name) : plainHook(where, name, husky));
  checks.push(policyFile === null
    ? { ok: false, text: 'no release-policy.yml in this worktree: the hooks have nothing to enforce', fix: 'write one (`policy init`)' }
    : { ok: true, text: `policy: ${relative(root, policyFile)}` });
  checks.push(commandCheck(root, where, ctx.env.PATH ?? ''));
  const failed = checks.filter((check) => !check.ok);
  const lines = checks.map((check) => `${check.ok ? 'ok  ' : 'FAIL'}  ${check.text}${check.fix ? `\n      fix: ${check.fix}` : ''}`);
  lines.push('', failed.length === 0
    ? 'The release-policy hooks run in this worktree.'
    : `${failed.length} problem${failed.length === 1 ? '' : 's'}: this worktree is not guarded by the release-policy hooks.`);
  ctx.stdout(`${lines.join('\n')}\n`);
  return failed.length === 0 ? 0 : 1;
}

function runnable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const reinstall = (manager: HookManager): string => `policy hooks install --manager ${manager}`;

function plainHook(where: HooksLocation, name: string, husky: boolean): Check {
  const file = join(where.dir, name);
  const manager: HookManager = husky ? 'husky' : 'git';
  if (!existsSync(file)) {
    const why = husky && !existsSync(where.dir)
      ? `${where.dir} does not exist in this worktree (husky's .husky/_ is git-ignored and core.hooksPath is relative), so git runs no hook here`
      : `${file} is missing`;
    return { ok: false, text: `${name}: ${why}`, fix: husky ? `npx husky && ${reinstall('husky')} (in this worktree)` : reinstall(manager) };
  }
  if (!isShim(file)) return { ok: false, text: `${name}: ${file} is not the release-policy shim`, fix: reinstall(manager) };
  if (!runnable(file)) return { ok: false, text: `${name}: ${file} is not executable, so git skips it`, fix: `chmod +x ${file}` };
  if (!husky && !existsSync(join(where.dir, SHIM_LIBRARY))) return { ok: false, text: `${name}: ${join(where.dir, SHIM_LIBRARY)} is missing`, fix: reinstall('git') };
  return { ok: true, text: `${name}: ${file}` };
}

function huskyHook(root: string, where: HooksLocation, name: string): Check {
  const shim = join(where.dir, name);
  const fixHere = `npx husky && ${reinstall('husky')} (in this worktree)`;
  if (!existsSync(shim) || !runnable(shim)) {
    const why = existsSync(where.dir) ? `husky's ${shim} is missing` : `${where.dir} does not exist in this worktree (husky's .husky/_ is git-ignored and core.hooksPath is relative), so git runs no hook here`;
    return { ok: false, text: `${name}: ${why}`, fix: fixHere };
  }
  const user = join(root, '.husky', name);
  if (!existsSync(user) || !readFileSync(user, 'utf8').includes(`# ${MARKER}:`)) {
    return { ok: false, text: `${name}: .husky/${name} does not call the release-policy shim`, fix: reinstall('husky') };
  }
  if (!existsSync(join(root, '.husky', 'release-policy', name))) {
    return { ok: false, text: `${name}: .husky/release-policy/${name} is missing`, fix: reinstall('husky') };
  }
  return { ok: true, text: `${name}: .husky/${name} via husky` };
}

/** Whether the shims can find `policy`: the recorded command, node_modules/.bin, or PATH. */
function commandCheck(root: string, where: HooksLocation, path: string): Check {
  const file = settingsPath(where.gitDir);
  const settings = readSettings(file);
  if (settings !== null && settings.cli !== '' && existsSync(settings.cli)) {
    const stale = settingsStale(file, settings);
    return { ok: true, text: `the shims run ${settings.cli}${stale ? ' (settings older than the policy: the next hook call refreshes them)' : ''}` };
  }
  if (existsSync(join(root, 'node_modules', '.bin', 'policy'))) return { ok: true, text: 'the shims run node_modules/.bin/policy' };
  const onPath = path.split(':').some((dir) => dir !== '' && runnable(join(dir, 'policy')));
  if (onPath) return { ok: true, text: 'the shims run `policy` from PATH' };
  return { ok: false, text: 'the shims cannot find the policy command (no recorded command, no node_modules/.bin/policy, none on PATH)', fix: 'npm install --save-dev release-policy, then policy hooks install' };
}
