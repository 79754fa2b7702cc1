/** What the publish endpoint does instead of a normal publish; null publishes normally. */
export type PublishFault =
  | null
  /** Stores the version (index and download), then answers 500. */
  | 'accept-then-500'
  /** Answers 500 and stores nothing. */
  | '500'
  /** Stores the version, then destroys the connection without an answer. */
  | 'store-then-reset'
  /**
   * Stores the version (index and download), then never answers: the client waits until its
   * own deadline or until close() drops the connection. `requests` lists the request only then.
   */
  | 'store-then-hang'
  /**
   * Answers 400 ``crate version `V` is already uploaded`` and stores nothing, as crates.io
   * answers the loser of two concurrent publishes of one version.
   */
  | 'already-uploaded'
  /**
   * Answers 429 with `Retry-After: 60` and crates.io's detail "You have published too many
   * updates to existing crates in a short period of time. Please try again after
   * <HTTP-date> and see https://crates.io/docs/rate-limits for more details."; stores nothing.
   */
  | '429'
  /**
   * Answers 403 with crates.io's "this crate exists but you don't seem to be an owner. …"
   * (a valid token whose user does not own the crate); stores nothing.
   */
  | '403';

/**
 * What a read answers instead of its content; null answers normally.
 * `'500'`: 500 with an errors body. `'429'` (API only): 429 with `Retry-After: 30`.
 * `'reset'`: the connection is destroyed without an answer. `'hang'`: no answer at all
 * until the client gives up (use a short client deadline) or close() drops the connection.
 */
export type ApiReadFault = null | '500' | '429' | 'reset' | 'hang';
export type IndexReadFault = null | '500' | 'reset' | 'hang';
export type NpmReadFault = null | '500' | 'reset' | 'hang';

export interface RegistryFaults {
  /** Injected into the next publishes. */
  publish: PublishFault;
  /** Injected into `GET /api/v1/crates/{name}/{version}` (not into downloads). */
  api: ApiReadFault;
  /** Injected into the index's crate files; `config.json` keeps answering. */
  index: IndexReadFault;
  /** Injected into `GET /npm/<name>`. */
  npm: NpmReadFault;
  /**
   * While true, versions published (not seeded) stay out of the index though the API and
   * downloads have them, like crates.io's asynchronous index sync; setting it back to false
   * lets them all appear. A crate whose every version is hidden is a 404 in the index.
   */
  indexLag: boolean;
  /** Milliseconds each index crate file waits before its answer (a slow CDN); 0, the default, for none. */
  indexDelay: number;
}

/** The dist of an npm version as the packument serves it. */
export interface NpmDist {
  /** SRI string, e.g. `sha512-…`. */
  integrity: string;
  /** sha1 hex of the stand-in tarball. */
  shasum: string;
  tarball: string;
}

export interface LoopbackNpmRegistry {
  /** Package name → version → its dist and publish time, in seeding order. */
  readonly packages: Map<string, Map<string, { dist: NpmDist; time: string }>>;
  /**
   * Stores `name@version` (a scoped name as `@scope/name`) in the packument served at
   * `GET /npm/<name>` (`@scope%2fname` or `@scope/name`). `integrity` defaults to the sha512
   * of a stand-in tarball. Throws when the version exists. Unknown packages answer 404.
   */
  seed(name: string, version: string, integrity?: string): void;
}

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
  /** When the request arrived, in ms since the epoch (Date.now()). */
  at: number;
  /** The request's headers, names lowercased (user-agent, if-none-match, …). */
  headers: Record<string, string | string[] | undefined>;
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
  /** `<url>/npm/`: an npm registry root serving the packuments of `npm.seed`. */
  readonly npmUrl: string;
  readonly port: number;
  readonly token: string;
  /** Lowercased crate name → stored versions, oldest first. */
  readonly crates: Map<string, PublishedVersion[]>;
  /** Every answered (or abandoned) request, in the order they ended. */
  readonly requests: RegistryRequest[];
  /** Set a fault to inject it into the next requests of its kind; setting an unknown value throws. */
  readonly faults: RegistryFaults;
  /**
   * Stores `name@version` as if published; `file` stands in for the .crate. Throws when it
   * exists. Seeded versions are in the index at once, even while `faults.indexLag` is set.
   */
  seed(name: string, version: string, file?: Buffer): void;
  /** The npm packument route. */
  readonly npm: LoopbackNpmRegistry;
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
