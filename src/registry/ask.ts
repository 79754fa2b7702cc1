// The registry's word on one version: where the registry is (from cargo's or npm's own
// configuration), then what it says, three-valued with evidence. Every problem short of a
// programming error becomes `unknown` with a reason, configuration problems included, so a
// caller has one path: report `reason`, keep `evidence`. Callers that want a configuration
// problem as an error call resolveCargoRegistry / resolveNpmRegistry first: they throw
// RegistryConfigError.
import { askCargo, gitIndexAnswer } from './cargo.js';
import { cargoIndexLocation, resolveCargoRegistry } from './cargo-config.js';
import { ConditionalCache, DEFAULT_TIMEOUT_MS, userAgent, type HttpContext } from './http.js';
import { RegistryConfigError, unknownAnswer, type AskRequest, type RegistryAnswer } from './model.js';
import { askNpm, resolveNpmRegistry } from './npm.js';

export { RegistryConfigError } from './model.js';
export type { AskRequest, PublishedAnswer, RegistryAnswer, Evidence, RegistryVersion } from './model.js';
export { CRATES_IO, CRATES_IO_INDEX, cargoConfigCandidates, cargoIndexLocation, defaultCargoRegistry, registryEnvName, resolveCargoRegistry, type CargoRegistryLocation } from './cargo-config.js';
export { indexFilePath } from './cargo.js';
export { NPMJS, NPMJS_REGISTRY, resolveNpmRegistry, type NpmRegistryLocation } from './npm.js';

/**
 * Asks made with the same session share one HTTP context: one config.json request per index,
 * one cache, one spacing of web-API requests (the packages of one check).
 */
export interface RegistrySession {
  context?: HttpContext;
}

function httpContext(request: AskRequest): HttpContext {
  return {
    timeoutMs: request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    userAgent: userAgent(request.toolVersion),
    now: request.now ?? (() => new Date()),
    cache: request.cacheDir ? new ConditionalCache(request.cacheDir) : null,
  };
}

/**
 * Whether `request.version` of `request.name` is on its registry. Never throws for registry,
 * network or configuration problems: they come back as `published: 'unknown'` with
 * `reason` (and, for configuration problems, `url: ""` and no evidence).
 */
export async function askRegistry(request: AskRequest, session?: RegistrySession): Promise<RegistryAnswer> {
  const context = session ? (session.context ??= httpContext(request)) : httpContext(request);
  const base = { package: request.name, version: request.version, registry: request.registry };
  const asked = { name: request.name, version: request.version, registry: request.registry, useApi: request.useApi !== false };
  try {
    if (request.ecosystem === 'npm') {
      return await askNpm(resolveNpmRegistry(request.name, request.cwd, request.env), asked, context);
    }
    const location = request.index !== undefined
      ? cargoIndexLocation(request.index, '--index')
      : resolveCargoRegistry(request.registry, request.cwd, request.env);
    if (location.protocol === 'git') return gitIndexAnswer(base, location);
    return await askCargo(location, asked, context);
  } catch (error) {
    if (!(error instanceof RegistryConfigError)) throw error;
    return unknownAnswer({ ...base, ecosystem: request.ecosystem, url: '' }, error.message);
  }
}
