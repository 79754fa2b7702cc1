// What a package registry said about one version, three-valued. "unknown" is an answer in
// its own right: a release loop that reads "not published" from a timed-out request would
// publish twice, or skip a publish it believes done. So `no` needs the registry's positive
// word (a 404 it explains, an index without the version) and everything else is `unknown`,
// with the evidence kept for the report.
import type { Evidence } from '../release/model.js';

// One evidence type for the registry's answers and the journal that records them.
export type { Evidence };

export type PublishedAnswer = 'yes' | 'no' | 'unknown';

export interface RegistryVersion {
  version: string;
  checksum: string;
  yanked: boolean;
}

export interface RegistryAnswer {
  package: string;
  ecosystem: 'cargo' | 'npm';
  /** The registry's name as the policy gives it: `crates-io`, a cargo registry name such as `local`, or `npmjs` / an npm registry name. */
  registry: string;
  /** The index or registry URL used, credentials removed; "" when it could not be resolved. */
  url: string;
  version: string;
  /** Whether `version` is on the registry. Never "no" unless the registry positively said so. */
  published: PublishedAnswer;
  /** The registry's checksum of that version: cargo: sha256 hex (index `cksum`, API `checksum`); npm: `dist.integrity` (e.g. `sha512-...`). "" when not published or unknown. */
  checksum: string;
  yanked: boolean;
  /** False when no usable answer came at all (unreachable, 5xx, 429, timeout, configuration error). */
  reachable: boolean;
  /** Every version the index or packument lists (empty when unreachable). */
  versions: RegistryVersion[];
  /** One entry per request sent, in the order the answers came. */
  evidence: Evidence[];
  /** Why the answer is `unknown` (one sentence naming the registry and URL); "" otherwise. */
  reason: string;
}

export interface AskRequest {
  ecosystem: 'cargo' | 'npm';
  name: string;
  version: string;
  /** Registry name from the policy (`crates-io` default for cargo, `npmjs` for npm). */
  registry: string;
  /** Cargo: the index URL to ask instead of resolving `registry` (a publish's `--index URL`). */
  index?: string;
  /** Folder to resolve configuration from (cargo: `.cargo/config.toml` from here up; npm: `.npmrc` from here up). */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Folder for the small conditional-request cache (ETag bodies); none: no cache. */
  cacheDir?: string | null;
  /** Per-request deadline in ms; default 5000. */
  timeoutMs?: number;
  /** Tool version for the User-Agent. */
  toolVersion?: string;
  /** Clock, for tests; default () => new Date(). */
  now?: () => Date;
  /**
   * Cargo: also ask the web API (default true). The CI and audit gates ask the index alone,
   * one request per package in parallel: the API's one request per second would serialise
   * them. `policy verify`, the single-version confirmation, asks both.
   */
  useApi?: boolean;
}

/**
 * The registry cannot be located from the configuration: a cargo registry name no config
 * file or environment variable defines, a config file that is not valid TOML, an index URL
 * that is not a URL. The message names the name, the files looked at and the fix.
 * askRegistry never throws it (it answers `unknown` with the message as `reason`); the
 * resolvers (resolveCargoRegistry, resolveNpmRegistry) do, for callers that want to stop.
 */
export class RegistryConfigError extends Error {
  constructor(
    message: string,
    /** The configuration files read or looked for, in the order they were considered. */
    readonly files: readonly string[] = [],
  ) {
    super(message);
    this.name = 'RegistryConfigError';
  }
}

/** One source's word (the sparse index, the web API, an npm packument) before combining. */
export interface SourceAnswer {
  said: PublishedAnswer;
  /** The version's spelling as the source lists it (it may differ in build metadata). */
  listed: string;
  checksum: string;
  yanked: boolean;
  /** Every version the source lists; empty when it lists none or did not answer. */
  versions: RegistryVersion[];
  evidence: Evidence[];
  /** Why `said` is unknown, one clause naming the URL; "" otherwise. */
  why: string;
}

/** Compares versions as cargo does for uniqueness: build metadata ignored (`1.0.7` = `1.0.7+x`). */
export function sameVersion(a: string, b: string): boolean {
  return withoutBuild(a) === withoutBuild(b);
}

export function withoutBuild(version: string): string {
  return version.trim().replace(/\+.*$/s, '');
}

/** The first characters of a checksum for one-line details. */
export function shortSum(checksum: string): string {
  return checksum.length > 12 ? `${checksum.slice(0, 8)}…` : checksum;
}

/** An answer that knows nothing yet: `unknown`, unreachable, no versions or evidence. */
export function unknownAnswer(
  base: Pick<RegistryAnswer, 'package' | 'ecosystem' | 'registry' | 'url' | 'version'>,
  reason = '',
): RegistryAnswer {
  return { ...base, published: 'unknown', checksum: '', yanked: false, reachable: false, versions: [], evidence: [], reason };
}
