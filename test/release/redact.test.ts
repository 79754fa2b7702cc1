import { describe, expect, it } from 'vitest';
import {
  argvSecrets,
  createRedactor,
  isSecretEnvName,
  isSecretOptionName,
  partialEnd,
  redactArgv,
  redactText,
  redactUrl,
} from '../../src/release/redact.js';

const ENV = {
  CARGO_REGISTRY_TOKEN: 'cio_registry_tok_1',
  CARGO_REGISTRIES_LOCAL_TOKEN: 'local-registry-secret',
  GITHUB_TOKEN: 'ghp_AAAABBBBCCCCDDDD',
  NPM_TOKEN: 'npm_0123456789',
  DB_PASSWORD: 'hunter22',
  SHORT_TOKEN: 'abc', // shorter than 4: not searched for
  GIT_AUTHOR_NAME: 'Jane Doe', // AUTH in the name, but no secret
  SSH_AUTH_SOCK: '/tmp/ssh-agent.sock',
  HOME: '/home/jane',
  PATH: '/usr/bin',
  UNSET_TOKEN: undefined,
};

describe('redactArgv', () => {
  const cases: [string, string[], string[]][] = [
    [
      'the acceptance case',
      ['cargo', 'publish', '--registry', 'local', '--token', 'S3CRET', '--dry-run'],
      ['cargo', 'publish', '--registry', 'local', '--token', '***', '--dry-run'],
    ],
    ['--token=VALUE', ['cargo', 'publish', '--token=S3CRET'], ['cargo', 'publish', '--token=***']],
    ['--password VALUE', ['tool', '--password', 'pw123456'], ['tool', '--password', '***']],
    ['--auth-token VALUE', ['tool', '--auth-token', 'xyz12345'], ['tool', '--auth-token', '***']],
    ['any case', ['tool', '--API-KEY=k1k1k1', '--Secret', 's1s1s1'], ['tool', '--API-KEY=***', '--Secret', '***']],
    ['--client_secret, --authtoken', ['t', '--client_secret', 'aaaa', '--authtoken=bbbb'], ['t', '--client_secret', '***', '--authtoken=***']],
    ['--key and --auth', ['t', '--key', 'kkkk', '--auth', 'user:pass'], ['t', '--key', '***', '--auth', '***']],
    ['an empty --token= value', ['t', '--token='], ['t', '--token=***']],
    ['a value-less secret option at the end', ['t', '--token'], ['t', '--token']],
    ['a secret option followed by another option', ['t', '--token', '--dry-run'], ['t', '--token', '--dry-run']],
    ['short options are not secret (cargo -p is --package)', ['cargo', 'publish', '-p', 'oris-runtime'], ['cargo', 'publish', '-p', 'oris-runtime']],
    ['--no-... switches take no value', ['t', '--no-auth', 'positional'], ['t', '--no-auth', 'positional']],
    ['options that only contain the letters', ['t', '--keep-going', '--monkey', 'x', '--tokens-file-format', 'y'], ['t', '--keep-going', '--monkey', 'x', '--tokens-file-format', 'y']],
    [
      'https user and password',
      ['git', 'push', 'https://jane:pa55word@github.com/o/r.git', 'v1.0.0'],
      ['git', 'push', 'https://***@github.com/o/r.git', 'v1.0.0'],
    ],
    [
      'https token as user',
      ['git', 'clone', 'https://ghp_zzzzzzzz@github.com/o/r'],
      ['git', 'clone', 'https://***@github.com/o/r'],
    ],
    [
      'ssh keeps the user name, never a password',
      ['git', 'push', 'ssh://git@github.com/o/r', 'ssh://git:pw12@host/r'],
      ['git', 'push', 'ssh://git@github.com/o/r', 'ssh://git:***@host/r'],
    ],
    [
      'scp-like remotes are kept',
      ['git', 'push', 'git@github.com:o/r.git'],
      ['git', 'push', 'git@github.com:o/r.git'],
    ],
    [
      'secret query parameters',
      ['curl', 'https://h/x?access_token=abcd1234&page=2', 'https://h/y?a=1&token=t0k3n#frag'],
      ['curl', 'https://h/x?access_token=***&page=2', 'https://h/y?a=1&token=***#frag'],
    ],
    [
      'values of secret environment variables anywhere in an argument',
      ['cargo', 'publish', '--config', 'registries.local.token-in=cio_registry_tok_1', 'ghp_AAAABBBBCCCCDDDD'],
      ['cargo', 'publish', '--config', 'registries.local.token-in=***', '***'],
    ],
    [
      "cargo's --config with a quoted token",
      ['cargo', 'publish', '--config', 'registry.token="plain-tok-9"'],
      ['cargo', 'publish', '--config', 'registry.token="***"'],
    ],
    [
      'env assignments in an argument (env FOO=... cmd)',
      ['env', 'CARGO_REGISTRY_TOKEN=other-value', 'cargo', 'publish'],
      ['env', 'CARGO_REGISTRY_TOKEN=***', 'cargo', 'publish'],
    ],
    [
      'values of non-secret variables and short values are kept',
      ['ls', '/home/jane', 'abc', 'Jane Doe', '/tmp/ssh-agent.sock'],
      ['ls', '/home/jane', 'abc', 'Jane Doe', '/tmp/ssh-agent.sock'],
    ],
  ];
  it.each(cases)('%s', (_name, argv, expected) => {
    expect(redactArgv(argv, ENV)).toEqual(expected);
  });

  it('does not modify its input', () => {
    const argv = ['cargo', 'publish', '--token', 'S3CRET'];
    redactArgv(argv, {});
    expect(argv).toEqual(['cargo', 'publish', '--token', 'S3CRET']);
  });
});

describe('redactText', () => {
  const cases: [string, string, string][] = [
    [
      'secret env values wherever they occur, longest first',
      'auth failed for local-registry-secret (local-registry-secret2), npm_0123456789, cio_registry_tok_1!',
      'auth failed for *** (***2), ***, ***!',
    ],
    ['a trimmed value', 'pw: hunter22.', 'pw: ***.'],
    ['a URL-encoded value', 'GET /x?t=ghp%5Fzz', 'GET /x?t=ghp%5Fzz'],
    ['short and non-secret values stay', 'abc Jane Doe /home/jane', 'abc Jane Doe /home/jane'],
    ['URL credentials', 'fetching https://u:p4ss@example.com/a and http://TOKEN123@h:8080/', 'fetching https://***@example.com/a and http://***@h:8080/'],
    ['query tokens', 'see https://api/x?foo=1&access_token=zzzz and ?key=abc&sig=xyz', 'see https://api/x?foo=1&access_token=*** and ?key=***&sig=***'],
    ['options written out in text', 'running `cargo publish --token S3CRET --dry-run` (--token=S3CRET)', 'running `cargo publish --token *** --dry-run` (--token=***)'],
    ['closing punctuation after an unknown value stays', 'see (--password=abc123). and token=zz9x, done', 'see (--password=***). and token=***, done'],
    ['NAME=VALUE assignments', 'CARGO_REGISTRY_TOKEN=abcdefgh cargo publish; GIT_AUTHOR_NAME=jane', 'CARGO_REGISTRY_TOKEN=*** cargo publish; GIT_AUTHOR_NAME=jane'],
    ['TOML credentials', '[registry]\ntoken = "cio-abcdef"\n', '[registry]\ntoken = "***"\n'],
    ['authorization headers', 'Authorization: Bearer eyJabc.def\nauthorization: token gho_123', 'Authorization: Bearer ***\nauthorization: token ***'],
    ['ordinary cargo output is kept', '   Packaging oris-runtime v0.2.0 (/w/crates/oris-runtime)\n    Uploading oris-runtime v0.2.0\nerror: failed to publish', '   Packaging oris-runtime v0.2.0 (/w/crates/oris-runtime)\n    Uploading oris-runtime v0.2.0\nerror: failed to publish'],
  ];
  it.each(cases)('%s', (_name, text, expected) => {
    expect(redactText(text, ENV)).toBe(expected);
  });

  it('redacts the URL-encoded form of a secret', () => {
    expect(redactText('GET /a?x=p%40ss%2Fw0rd', { PASSWORD: 'p@ss/w0rd' })).toBe('GET /a?x=***');
  });

  it('redacts extra secrets (such as those of an argv)', () => {
    expect(redactText('the token S3CRET was refused', {}, ['S3CRET'])).toBe('the token *** was refused');
    expect(redactText('xyz is short', {}, ['xyz'])).toBe('xyz is short');
  });

  it('is idempotent', () => {
    for (const [, text] of cases) {
      const once = redactText(text, ENV);
      expect(redactText(once, ENV)).toBe(once);
    }
  });
});

describe('the acceptance case: cargo publish --token S3CRET', () => {
  const argv = ['cargo', 'publish', '--registry', 'local', '--token', 'S3CRET', '--dry-run'];
  const output = [
    '    Updating `local` index',
    'error: failed to publish to registry at http://127.0.0.1:3000',
    '',
    'Caused by:',
    '  the remote server responded with an error (status 403 Forbidden): invalid token S3CRET',
    '  note: ran `cargo publish --registry local --token S3CRET --dry-run`',
    '  url: http://S3CRET@127.0.0.1:3000/api/v1/crates/new?token=S3CRET',
  ].join('\n');

  it('leaves no S3CRET in the argv or the output', () => {
    const redactor = createRedactor(argv, { CARGO_REGISTRY_TOKEN: 'S3CRET', HOME: '/root' });
    expect(redactor.argv).toEqual(['cargo', 'publish', '--registry', 'local', '--token', '***', '--dry-run']);
    const text = redactor.text(output);
    expect(text).not.toContain('S3CRET');
    expect(text).toContain('invalid token ***');
    expect(text).toContain('error: failed to publish to registry at http://127.0.0.1:3000');
  });

  it('without the env, the argv still supplies the secret', () => {
    const redacted = redactArgv(argv, {});
    const text = redactText(output, {}, argvSecrets(argv));
    expect(JSON.stringify(redacted)).not.toContain('S3CRET');
    expect(text).not.toContain('S3CRET');
  });

  it('with only the env, the argv and output are clean too', () => {
    const env = { CARGO_REGISTRIES_LOCAL_TOKEN: 'S3CRET' };
    expect(redactArgv(argv, env).join(' ')).not.toContain('S3CRET');
    expect(redactText(output, env)).not.toContain('S3CRET');
  });
});

describe('names', () => {
  it.each([
    ['CARGO_REGISTRY_TOKEN', true],
    ['CARGO_REGISTRIES_LOCAL_TOKEN', true],
    ['GITHUB_TOKEN', true],
    ['NPM_TOKEN', true],
    ['aws_secret_access_key', true],
    ['MY_API_KEY', true],
    ['DOCKER_AUTH_CONFIG', true],
    ['PGPASSWORD', true],
    ['GIT_AUTHOR_NAME', false],
    ['GIT_AUTHOR_EMAIL', false],
    ['SSH_AUTH_SOCK', false],
    ['HOME', false],
    ['KEYBOARD', false],
  ])('env %s → %s', (name, secret) => {
    expect(isSecretEnvName(name)).toBe(secret);
  });

  it.each([
    ['token', true],
    ['auth-token', true],
    ['password', true],
    ['API-KEY', true],
    ['client_secret', true],
    ['accesstoken', true],
    ['auth', true],
    ['no-auth', false],
    ['registry', false],
    ['keep-going', false],
    ['package', false],
  ])('option --%s → %s', (name, secret) => {
    expect(isSecretOptionName(name)).toBe(secret);
  });
});

describe('redactUrl', () => {
  it('removes credentials and secret query parameters', () => {
    expect(redactUrl('https://user:s3cret@github.com/o/r.git')).toBe('https://github.com/o/r.git');
    expect(redactUrl('https://ghp_abc123@github.com/o/r.git')).toBe('https://github.com/o/r.git');
    expect(redactUrl('https://x-access-token:tok@host:8443/a@b/r')).toBe('https://host:8443/a@b/r');
    expect(redactUrl('ssh://git:pw@host/r.git')).toBe('ssh://git@host/r.git');
    expect(redactUrl('ssh://git@host/r.git')).toBe('ssh://git@host/r.git');
    expect(redactUrl('git@github.com:o/r.git')).toBe('git@github.com:o/r.git');
    expect(redactUrl('https://host/r.git?private_token=abc&ref=main')).toBe('https://host/r.git?ref=main');
    expect(redactUrl('https://host/r.git?access_token=abc')).toBe('https://host/r.git');
    expect(redactUrl('/srv/git/r.git')).toBe('/srv/git/r.git');
  });
});

describe('every form of secret (the corpus of test/cli/secrets-corpus.test.ts, unit by unit)', () => {
  const argvCases: [string, string[], string[]][] = [
    ['cargo login TOKEN', ['cargo', 'login', 'cioAbCdEfGhIjKlMnOpQrStUvWxYz012345'], ['cargo', 'login', '***']],
    ['cargo login --registry NAME TOKEN', ['cargo', 'login', '--registry', 'local', 'plainloginsecret'], ['cargo', 'login', '--registry', 'local', '***']],
    ['npm token revoke TOKEN', ['npm', 'token', 'revoke', 'npmtokenid-987'], ['npm', 'token', 'revoke', '***']],
    ['docker login -p PASS', ['docker', 'login', '-u', 'bob', '-p', 'dockerpass1'], ['docker', 'login', '-u', 'bob', '-p', '***']],
    ['curl -u user:pass', ['curl', '-u', 'alice:curlpass-55', 'https://h/x'], ['curl', '-u', '***', 'https://h/x']],
    ['curl -uuser:pass and --user=user:pass', ['curl', '-ualice:curlpass-55', '--user=a:b'], ['curl', '-u***', '--user=***']],
    ['curl -u TOKEN: (the user is the token)', ['curl', '-u', 'sk_live_abcdef:'], ['curl', '-u', '***']],
    ['-H Authorization: Bearer', ['curl', '-H', 'Authorization: Bearer bearer-secret-1'], ['curl', '-H', 'Authorization: Bearer ***']],
    ['-H X-Api-Key:', ['curl', '-H', 'X-Api-Key: apikey-secret-2'], ['curl', '-H', 'X-Api-Key: ***']],
    ['--token -VALUE', ['cargo', 'publish', '--token', '-dashsecret-3'], ['cargo', 'publish', '--token', '***']],
    ['a prefixed token as a plain argument', ['gh', 'secret', 'set', 'X', '--body', 'ghp_AbCdEfGhIjKlMnOpQrSt12'], ['gh', 'secret', 'set', 'X', '--body', '***']],
    ['npm _authToken', ['npm', 'publish', '--//registry.npmjs.org/:_authToken=npm_AbCdEfGhIjKlMnOpQrSt12'], ['npm', 'publish', '--//registry.npmjs.org/:_authToken=***']],
    ['twine upload -p PASS', ['twine', 'upload', '-u', '__token__', '-p', 'pypi-secret-abc'], ['twine', 'upload', '-u', '__token__', '-p', '***']],
    ['--password-stdin and --with-token are switches', ['docker', 'login', '--password-stdin', '-u', 'bob', 'ghcr.io'], ['docker', 'login', '--password-stdin', '-u', 'bob', 'ghcr.io']],
    ['git push -u keeps a remote name', ['git', 'push', '-u', 'origin', 'main'], ['git', 'push', '-u', 'origin', 'main']],
    ['cargo login alone', ['cargo', 'login'], ['cargo', 'login']],
  ];
  it.each(argvCases)('argv: %s', (_name, argv, expected) => {
    expect(redactArgv(argv, {})).toEqual(expected);
  });

  it.each(argvCases.filter(([, argv, expected]) => JSON.stringify(argv) !== JSON.stringify(expected)))(
    'output echoing the argv: %s',
    (_name, argv) => {
      const redactor = createRedactor(argv, {});
      const printed = `ran: ${argv.join(' ')}\nthe secret was ${argv[argv.length - 1]}\n`;
      const text = redactor.text(printed);
      for (const secret of argvSecrets(argv)) expect(text).not.toContain(secret);
      expect(text).toContain('***');
    },
  );

  const textCases: [string, string, string][] = [
    ['"token": "..." in JSON', '{"token": "json secret 5", "user": "x"}', '{"token": "***", "user": "x"}'],
    ["'password': '...'", "{'password': 'pw 1'}", "{'password': '***'}"],
    ['token: ... in YAML or a log', '  token: yamlsecret6', '  token: ***'],
    ['Token: gho_...', 'Token: gho_AbCdEfGhIjKlMnOpQrSt12', 'Token: ***'],
    ['X-Api-Key: header', '> X-Api-Key: apikey-secret-2\n> Accept: */*', '> X-Api-Key: ***\n> Accept: */*'],
    ['password=... and secret = "..."', "password=pw-secret-7 next; client_secret = \"two words\"", 'password=*** next; client_secret = "***"'],
    ['-u user:pass in a shell trace', '+ curl -u alice:curlpass-55 https://h', '+ curl -u *** https://h'],
    ['--token -VALUE written out', 'cargo publish --token -dashsecret-3 --dry-run', 'cargo publish --token *** --dry-run'],
    ['GitHub prefixes', 'ghp_AbCdEfGhIjKlMnOpQrSt12 gho_AbCdEfGhIjKlMnOpQrSt12 ghu_AbCdEfGhIjKlMnOpQrSt12 ghs_AbCdEfGhIjKlMnOpQrSt12 ghr_AbCdEfGhIjKlMnOpQrSt12', '*** *** *** *** ***'],
    ['fine-grained GitHub token', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', '***'],
    ['npm token', 'created npm_AbCdEfGhIjKlMnOpQrSt12.', 'created ***.'],
    ['crates.io token', 'token cioAbCdEfGhIjKlMnOpQrStUvWxYz012345 saved', 'token *** saved'],
    ['URL with a password holding @', 'to https://bob:p@ss-9@host/r.git', 'to https://***@host/r.git'],
    ['JSON inside a JSON string', '{"body": "{\\"token\\": \\"nested secret\\"}"}', '{"body": "{\\"token\\": \\"***\\"}"}'],
    ['Cookie header', 'Cookie: session=abc123def', 'Cookie: ***'],
    ['GitLab and PyPI prefixes', `glpat-abcdefghij0123456789 pypi-${'AgEIcHlwaS5vcmc'.repeat(4)}`, '*** ***'],
    ['a prefixed token followed by more word characters', 'ghp_AbCdEfGhIjKlMnOpQrSt12_suffix', '***_suffix'],
    ['ordinary words stay', 'Author: Jane\nCaused by:\n  npm_config_registry, tokens file, error: Authorization failed', 'Author: Jane\nCaused by:\n  npm_config_registry, tokens file, error: Authorization failed'],
  ];
  it.each(textCases)('text: %s', (_name, text, expected) => {
    expect(redactText(text, {})).toBe(expected);
    expect(redactText(expected, {})).toBe(expected);
  });
});

it('a known secret that is only the start of a longer token does not hide the rest of it', () => {
  const half = `gho_${'Zq7XbN2p'}`;
  const whole = `${half}L9sKd4Rt8Vw1Yc6Hm3Jf5Gx0Ae9U`;
  const text = redactText(`Token: ${whole} done\nsee ${whole}`, {}, [half]);
  expect(text).toBe('Token: *** done\nsee ***');
});

it('values that are no secret are not searched for everywhere', () => {
  expect(argvSecrets(['cargo', 'publish', '--config', 'registry.token-required=true', '-H', 'X-Api-Key: $API_KEY'])).toEqual([]);
  const redactor = createRedactor(['cargo', 'publish', '--config', 'registry.token-required=true'], {});
  expect(redactor.text('dry run: true')).toBe('dry run: true');
});

describe('partialEnd', () => {
  it.each([
    ['a prompt ending in a space shows whole', 'Password: ', 10],
    ['the trailing word is held', 'token is ghp_Ab', 9],
    ['an unterminated quoted value is held from its quote', 'x "token": "two wor', 11],
    ['an apostrophe inside a word opens nothing', "don't stop ", 11],
  ])('%s', (_name, text, end) => {
    expect(partialEnd(text)).toBe(end);
  });

  it('holds the start of a known secret containing a space', () => {
    expect(partialEnd('pw: correct horse ', ['correct horse battery'])).toBe(4);
  });
});
