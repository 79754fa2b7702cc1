// GET requests for the registry clients: Node's global fetch with a User-Agent, a deadline,
// the crates.io API's one-request-per-second spacing and a small ETag cache. A failure
// never throws: it comes back as an answer without a status, described in one line, so the
// callers can turn it into `unknown` with evidence.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { redactUrl } from '../release/redact.js';
import { writeFileAtomic } from '../fs/atomic-write.js';

export const DEFAULT_TIMEOUT_MS = 5000;

/**
 * crates.io answers 403 to requests without a User-Agent and asks API users for one that
 * names the application and a way to reach its authors (its data-access page).
 */
export function userAgent(toolVersion = '0.0.0'): string {
  return `release-policy/${toolVersion} (+https://github.com/release-policy/release-policy)`;
}

export interface HttpContext {
  timeoutMs: number;
  userAgent: string;
  now: () => Date;
  /** Where conditional requests keep their bodies; null: no cache. */
  cache: ConditionalCache | null;
}

export interface GetOptions {
  accept?: string;
  /** Revalidate a cached copy (If-None-Match / If-Modified-Since) and keep a 200's body. */
  conditional?: boolean;
  /** Space this request at least `spacingMs` after the previous spaced one to the same host. */
  spacingMs?: number;
}

/** An HTTP answer, whatever its status. A 304 for a cached copy carries the cached body. */
export interface HttpAnswer {
  ok: true;
  /** The URL asked, credentials removed. */
  source: string;
  status: number;
  headers: Headers;
  body: string;
  /** The body is the cached copy a 304 confirmed. */
  cached: boolean;
  at: string;
}

/** No HTTP answer: refused, reset, timed out, DNS. */
export interface HttpFailure {
  ok: false;
  source: string;
  status: null;
  /** One line: "timed out after 5000 ms", "connection refused", … */
  error: string;
  at: string;
}

export async function httpGet(url: string, context: HttpContext, options: GetOptions = {}): Promise<HttpAnswer | HttpFailure> {
  const source = redactUrl(url);
  const headers: Record<string, string> = { 'user-agent': context.userAgent };
  if (options.accept) headers.accept = options.accept;
  const cached = options.conditional && context.cache ? await context.cache.get(url) : null;
  if (cached?.etag) headers['if-none-match'] = cached.etag;
  if (cached?.lastModified) headers['if-modified-since'] = cached.lastModified;
  // fetch refuses a URL with credentials in it; a registry behind basic auth gets them as a
  // header instead (they never reach the evidence: `source` is redacted).
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    // A config.json may advertise anything as its `api`.
    return { ok: false, source, status: null, error: 'is not a valid URL', at: context.now().toISOString() };
  }
  if (target.username || target.password) {
    const pair = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    target.username = '';
    target.password = '';
  }
  if (options.spacingMs) await spaceRequests(target.host, options.spacingMs);
  try {
    // The deadline covers the body too: the signal aborts a stalled read as well.
    const response = await fetch(target, { headers, redirect: 'follow', signal: AbortSignal.timeout(context.timeoutMs) });
    const body = await response.text();
    const at = context.now().toISOString();
    if (response.status === 304 && cached) {
      return { ok: true, source, status: 304, headers: response.headers, body: cached.body, cached: true, at };
    }
    const etag = response.headers.get('etag');
    const lastModified = response.headers.get('last-modified');
    // Only a 200 is kept: an error page must never stand in for the index later.
    if (options.conditional && context.cache && response.status === 200 && (etag || lastModified)) {
      await context.cache.put(url, { etag, lastModified, body });
    }
    return { ok: true, source, status: response.status, headers: response.headers, body, cached: false, at };
  } catch (error) {
    return { ok: false, source, status: null, error: describeFailure(error, context.timeoutMs), at: context.now().toISOString() };
  }
}

/** One line for a request that got no answer. fetch wraps the socket's error in `cause`. */
export function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  if (error instanceof Error && error.name === 'AbortError') return 'aborted';
  const cause = error instanceof Error ? (error.cause as (Error & { code?: string; errors?: unknown[] }) | undefined) : undefined;
  // Connecting to every address of a name fails with an AggregateError of the attempts.
  const inner = (cause?.errors?.[0] as (Error & { code?: string }) | undefined) ?? cause;
  const code = cause?.code ?? inner?.code ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET': // undici: "other side closed"
      return 'connection reset before a complete answer';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `DNS lookup failed (${code})`;
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'timed out connecting';
    default: {
      const message = (inner?.message || (error instanceof Error ? error.message : String(error))).split('\n')[0];
      return `no answer: ${code ? `${code} ` : ''}${message}`;
    }
  }
}

// The next free start time per host, reserved synchronously so that concurrent callers
// queue up instead of all seeing the same "last request" time.
const nextStart = new Map<string, number>();

/**
 * Waits until `host` may take another request: crates.io's API allows "a maximum of 1
 * request per second". Per process; a second process keeps its own spacing.
 */
export async function spaceRequests(host: string, intervalMs: number): Promise<void> {
  const now = performance.now();
  const start = Math.max(now, nextStart.get(host) ?? 0);
  nextStart.set(host, start + intervalMs);
  if (start > now) await new Promise((resolve) => setTimeout(resolve, start - now));
}

interface CacheEntry {
  etag: string | null;
  lastModified: string | null;
  body: string;
}

/**
 * ETag / Last-Modified bodies, one small JSON file per URL named by the URL's sha256, so a
 * second check of the same crate costs a 304. Best effort: an unreadable entry is a miss
 * and a failed write is ignored. At most `limit` entries: the least recently written go.
 */
export class ConditionalCache {
  constructor(
    readonly dir: string,
    readonly limit = 200,
  ) {}

  private file(url: string): string {
    return join(this.dir, `${createHash('sha256').update(url).digest('hex').slice(0, 32)}.json`);
  }

  async get(url: string): Promise<CacheEntry | null> {
    try {
      const entry = JSON.parse(await readFile(this.file(url), 'utf8')) as Partial<CacheEntry> & { url?: string };
      // The hash names the file; the URL inside guards against a truncated-hash collision.
      if (entry.url !== redactUrl(url) || typeof entry.body !== 'string') return null;
      return { etag: entry.etag ?? null, lastModified: entry.lastModified ?? null, body: entry.body };
    } catch {
      return null;
    }
  }

  async put(url: string, entry: CacheEntry): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
      const file = this.file(url);
      // Written aside and renamed, so a concurrent reader never sees half a file. The URL is
      // stored redacted: the cache folder must not keep a token from an index URL.
      writeFileAtomic(file, JSON.stringify({ url: redactUrl(url), ...entry }), { sync: false });
      await this.prune(file);
    } catch {
      // A cache that cannot be written only costs the next check a full download.
    }
  }

  /** Drops the least recently written entries over the cap, never `keep` (just written). */
  private async prune(keep: string): Promise<void> {
    const names = (await readdir(this.dir)).filter((name) => name.endsWith('.json'));
    if (names.length <= this.limit) return;
    const dated = await Promise.all(
      names.map(async (name) => {
        const path = join(this.dir, name);
        return { path, mtime: await stat(path).then((s) => s.mtimeMs, () => 0) };
      }),
    );
    const others = dated.filter(({ path }) => path !== keep).sort((a, b) => a.mtime - b.mtime);
    await Promise.all(others.slice(0, dated.length - this.limit).map(({ path }) => unlink(path).catch(() => undefined)));
  }
}

/** The `errors[].detail` texts of a crates.io-style error body, joined; "" when there are none. */
export function errorDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: { detail?: unknown }[] };
    return (parsed.errors ?? [])
      .map((e) => (typeof e?.detail === 'string' ? e.detail : ''))
      .filter(Boolean)
      .join('; ');
  } catch {
    return '';
  }
}

/** A status and, when the body says something short, what it says: "500: injected fault". */
export function statusLine(status: number, body: string, headers?: Headers): string {
  const detail = errorDetail(body) || (body.length < 200 && !body.trimStart().startsWith('<') ? body.trim() : '');
  const retryAfter = headers?.get('retry-after');
  const retry = status === 429 ? ` (Retry-After: ${retryAfter ?? 'not given'})` : '';
  return `${status}${retry}${detail ? `: ${oneLine(detail)}` : ''}`;
}

export function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
