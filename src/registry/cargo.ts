// Whether a crate version is on a cargo registry, from its two sources: the sparse index
// (what cargo reads before `cargo publish` refuses "already exists") and the web API's
// single-version endpoint (the registry's database). They can disagree for a while: after a
// publish, crates.io writes the database first and syncs the index asynchronously, and the
// index is cached at the edge for up to 10 minutes. So both are asked, and only their
// agreement is an answer (release-anchors research, section 4).
import { redactUrl } from '../release/redact.js';
import type { CargoRegistryLocation } from './cargo-config.js';
import { errorDetail, httpGet, oneLine, statusLine, type HttpAnswer, type HttpContext, type HttpFailure } from './http.js';
import {
  sameVersion,
  shortSum,
  unknownAnswer,
  type RegistryAnswer,
  type Evidence,
  type RegistryVersion,
  type SourceAnswer,
} from './model.js';

/** crates.io's API use policy: "A maximum of 1 request per second". */
export const API_SPACING_MS = 1000;

/** Where the sparse index keeps a crate: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd…`, lowercased. */
export function indexFilePath(name: string): string {
  const lower = name.toLowerCase();
  if (lower.length <= 2) return `${lower.length}/${lower}`;
  if (lower.length === 3) return `3/${lower[0]}/${lower}`;
  return `${lower.slice(0, 2)}/${lower.slice(2, 4)}/${lower}`;
}

/**
 * The versions of an index file: one JSON object per line. Lines that do not parse (or lack
 * `vers`) are skipped, as cargo skips entries of a newer schema; `skipped` counts them.
 */
export function parseIndexFile(text: string): { versions: RegistryVersion[]; skipped: number } {
  const versions: RegistryVersion[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as { vers?: unknown; cksum?: unknown; yanked?: unknown };
      if (typeof entry.vers !== 'string') throw new Error('no vers');
      versions.push({ version: entry.vers, checksum: typeof entry.cksum === 'string' ? entry.cksum : '', yanked: entry.yanked === true });
    } catch {
      skipped += 1;
    }
  }
  return { versions, skipped };
}

interface IndexConfig {
  /** The web API root, or null when the registry has none (then the index alone answers). */
  api: string | null;
}

/** The index's word, plus the API root its config.json advertises. */
export interface IndexAnswer extends SourceAnswer {
  /** config.json answered; without it the API root is not known. */
  configured: boolean;
  api: string | null;
}

/**
 * config.json per index URL and HTTP context: the packages of one workspace asked together
 * share one request (the answer, evidence included, is the same for all of them).
 */
const configRequests = new WeakMap<HttpContext, Map<string, ReturnType<typeof httpGet>>>();

function configJson(url: string, context: HttpContext): ReturnType<typeof httpGet> {
  let byUrl = configRequests.get(context);
  if (byUrl === undefined) configRequests.set(context, (byUrl = new Map()));
  let request = byUrl.get(url);
  if (request === undefined) byUrl.set(url, (request = httpGet(url, context, { conditional: true })));
  return request;
}

/** Asks the sparse index: config.json and the crate's file, in parallel (no rate limit there). */
export async function askIndex(location: CargoRegistryLocation, name: string, version: string, context: HttpContext): Promise<IndexAnswer> {
  const [config, file] = await Promise.all([
    configJson(`${location.url}config.json`, context),
    httpGet(`${location.url}${indexFilePath(name)}`, context, { conditional: true }),
  ]);
  const evidence: Evidence[] = [];
  const parsed = readConfig(config);
  evidence.push(parsed.evidence);
  const said = readIndexFile(file, name, version);
  evidence.push({ source: file.source, status: file.status, at: file.at, detail: said.detail });
  return {
    ...said.answer,
    evidence,
    configured: parsed.config !== null,
    api: parsed.config?.api ?? null,
    why: [parsed.why, said.answer.why].filter(Boolean).join('; '),
  };
}

function readConfig(answer: HttpAnswer | HttpFailure): { config: IndexConfig | null; evidence: Evidence; why: string } {
  const base = { source: answer.source, status: answer.status, at: answer.at };
  const fail = (detail: string, why: string): { config: null; evidence: Evidence; why: string } => ({
    config: null,
    evidence: { ...base, detail: `config.json: ${detail}` },
    why: `${answer.source} ${why}, so the web API is not known`,
  });
  if (!answer.ok) return fail(answer.error, `gave no answer (${answer.error})`);
  if (answer.status !== 200 && !answer.cached) {
    const line = statusLine(answer.status, answer.body, answer.headers);
    return fail(line, `answered ${line}`);
  }
  const cached = answer.cached ? '304 not modified, cached copy used: ' : '';
  try {
    const json = JSON.parse(answer.body) as { api?: unknown };
    const api = typeof json.api === 'string' && json.api ? json.api : null;
    const detail = `${cached}config.json: api ${api ? redactUrl(api) : 'none (the index alone answers)'}`;
    return { config: { api }, evidence: { ...base, detail }, why: '' };
  } catch {
    return fail(`${cached}not JSON`, 'is not JSON');
  }
}

function readIndexFile(answer: HttpAnswer | HttpFailure, name: string, version: string): { answer: Omit<SourceAnswer, 'evidence'>; detail: string } {
  const none = { listed: '', checksum: '', yanked: false, versions: [] };
  if (!answer.ok) return { answer: { ...none, said: 'unknown', why: `the index file ${answer.source} gave no answer (${answer.error})` }, detail: answer.error };
  // The sparse-index spec: a crate that does not exist answers 404, 410 or 451.
  if ([404, 410, 451].includes(answer.status)) {
    const detail = `${answer.status}: the index has no crate \`${name}\``;
    return { answer: { ...none, said: 'no', why: '' }, detail };
  }
  if (answer.status !== 200 && !answer.cached) {
    const detail = statusLine(answer.status, answer.body, answer.headers);
    return { answer: { ...none, said: 'unknown', why: `the index file ${answer.source} answered ${detail}` }, detail };
  }
  const cached = answer.cached ? '304 not modified, cached copy used: ' : '';
  const { versions, skipped } = parseIndexFile(answer.body);
  if (versions.length === 0) {
    // An index file always has at least one line; an empty or garbled one is no evidence.
    const detail = `${cached}index file lists no readable version${skipped ? ` (${skipped} unreadable lines)` : ''}`;
    return { answer: { ...none, said: 'unknown', why: `the index file ${answer.source} lists no readable version` }, detail };
  }
  const found = versions.find((v) => sameVersion(v.version, version));
  if (!found) {
    const last = versions[versions.length - 1]?.version ?? '';
    const detail = `${cached}index lists ${versions.length} version${versions.length === 1 ? '' : 's'} (last listed ${last}), not ${version}`;
    return { answer: { ...none, versions, said: 'no', why: '' }, detail };
  }
  const spelling = found.version === version ? found.version : `${found.version} (the same version as ${version}: build metadata is ignored)`;
  const detail = `${cached}index lists ${spelling} (cksum ${shortSum(found.checksum)}${found.yanked ? ', yanked' : ''})`;
  return { answer: { said: 'yes', listed: found.version, checksum: found.checksum, yanked: found.yanked, versions, why: '' }, detail };
}

/**
 * Asks the web API for one version: `GET <api>/api/v1/crates/{name}/{version}`. A 404 is
 * "no" only when its body is crates.io's own "does not exist" / "does not have a version":
 * a bare 404 may come from a wrong API root or a proxy.
 */
export async function askApi(api: string, name: string, version: string, context: HttpContext): Promise<SourceAnswer> {
  const url = `${api.replace(/\/+$/, '')}/api/v1/crates/${encodeURIComponent(name)}/${encodeURIComponent(version)}`;
  const answer = await httpGet(url, context, { accept: 'application/json', spacingMs: API_SPACING_MS });
  const none = { listed: '', checksum: '', yanked: false, versions: [] };
  const evidence = (detail: string): Evidence[] => [{ source: answer.source, status: answer.status, at: answer.at, detail }];
  if (!answer.ok) return { ...none, said: 'unknown', evidence: evidence(answer.error), why: `the API at ${answer.source} gave no answer (${answer.error})` };
  if (answer.status === 200) {
    try {
      const body = JSON.parse(answer.body) as { version?: { num?: unknown; checksum?: unknown; yanked?: unknown } };
      const num = body.version?.num;
      if (typeof num !== 'string' || !sameVersion(num, version)) throw new Error('another version');
      const checksum = typeof body.version?.checksum === 'string' ? body.version.checksum : '';
      const yanked = body.version?.yanked === true;
      const detail = `API lists ${num} (checksum ${shortSum(checksum) || 'not given'}${yanked ? ', yanked' : ''})`;
      return { said: 'yes', listed: num, checksum, yanked, versions: [], evidence: evidence(detail), why: '' };
    } catch {
      const detail = `200 but the body is not a version record for ${version}: ${oneLine(answer.body, 120)}`;
      return { ...none, said: 'unknown', evidence: evidence(detail), why: `the API at ${answer.source} answered 200 without a version record` };
    }
  }
  const detail = statusLine(answer.status, answer.body, answer.headers);
  if (answer.status === 404) {
    const said = errorDetail(answer.body);
    if (/does not exist|does not have a version/.test(said)) {
      const which = /does not have a version/.test(said) ? 'the crate exists, the version does not' : 'the crate does not exist';
      return { ...none, said: 'no', evidence: evidence(`${detail} (${which})`), why: '' };
    }
  }
  return { ...none, said: 'unknown', evidence: evidence(detail), why: `the API at ${answer.source} answered ${detail}` };
}

/**
 * The sources' combined word. Both yes (same checksum) → yes; both no → no; a yes against
 * a no, differing checksums, or any source without a word → unknown. When config.json
 * advertises no API the index alone answers.
 */
export function combineCargo(
  base: Pick<RegistryAnswer, 'package' | 'registry' | 'url' | 'version'>,
  index: IndexAnswer,
  api: SourceAnswer | null,
): RegistryAnswer {
  const evidence = [...index.evidence, ...(api?.evidence ?? [])];
  const answered = (s: SourceAnswer | null): boolean => s !== null && s.said !== 'unknown';
  const answer: RegistryAnswer = {
    ...base,
    ecosystem: 'cargo',
    published: 'unknown',
    checksum: '',
    yanked: false,
    reachable: answered(index) || answered(api),
    versions: index.said === 'unknown' ? [] : index.versions,
    evidence,
    reason: '',
  };
  const where = `registry \`${base.registry}\` (${base.url})`;
  const unknown = (reason: string): RegistryAnswer => ({ ...answer, reason });

  // "the index says it is not, but <why the other source has no word>"
  const saying = (source: string, s: SourceAnswer | null): string =>
    s && s.said !== 'unknown' ? `${source} says it is${s.said === 'yes' ? '' : ' not'}, but ` : '';
  const cannotTell = (because: string): RegistryAnswer =>
    unknown(`Cannot tell whether ${base.package}@${base.version} is on ${where}: ${because}.`);

  if (!index.configured) return cannotTell(`${saying('the index', index)}${index.why}`);
  if (index.api === null) {
    // A registry without a web API (a static sparse index): the index is all there is.
    if (index.said === 'unknown') return cannotTell(index.why);
    return { ...answer, published: index.said, checksum: index.checksum, yanked: index.yanked };
  }
  if (api === null || api.said === 'unknown') return cannotTell(`${saying('the index', index)}${[index.why, api?.why ?? ''].filter(Boolean).join('; ')}`);
  if (index.said === 'unknown') return cannotTell(`${saying('the web API', api)}${index.why}`);
  if (index.said === 'no' && api.said === 'no') return { ...answer, published: 'no' };
  if (index.said === 'yes' && api.said === 'yes') {
    if (index.checksum && api.checksum && index.checksum !== api.checksum) {
      return unknown(
        `${where} gives two checksums for ${base.package}@${base.version}: the index ${index.checksum}, the API ${api.checksum}; the registry is inconsistent, ask its operators.`,
      );
    }
    // The API is the registry's database: its yanked flag is the current one.
    return { ...answer, published: 'yes', checksum: index.checksum || api.checksum, yanked: api.yanked };
  }
  if (api.said === 'yes') {
    return unknown(
      `The sources of ${where} disagree: the web API lists ${base.package}@${base.version} but the index does not yet; the index is probably lagging behind the API after a recent publish (crates.io syncs it asynchronously, and edges cache it up to 10 minutes): ask again in a few minutes.`,
    );
  }
  return unknown(
    `The sources of ${where} disagree: the index lists ${base.package}@${base.version} but the web API does not (deleted, or served from a stale index); ask again in a few minutes.`,
  );
}

/** A registry whose index is git: sparse only (a git index would need a clone). */
export function gitIndexAnswer(base: Pick<RegistryAnswer, 'package' | 'registry' | 'version'>, location: CargoRegistryLocation): RegistryAnswer {
  const url = redactUrl(location.url);
  return unknownAnswer(
    { ...base, ecosystem: 'cargo', url },
    `Registry \`${base.registry}\` uses a git index (${url}, from ${location.from}), and release-policy reads sparse indexes only: ` +
      `if the registry serves its index over HTTP, write it as index = "sparse+https://…/" (cargo's own default since 1.70).`,
  );
}

/**
 * Asks the index, then the web API its config.json names. One after the other: when the
 * index lists the version under other build metadata (`1.0.7+x` for `1.0.7`), the API is
 * asked for that spelling, as the API looks versions up by their full number.
 */
export async function askCargo(
  location: CargoRegistryLocation,
  request: { name: string; version: string; registry: string; useApi?: boolean },
  context: HttpContext,
): Promise<RegistryAnswer> {
  const { name, version, registry } = request;
  const index = await askIndex(location, name, version, context);
  if (request.useApi === false) {
    // The index alone answers, as for a registry without a web API.
    return combineCargo({ package: name, registry, url: redactUrl(location.url), version }, { ...index, api: null }, null);
  }
  const api = index.configured && index.api !== null ? await askApi(index.api, name, index.listed || version, context) : null;
  return combineCargo({ package: name, registry, url: redactUrl(location.url), version }, index, api);
}
