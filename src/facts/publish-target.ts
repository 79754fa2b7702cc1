// The crate and registry a recorded publish went to, read from the repository as cargo read
// it: the recorded command (src/release/publish-target.ts decides), the manifest it packaged
// (`--manifest-path`, the crate `-p` names, or the policy's), and cargo's configuration.
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { PackageConfig } from '../policy/model.js';
import { defaultCargoRegistry } from '../registry/cargo-config.js';
import type { JournalEvent } from '../release/model.js';
import { choosePublishTarget, parsePublishArgs, recordedPublishCommand, type PublishTarget, type TargetManifest } from '../release/publish-target.js';
import { findRepoRoot } from '../policy/locate.js';
import { git } from './git.js';
import { journalPath, readJournal } from './journal.js';
import { readRegularText } from '../fs/read-regular.js';
import { readCargoManifest, type CargoManifest } from './manifest.js';
import { ancestorManifests } from './sources.js';

export interface ResolvedPublishTarget extends PublishTarget {
  /** The recorded publish command (redacted); null when none is recorded. */
  command: string[] | null;
  /** The crate's manifest, relative to the repository root, with `/`; null when it was not found. */
  manifest: string | null;
}

export interface TargetRequest {
  /** The repository's work tree root. */
  root: string;
  /** Where the command runs (relative `--manifest-path` and cargo's configuration are read from here). */
  cwd: string;
  pkg: PackageConfig;
  events: readonly JournalEvent[];
  version: string;
  env: NodeJS.ProcessEnv;
}

/** Never throws for an unreadable manifest or configuration: the decision falls back as cargo's inputs allow. */
export async function resolvePublishTarget(request: TargetRequest): Promise<ResolvedPublishTarget> {
  const { root, pkg } = request;
  const command = recordedPublishCommand(request.events, pkg.name, request.version);
  const args = command === null ? null : parsePublishArgs(command);
  let manifestPath = args?.manifestPath !== undefined ? repoPath(root, request.cwd, args.manifestPath) : pkg.manifest;
  let manifest = manifestPath === null ? null : readManifest(root, manifestPath);
  if (args?.package !== undefined && manifest?.name !== args.package) {
    // `-p` names another member of the workspace: its own manifest says where it publishes.
    manifestPath = await findCrateManifest(root, request.env, args.package);
    manifest = manifestPath === null ? null : readManifest(root, manifestPath);
  }
  let cargoDefault: string | null = null;
  try {
    cargoDefault = defaultCargoRegistry(request.cwd, request.env)?.name ?? null;
  } catch {
    // A config file that is not TOML: the registry's resolution reports it where it matters.
  }
  const target = choosePublishTarget({ args, manifest, policy: { name: pkg.name, registry: pkg.registry }, cargoDefault });
  return { ...target, command, manifest: manifest === null ? null : manifestPath };
}

/**
 * For the registry fact: package name → the target of its recorded publish of the version
 * asked, for the cargo packages that have one. Reads the journal; an unreadable one gives none.
 */
export async function publishTargets(
  cwd: string,
  commonDir: string,
  packages: readonly PackageConfig[],
  versions: ReadonlyMap<string, string>,
  env: NodeJS.ProcessEnv,
): Promise<Map<string, ResolvedPublishTarget>> {
  const targets = new Map<string, ResolvedPublishTarget>();
  let events: JournalEvent[];
  try {
    events = (await readJournal(journalPath(commonDir))).events;
  } catch {
    return targets;
  }
  const root = findRepoRoot(cwd) ?? cwd;
  for (const pkg of packages) {
    const version = versions.get(pkg.name) ?? '';
    if (pkg.ecosystem !== 'cargo' || version === '' || recordedPublishCommand(events, pkg.name, version) === null) continue;
    targets.set(pkg.name, await resolvePublishTarget({ root, cwd, pkg, events, version, env }));
  }
  return targets;
}

/** A `--manifest-path` as written, made repository-relative: from the command's folder, else the root. */
function repoPath(root: string, cwd: string, written: string): string | null {
  const candidates = isAbsolute(written) ? [written] : [resolve(cwd, written), resolve(root, written)];
  for (const candidate of candidates) {
    const inside = relative(root, candidate);
    if (inside.startsWith('..') || isAbsolute(inside) || !existsSync(candidate)) continue;
    return inside.split(sep).join('/');
  }
  return null;
}

/** The fields a target needs; `publish.workspace = true` takes the workspace root's list. Null when unreadable. */
function readManifest(root: string, path: string): TargetManifest | null {
  const parsed = parseAt(root, path);
  if (parsed === null) return null;
  let publishRegistries = parsed.publishRegistries;
  if (parsed.publishWorkspace) {
    publishRegistries = null;
    for (const above of parsed.workspace ? [path] : ancestorManifests(path)) {
      const rootManifest = above === path ? parsed : parseAt(root, above);
      if (rootManifest?.workspace) {
        publishRegistries = rootManifest.workspacePublishRegistries;
        break;
      }
    }
  }
  return { name: parsed.name, publishRegistries };
}

function parseAt(root: string, path: string): CargoManifest | null {
  const text = readRegularText(join(root, path));
  if (text === null) return null;
  try {
    const parsed = readCargoManifest(text, path);
    return typeof parsed === 'string' ? null : parsed;
  } catch {
    return null;
  }
}

/** The tracked Cargo.toml whose `[package] name` is `crate`; null when none is. */
async function findCrateManifest(root: string, env: NodeJS.ProcessEnv, crate: string): Promise<string | null> {
  let listed: string;
  try {
    listed = await git(root, env, ['ls-files', '-z', '--', 'Cargo.toml', '*/Cargo.toml']);
  } catch {
    return null;
  }
  for (const path of listed.split('\0').filter((p) => p !== '')) {
    if (parseAt(root, path)?.name === crate) return path;
  }
  return null;
}
