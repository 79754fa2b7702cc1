// Which crate, on which registry, a recorded `cargo publish` uploaded. A confirmation that
// asks the policy's package name and registry while the publish went to `--registry local2`,
// or uploaded `-p othercrate`, reads "not published" for a version that is there, and the
// publish gate opens for a second upload. So the questions asked after a publish follow the
// command the journal recorded, read as cargo reads it. Pure: argv and manifest fields in.
import { CARGO_GLOBAL_VALUED, programName, subcommand } from './classify.js';
import type { JournalEvent } from './model.js';

/** What a `cargo publish` command line says about its target; absent fields were not given. */
export interface PublishArgs {
  /** `--registry NAME`. */
  registry?: string;
  /** `--index URL`. */
  index?: string;
  /** `-p NAME` / `--package NAME`. */
  package?: string;
  /** `--manifest-path PATH`, as written. */
  manifestPath?: string;
}

/** cargo publish's options that take a value, besides those read above (their values are skipped). */
const PUBLISH_VALUED = new Set([
  '--token', '--target', '--target-dir', '-j', '--jobs', '--features', '-F', '--config', '-Z', '--color', '--lockfile-path',
]);

/**
 * The target options of a `cargo publish` argv (`cargo +toolchain --locked publish ...`
 * included); null when the argv is not a cargo publish. Both `--opt VALUE` and `--opt=VALUE`
 * are read, `-pNAME` too; a repeated option counts as cargo counts it, the last one wins.
 */
export function parsePublishArgs(argv: readonly string[]): PublishArgs | null {
  if (programName(argv[0]) !== 'cargo') return null;
  let args = argv.slice(1);
  if (args[0]?.startsWith('+')) args = args.slice(1);
  const sub = subcommand(args, CARGO_GLOBAL_VALUED);
  if (sub === null || sub.name !== 'publish') return null;
  const out: PublishArgs = {};
  const keys: Record<string, keyof PublishArgs> = {
    '--registry': 'registry',
    '--index': 'index',
    '--package': 'package',
    '-p': 'package',
    '--manifest-path': 'manifestPath',
  };
  const rest = sub.rest;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--') break;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const key = keys[name];
    if (key !== undefined) {
      const value = eq === -1 ? rest[++i] : arg.slice(eq + 1);
      if (value !== undefined && value !== '') out[key] = value;
      continue;
    }
    if (/^-p./.test(arg)) {
      out.package = arg.slice(2).replace(/^=/, '');
      continue;
    }
    if (eq === -1 && PUBLISH_VALUED.has(arg)) i++;
  }
  return out;
}

/** The crate manifest's fields a target needs. */
export interface TargetManifest {
  /** `[package] name`; "" when unknown. */
  name: string;
  /** `publish = [...]` (the workspace's when inherited); null when not a list. */
  publishRegistries: string[] | null;
}

export interface PublishTarget {
  /** The crate name asked about. */
  crate: string;
  /** The registry's name: a cargo registry name, `crates-io`, or, for `--index`, the index as given. */
  registry: string;
  /** `--index URL` of the command; absent when the registry is named. */
  index?: string;
  /** Where the registry came from, for the report ("`--registry local2` of the recorded publish"). */
  from: string;
}

export interface TargetInput {
  /** The recorded publish's options; null when no cargo publish is recorded. */
  args: PublishArgs | null;
  /** The manifest the publish packaged (its `--manifest-path`, else the policy's); null when unreadable. */
  manifest: TargetManifest | null;
  /** The policy's package name and registry. */
  policy: { name: string; registry: string };
  /** cargo's `[registry] default` (CARGO_REGISTRY_DEFAULT or a config file); null when unset. */
  cargoDefault: string | null;
}

/**
 * The crate and registry a publish went to, as cargo chose them: `--index`, else
 * `--registry`, else a one-entry `publish = ["NAME"]` of the manifest, else cargo's
 * `[registry] default`, else crates.io. The crate: `-p NAME`, else the manifest's
 * `[package] name`, else the policy's name. With no publish recorded, the policy's word.
 */
export function choosePublishTarget(input: TargetInput): PublishTarget {
  const { args, manifest, policy } = input;
  const named = args?.package;
  // `publish = [...]` belongs to the manifest read; a `-p` naming another crate has its own.
  const ownManifest = manifest !== null && (named === undefined || named === manifest.name);
  const crate = named ?? (manifest !== null && manifest.name !== '' ? manifest.name : policy.name);
  if (args === null) return { crate, registry: policy.registry, from: 'the policy (no cargo publish is recorded)' };
  if (args.index !== undefined) return { crate, registry: args.index, index: args.index, from: '`--index` of the recorded publish' };
  if (args.registry !== undefined) return { crate, registry: args.registry, from: `\`--registry ${args.registry}\` of the recorded publish` };
  const list = ownManifest ? manifest.publishRegistries : null;
  if (list !== null && list.length === 1) return { crate, registry: list[0]!, from: `\`publish = ["${list[0]}"]\` of the manifest` };
  if (input.cargoDefault !== null) return { crate, registry: input.cargoDefault, from: "cargo's `registry.default`" };
  if (list !== null && list.length > 1) {
    // cargo refuses to choose among several without `--registry`: that publish uploaded nothing.
    return { crate, registry: policy.registry, from: 'the policy (the manifest lists several registries)' };
  }
  return { crate, registry: 'crates-io', from: 'cargo\'s default, crates.io (the recorded publish names no registry)' };
}

/**
 * The last recorded publish command of `pkg` at `version` (a started or finished publish step);
 * null when there is none.
 */
export function recordedPublishCommand(events: readonly JournalEvent[], pkg: string, version: string): string[] | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.package === pkg && e.version === version && e.phase === 'publish' && e.command !== undefined) return e.command;
  }
  return null;
}
