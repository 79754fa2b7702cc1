// A Cargo registry on 127.0.0.1 for tests and the demo: the sparse index, the publish API,
// downloads and the single-version web API, in memory, so that a real `cargo publish
// --registry local` runs without any network. Protocol references: "Registry Index" and
// "Registry Web API" in the Cargo book (doc/rust/html/cargo/reference/ in a toolchain).
//
// It also serves a minimal npm packument route (`GET /npm/<name>`) for the npm registry
// client, and read faults (500, 429, reset, hang) and an index lag for the cargo one.
//
// The server answers from the caller's event loop: run cargo (or anything that runs cargo)
// with the asynchronous `spawn`. spawnSync or execFileSync block the loop, and cargo then
// waits on its first index request, retrying "spurious network errors" for about 2 minutes.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const HOST = '127.0.0.1';

/** Faults the publish endpoint can be told to inject; null publishes normally. */
const PUBLISH_FAULTS = new Set([null, 'accept-then-500', '500', 'store-then-reset', 'store-then-hang', 'already-uploaded', '429', '403']);
/** Faults for reads: the single-version API, the index's crate files, the npm packuments. */
const READ_FAULTS = {
  api: new Set([null, '500', '429', 'reset', 'hang']),
  index: new Set([null, '500', 'reset', 'hang']),
  npm: new Set([null, '500', 'reset', 'hang']),
};

/** crates.io's detail for a 429 on publish (src/util/errors/json.rs, TooManyRequests). */
function rateLimitDetail(retryAt) {
  return (
    'You have published too many updates to existing crates in a short period of time. ' +
    `Please try again after ${retryAt.toUTCString()} and see https://crates.io/docs/rate-limits for more details.`
  );
}

/** crates.io's detail when the token's user does not own the crate (src/controllers/krate/publish.rs). */
const NOT_OWNER =
  "this crate exists but you don't seem to be an owner. If you believe this is a mistake, perhaps you need to accept an invitation to be an owner before publishing.";

/**
 * Starts the registry on a free port (or `options.port`). Publishing needs
 * `Authorization: <token>` (the raw token, as cargo sends it); reads need nothing, as the
 * index advertises `auth-required: false`.
 */
export async function startRegistry(options = {}) {
  const token = options.token ?? `loopback-${randomBytes(12).toString('hex')}`;
  /** Lowercased crate name → published versions, oldest first. */
  const crates = new Map();
  const requests = [];
  /** npm package name → version → its packument entry's dist. */
  const npmPackages = new Map();
  /** Versions published while `faults.indexLag` was set: the index does not list them yet. */
  const lagging = new Set();
  let publishFault = null;
  let indexLag = false;
  let indexDelay = 0;
  const readFaults = { api: null, index: null, npm: null };
  const faults = {
    get publish() {
      return publishFault;
    },
    set publish(value) {
      if (!PUBLISH_FAULTS.has(value)) throw new Error(`unknown publish fault: ${String(value)}`);
      publishFault = value;
    },
    get indexLag() {
      return indexLag;
    },
    /** Milliseconds each index crate file waits before its answer (a slow CDN); 0 for none. */
    get indexDelay() {
      return indexDelay;
    },
    set indexDelay(value) {
      if (!Number.isInteger(value) || value < 0) throw new Error(`indexDelay must be a whole number of milliseconds, not ${String(value)}`);
      indexDelay = value;
    },
    set indexLag(value) {
      if (typeof value !== 'boolean') throw new Error(`indexLag must be true or false, not ${String(value)}`);
      indexLag = value;
      // The sync catches up: every hidden version appears in the index at once.
      if (!value) lagging.clear();
    },
  };
  for (const kind of Object.keys(READ_FAULTS)) {
    Object.defineProperty(faults, kind, {
      enumerable: true,
      get: () => readFaults[kind],
      set: (value) => {
        if (!READ_FAULTS[kind].has(value)) throw new Error(`unknown ${kind} fault: ${String(value)}`);
        readFaults[kind] = value;
      },
    });
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://registry').pathname;
    const at = Date.now();
    // 'close' follows 'finish' for a complete answer; a destroyed socket never finishes.
    res.on('close', () =>
      requests.push({ method: req.method, path, status: res.writableFinished ? res.statusCode : null, at, headers: { ...req.headers } }),
    );
    handle(req, res, path).catch((error) => {
      if (!res.headersSent) sendJson(res, 500, errors(`loopback registry: ${error.message}`));
      else res.destroy();
    });
  });

  const url = await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => resolve(`http://${HOST}:${server.address().port}`));
  });

  async function handle(req, res, path) {
    if (req.method === 'PUT' && path === '/api/v1/crates/new') return publish(req, res);
    if (req.method !== 'GET') return sendJson(res, 405, errors(`method ${req.method} is not supported`));
    if (path.startsWith('/npm/')) {
      if (injectReadFault(res, readFaults.npm)) return;
      return packument(res, decodeURIComponent(path.slice('/npm/'.length)));
    }
    if (path === '/index/config.json') {
      // Without a marker in `dl`, cargo downloads from `<dl>/{crate}/{version}/download`.
      return sendIndexFile(req, res, JSON.stringify({ dl: `${url}/api/v1/crates`, api: url, 'auth-required': false }));
    }
    if (path.startsWith('/index/')) {
      // config.json keeps answering: the fault stands for the crate files' host or cache.
      if (injectReadFault(res, readFaults.index)) return;
      return indexFile(req, res, path.slice('/index/'.length));
    }
    const api = /^\/api\/v1\/crates\/([^/]+)\/([^/]+)(\/download)?$/.exec(path);
    if (api) {
      const [, name, vers, download] = api.map((part) => part && decodeURIComponent(part));
      // Downloads are left alone: crates.io serves them from static.crates.io, not the API.
      if (!download && injectReadFault(res, readFaults.api)) return;
      const found = lookup(name, vers);
      if (typeof found === 'string') return sendJson(res, 404, errors(found));
      if (download) return send(res, 200, { 'content-type': 'application/gzip' }, found.file);
      return sendJson(res, 200, { version: { crate: found.name, num: found.vers, checksum: found.cksum, yanked: found.yanked } });
    }
    return sendJson(res, 404, errors(`no route for ${path}`));
  }

  /** One index file: one JSON line per version. Cargo asks for lowercased names only. */
  async function indexFile(req, res, file) {
    if (indexDelay > 0) await new Promise((resolve) => setTimeout(resolve, indexDelay));
    const name = file.split('/').pop();
    const versions = (crates.get(name) ?? []).filter((v) => !lagging.has(v));
    if (versions.length === 0 || file !== indexPath(name)) return send(res, 404, { 'content-type': 'text/plain' }, 'not found\n');
    return sendIndexFile(req, res, versions.map(({ file: _crate, ...entry }) => `${JSON.stringify(entry)}\n`).join(''));
  }

  /** Answers a read fault instead of the read; false when there is none. */
  function injectReadFault(res, fault) {
    if (fault === null) return false;
    if (fault === '500') sendJson(res, 500, errors('injected fault: internal server error'));
    else if (fault === '429') {
      send(res, 429, { 'content-type': 'application/json', 'retry-after': '30' }, JSON.stringify(errors('injected fault: too many requests')));
    } else if (fault === 'reset') res.destroy();
    // 'hang': no answer until the client gives up or close() drops the connection.
    return true;
  }

  /** A minimal packument: name, dist-tags.latest, versions with dist, time. */
  function packument(res, name) {
    const versions = npmPackages.get(name);
    if (!versions) return sendJson(res, 404, { error: 'Not found' });
    const entries = [...versions.entries()];
    return sendJson(res, 200, {
      _id: name,
      name,
      'dist-tags': { latest: entries[entries.length - 1]?.[0] },
      versions: Object.fromEntries(entries.map(([version, { dist }]) => [version, { name, version, dist }])),
      time: Object.fromEntries(entries.map(([version, { time }]) => [version, time])),
    });
  }

  /** The published version, or the message crates.io gives when there is none. */
  function lookup(name, vers) {
    const versions = crates.get(name.toLowerCase());
    if (!versions) return `crate \`${name}\` does not exist`;
    return versions.find((v) => v.vers === vers) ?? `crate \`${name}\` does not have a version \`${vers}\``;
  }

  /**
   * Adds a version; false when the name already has it (ignoring build metadata). A publish
   * while `faults.indexLag` is set stays out of the index (not of the API) until it is unset.
   */
  function store(entry, file, { seeded = false } = {}) {
    const key = entry.name.toLowerCase();
    const versions = crates.get(key) ?? [];
    const base = (vers) => vers.replace(/\+.*$/, '');
    if (versions.some((v) => base(v.vers) === base(entry.vers))) return false;
    const version = { ...entry, cksum: sha256(file), yanked: false, file };
    versions.push(version);
    crates.set(key, versions);
    if (indexLag && !seeded) lagging.add(version);
    return true;
  }

  async function publish(req, res) {
    if (req.headers.authorization !== token) {
      return sendJson(res, 403, errors('invalid or missing API token (the loopback registry expects its own token)'));
    }
    const parsed = parsePublishBody(await readBody(req));
    if (typeof parsed === 'string') return sendJson(res, 400, errors(parsed));
    const { metadata, file } = parsed;
    if (publishFault === '500') return sendJson(res, 500, errors('injected fault: nothing was stored'));
    if (publishFault === '429') {
      const retryAfter = 60;
      const body = JSON.stringify(errors(rateLimitDetail(new Date(Date.now() + retryAfter * 1000))));
      return send(res, 429, { 'content-type': 'application/json', 'retry-after': String(retryAfter) }, body);
    }
    if (publishFault === '403') return sendJson(res, 403, errors(NOT_OWNER));
    // A concurrent publish of the same version won the race: crates.io's words, nothing stored.
    if (publishFault === 'already-uploaded') return sendJson(res, 400, errors(`crate version \`${metadata.vers}\` is already uploaded`));
    if (!store(indexEntry(metadata), file)) {
      // crates.io's words; cargo normally stops earlier, when it finds the version in the index.
      return sendJson(res, 400, errors(`crate version \`${metadata.vers}\` is already uploaded`));
    }
    if (publishFault === 'accept-then-500') return sendJson(res, 500, errors('injected fault: the version was stored'));
    if (publishFault === 'store-then-reset') return res.destroy();
    // The upload landed and the answer never comes (until the client gives up or close()).
    if (publishFault === 'store-then-hang') return undefined;
    return sendJson(res, 200, { warnings: { invalid_categories: [], invalid_badges: [], other: [] } });
  }

  return {
    url,
    indexUrl: `${url}/index/`,
    npmUrl: `${url}/npm/`,
    port: Number(new URL(url).port),
    token,
    crates,
    requests,
    faults,
    /** Stores `name@version` as if published; `file` stands in for the .crate (no real archive needed). */
    seed(name, version, file = Buffer.from(`${name}-${version} seeded by the loopback registry\n`)) {
      // Seeding stands for history: it is in the index at once, whatever faults.indexLag says.
      if (!store({ name, vers: version, deps: [], features: {}, links: null }, file, { seeded: true })) {
        throw new Error(`${name}@${version} is already in the loopback registry`);
      }
    },
    npm: {
      packages: npmPackages,
      /** Stores `name@version` in the packument; `integrity` defaults to a sha512 of a stand-in tarball. */
      seed(name, version, integrity) {
        const versions = npmPackages.get(name) ?? new Map();
        if (versions.has(version)) throw new Error(`${name}@${version} is already in the loopback npm registry`);
        const tarball = Buffer.from(`${name}-${version} seeded by the loopback registry\n`);
        const base = name.replace(/^@[^/]+\//, '');
        versions.set(version, {
          dist: {
            integrity: integrity ?? `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
            shasum: createHash('sha1').update(tarball).digest('hex'),
            tarball: `${url}/npm/${name}/-/${base}-${version}.tgz`,
          },
          time: new Date().toISOString(),
        });
        npmPackages.set(name, versions);
      },
    },
    close() {
      return new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections(); // cargo's keep-alive connections would hold close() open
      });
    },
  };
}

/** Where the sparse index keeps a crate: 1/a, 2/ab, 3/a/abc, ab/cd/abcd… (name lowercased). */
export function indexPath(name) {
  const lower = name.toLowerCase();
  if (lower.length <= 2) return `${lower.length}/${lower}`;
  if (lower.length === 3) return `3/${lower[0]}/${lower}`;
  return `${lower.slice(0, 2)}/${lower.slice(2, 4)}/${lower}`;
}

/**
 * Splits cargo's publish body: u32 LE length + JSON metadata, u32 LE length + .crate bytes.
 * Returns a message for a malformed body.
 */
function parsePublishBody(body) {
  if (body.length < 4) return 'publish body is too short';
  const jsonEnd = 4 + body.readUInt32LE(0);
  if (body.length < jsonEnd + 4) return 'publish body is truncated in its metadata';
  const crateEnd = jsonEnd + 4 + body.readUInt32LE(jsonEnd);
  if (body.length !== crateEnd) return 'publish body length does not match its .crate length';
  let metadata;
  try {
    metadata = JSON.parse(body.subarray(4, jsonEnd).toString('utf8'));
  } catch {
    return 'publish metadata is not JSON';
  }
  if (typeof metadata?.name !== 'string' || typeof metadata.vers !== 'string') return 'publish metadata needs `name` and `vers`';
  return { metadata, file: body.subarray(jsonEnd + 4) };
}

/**
 * The index line for published metadata. The two formats differ for dependencies: the
 * publish API names a renamed dependency by its package and puts the alias in
 * `explicit_name_in_toml`, the index names it by the alias and puts the package in
 * `package`; `version_req` becomes `req`. `cksum` and `yanked` are added by `store`.
 */
function indexEntry(metadata) {
  const deps = (metadata.deps ?? []).map((dep) => ({
    name: dep.explicit_name_in_toml ?? dep.name,
    req: dep.version_req,
    features: dep.features ?? [],
    optional: dep.optional ?? false,
    default_features: dep.default_features ?? true,
    target: dep.target ?? null,
    kind: dep.kind ?? 'normal',
    registry: dep.registry ?? null,
    ...(dep.explicit_name_in_toml ? { package: dep.name } : {}),
  }));
  return {
    name: metadata.name,
    vers: metadata.vers,
    deps,
    features: metadata.features ?? {},
    links: metadata.links ?? null,
    ...(metadata.rust_version ? { rust_version: metadata.rust_version } : {}),
  };
}

/**
 * The environment for running cargo against `registry`: the caller's environment without
 * its CARGO_* settings (a developer's CARGO_TARGET_DIR or registry token must not leak in),
 * an isolated CARGO_HOME (no user config, no cached index, no stored credentials), the
 * registry token, and no proxy for loopback. `/root/.cargo/bin/cargo`-style rustup proxies
 * keep working: they find their toolchain through RUSTUP_HOME (or ~/.rustup), not CARGO_HOME.
 */
export function cargoEnv(registry, cargoHome) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CARGO_')));
  const noProxy = [process.env.NO_PROXY ?? process.env.no_proxy, HOST, 'localhost'].filter(Boolean).join(',');
  return {
    ...env,
    CARGO_HOME: cargoHome,
    CARGO_REGISTRIES_LOCAL_TOKEN: registry.token,
    CARGO_TERM_COLOR: 'never',
    // libcurl honours these; a proxy for 127.0.0.1 would be a proxy on another machine.
    NO_PROXY: noProxy,
    no_proxy: noProxy,
  };
}

/**
 * Writes `<dir>/.cargo/config.toml` naming `registry` as the `local` sparse registry. Cargo
 * reads it in the folder it runs in and in every folder above; put it above the crate:
 * cargo would package it into the .crate (and, uncommitted, it makes the tree dirty).
 */
export function writeCargoConfig(dir, registry) {
  mkdirSync(join(dir, '.cargo'), { recursive: true });
  writeFileSync(join(dir, '.cargo', 'config.toml'), `[registries.local]\nindex = "sparse+${registry.indexUrl}"\n`);
}

/**
 * Writes a minimal publishable library crate (no dependencies) into `dir`: Cargo.toml and
 * src/lib.rs only. There is no .gitignore, so keep cargo's build output out of the
 * repository (CARGO_TARGET_DIR elsewhere) before a `git add -A`: a committed target/ is
 * packaged, and cargo's own writes under it then make the tree dirty.
 */
export function writeCrate(dir, { name, version, lib = 'pub fn answer() -> u32 {\n    42\n}\n' }) {
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(
    join(dir, 'Cargo.toml'),
    `[package]\nname = "${name}"\nversion = "${version}"\nedition = "2021"\ndescription = "A test crate for the loopback registry"\nlicense = "MIT"\n`,
  );
  writeFileSync(join(dir, 'src', 'lib.rs'), lib);
}

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

function errors(detail) {
  return { errors: [{ detail }] };
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** An index file with an ETag, answering 304 when cargo's cached copy is current. */
function sendIndexFile(req, res, text) {
  const etag = `"${sha256(text)}"`;
  if (req.headers['if-none-match'] === etag) return send(res, 304, { etag }, '');
  return send(res, 200, { 'content-type': 'text/plain; charset=utf-8', etag }, text);
}

function sendJson(res, status, body) {
  return send(res, status, { 'content-type': 'application/json' }, JSON.stringify(body));
}

function send(res, status, headers, body) {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
