// Where a cargo registry's index is, found as cargo finds it ("Configuration" in the Cargo
// book): `crates-io` is built in; any other name comes from `[registries.NAME] index` in
// `.cargo/config.toml` (or the legacy `.cargo/config`) in the folder and every parent, the
// deeper file winning, then `$CARGO_HOME/config.toml`; CARGO_REGISTRIES_<NAME>_INDEX wins
// over every file. Only what a registry question needs is read: no source replacement,
// no `[registry] default`, no credentials.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'smol-toml';
import { redactUrl } from '../release/redact.js';
import { RegistryConfigError } from './model.js';

export const CRATES_IO = 'crates-io';
export const CRATES_IO_INDEX = 'sparse+https://index.crates.io/';

export interface CargoRegistryLocation {
  /** The registry name asked about. */
  name: string;
  /** The index as configured, `sparse+` included. */
  index: string;
  protocol: 'sparse' | 'git';
  /** Sparse: the HTTP(S) index root, ending in `/`. Git: the index as configured. */
  url: string;
  /** Where the index came from: "built-in", a config file path, or an environment variable name. */
  from: string;
}

/** `CARGO_REGISTRIES_<NAME>_INDEX`: the name uppercased, `-` as `_` (cargo's env-key rule). */
export function registryEnvName(name: string): string {
  return `CARGO_REGISTRIES_${name.toUpperCase().replace(/-/g, '_')}_INDEX`;
}

/** `$CARGO_HOME`, by default `~/.cargo` (HOME from `env`, so tests can isolate it). */
export function cargoHome(env: NodeJS.ProcessEnv): string {
  return env.CARGO_HOME || join(env.HOME || env.USERPROFILE || homedir(), '.cargo');
}

/**
 * The config files cargo would consider, deepest first: per folder from `cwd` up
 * `.cargo/config` and `.cargo/config.toml`, then `$CARGO_HOME/config.toml` (and `config`)
 * unless the walk already passed it. Listed whether or not they exist, for messages.
 */
export function cargoConfigCandidates(cwd: string, env: NodeJS.ProcessEnv): string[] {
  const candidates: string[] = [];
  for (let folder = resolve(cwd); ; folder = dirname(folder)) {
    // When both exist cargo reads the one without extension and warns; so look at it first.
    candidates.push(join(folder, '.cargo', 'config'), join(folder, '.cargo', 'config.toml'));
    if (dirname(folder) === folder) break;
  }
  const home = resolve(cargoHome(env));
  for (const file of [join(home, 'config'), join(home, 'config.toml')]) {
    if (!candidates.includes(file)) candidates.push(file);
  }
  return candidates;
}

/**
 * The config files cargo reads, deepest first: those of cargoConfigCandidates that exist, one
 * per folder (`config` shadows `config.toml` beside it). Each is added to `looked` as it is
 * reached, for the messages of a search that finds nothing.
 */
function* cargoConfigFiles(cwd: string, env: NodeJS.ProcessEnv, looked: string[]): Generator<string> {
  const seen = new Set<string>();
  for (const candidate of cargoConfigCandidates(cwd, env)) {
    const folder = dirname(candidate);
    if (seen.has(folder) || !existsSync(candidate)) continue;
    seen.add(folder);
    looked.push(candidate);
    yield candidate;
  }
}

/**
 * Where registry `name`'s index is. Throws RegistryConfigError when no file and no
 * environment variable defines it, when a config file on the way is not valid TOML or
 * gives `index` as something other than a string, and when a sparse index is not HTTP(S).
 * A git index is returned with `protocol: 'git'`; the caller says it is not supported.
 */
export function resolveCargoRegistry(name: string, cwd: string, env: NodeJS.ProcessEnv): CargoRegistryLocation {
  if (name === CRATES_IO) return location(name, CRATES_IO_INDEX, 'built-in');
  const variable = registryEnvName(name);
  const fromEnv = env[variable];
  if (fromEnv) return location(name, fromEnv, variable);

  const looked: string[] = [];
  for (const candidate of cargoConfigFiles(cwd, env, looked)) {
    const index = registryIndexIn(candidate, name, looked);
    if (index !== null) return location(name, index, candidate);
  }
  const searched = looked.length > 0 ? `read ${looked.join(', ')}` : `found no .cargo/config.toml from ${resolve(cwd)} up nor in ${cargoHome(env)}`;
  throw new RegistryConfigError(
    `cargo registry \`${name}\` is not defined: ${searched}, and ${variable} is not set. ` +
      `Define it in .cargo/config.toml:\n  [registries.${name}]\n  index = "sparse+https://…/"\n` +
      `or set ${variable}=sparse+https://…/`,
    looked,
  );
}

/** `[registries.NAME].index` of one config file; null when the file does not set it. */
function registryIndexIn(file: string, name: string, looked: readonly string[]): string | null {
  const table = readConfigTable(file, looked);
  const registries = table.registries;
  if (typeof registries !== 'object' || registries === null) return null;
  const entry = (registries as Record<string, unknown>)[name];
  if (typeof entry !== 'object' || entry === null) return null;
  const index = (entry as Record<string, unknown>).index;
  if (index === undefined) return null;
  if (typeof index !== 'string') {
    throw new RegistryConfigError(`cargo config ${file}: registries.${name}.index must be a string (the index URL)`, looked);
  }
  return index;
}

/**
 * cargo's `[registry] default`: CARGO_REGISTRY_DEFAULT, else the deepest config file that sets
 * it (the order resolveCargoRegistry reads); null when unset. Throws RegistryConfigError for a
 * config file that is not valid TOML.
 */
export function defaultCargoRegistry(cwd: string, env: NodeJS.ProcessEnv): { name: string; from: string } | null {
  if (env.CARGO_REGISTRY_DEFAULT) return { name: env.CARGO_REGISTRY_DEFAULT, from: 'CARGO_REGISTRY_DEFAULT' };
  const looked: string[] = [];
  for (const candidate of cargoConfigFiles(cwd, env, looked)) {
    const registry = readConfigTable(candidate, looked).registry;
    const name = typeof registry === 'object' && registry !== null ? (registry as Record<string, unknown>).default : undefined;
    if (typeof name === 'string' && name !== '') return { name, from: candidate };
  }
  return null;
}

/**
 * The location of an index given as a URL, as `cargo publish --index URL` takes it
 * (`sparse+https://…/` for a sparse index). Credentials in it are dropped: an index is read
 * without them, and the recorded command has them redacted anyway.
 */
export function cargoIndexLocation(index: string, from: string): CargoRegistryLocation {
  const bare = index.replace(/^(sparse\+)?([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1$2');
  return location(redactUrl(bare), bare, from);
}

function readConfigTable(file: string, looked: readonly string[]): Record<string, unknown> {
  try {
    return parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    // smol-toml's message already names the line and column and quotes the line.
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new RegistryConfigError(`cannot read cargo config ${file}: ${why}`, looked);
  }
}

function location(name: string, index: string, from: string): CargoRegistryLocation {
  if (!index.startsWith('sparse+')) return { name, index, protocol: 'git', url: index, from };
  let url: URL;
  try {
    url = new URL(index.slice('sparse+'.length));
  } catch {
    throw new RegistryConfigError(`cargo registry \`${name}\` has index "${redactUrl(index)}" (${from}), which is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RegistryConfigError(`cargo registry \`${name}\` has index "${redactUrl(index)}" (${from}): a sparse index must be http(s)://`);
  }
  // Cargo joins paths onto the index as onto a folder, with or without the final slash.
  const root = url.href.endsWith('/') ? url.href : `${url.href}/`;
  return { name, index, protocol: 'sparse', url: root, from };
}
