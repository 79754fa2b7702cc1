import { describe, expect, it } from 'vitest';
import { classifyOutcome, errorExcerpt, inferPhase } from '../../src/release/classify.js';
import { formatCommand } from '../../src/release/model.js';

describe('inferPhase', () => {
  it.each([
    ['cargo publish --dry-run', 'dry-run'],
    ['cargo publish --registry local --dry-run', 'dry-run'],
    ['cargo publish -n', 'dry-run'],
    ['cargo package', 'dry-run'],
    ['cargo +nightly publish --dry-run', 'dry-run'],
    ['cargo publish', 'publish'],
    ['cargo publish --registry local --token S3CRET', 'publish'],
    ['cargo +1.80 --locked publish -p demo', 'publish'],
    ['/usr/bin/cargo publish', 'publish'],
    ['cargo --config net.retry=5 publish', 'publish'],
    ['cargo build', null],
    ['cargo run -- publish', null],
    ['git tag v0.2.0', 'tag'],
    ['git tag -a v0.2.0 -m release', 'tag'],
    ['git -C repo tag -s v0.2.0', 'tag'],
    ['git tag', null],
    ['git tag -l', null],
    ['git tag --list v*', null],
    ['git tag -d v0.2.0', null],
    ['git tag --delete v0.2.0', null],
    ['git tag -m msg', null],
    ['git push origin v0.2.0', 'push'],
    ['git push --atomic origin main v0.2.0', 'push'],
    ['git status', null],
    ['npm publish', 'publish'],
    ['npm publish --dry-run', 'dry-run'],
    ['npm --registry http://localhost:4873 publish', 'publish'],
    ['npm pack', null],
    ['gh issue close 7', null],
    ['', null],
  ] as const)('%s → %s', (command, phase) => {
    expect(inferPhase(command === '' ? [] : command.split(' '))).toBe(phase);
  });
});

// Exact cargo output markers from shared/research/release-anchors.md §2.7 and §4.4.
const PACKAGE = [
  '    Updating crates.io index',
  '   Packaging demo v0.2.0 (/src/demo)',
  '    Packaged 5 files, 1.2KiB (800.0B compressed)',
  '   Verifying demo v0.2.0 (/src/demo)',
  '   Compiling demo v0.2.0 (/src/demo/target/package/demo-0.2.0)',
  '    Finished `dev` profile [unoptimized + debuginfo] target(s) in 0.50s',
].join('\n');
const UPLOADING = '   Uploading demo v0.2.0 (/src/demo)';
const UPLOADED = '    Uploaded demo v0.2.0 to registry `crates-io`';
const WAITING = 'note: waiting for `demo v0.2.0` to be available at registry `crates-io`.\nYou may press ctrl-c to skip waiting; the crate should be available shortly.';
const PUBLISHED = '   Published demo v0.2.0 at registry `crates-io`';
const INDEX_TIMEOUT = 'warning: timed out waiting for `demo v0.2.0` to be available in registry `crates-io`\nnote: the registry may have a backlog that is delaying making the crate available. The crate should be available soon.';
const COMPILE_ERROR = [
  '   Verifying demo v0.2.0 (/src/demo)',
  '   Compiling demo v0.2.0 (/src/demo/target/package/demo-0.2.0)',
  'error[E0425]: cannot find value `missing` in this scope',
  ' --> src/lib.rs:2:5',
  '  |',
  '2 |     missing',
  '  |     ^^^^^^^ not found in this scope',
  '',
  'For more information about this error, try `rustc --explain E0425`.',
  'error: could not compile `demo` (lib) due to 1 previous error',
  'error: failed to verify package tarball',
].join('\n');
const EXISTS_ERROR = 'error: crate demo@0.2.0 already exists on crates.io index';
const EXISTS_WARNING = 'warning: crate demo@0.2.0 already exists on crates.io index';
const SERVER_EXISTS = [
  'error: failed to publish demo v0.2.0 to registry at https://crates.io',
  '',
  'Caused by:',
  '  the remote server responded with an error (status 400 Bad Request): crate version `0.2.0` is already uploaded',
].join('\n');
const SERVER_503 = [
  'error: failed to publish demo v0.2.0 to registry at https://crates.io',
  '',
  'Caused by:',
  '  failed to get a 200 OK response, got 503',
  '  headers:',
].join('\n');
const UPLOAD_TIMEOUT = [
  'error: failed to publish demo v0.2.0 to registry at https://crates.io',
  '',
  'Caused by:',
  "  Request timed out after 30 seconds. If you're trying to upload a crate it may be too large. If the crate is under 10MB in size, you can email help@crates.io for assistance.",
].join('\n');
const AUTH = 'error: no token found, please run `cargo login`\nor use environment variable CARGO_REGISTRY_TOKEN';

const lines = (...parts: string[]) => parts.join('\n');

describe('classifyOutcome', () => {
  it.each([
    // publish
    ['publish: Uploaded and Published, exit 0', 'publish', 0, lines(PACKAGE, UPLOADING, UPLOADED, WAITING, PUBLISHED), 'published', 'yes', 'uploaded'],
    ['publish: Uploaded, index wait timed out, exit 0', 'publish', 0, lines(PACKAGE, UPLOADING, UPLOADED, WAITING, INDEX_TIMEOUT), 'published', 'yes', 'uploaded'],
    ['publish: Uploaded, then exit 101 (wait for dependents timed out)', 'publish', 101, lines(PACKAGE, UPLOADING, UPLOADED, WAITING, INDEX_TIMEOUT, 'error: unable to publish demo v0.2.0 due to a timeout while waiting for published dependencies to be available.'), 'published', 'yes', 'uploaded-then-failed'],
    ['publish: older cargo, Uploading only, exit 0', 'publish', 0, lines(PACKAGE, UPLOADING), 'published', 'yes', 'publish-exit-zero'],
    ['publish: compile error before Uploading', 'publish', 101, lines(PACKAGE, COMPILE_ERROR), 'not-published', 'no', 'before-upload'],
    ['publish: no token, before Uploading', 'publish', 101, lines('    Updating crates.io index', AUTH), 'not-published', 'no', 'before-upload'],
    ['publish: 503 after Uploading', 'publish', 101, lines(PACKAGE, UPLOADING, SERVER_503), 'unknown', 'unknown', 'upload-ambiguous'],
    ['publish: request timeout after Uploading', 'publish', 101, lines(PACKAGE, UPLOADING, UPLOAD_TIMEOUT), 'unknown', 'unknown', 'upload-ambiguous'],
    ['publish: killed after Uploading', 'publish', null, lines(PACKAGE, UPLOADING), 'unknown', 'unknown', 'upload-ambiguous'],
    ['publish: already exists on the index, before upload', 'publish', 101, lines('    Updating crates.io index', EXISTS_ERROR), 'unknown', 'unknown', 'version-exists'],
    ['publish: server says already uploaded', 'publish', 101, lines(PACKAGE, UPLOADING, SERVER_EXISTS), 'unknown', 'unknown', 'version-exists'],
    ['publish: npm cannot publish over', 'publish', 1, 'npm notice Publishing to https://registry.npmjs.org/ with tag latest and default access\nnpm error code E403\nnpm error 403 403 Forbidden - PUT https://registry.npmjs.org/demo - You cannot publish over the previously published versions: 0.2.0.', 'unknown', 'unknown', 'version-exists'],
    ['publish: 429 rate limit after Uploading', 'publish', 101, lines(PACKAGE, UPLOADING, 'error: failed to publish demo v0.2.0 to registry at https://crates.io\n\nCaused by:\n  the remote server responded with an error (status 429 Too Many Requests): You have published too many updates to existing crates in a short period of time. Please try again after Tue, 24 Nov 2026 23:40:00 GMT and see https://crates.io/docs/rate-limits for more details.'), 'not-published', 'no', 'rate-limited'],
    ['publish: 403 not an owner after Uploading', 'publish', 101, lines(PACKAGE, UPLOADING, "Caused by:\n  the remote server responded with an error (status 403 Forbidden): this crate exists but you don't seem to be an owner."), 'not-published', 'no', 'upload-refused'],
    ['publish: non-JSON 413 after Uploading', 'publish', 101, lines(PACKAGE, UPLOADING, 'Caused by:\n  failed to get a 200 OK response, got 413'), 'not-published', 'no', 'upload-refused'],
    ['publish: 408 after Uploading stays ambiguous', 'publish', 101, lines(PACKAGE, UPLOADING, 'Caused by:\n  failed to get a 200 OK response, got 408'), 'unknown', 'unknown', 'upload-ambiguous'],
    ['publish: npm 403 without permission', 'publish', 1, 'npm notice Publishing to https://registry.npmjs.org/ with tag latest and default access\nnpm error code E403\nnpm error 403 403 Forbidden - PUT https://registry.npmjs.org/demo - You do not have permission to publish "demo".', 'not-published', 'no', 'upload-refused'],
    ['publish: npm uploaded', 'publish', 0, 'npm notice Publishing to https://registry.npmjs.org/ with tag latest and default access\n+ demo@0.2.0', 'published', 'yes', 'uploaded'],
    ['publish: npm auth failure before upload', 'publish', 1, 'npm error code ENEEDAUTH\nnpm error need auth This command requires you to be logged in.', 'not-published', 'no', 'before-upload'],
    // dry-run
    ['dry-run: clean', 'dry-run', 0, lines(PACKAGE, UPLOADING, 'warning: aborting upload due to dry run'), 'ok', null, 'exit-zero'],
    ['dry-run: compile error', 'dry-run', 101, lines(PACKAGE, COMPILE_ERROR), 'failed', null, 'exit-nonzero'],
    ['dry-run: exit 0 but version already exists', 'dry-run', 0, lines('    Updating crates.io index', EXISTS_WARNING, PACKAGE, UPLOADING, 'warning: aborting upload due to dry run'), 'failed', 'unknown', 'dry-run-version-exists'],
    // other phases
    ['tag: ok', 'tag', 0, '', 'ok', null, 'exit-zero'],
    ['tag: exists', 'tag', 128, "fatal: tag 'v0.2.0' already exists", 'failed', null, 'exit-nonzero'],
    ['push: rejected', 'push', 1, ' ! [rejected]        main -> main (fetch first)\nerror: failed to push some refs to \'origin\'', 'failed', null, 'exit-nonzero'],
    ['no phase: ok', null, 0, 'anything', 'ok', null, 'exit-zero'],
  ] as const)('%s', (_name, phase, exitCode, output, outcome, published, reason) => {
    const got = classifyOutcome({ phase, exitCode, output });
    expect({ outcome: got.outcome, published: got.published, reason: got.reason }).toEqual({ outcome, published, reason });
  });

  it('sees markers through colours and carriage returns', () => {
    const coloured = `\x1b[1m\x1b[32m   Uploading\x1b[0m demo v0.2.0\n\x1b[1m\x1b[32m    Uploaded\x1b[0m demo v0.2.0 to registry \`crates-io\`\r\n`;
    expect(classifyOutcome({ phase: 'publish', exitCode: 101, output: coloured }).outcome).toBe('published');
  });

  it('does not take "Uploaded" inside an error message as the marker', () => {
    const got = classifyOutcome({ phase: 'publish', exitCode: 101, output: lines(UPLOADING, 'error: nothing was Uploaded to registry x') });
    expect(got.outcome).toBe('unknown');
  });

  it('quotes the errors of a failed dry-run', () => {
    const got = classifyOutcome({ phase: 'dry-run', exitCode: 101, output: lines(PACKAGE, COMPILE_ERROR) });
    expect(got.excerpt).toBe(lines(
      'error[E0425]: cannot find value `missing` in this scope',
      ' --> src/lib.rs:2:5',
      '  |',
      '2 |     missing',
      '  |     ^^^^^^^ not found in this scope',
      '...',
      'error: could not compile `demo` (lib) due to 1 previous error',
      'error: failed to verify package tarball',
    ));
  });

  it('quotes the duplicate warning of a dry-run and the cause of an upload failure', () => {
    expect(classifyOutcome({ phase: 'dry-run', exitCode: 0, output: lines(EXISTS_WARNING, PACKAGE, 'warning: aborting upload due to dry run') }).excerpt)
      .toBe(lines(EXISTS_WARNING, '...', 'warning: aborting upload due to dry run'));
    expect(classifyOutcome({ phase: 'publish', exitCode: 101, output: lines(PACKAGE, UPLOADING, SERVER_503) }).excerpt)
      .toBe(lines('error: failed to publish demo v0.2.0 to registry at https://crates.io', '...', 'Caused by:', '  failed to get a 200 OK response, got 503', '  headers:'));
  });
});

describe('errorExcerpt', () => {
  it('falls back to the last lines when nothing looks like an error', () => {
    expect(errorExcerpt('a\nb\n\nc\n')).toBe('a\nb\nc');
  });

  it('is bounded to about 2,000 characters, keeping the first errors', () => {
    const output = Array.from({ length: 200 }, (_, i) => `error: problem number ${i} ${'x'.repeat(40)}`).join('\n');
    const excerpt = errorExcerpt(output);
    expect(excerpt.length).toBeLessThanOrEqual(2002);
    expect(excerpt.startsWith('error: problem number 0 ')).toBe(true);
    expect(excerpt.endsWith('…')).toBe(true);
  });

  it('bounds one huge line too', () => {
    expect(errorExcerpt(`error: ${'y'.repeat(5000)}`).length).toBe(2000);
  });
});

describe('formatCommand', () => {
  it.each([
    [['cargo', 'publish', '--dry-run'], 'cargo publish --dry-run'],
    [['git', 'tag', '-m', 'release 0.2.0', 'v0.2.0'], "git tag -m 'release 0.2.0' v0.2.0"],
    [['echo', "it's"], "echo 'it'\\''s'"],
    [['echo', ''], "echo ''"],
    [['echo', 'a\nb'], "echo $'a\\nb'"],
  ])('%j', (argv, text) => {
    expect(formatCommand(argv)).toBe(text);
  });
});

describe('classifyOutcome: the registry unreachable, a command that could not run', () => {
  const npmError = (code: string, detail: string) => `npm error code ${code}\nnpm error ${detail}`;
  it.each([
    ['cargo: timeout before upload', 'publish', 101, lines('    Updating `local` index', 'error: download of config.json failed', '', 'Caused by:', '  failed to download from `https://r.example/index/config.json`', '', 'Caused by:', '  [28] Timeout was reached (Connection timed out after 30001 milliseconds)'), 'registry-unreachable'],
    ['cargo: reset before upload', 'dry-run', 101, lines('    Updating crates.io index', 'error: failed to query replaced source registry `crates-io`', '', 'Caused by:', '  [56] Failure when receiving data from the peer (Recv failure: Connection reset by peer)'), 'registry-unreachable'],
    ['cargo: index answers 503', 'dry-run', 101, lines('    Updating `local` index', 'error: failed to get successful HTTP response from `http://127.0.0.1:1/index/config.json` (127.0.0.1), got 503'), 'registry-unreachable'],
    ['cargo: git index cannot resolve', 'dry-run', 101, lines('    Updating crates.io index', 'error: failed to fetch `https://github.com/rust-lang/crates.io-index`', '', 'Caused by:', "  failed to resolve address for github.com: Name or service not known; class=Net (12)"), 'registry-unreachable'],
    ['npm: ENOTFOUND', 'publish', 1, npmError('ENOTFOUND', 'request to https://registry.npmjs.org/demo failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org'), 'registry-unreachable'],
    ['npm: ECONNREFUSED', 'dry-run', 1, npmError('ECONNREFUSED', 'request to http://127.0.0.1:4873/demo failed, reason: connect ECONNREFUSED 127.0.0.1:4873'), 'registry-unreachable'],
    ['npm: ETIMEDOUT', 'publish', 1, npmError('ETIMEDOUT', 'network request to https://registry.npmjs.org/demo failed, reason: ETIMEDOUT'), 'registry-unreachable'],
    // A retry that worked: the warning is not the failure, the compile error is.
    ['cargo: spurious network warning, then a compile error', 'dry-run', 101, lines('warning: spurious network error (2 tries remaining): [7] Could not connect to server', PACKAGE, COMPILE_ERROR), 'exit-nonzero'],
    ['cargo: compile error before upload', 'publish', 101, lines(PACKAGE, COMPILE_ERROR), 'before-upload'],
    ['command not found', 'dry-run', 127, 'error: policy run: cannot run "carg": not found on PATH', 'command-not-run'],
    ['not executable', 'notes', 126, 'error: policy run: cannot run "./check-notes": spawn EACCES', 'command-not-run'],
    ['a shell that could not find the publish command', 'publish', 127, 'sh: 1: cargo: not found', 'command-not-run'],
  ] as const)('%s → %s', (_name, phase, exitCode, output, reason) => {
    expect(classifyOutcome({ phase, exitCode, output }).reason).toBe(reason);
  });

  it('a network failure after Uploading stays ambiguous: the upload may have landed', () => {
    const got = classifyOutcome({ phase: 'publish', exitCode: 101, output: lines(PACKAGE, UPLOADING, 'error: failed to publish', 'Caused by:', '  [56] Failure when receiving data from the peer (Recv failure: Connection reset by peer)') });
    expect(got).toMatchObject({ outcome: 'unknown', published: 'unknown', reason: 'upload-ambiguous' });
  });

  it('exit 127 after Uploaded is still published, and unreachable before the upload is not published', () => {
    expect(classifyOutcome({ phase: 'publish', exitCode: 127, output: lines(UPLOADING, UPLOADED) }).published).toBe('yes');
    expect(classifyOutcome({ phase: 'publish', exitCode: 127, output: '' })).toMatchObject({ outcome: 'not-published', published: 'no' });
  });
});
