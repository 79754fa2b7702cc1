/**
 * Phase inference from a command line and outcome classification from a step's exit code and
 * output (cargo's own markers). Pure: no IO.
 */
import type { Outcome, Phase, Published } from './model.js';

/** The program name of argv[0], without folders or a Windows `.exe`/`.cmd`. */
export function programName(arg0: string | undefined): string {
  if (arg0 === undefined) return '';
  const base = arg0.split(/[\\/]/).pop() ?? '';
  return base.replace(/\.(exe|cmd|bat)$/i, '').toLowerCase();
}

/**
 * The subcommand and its arguments, skipping global options (and the values of those that
 * take one, when given as a separate argument).
 */
export function subcommand(args: readonly string[], valued: ReadonlySet<string>): { name: string; rest: string[] } | null {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return null;
    if (arg.startsWith('-')) {
      if (valued.has(arg)) i++;
      continue;
    }
    return { name: arg, rest: args.slice(i + 1) };
  }
  return null;
}

/** Arguments before a `--` separator (after it, nothing is an option of the command). */
function options(rest: readonly string[]): string[] {
  const end = rest.indexOf('--');
  return end === -1 ? [...rest] : rest.slice(0, end);
}

export const CARGO_GLOBAL_VALUED = new Set(['--config', '-Z', '-C', '--color', '--explain']);
const GIT_GLOBAL_VALUED = new Set(['-C', '-c', '--exec-path', '--namespace', '--config-env']);
const NPM_GLOBAL_VALUED = new Set(['--prefix', '--userconfig', '--registry', '--workspace', '-w', '--loglevel']);

/** `git tag` options that list, delete or verify rather than create. */
const GIT_TAG_NOT_CREATING = new Set([
  '--delete', '--list', '--verify', '--contains', '--no-contains', '--points-at', '--merged', '--no-merged',
]);
const GIT_TAG_VALUED = new Set(['--message', '--file', '--local-user', '--cleanup', '--sort', '--format', '--color', '--trailer']);

/** Short `git tag` options that take a value (attached, `-mMSG`, or the next argument). */
const GIT_TAG_SHORT_VALUED = new Set(['m', 'F', 'u']);
/** Short `git tag` options that list, delete or verify. */
const GIT_TAG_SHORT_NOT_CREATING = new Set(['d', 'l', 'v', 'n']);

/**
 * `git tag` arguments read as git reads them: whether the command creates a tag (no
 * list, delete or verify option) and its positional arguments (the name first). Short
 * options may be bundled (`-am MSG`, `-fa`), and a value may be attached (`-mrelease`).
 */
function parseGitTag(rest: readonly string[]): { creates: boolean; positionals: string[] } {
  const positionals: string[] = [];
  let creates = true;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--') {
      positionals.push(...rest.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const flag = arg.split('=')[0]!;
      if (GIT_TAG_NOT_CREATING.has(flag)) creates = false;
      if (GIT_TAG_VALUED.has(arg)) i++;
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        if (GIT_TAG_SHORT_NOT_CREATING.has(letter)) creates = false;
        if (GIT_TAG_SHORT_VALUED.has(letter)) {
          if (j === arg.length - 1) i++; // the value is the next argument
          break; // the rest of the cluster is the value
        }
        if (letter === 'n') break; // -n<num>
      }
      continue;
    }
    positionals.push(arg);
  }
  // `git tag` alone lists tags; creating needs a name.
  return { creates: creates && positionals.length > 0, positionals };
}

function gitTagCreates(rest: readonly string[]): boolean {
  return parseGitTag(rest).creates;
}

/** The tag name `git tag [options] NAME [COMMIT]` creates; null when the command creates no tag. */
export function createdTagName(argv: readonly string[]): string | null {
  if (programName(argv[0]) !== 'git') return null;
  const sub = subcommand(argv.slice(1), GIT_GLOBAL_VALUED);
  if (sub === null || sub.name !== 'tag') return null;
  const parsed = parseGitTag(sub.rest);
  return parsed.creates ? (parsed.positionals[0] ?? null) : null;
}

/**
 * The release phase of a command, where it can be inferred: `cargo publish --dry-run` and
 * `cargo package`: dry-run; `cargo publish`: publish; `git tag NAME` (creating): tag;
 * `git push`: push; `npm publish [--dry-run]`. Otherwise null (give `--phase`).
 */
export function inferPhase(argv: readonly string[]): Phase | null {
  const program = programName(argv[0]);
  let args = argv.slice(1);
  if (program === 'cargo') {
    if (args[0]?.startsWith('+')) args = args.slice(1); // rustup toolchain: cargo +nightly publish
    const sub = subcommand(args, CARGO_GLOBAL_VALUED);
    if (sub === null) return null;
    if (sub.name === 'package') return 'dry-run';
    if (sub.name === 'publish') {
      const opts = options(sub.rest);
      return opts.includes('--dry-run') || opts.includes('-n') ? 'dry-run' : 'publish';
    }
    return null;
  }
  if (program === 'git') {
    const sub = subcommand(args, GIT_GLOBAL_VALUED);
    if (sub === null) return null;
    if (sub.name === 'push') return 'push';
    if (sub.name === 'tag') return gitTagCreates(sub.rest) ? 'tag' : null;
    return null;
  }
  if (program === 'npm' || program === 'pnpm') {
    const sub = subcommand(args, NPM_GLOBAL_VALUED);
    if (sub === null || sub.name !== 'publish') return null;
    const opts = options(sub.rest);
    return opts.includes('--dry-run') || opts.includes('--dry-run=true') ? 'dry-run' : 'publish';
  }
  return null;
}

/**
 * Why a step got its outcome. Stable codes, kept in the journal's `reason` and read by the
 * release state to choose the next action.
 */
export type ReasonCode =
  /** exit 0 (non-publish phases, and a clean dry-run) */
  | 'exit-zero'
  /** non-zero exit (or none) */
  | 'exit-nonzero'
  /** a dry-run that exited 0 but warned that the version is already on the registry */
  | 'dry-run-version-exists'
  /** `Uploaded` (or `Published`) printed, exit 0 */
  | 'uploaded'
  /** `Uploaded` printed but the command failed afterwards (index wait timed out, ...) */
  | 'uploaded-then-failed'
  /** exit 0 from a real publish without the `Uploaded` marker (older cargo prints only `Uploading`) */
  | 'publish-exit-zero'
  /** `already exists` / `already uploaded`: the registry holds the version, ours or someone else's */
  | 'version-exists'
  /** failed after `Uploading` without `Uploaded` (5xx, reset, timeout): the upload may have landed */
  | 'upload-ambiguous'
  /** failed before `Uploading` was printed: nothing was sent */
  | 'before-upload'
  /**
   * failed before any upload because the registry (or the network to it) did not answer: the
   * name did not resolve, the connection was refused, reset or timed out, or the server answered
   * 5xx. Nothing was sent; the same command may succeed once the registry is reachable.
   */
  | 'registry-unreachable'
  /** exit 126 or 127 (or a spawn error): the command was not found or not executable; it never ran */
  | 'command-not-run'
  /** the registry answered the upload with 429: rate limited, nothing stored; retry after the time it names */
  | 'rate-limited'
  /** the registry answered the upload with another 4xx (403 not an owner, 401, 413 too large...): nothing stored */
  | 'upload-refused';

export interface ClassifyInput {
  phase: Phase | null;
  /** null when the command has no exit code (killed by a signal, interrupted). */
  exitCode: number | null;
  /** The captured output (stdout and stderr, interleaved as seen), possibly only a tail. */
  output: string;
}

export interface Classification {
  outcome: Outcome;
  /** For the publish phase (and a dry-run that found the version taken); null otherwise. */
  published: Published | null;
  reason: ReasonCode;
  excerpt: string;
}

/** ANSI escapes (colours, cursor moves) that cargo and npm print on a terminal. */
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

/** Output as plain lines: no colours, and for progress lines redrawn with `\r`, the last drawing. */
export function outputLines(output: string): string[] {
  return output
    .replace(ANSI, '')
    .split('\n')
    .map((line) => {
      const l = line.replace(/\r+$/, '');
      const cr = l.lastIndexOf('\r');
      return (cr === -1 ? l : l.slice(cr + 1)).replace(/\s+$/, '');
    });
}

/** cargo's right-aligned status words, e.g. `   Uploading demo v0.2.0 (/src/demo)`. */
const UPLOADING = /^\s*Uploading\s+\S/;
const UPLOADED = /^\s*(Uploaded|Published)\s+\S.*\b(to|at) registry\b/;
/** npm: `npm notice Publishing to https://registry.npmjs.org/ ...` then `+ name@version`. */
const NPM_UPLOADING = /^npm (notice|info|http) Publishing to /i;
const NPM_UPLOADED = /^\+ \S+@\S+$/;

/**
 * The registry already holds the version: cargo's `crate N@V already exists on ... index`
 * (before upload; a warning under `--dry-run`), the server's ``crate version `V` is already
 * uploaded``, npm's "cannot publish over the previously published versions" / EPUBLISHCONFLICT.
 */
const VERSION_EXISTS = [
  /\bcrate \S+@\S+ already exists on\b/,
  /\bis already uploaded\b/,
  /\balready exists\b/,
  /cannot publish over (the )?previously published version/i,
  /\bEPUBLISHCONFLICT\b/,
];

/** Under a dry-run, only the registry's own wording counts (not any file that "already exists"). */
const DRY_RUN_VERSION_EXISTS = VERSION_EXISTS.filter((_, i) => i !== 2);

function mentionsVersionExists(lines: readonly string[], patterns: readonly RegExp[] = VERSION_EXISTS): boolean {
  return lines.some((line) => patterns.some((re) => re.test(line)));
}

/** Lines that start an error report worth quoting. */
const ERROR_START = /^(error(\[[^\]]*\])?(:|\s|$)|fatal:|Caused by:|npm (ERR!|error)\s)/;
/** Warnings worth quoting when they explain the outcome. */
const NOTABLE_WARNING = /^warning: (crate \S+ already exists|timed out waiting for|aborting upload)/;
const FOLLOWING_LINES = 4;
export const EXCERPT_LIMIT = 2000;

/**
 * The most informative error lines of an output: each line starting with `error`, `error[`,
 * `fatal:`, `Caused by:` (or npm's `npm ERR!`), and a few lines after each, in output order,
 * bounded to about 2,000 characters (the first errors are kept: they are the cause). With no
 * such line, the last lines of the output.
 */
export function errorExcerpt(output: string, limit = EXCERPT_LIMIT): string {
  const lines = outputLines(output);
  const keep = new Set<number>();
  lines.forEach((line, i) => {
    if (NOTABLE_WARNING.test(line)) keep.add(i); // one line says it all
    else if (ERROR_START.test(line)) {
      keep.add(i);
      for (let j = i + 1; j <= i + FOLLOWING_LINES && j < lines.length; j++) {
        if (lines[j] === '') break;
        keep.add(j);
      }
    }
  });
  let picked: string[];
  if (keep.size > 0) {
    picked = [];
    let previous = -2;
    for (const i of [...keep].sort((a, b) => a - b)) {
      if (previous >= 0 && i !== previous + 1) picked.push('...');
      picked.push(lines[i]!);
      previous = i;
    }
  } else {
    picked = lines.filter((line) => line.trim() !== '').slice(-10);
  }
  return bound(picked, limit);
}

function bound(lines: readonly string[], limit: number): string {
  const out: string[] = [];
  let size = 0;
  for (const line of lines) {
    const cost = line.length + (out.length > 0 ? 1 : 0);
    if (size + cost > limit) {
      if (out.length === 0) out.push(line.slice(0, Math.max(0, limit - 1)) + '…');
      else out.push('…');
      break;
    }
    out.push(line);
    size += cost;
  }
  return out.join('\n');
}

/**
 * The 4xx status (not 408) with which the registry answered the upload, from cargo's
 * `the remote server responded with an error (status 403 Forbidden): ...` or
 * `failed to get a 200 OK response, got 429`, or npm's `npm error 403 403 Forbidden - PUT ...`.
 */
function refusedStatus(lines: readonly string[]): number | null {
  for (const line of lines) {
    const match = /\(status (4\d\d)\b|failed to get a 200 OK response, got (4\d\d)\b|^npm (?:error|ERR!) (4\d\d)\b/.exec(line);
    const status = Number(match?.[1] ?? match?.[2] ?? match?.[3] ?? NaN);
    if (Number.isInteger(status) && status !== 408) return status;
  }
  return null;
}

/**
 * Network failures as cargo (curl's and git's words), npm and Node print them: the name did
 * not resolve, the connection was refused, reset or timed out. Matched only on the lines the
 * error excerpt keeps, so cargo's `warning: spurious network error` before a retry that
 * worked does not make a later packaging error a network one.
 */
const NETWORK = [
  /\bCould(?: not|n't) resolve (?:host|hostname|proxy)\b/i,
  /\bfailed to resolve address\b/i,
  /\b(?:failed to lookup address|Name or service not known|Temporary failure in name resolution|nodename nor servname)\b/i,
  /\bCould(?: not|n't) connect to (?:server|host)\b/i,
  /\bFailed to connect to \S+ port \d+/i,
  /\bConnection refused\b/i,
  /\bConnection reset\b|\bFailure when receiving data from the peer\b|\bFailed sending data to the peer\b/i,
  /\bTimeout was reached\b|\bOperation timed out\b|\bconnection timed out\b/i,
  /\b(?:ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ESOCKETTIMEDOUT|ENETUNREACH|EHOSTUNREACH)\b/,
  /\bnetwork request to \S+ failed\b/i,
  /\bNetwork is unreachable\b|\bNo route to host\b/i,
  // The registry answered, but with a server error: it cannot take the request now.
  /\bfailed to get (?:a )?(?:200|successful HTTP) (?:OK )?response\b.*\bgot 5\d\d\b/i,
  /\(status 5\d\d\b/,
];

function networkFailure(output: string): boolean {
  const lines = errorExcerpt(output, Number.MAX_SAFE_INTEGER).split('\n');
  return lines.some((line) => NETWORK.some((re) => re.test(line)));
}

/** Exit codes a shell (and `policy run`) gives a command that could not run: 127 not found, 126 not executable. */
const NOT_RUN_EXIT_CODES: ReadonlySet<number> = new Set([126, 127]);

/**
 * The outcome of one step from its exit code and output, per the spec and cargo's markers:
 * - publish: `Uploaded` printed: published (even when exit ≠ 0, e.g. the index wait timed out);
 *   `already exists` / `already uploaded`: unknown (the registry holds the version, ours or
 *   someone else's); the registry refused the upload with a 4xx (429 rate limit, 403...): not
 *   published; failed after `Uploading` without `Uploaded`: unknown; failed before
 *   `Uploading`: not published (the registry unreachable, when the network failed).
 * - dry-run: exit 0 but a warning that the version already exists: failed; a network failure:
 *   failed, the registry unreachable.
 * - any phase: exit 126/127 without an upload: failed, the command could not run.
 * - any other phase (or none): exit 0 ok, otherwise failed.
 */
export function classifyOutcome(input: ClassifyInput): Classification {
  const { phase, exitCode } = input;
  const lines = outputLines(input.output);
  const succeeded = exitCode === 0;
  const excerpt = succeeded ? '' : errorExcerpt(input.output);

  if (phase === 'publish') {
    const uploading = lines.some((l) => UPLOADING.test(l) || NPM_UPLOADING.test(l));
    const uploaded = lines.some((l) => UPLOADED.test(l) || NPM_UPLOADED.test(l));
    if (uploaded) {
      return succeeded
        ? { outcome: 'published', published: 'yes', reason: 'uploaded', excerpt: '' }
        : { outcome: 'published', published: 'yes', reason: 'uploaded-then-failed', excerpt };
    }
    if (mentionsVersionExists(lines)) {
      return { outcome: 'unknown', published: 'unknown', reason: 'version-exists', excerpt: excerpt || errorExcerpt(input.output) };
    }
    if (succeeded) return { outcome: 'published', published: 'yes', reason: 'publish-exit-zero', excerpt: '' };
    // A 4xx answer to the upload is the registry's own refusal: crates.io stores a version only
    // when it answers 200, so nothing landed. A 408 (request timeout) is not a refusal.
    const refused = refusedStatus(lines);
    if (refused !== null) {
      return { outcome: 'not-published', published: 'no', reason: refused === 429 ? 'rate-limited' : 'upload-refused', excerpt };
    }
    if (uploading) return { outcome: 'unknown', published: 'unknown', reason: 'upload-ambiguous', excerpt };
    return { outcome: 'not-published', published: 'no', reason: beforeUpload(input), excerpt };
  }

  if (phase === 'dry-run') {
    if (mentionsVersionExists(lines, DRY_RUN_VERSION_EXISTS)) {
      // cargo only warns under --dry-run and exits 0; the real publish would fail. Taken version:
      // the registry holds it, ours or someone else's.
      return { outcome: 'failed', published: 'unknown', reason: 'dry-run-version-exists', excerpt: errorExcerpt(input.output) };
    }
    return succeeded
      ? { outcome: 'ok', published: null, reason: 'exit-zero', excerpt: '' }
      : { outcome: 'failed', published: null, reason: beforeUpload(input), excerpt };
  }

  if (succeeded) return { outcome: 'ok', published: null, reason: 'exit-zero', excerpt: '' };
  const notRun = exitCode !== null && NOT_RUN_EXIT_CODES.has(exitCode);
  return { outcome: 'failed', published: null, reason: notRun ? 'command-not-run' : 'exit-nonzero', excerpt };
}

/** Why a publish or dry-run failed before anything was sent: the command did not run, the registry was unreachable, or another cause. */
function beforeUpload(input: ClassifyInput): 'command-not-run' | 'registry-unreachable' | 'before-upload' | 'exit-nonzero' {
  if (input.exitCode !== null && NOT_RUN_EXIT_CODES.has(input.exitCode)) return 'command-not-run';
  if (networkFailure(input.output)) return 'registry-unreachable';
  return input.phase === 'publish' ? 'before-upload' : 'exit-nonzero';
}
