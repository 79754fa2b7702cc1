/** What the publish endpoint does instead of a normal publish; null publishes normally. */
export type PublishFault =
  | null
  /** Stores the version (index and download), then answers 500. */
  | 'accept-then-500'
  /** Answers 500 and stores nothing. */
  | '500'
  /** Stores the version, then destroys the connection without an answer. */
  | 'store-then-reset';

/** A dependency in an index line (the index format, not the publish API's). */
export interface IndexDependency {
  /** The name the dependent uses: the alias when renamed. */
  name: string;
  req: string;
  features: string[];
  optional: boolean;
  default_features: boolean;
  target: string | null;
  kind: 'normal' | 'dev' | 'build';
  /** Index URL of the dependency's registry; null for this registry. */
  registry: string | null;
  /** The real package name when `name` is an alias. */
  package?: string;
}

/** A stored version: its index line (every field but `file`) and its .crate bytes. */
export interface PublishedVersion {
  name: string;
  vers: string;
  deps: IndexDependency[];
  features: Record<string, string[]>;
  links: string | null;
  rust_version?: string;
  /** sha256 hex of `file`. */
  cksum: string;
  yanked: boolean;
  file: Buffer;
}

export interface RegistryRequest {
  method: string;
  /** URL path without the query. */
  path: string;
  /** The status answered; null when the connection closed without a complete answer. */
  status: number | null;
}

export interface RegistryOptions {
  /** Port on 127.0.0.1; a free one by default. */
  port?: number;
  /** The token publish requires; a random one by default. */
  token?: string;
}

export interface LoopbackRegistry {
  /** `http://127.0.0.1:<port>`, the web API root. */
  readonly url: string;
  /** `<url>/index/`; cargo's registry index is `sparse+<indexUrl>`. */
  readonly indexUrl: string;
  readonly port: number;
  readonly token: string;
  /** Lowercased crate name → stored versions, oldest first. */
  readonly crates: Map<string, PublishedVersion[]>;
  /** Every answered (or abandoned) request, in order. */
  readonly requests: RegistryRequest[];
  /** Set `faults.publish` to inject a fault into the next publishes; setting an unknown value throws. */
  readonly faults: { publish: PublishFault };
  /** Stores `name@version` as if published; `file` stands in for the .crate. Throws when it exists. */
  seed(name: string, version: string, file?: Buffer): void;
  close(): Promise<void>;
}

/**
 * Starts the registry in this process. It answers from this event loop: run cargo with the
 * asynchronous `spawn`, never spawnSync/execFileSync, which would leave cargo hanging.
 */
export function startRegistry(options?: RegistryOptions): Promise<LoopbackRegistry>;

/** The sparse index path of a crate: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd…`, lowercased. */
export function indexPath(name: string): string;

/** The environment for cargo against `registry`, with `cargoHome` as an isolated CARGO_HOME. */
export function cargoEnv(registry: Pick<LoopbackRegistry, 'token'>, cargoHome: string): NodeJS.ProcessEnv;

/** Writes `<dir>/.cargo/config.toml` declaring the `local` registry. */
export function writeCargoConfig(dir: string, registry: Pick<LoopbackRegistry, 'indexUrl'>): void;

/** Writes `Cargo.toml` and `src/lib.rs` of a publishable library crate without dependencies. */
export function writeCrate(dir: string, crate: { name: string; version: string; lib?: string }): void;
