// Whether a version is on an npm registry: the package's packument (`GET <registry>/<name>`)
// lists every version with its `dist.integrity`. One source, so its word is the answer.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { redactUrl } from '../release/redact.js';
import { httpGet, oneLine, statusLine, type HttpContext } from './http.js';
import { RegistryConfigError, sameVersion, shortSum, unknownAnswer, type RegistryAnswer, type RegistryVersion } from './model.js';

export const NPMJS = 'npmjs';
export const NPMJS_REGISTRY = 'https://registry.npmjs.org/';

export interface NpmRegistryLocation {
  /** The registry root, ending in `/`. */
  url: string;
  /** Where it came from: an environment variable, an .npmrc path and key, or "built-in". */
  from: string;
}

/**
 * The registry npm would publish `name` to. npm's layers, highest first: the environment
 * (`npm_config_*`, any case), the .npmrc files from `cwd` up (the deeper first), the user's
 * (`npm_config_userconfig`, else `$HOME/.npmrc`). As in npm, a scoped name's
 * `@scope:registry` in any layer wins over `registry` in every layer. Throws
 * RegistryConfigError when the chosen value is not an http(s) URL.
 */
export function resolveNpmRegistry(name: string, cwd: string, env: NodeJS.ProcessEnv): NpmRegistryLocation {
  const scope = /^(@[^/]+)\//.exec(name)?.[1];
  const layers = npmConfigLayers(cwd, env);
  const pick = (key: string): NpmRegistryLocation | null => {
    for (const layer of layers) {
      const value = layer.values.get(key);
      if (value) return check({ url: value, from: `${layer.from} (${key})` });
    }
    return null;
  };
  return (scope ? pick(`${scope}:registry`) : null) ?? pick('registry') ?? { url: NPMJS_REGISTRY, from: 'built-in' };
}

function check(location: NpmRegistryLocation): NpmRegistryLocation {
  let url: URL;
  try {
    url = new URL(location.url);
  } catch {
    throw new RegistryConfigError(`npm registry "${redactUrl(location.url)}" from ${location.from} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RegistryConfigError(`npm registry "${redactUrl(location.url)}" from ${location.from} is not http(s)://`);
  }
  return { url: url.href.endsWith('/') ? url.href : `${url.href}/`, from: location.from };
}

interface Layer {
  from: string;
  values: Map<string, string>;
}

function npmConfigLayers(cwd: string, env: NodeJS.ProcessEnv): Layer[] {
  // npm reads npm_config_* case-insensitively; `npm_config_@scope:registry` works too.
  const fromEnv = new Map<string, string>();
  for (const [key, value] of Object.entries(env)) {
    if (value && /^npm_config_/i.test(key)) fromEnv.set(key.slice('npm_config_'.length).toLowerCase(), value);
  }
  const layers: Layer[] = [{ from: 'the environment', values: fromEnv }];
  const files: string[] = [];
  for (let folder = resolve(cwd); ; folder = dirname(folder)) {
    files.push(join(folder, '.npmrc'));
    if (dirname(folder) === folder) break;
  }
  const user = fromEnv.get('userconfig') || join(env.HOME || env.USERPROFILE || homedir(), '.npmrc');
  if (!files.includes(resolve(user))) files.push(resolve(user));
  for (const file of files) {
    if (!existsSync(file)) continue;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new RegistryConfigError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, files);
    }
    layers.push({ from: file, values: parseNpmrc(text, env) });
  }
  return layers;
}

/**
 * The keys of an .npmrc (ini: `key = value`, `#`/`;` comments, optional quotes, `${VAR}`
 * from the environment). Keys are lowercased as npm does; auth lines are read but unused.
 */
export function parseNpmrc(text: string, env: NodeJS.ProcessEnv): Map<string, string> {
  const values = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim().toLowerCase();
    let value = line.slice(eq + 1).trim();
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    value = value.replace(/\$\{([^}]+)\}/g, (_, variable: string) => env[variable] ?? '');
    values.set(key, value);
  }
  return values;
}

/** `@scope/name` travels as `@scope%2fname`, as npm's own client sends it. */
export function packumentPath(name: string): string {
  return name.startsWith('@') ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name);
}

interface Packument {
  versions?: Record<string, { version?: unknown; dist?: { integrity?: unknown; shasum?: unknown } } | undefined>;
  time?: { unpublished?: unknown };
}

/** `dist.integrity`, or for packages older than it the sha1 `shasum` as an SRI string. */
function integrityOf(entry: { dist?: { integrity?: unknown; shasum?: unknown } } | undefined): string {
  const dist = entry?.dist;
  if (typeof dist?.integrity === 'string') return dist.integrity;
  if (typeof dist?.shasum === 'string' && /^[0-9a-f]{40}$/i.test(dist.shasum)) {
    return `sha1-${Buffer.from(dist.shasum, 'hex').toString('base64')}`;
  }
  return '';
}

/**
 * Asks the packument. 200 with the version → yes; 200 without it (or an unpublished
 * package's stub) → no; 404 → no (no such package); anything else → unknown. npm has no
 * yank: `yanked` is always false (a deprecated version is still installed by npm).
 */
export async function askNpm(
  location: NpmRegistryLocation,
  request: { name: string; version: string; registry: string },
  context: HttpContext,
): Promise<RegistryAnswer> {
  const { name, version, registry } = request;
  const answer = await httpGet(`${location.url}${packumentPath(name)}`, context, { accept: 'application/json' });
  const where = `registry \`${registry}\` (${redactUrl(location.url)})`;
  const result = unknownAnswer({ package: name, ecosystem: 'npm', registry, url: redactUrl(location.url), version });
  const cannotTell = (detail: string, because: string): RegistryAnswer => ({
    ...result,
    evidence: [{ source: answer.source, status: answer.status, at: answer.at, detail }],
    reason: `Cannot tell whether ${name}@${version} is on ${where}: ${answer.source} ${because}.`,
  });
  if (!answer.ok) return cannotTell(answer.error, `gave no answer (${answer.error})`);
  const evidence = (detail: string): RegistryAnswer['evidence'] => [{ source: answer.source, status: answer.status, at: answer.at, detail }];
  if (answer.status === 404) {
    return { ...result, published: 'no', reachable: true, evidence: evidence(`404: no package \`${name}\` on the registry`) };
  }
  if (answer.status !== 200) {
    const line = statusLine(answer.status, answer.body, answer.headers);
    return cannotTell(line, `answered ${line}`);
  }
  let packument: Packument;
  try {
    packument = JSON.parse(answer.body) as Packument;
    if (typeof packument !== 'object' || packument === null) throw new Error('not an object');
  } catch {
    return cannotTell(`200 but not JSON: ${oneLine(answer.body, 120)}`, 'answered 200 with a body that is not JSON');
  }
  if (typeof packument.versions !== 'object' || packument.versions === null) {
    // A package whose every version was unpublished keeps a stub with `time.unpublished`.
    if (packument.time?.unpublished) {
      return { ...result, published: 'no', reachable: true, evidence: evidence('packument of an unpublished package: no versions') };
    }
    return cannotTell('200 but the packument has no `versions`', 'answered a packument without `versions`');
  }
  const versions: RegistryVersion[] = Object.entries(packument.versions).map(([key, entry]) => ({
    version: key,
    checksum: integrityOf(entry),
    yanked: false,
  }));
  const found = versions.find((v) => sameVersion(v.version, version));
  if (!found) {
    return {
      ...result,
      published: 'no',
      reachable: true,
      versions,
      evidence: evidence(`packument lists ${versions.length} version${versions.length === 1 ? '' : 's'}, not ${version}`),
    };
  }
  return {
    ...result,
    published: 'yes',
    reachable: true,
    checksum: found.checksum,
    versions,
    evidence: evidence(`packument lists ${found.version} (integrity ${shortSum(found.checksum) || 'not given'})`),
  };
}
