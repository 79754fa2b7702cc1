// The hook shims' settings for one worktree (`<git dir>/release-policy/hooks.conf`): a small
// shell file the shims source, so the fast path knows the release tag and path patterns and
// where the `policy` command is without starting Node. Written by `policy hooks install`
// and refreshed by `policy hook` whenever it is missing or older than the policy file or the
// installed command (the shims compare modification times and ask the engine when stale).
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { ancestorManifests } from '../facts/sources.js';
import { gitDirsOnDisk } from '../policy/locate.js';
import { templatesOf, type Policy } from '../policy/model.js';

export interface HookSettings {
  /** The policy file (absolute), or "" when the worktree has none. */
  policy: string;
  /** The command the shims run: the CLI script and the Node binary that runs it. */
  cli: string;
  node: string;
  /** Shell globs of release tag names (after `refs/tags/`). */
  tags: string[];
  /** Shell globs of paths whose staging sends a commit to the engine: manifests and release notes. */
  paths: string[];
}

export function settingsPath(gitDir: string): string {
  return join(gitDir, 'release-policy', 'hooks.conf');
}

/** `{version}` in a template as a shell glob: a version starts with a digit. */
function templateGlob(template: string): string {
  return template.replaceAll('{version}', '[0-9]*');
}

/** The patterns the shims match, from the policy's packages. */
export function hookPatterns(policy: Pick<Policy, 'packages'> | null): Pick<HookSettings, 'tags' | 'paths'> {
  if (policy === null) return { tags: [], paths: [] };
  const tags = new Set<string>();
  const paths = new Set<string>();
  for (const pkg of policy.packages) {
    for (const template of templatesOf(pkg)) tags.add(templateGlob(template));
    paths.add(pkg.manifest);
    if (pkg.ecosystem === 'cargo') for (const root of ancestorManifests(pkg.manifest)) paths.add(root);
    if (pkg.releaseNotes !== '') paths.add(pkg.releaseNotes.replaceAll('{version}', '*'));
  }
  return { tags: [...tags], paths: [...paths] };
}

/** Single-quoted for sh: `'` becomes `'\''`. */
function quote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

export function renderSettings(settings: HookSettings): string {
  return [
    '# release-policy hook settings for this worktree, sourced by the hook shims.',
    '# Written by `policy hooks install` and refreshed by `policy hook`; do not edit.',
    `rp_policy=${quote(settings.policy)}`,
    `rp_cli=${quote(settings.cli)}`,
    `rp_node=${quote(settings.node)}`,
    `rp_tags=${quote(settings.tags.join('\n'))}`,
    `rp_paths=${quote(settings.paths.join('\n'))}`,
    '',
  ].join('\n');
}

/** The settings as renderSettings wrote them; null when the file is missing. */
export function readSettings(file: string): HookSettings | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const value = (name: string): string => {
    const quoted = new RegExp(`^rp_${name}='((?:[^']|'\\\\'')*)'$`, 'm').exec(text)?.[1] ?? '';
    return quoted.replaceAll("'\\''", "'");
  };
  const list = (name: string): string[] => value(name).split('\n').filter((each) => each !== '');
  return { policy: value('policy'), cli: value('cli'), node: value('node'), tags: list('tags'), paths: list('paths') };
}

/** Writes the settings atomically: a shim never sources half a file. */
export function writeSettings(file: string, settings: HookSettings): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, renderSettings(settings));
}

/** True when the shims would ignore the file: missing, or older than the policy or the command. */
export function settingsStale(file: string, settings: Pick<HookSettings, 'policy' | 'cli'>): boolean {
  if (!existsSync(file)) return true;
  const written = statSync(file).mtimeMs;
  return [settings.policy, settings.cli].some((other) => other !== '' && existsSync(other) && statSync(other).mtimeMs > written);
}

export interface SettingsRequest {
  /** The work tree's top folder. */
  root: string;
  /** The policy file and what it says; "" and null when the worktree has none. */
  policyFile: string;
  policy: Pick<Policy, 'packages'> | null;
  cli: string;
  node: string;
  /** Write even when the file is current. */
  force?: boolean;
}

/** Writes this worktree's settings when they are stale (or when forced); returns the file, or null when current. */
export function refreshSettings(request: SettingsRequest): string | null {
  const dirs = gitDirsOnDisk(request.root);
  if (dirs === null) return null;
  const file = settingsPath(dirs.gitDir);
  const identity = { policy: request.policyFile, cli: request.cli };
  if (!request.force && !settingsStale(file, identity)) return null;
  writeSettings(file, { ...identity, node: request.node, ...hookPatterns(request.policy) });
  return file;
}
