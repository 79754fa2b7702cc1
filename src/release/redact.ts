// Secret redaction for everything the release journal writes, prints or posts
// (README, "The release journal"). Pure: the environment is an argument, so a caller
// passes the command's environment and a test passes a table. Redaction over-reaches on purpose: a
// harmless word shown as `***` costs little, a leaked registry token costs a revocation.
//
// Three sources of secrets, applied together:
// - literal values: secret-looking environment variables and the secrets found in the
//   command's own argv, searched for wherever they appear (a command echoing its token);
// - the argv's structure: values of secret options (`--token VALUE`, `--token -VALUE`),
//   `-u user:pass`, positional tokens of login-like commands (`cargo login TOKEN`);
// - text patterns: credentials in URLs, secret query parameters, `--token VALUE` written out,
//   `KEY=VALUE`, `key: value` and `"key": "value"` for keys naming a token, password, secret
//   or key (headers such as `Authorization:` and `X-Api-Key:` included), `-u user:pass`,
//   and tokens with a well-known prefix (GitHub, npm, crates.io).

/** What every secret becomes. */
export const REDACTED = '***';

/** Shorter values are not searched for in text: they would match ordinary words and numbers. */
export const MIN_SECRET_LENGTH = 4;

type Env = Readonly<Record<string, string | undefined>>;

/** Environment variable names whose values are secrets (`CARGO_REGISTRY_TOKEN`, `NPM_TOKEN`, ...). */
const SECRET_ENV_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_KEY|AUTH/i;
/** Names the pattern above matches that hold no secret: `GIT_AUTHOR_NAME`, `SSH_AUTH_SOCK` (not `AUTHORIZATION`). */
const NOT_SECRET_ENV_NAME = /AUTHOR(?!I[ZS]ATION)|^SSH_AUTH_SOCK$/i;

/** Whether an environment variable of this name holds a secret. */
export function isSecretEnvName(name: string): boolean {
  return SECRET_ENV_NAME.test(name) && !NOT_SECRET_ENV_NAME.test(name);
}

/** Words of a long option's name (split at `-`, `_`, `.`) that make it a secret-taking option. */
const SECRET_OPTION_WORDS = new Set([
  'token', 'password', 'passwd', 'pwd', 'secret', 'auth', 'key', 'apikey', 'accesskey',
  'privatekey', 'credential', 'credentials', 'bearer', 'cookie',
]);

/**
 * Whether a long option (without its leading `--`) takes a secret: any word of the name is
 * token/password/secret/auth/key (or a compound such as `authtoken`), in any case:
 * `--token`, `--auth-token`, `--API-KEY`, `--client_secret`. `--no-...` options are switches.
 * Short options are never secret by name: cargo's `-p` is `--package`.
 */
export function isSecretOptionName(name: string): boolean {
  const words = name.toLowerCase().split(/[-_.]+/);
  if (words[0] === 'no') return false;
  // Switches that say where a secret comes from take no value: docker's `--password-stdin`, gh's `--with-token`.
  if (words[words.length - 1] === 'stdin' || (words[0] === 'with' && words.length === 2)) return false;
  return words.some(
    (word) => SECRET_OPTION_WORDS.has(word) || /(?:token|password|secret)$/.test(word),
  );
}

/**
 * Whether a key in text names a secret: `token`, `"api_key"`, `X-Api-Key`, `Authorization`,
 * `registry.token`, `_authToken`, `password`, `client_secret`.
 */
export function isSecretKeyName(name: string): boolean {
  return isSecretEnvName(name) || isSecretOptionName(name);
}

/**
 * The secret values in an argv: values of secret options (`--token VALUE`, `--token=VALUE`,
 * `--token -VALUE`), `-u user:pass`, positional tokens (`cargo login TOKEN`, `npm token
 * revoke TOKEN`), and what the text patterns find in each argument (URL credentials,
 * `Authorization:`/`X-Api-Key:` headers, `password=...`, prefixed tokens). A caller hands them
 * to {@link redactText} so that a command's output that echoes them is redacted too.
 */
export function argvSecrets(argv: readonly string[]): string[] {
  const secrets: string[] = [];
  const structural = argvStructure(argv);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const hidden = structural.get(i);
    if (hidden !== undefined) {
      secrets.push(hidden.value);
      // `-u user:pass`: the password alone may be printed too; in `-u TOKEN:` the user is the secret.
      const colon = hidden.value.indexOf(':');
      if (hidden.userPass && colon >= 0) {
        const password = hidden.value.slice(colon + 1);
        secrets.push(password === '' ? hidden.value.slice(0, colon) : password);
      }
      continue;
    }
    // Collecting is redacting while noting each value, so no rule sees a value another took.
    applyRules(arg, (value) => {
      secrets.push(value);
      return REDACTED;
    });
  }
  return [...new Set(secrets)].filter((secret) => secret !== '' && !secret.startsWith(REDACTED) && !NOT_A_SECRET_VALUE.test(secret));
}

/**
 * Values a key may have that are no secret and would, searched for everywhere, hide ordinary
 * words (`token-required=true`), or a shell variable (`token: $TOKEN`) whose value the
 * environment supplies.
 */
const NOT_A_SECRET_VALUE = /^(?:true|false|null|none|nil|yes|no|on|off|required|optional|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)$/i;

/**
 * The argv with secrets replaced by `***`: option values (`--token VALUE`, `--token=VALUE`),
 * `-u user:pass`, positional tokens of login-like commands, and in every argument what
 * {@link redactText} redacts. The length and order of argv are kept.
 */
export function redactArgv(argv: readonly string[], env: Env): string[] {
  const secrets = collectSecrets(env, argvSecrets(argv));
  const structural = argvStructure(argv);
  return argv.map((arg, i) => {
    const hidden = structural.get(i);
    return hidden === undefined ? redactWith(arg, secrets) : `${hidden.keep}${REDACTED}`;
  });
}

/**
 * The text with secrets replaced by `***`: values of secret-looking environment variables
 * (length >= 4) and any `extraSecrets` (for example {@link argvSecrets} of the command that
 * printed the text) wherever they occur, and everything the text patterns find (see the top
 * of this file). Idempotent.
 */
export function redactText(text: string, env: Env, extraSecrets: readonly string[] = []): string {
  return redactWith(text, collectSecrets(env, extraSecrets));
}

/** Every string in a JSON-like value redacted (object keys are kept). */
export function redactDeep<T>(value: T, redact: (text: string) => string): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => redactDeep(item, redact)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactDeep(item, redact)])) as T;
  }
  return value;
}

/** A redactor for one command: its argv and every text it prints, with the same secrets. */
export interface Redactor {
  readonly argv: string[];
  text(text: string): string;
  /** See {@link partialEnd}: how much of an unfinished line can be shown now. */
  partialEnd(text: string): number;
}

/** Redacts a command's argv, and returns a text redactor that also knows the argv's secrets. */
export function createRedactor(argv: readonly string[], env: Env): Redactor {
  const secrets = collectSecrets(env, argvSecrets(argv));
  return {
    argv: redactArgv(argv, env),
    text: (text) => redactWith(text, secrets),
    partialEnd: (text) => partialEnd(text, secrets),
  };
}

/** At most this much of an unfinished line is held back: longer than any token. */
export const MAX_HOLD = 4096;

/**
 * Whether the trailing word of an unfinished line is the end of a prompt waiting for an
 * answer (`[y/N]`, `(yes/no)?`, `Password:`, `>`), which must show, rather than the start of
 * a value: it ends in a closing bracket, `?`, `:` or `>`, and is no URL or address (`https://u:`
 * may go on into a password) nor the start of a known token.
 */
function isPromptEnd(word: string): boolean {
  return /[\])?:>]$/.test(word) && !/:\/\/|@/.test(word) && !TOKEN_PREFIX_START.test(word);
}

/** The start of a well-known token prefix (GitHub, npm, crates.io...), for isPromptEnd. */
const TOKEN_PREFIX_START = /^(?:gh[pousr]_|github_pat_|npm_|cio|glpat-|pypi-)/i;

/**
 * How much of an unfinished line (no line end yet) may be shown now without showing the
 * start of something that could still become a secret once the line goes on: everything
 * before the trailing word (`ghp_12` may be the start of a token), before an unterminated
 * quoted value (`password: "two wor`), and before any end that is the start of a known
 * secret (one containing a space). What follows is held until the line ends, bounded by
 * {@link MAX_HOLD}. The caller redacts the shown part with the whole line so far, so a key
 * already shown (`token: `) still redacts the value that follows it.
 */
export function partialEnd(text: string, secrets: readonly string[] = []): number {
  let end = text.length;
  const word = /\S+$/.exec(text);
  if (word && !isPromptEnd(word[0])) end = word.index;
  const quote = unterminatedQuote(text);
  if (quote >= 0) end = Math.min(end, quote);
  for (let changed = true; changed && end > 0; ) {
    changed = false;
    const shown = text.slice(0, end);
    for (const secret of secrets) {
      for (let k = Math.min(secret.length - 1, end); k > 0; k--) {
        if (shown.endsWith(secret.slice(0, k))) {
          end -= k;
          changed = true;
          break;
        }
      }
      if (changed) break;
    }
  }
  return Math.max(end, text.length - MAX_HOLD);
}

/**
 * A remote URL without credentials: userinfo is dropped from `scheme://user:pass@host` (a
 * lone user there may be a token, as in `https://<token>@github.com`), ssh keeps its user
 * name but loses any password, and query parameters that look like secrets are removed.
 * scp-like `user@host:path` has no password field and is kept.
 */
export function redactUrl(url: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@(.*)$/is.exec(url);
  let out = url;
  if (match) {
    const [, scheme = '', userinfo = '', rest = ''] = match;
    const user = userinfo.split(':')[0] ?? '';
    const keepUser = /^(?:git\+)?ssh:\/\/$/i.test(scheme) && user !== '';
    out = `${scheme}${keepUser ? `${user}@` : ''}${rest}`;
  }
  const secretParam = /([?&])[^=&#]*(?:token|key|secret|password|auth|sig)[^=&#]*=[^&#]*&?/gi;
  return out.replace(secretParam, '$1').replace(/[?&]$/, '');
}

// --- internals ---

function parseLongOption(arg: string): { name: string; value?: string } | null {
  const match = /^--([A-Za-z0-9][A-Za-z0-9._-]*)(?:=([\s\S]*))?$/.exec(arg);
  if (!match) return null;
  const name = match[1] ?? '';
  return match[2] === undefined ? { name } : { name, value: match[2] };
}

/**
 * `--token VALUE`: the next argument is the value unless it is missing or another long
 * option. A value may start with `-` (`--token -x9...`): a token is random text.
 */
function takesNextArg(next: string | undefined): next is string {
  return next !== undefined && !/^--[A-Za-z]/.test(next);
}

/** Options whose value is a user and password (curl's `-u user:pass`, `--proxy-user`). */
const USER_OPTIONS = new Set(['-u', '-U', '--user', '--proxy-user']);
/** A value that names a user and a password: `user:pass`, `TOKEN:`; not a URL. */
const USER_PASS = /^[^\s:/@]*:(?!\/\/)[\s\S]*$/;

/** Options of login-like commands that take a (non-secret) value before the token. */
const LOGIN_VALUE_OPTIONS = new Set(['--registry', '--config', '--color', '-Z', '--index', '--scope', '--auth-type']);

interface Hidden {
  /** What stays in front of `***` (`--token=`, `-u`). */
  keep: string;
  value: string;
  userPass?: boolean;
}

/** The argv positions whose (part of the) argument is a secret, by the argv's structure. */
function argvStructure(argv: readonly string[]): Map<number, Hidden> {
  const hidden = new Map<number, Hidden>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const option = parseLongOption(arg);
    if (option && isSecretOptionName(option.name)) {
      if (option.value !== undefined) hidden.set(i, { keep: `--${option.name}=`, value: option.value });
      else if (takesNextArg(argv[i + 1])) hidden.set(++i, { keep: '', value: argv[i] ?? '' });
      continue;
    }
    if (USER_OPTIONS.has(arg)) {
      const next = argv[i + 1];
      if (next !== undefined && USER_PASS.test(next)) hidden.set(++i, { keep: '', value: next, userPass: true });
      continue;
    }
    const attached = /^(-u|-U|--user=|--proxy-user=)(.+)$/.exec(arg);
    if (attached && USER_PASS.test(attached[2] ?? '')) {
      hidden.set(i, { keep: attached[1] ?? '', value: attached[2] ?? '', userPass: true });
    }
  }
  for (const i of positionalSecrets(argv)) {
    if (!hidden.has(i)) hidden.set(i, { keep: '', value: argv[i] ?? '' });
  }
  return hidden;
}

/**
 * Positions of tokens given as plain arguments: `cargo login [TOKEN]`, `npm token revoke
 * TOKEN` (npm, pnpm, yarn), `poetry config pypi-token.NAME TOKEN` / `http-basic.NAME USER
 * PASS`, `docker login -p PASS` (docker, podman, helm, buildah, skopeo) and `twine upload -p PASS`.
 */
function positionalSecrets(argv: readonly string[]): number[] {
  const tool = (argv[0] ?? '').split(/[\\/]/).pop()?.replace(/\.(?:exe|cmd)$/i, '') ?? '';
  const words: number[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg.startsWith('-') || arg.startsWith('+')) {
      if (LOGIN_VALUE_OPTIONS.has(arg)) i++;
      continue;
    }
    words.push(i);
  }
  const word = (n: number): string => argv[words[n] ?? -1] ?? '';
  const after = (n: number): number[] => words.slice(n);
  if (tool === 'cargo' && word(0) === 'login') return after(1);
  if (['npm', 'pnpm', 'yarn'].includes(tool) && word(0) === 'token') return after(2);
  if (tool === 'poetry' && word(0) === 'config' && /^(?:pypi-token|http-basic)\./.test(word(1))) return after(2);
  if (['docker', 'podman', 'helm', 'buildah', 'skopeo', 'twine'].includes(tool) && (tool === 'twine' || argv.includes('login'))) {
    const out: number[] = [];
    argv.forEach((arg, i) => {
      if (arg === '-p' && i + 1 < argv.length) out.push(i + 1);
    });
    return out;
  }
  return [];
}

/** Literal secrets to search for, longest first so that one containing another goes whole. */
function collectSecrets(env: Env, extra: readonly string[]): string[] {
  const found = new Set<string>();
  const add = (value: string): void => {
    for (const variant of [value, value.trim(), safeEncode(value.trim())]) {
      if (variant.length >= MIN_SECRET_LENGTH && !variant.startsWith(REDACTED)) found.add(variant);
    }
  };
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && isSecretEnvName(name)) add(value);
  }
  for (const value of extra) add(value);
  return [...found].sort((a, b) => b.length - a.length);
}

function safeEncode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value; // lone surrogates
  }
}

/** What a rule does with a secret it found: replaces it (redaction) or notes it (collection). */
type Hide = (value: string) => string;

/**
 * Tokens whose prefix says what they are: GitHub (ghp_ personal, gho_ OAuth, ghu_ user,
 * ghs_ server, ghr_ refresh, github_pat_ fine-grained), npm (npm_), crates.io (cio + 32),
 * and, as cheaply, GitLab (glpat-) and PyPI (pypi-).
 */
const PREFIXED_TOKEN =
  /\b(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,}|npm_[A-Za-z0-9]{16,}|cio[A-Za-z0-9]{32,}|glpat-[A-Za-z0-9_-]{20,}|pypi-[A-Za-z0-9_-]{40,})/g;
/** `scheme://userinfo@`: userinfo runs to the last `@` before the host (`p@ss` passwords too). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>`]+)@/gi;
/** A query or fragment parameter whose name looks secret: `?access_token=…`, `&key=…`, `sig=`. */
const SECRET_QUERY_PARAM =
  /([?&#;][A-Za-z0-9_.-]*?(?:token|secret|password|passwd|key|auth|sig|signature|credential)[A-Za-z0-9_.-]*=)([^&#\s"'<>`]+)/gi;
/** A long option written out in text: `--token=VALUE`, `--token VALUE`, `--token "A B"`. */
const TEXT_OPTION = /(?<=^|[\s"'`(=])--([A-Za-z0-9][A-Za-z0-9._-]*)(?:=|[ \t]+(?!--))/g;
/** `-u user:pass` written out in text (a shell trace of curl). */
const TEXT_USER = /(?<=^|[\s"'`(])(-u|-U|--user[ \t=]|--proxy-user[ \t=])([ \t]*["']?)([^\s"'`:/@]*:(?!\/\/)[^\s"'`]*)/g;
/**
 * A key and its separator: `NAME=`, `name = `, `key:`, `"key": `, `'key':`, `\"key\":`, `X-Api-Key: `.
 * Keys may hold `.` and `-` (`registry.token`, `X-Auth-Token`); the key starts a word.
 */
const KEY = /(?<![A-Za-z0-9_.-])(\\?["']|)([A-Za-z_][A-Za-z0-9_.-]*)\1[ \t]*([:=])[ \t]*/g;
/** A `KEY=VALUE` value: one word (sticky: read where the key ended). */
const WORD = /[^\s"'`&;]+/y;
/** Authorization schemes kept in front of the credential (`Authorization: Bearer ***`). */
const AUTH_SCHEME = /^(?:bearer|basic|token|digest|negotiate|bot)[ \t]+/i;

/** Every text pattern, in order: each hands the secrets it finds to `hide`. */
function applyRules(text: string, hide: Hide): string {
  let out = text.replace(PREFIXED_TOKEN, (token) => hide(token));
  out = out.replace(URL_USERINFO, (_match, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    // ssh authenticates with keys: its user name (`ssh://git@host`) is no secret, a password is.
    if (/^(?:git\+)?ssh:\/\/$/i.test(scheme)) {
      return colon < 0 ? `${scheme}${userinfo}@` : `${scheme}${userinfo.slice(0, colon)}:${hide(userinfo.slice(colon + 1))}@`;
    }
    if (colon >= 0) hide(userinfo.slice(colon + 1)); // the password alone, for collection
    return `${scheme}${hide(userinfo)}@`;
  });
  out = out.replace(SECRET_QUERY_PARAM, (_match, name: string, value: string) => `${name}${hide(value)}`);
  out = scanValues(out, TEXT_OPTION, (match) => isSecretOptionName(match[1] ?? '') ? 'word' : null, hide);
  out = out.replace(TEXT_USER, (_match, option: string, space: string, value: string) => `${option}${space}${hide(value)}`);
  out = scanValues(out, KEY, (match) => {
    if (!isSecretKeyName(match[2] ?? '')) return null;
    // `key: value` (a header, YAML, a log line) may hold spaces; `KEY=VALUE` is one word.
    return match[3] === ':' ? 'line' : 'word';
  }, hide);
  return out;
}

type ValueKind = 'word' | 'line';

/**
 * For each match of `introducer` that `kind` accepts, hides the value that follows it: a
 * quoted value to its closing quote (or the line's end when unterminated), else one word or
 * the rest of the line up to a quote or shell operator. An authorization scheme word stays in front.
 */
function scanValues(
  text: string,
  introducer: RegExp,
  kind: (match: RegExpExecArray) => ValueKind | null,
  hide: Hide,
): string {
  let out = '';
  let copied = 0;
  introducer.lastIndex = 0;
  for (let match = introducer.exec(text); match !== null; match = introducer.exec(text)) {
    const start = match.index + match[0].length;
    if (match[0].length === 0) introducer.lastIndex++;
    const how = kind(match);
    if (how === null) continue;
    const value = valueAt(text, start, how);
    if (value === null) continue;
    out += text.slice(copied, value.start) + hide(text.slice(value.start, value.end));
    copied = value.end;
    introducer.lastIndex = Math.max(introducer.lastIndex, value.end);
  }
  return out + text.slice(copied);
}

function valueAt(text: string, at: number, how: ValueKind): { start: number; end: number } | null {
  const lineEnd = (from: number): number => {
    let i = from;
    while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
    return i;
  };
  // JSON inside a JSON string: `{\"token\": \"value\"}`.
  if (text.startsWith('\\"', at)) {
    const start = at + 2;
    const close = text.indexOf('\\"', start);
    const end = Math.min(close < 0 ? text.length : close, lineEnd(start));
    return end > start && !isRedacted(text, start) ? { start, end } : null;
  }
  const quote = text[at];
  if (quote === '"' || quote === "'") {
    const start = at + 1;
    let end = start;
    while (end < text.length && text[end] !== quote && text[end] !== '\n' && text[end] !== '\r') {
      end += quote === '"' && text[end] === '\\' ? 2 : 1;
    }
    end = Math.min(end, text.length);
    return end > start && !isRedacted(text, start) ? { start, end } : null;
  }
  let start = at;
  const scheme = AUTH_SCHEME.exec(text.slice(start, start + 16));
  if (scheme) start += scheme[0].length;
  if (isRedacted(text, start)) return null;
  let end: number;
  if (how === 'line') {
    // To the line's end, but not past a quote or a shell operator: in `sh -c 'echo "key: V" >&2'`
    // only V is the value, and the rest of the script stays readable.
    end = lineEnd(start);
    const stop = text.slice(start, end).search(/["'`;|&<>]/);
    if (stop >= 0) end = start + stop;
    while (end > start && /[ \t,)\]}]/.test(text[end - 1] ?? '')) end--;
  } else {
    // One word; closing punctuation after it stays: `(--token=X).`, `token=zz9x, done`.
    WORD.lastIndex = start;
    const word = WORD.exec(text);
    end = start + (word ? word[0].length : 0);
    while (end > start + 1 && /[)\]},.;:]/.test(text[end - 1] ?? '')) end--;
  }
  return end > start ? { start, end } : null;
}

/** Whether a value at `at` is `***` already (not `***rest`, which is half of a token still to hide). */
function isRedacted(text: string, at: number): boolean {
  return text.startsWith(REDACTED, at) && !/^[A-Za-z0-9_-]/.test(text.slice(at + REDACTED.length, at + REDACTED.length + 1));
}

/** Where an unterminated quoted value starts in an unfinished line (`key: "two wor`), or -1. */
function unterminatedQuote(text: string): number {
  let open = -1;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (open >= 0) {
      if (quote === '"' && ch === '\\') i++;
      else if (ch === quote) open = -1;
    } else if ((ch === '"' || (ch === "'" && /[\s=:(]/.test(text[i - 1] ?? ' '))) && i < text.length) {
      open = i;
      quote = ch;
    }
  }
  return open;
}

const hideAll: Hide = () => REDACTED;

/**
 * The patterns first, then the literal secrets: a literal that is only the start of a longer
 * token (an argv held half of what is printed) must not hide the rest of it from the patterns.
 */
function redactWith(text: string, secrets: readonly string[]): string {
  let out = applyRules(text, hideAll);
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}
