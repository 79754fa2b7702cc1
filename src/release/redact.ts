// Secret redaction for everything the release journal writes, prints or posts
// (ARCHITECTURE.md, "The release journal"). Pure: the environment is an argument, so a caller
// passes `process.env` and a test passes a table. Redaction over-reaches on purpose: a
// harmless word shown as `***` costs little, a leaked registry token costs a revocation.

/** What every secret becomes. */
export const REDACTED = '***';

/** Shorter values are not searched for in text: they would match ordinary words and numbers. */
export const MIN_SECRET_LENGTH = 4;

type Env = Readonly<Record<string, string | undefined>>;

/** Environment variable names whose values are secrets (`CARGO_REGISTRY_TOKEN`, `NPM_TOKEN`, ...). */
const SECRET_ENV_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_KEY|AUTH/i;
/** Names the pattern above matches that hold no secret: `GIT_AUTHOR_NAME`, `SSH_AUTH_SOCK`. */
const NOT_SECRET_ENV_NAME = /AUTHOR|^SSH_AUTH_SOCK$/i;

/** Whether an environment variable of this name holds a secret. */
export function isSecretEnvName(name: string): boolean {
  return SECRET_ENV_NAME.test(name) && !NOT_SECRET_ENV_NAME.test(name);
}

/** Words of a long option's name (split at `-`, `_`, `.`) that make it a secret-taking option. */
const SECRET_OPTION_WORDS = new Set([
  'token', 'password', 'passwd', 'pwd', 'secret', 'auth', 'key', 'apikey', 'accesskey',
  'privatekey', 'credential', 'credentials',
]);

/**
 * Whether a long option (without its leading `--`) takes a secret: any word of the name is
 * token/password/secret/auth/key (or a compound such as `authtoken`), in any case:
 * `--token`, `--auth-token`, `--API-KEY`, `--client_secret`. `--no-...` options are switches.
 * Short options are never secret: cargo's `-p` is `--package`.
 */
export function isSecretOptionName(name: string): boolean {
  const words = name.toLowerCase().split(/[-_.]+/);
  if (words[0] === 'no') return false;
  return words.some(
    (word) => SECRET_OPTION_WORDS.has(word) || /(?:token|password|secret)$/.test(word),
  );
}

/**
 * The secret values in an argv: the value after a secret long option, as `--token VALUE` or
 * `--token=VALUE`. A caller hands them to {@link redactText} so that a command's output that
 * echoes the token is redacted too.
 */
export function argvSecrets(argv: readonly string[]): string[] {
  const secrets: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const option = parseLongOption(argv[i] ?? '');
    if (!option || !isSecretOptionName(option.name)) continue;
    if (option.value !== undefined) secrets.push(option.value);
    else if (takesNextArg(argv[i + 1])) secrets.push(argv[++i] ?? '');
  }
  return secrets.filter((secret) => secret !== '' && secret !== REDACTED);
}

/**
 * The argv with secrets replaced by `***`: option values (`--token VALUE`, `--token=VALUE`),
 * credentials in URLs, secret query parameters, and values of secret-looking environment
 * variables wherever they appear in an argument. The length and order of argv are kept.
 */
export function redactArgv(argv: readonly string[], env: Env): string[] {
  const secrets = collectSecrets(env, argvSecrets(argv));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const option = parseLongOption(arg);
    if (option && isSecretOptionName(option.name)) {
      if (option.value !== undefined) {
        out.push(`--${option.name}=${REDACTED}`);
        continue;
      }
      out.push(arg);
      if (takesNextArg(argv[i + 1])) {
        out.push(REDACTED);
        i++;
      }
      continue;
    }
    out.push(redactWith(arg, secrets));
  }
  return out;
}

/**
 * The text with secrets replaced by `***`: values of secret-looking environment variables
 * (length >= 4) and any `extraSecrets` (for example {@link argvSecrets} of the command that
 * printed the text) wherever they occur, credentials in URLs (`https://user:pass@host` →
 * `https://***@host`), secret query parameters (`?access_token=…`), secret options written
 * out in text (`--token VALUE`), `NAME=VALUE` for secret-looking names, and
 * `Authorization: Bearer VALUE`. Idempotent.
 */
export function redactText(text: string, env: Env, extraSecrets: readonly string[] = []): string {
  return redactWith(text, collectSecrets(env, extraSecrets));
}

/** A redactor for one command: its argv and every text it prints, with the same secrets. */
export interface Redactor {
  readonly argv: string[];
  text(text: string): string;
}

/** Redacts a command's argv, and returns a text redactor that also knows the argv's secrets. */
export function createRedactor(argv: readonly string[], env: Env): Redactor {
  const secrets = collectSecrets(env, argvSecrets(argv));
  return { argv: redactArgv(argv, env), text: (text) => redactWith(text, secrets) };
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

/** `--token VALUE`: the next argument is the value unless it is missing or another option. */
function takesNextArg(next: string | undefined): next is string {
  return next !== undefined && !next.startsWith('-');
}

/** Literal secrets to search for, longest first so that one containing another goes whole. */
function collectSecrets(env: Env, extra: readonly string[]): string[] {
  const found = new Set<string>();
  const add = (value: string): void => {
    for (const variant of [value, value.trim(), safeEncode(value.trim())]) {
      if (variant.length >= MIN_SECRET_LENGTH && variant !== REDACTED) found.add(variant);
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

/** `scheme://userinfo@`: userinfo is everything up to `@` that holds no `/ ? #` or space. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@]+)@/gi;
/** A query or fragment parameter whose name looks secret: `?access_token=…`, `&key=…`, `sig=`. */
const SECRET_QUERY_PARAM =
  /([?&#;][A-Za-z0-9_.-]*?(?:token|secret|password|passwd|key|auth|sig|signature|credential)[A-Za-z0-9_.-]*=)([^&#\s"'<>`]+)/gi;
/**
 * A long option in text with its value: `--token=VALUE` or `--token VALUE`. Values here and
 * in ASSIGNMENT end before closing punctuation, so `(--token=X).` keeps its `).`.
 */
const TEXT_OPTION = /(^|[\s"'`(=])--([A-Za-z0-9][A-Za-z0-9._-]*)(=|[ \t]+)([^\s"'`-](?:[^\s"'`]*[^\s"'`)\]},.;:])?)/g;
/**
 * `NAME=VALUE` for secret-looking names: shell assignments, .env files, TOML such as
 * `token = "…"` and cargo's `--config 'registry.token="…"'`. The quotes are kept.
 */
const ASSIGNMENT = /\b([A-Za-z_][A-Za-z0-9_]*)([ \t]*=[ \t]*)(["']?)([^\s"'`&;](?:[^\s"'`&;]*[^\s"'`&;)\]},.:])?)/g;
/** HTTP authorization headers in text (curl -H, verbose logs). */
const AUTH_HEADER = /\b((?:proxy-)?authorization\s*:\s*(?:bearer|token|basic|digest)?\s*)([^\s"'`]+)/gi;

function redactWith(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  out = out.replace(URL_USERINFO, (_match, scheme: string, userinfo: string) => {
    if (userinfo === REDACTED) return `${scheme}${REDACTED}@`;
    // ssh authenticates with keys: its user name (`ssh://git@host`) is no secret, a password is.
    if (/^(?:git\+)?ssh:\/\/$/i.test(scheme)) {
      const colon = userinfo.indexOf(':');
      return colon < 0 ? `${scheme}${userinfo}@` : `${scheme}${userinfo.slice(0, colon)}:${REDACTED}@`;
    }
    return `${scheme}${REDACTED}@`;
  });
  out = out.replace(SECRET_QUERY_PARAM, `$1${REDACTED}`);
  out = out.replace(TEXT_OPTION, (match, before: string, name: string, sep: string, value: string) =>
    isSecretOptionName(name) && !value.startsWith(REDACTED) ? `${before}--${name}${sep}${REDACTED}` : match,
  );
  out = out.replace(ASSIGNMENT, (match, name: string, equals: string, quote: string, value: string) =>
    (isSecretEnvName(name) || isSecretOptionName(name)) && !value.startsWith(REDACTED)
      ? `${name}${equals}${quote}${REDACTED}`
      : match,
  );
  out = out.replace(AUTH_HEADER, `$1${REDACTED}`);
  return out;
}
