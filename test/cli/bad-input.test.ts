// Bad input a user (or an attacker) can put in front of the command: each is exit 2 or a
// named finding with its location, never a stack trace or "internal error".
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { git, releaseNotes, write } from '../../scripts/sample-repo.mjs';
import { CLI, runPolicy, type CliResult } from '../helpers/cli.js';
import { HAS_GIT } from '../helpers/tools.js';

const STACK = /\n\s+at .+:\d+:\d+/;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A git repository holding `files`, committed once. */
function repoWith(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'release-policy-bad-input-'));
  dirs.push(dir);
  git(dir, ['init', '-q']);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'start']);
  return dir;
}

/** A user error: exit 2, nothing on stdout, no stack, no "internal error"; returns stderr. */
function expectUserError(result: CliResult): string {
  expect(result.stderr).not.toMatch(STACK);
  expect(result.stderr).not.toContain('internal error');
  expect([result.code, result.stdout]).toEqual([2, '']);
  return result.stderr;
}

const POLICY = 'version: 1\npackages:\n  - name: demo\n';

const cargo = (name: string, version: string): string => `[package]\nname = "${name}"\nversion = "${version}"\nedition = "2021"\n`;

/** `policy ARGS` with at most `files` open file descriptors (a shell's `ulimit -n`). */
function runLimited(args: string[], cwd: string, files: number): CliResult {
  const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const result = spawnSync('sh', ['-c', `ulimit -n ${files} && exec ${quoted}`], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1', POLICY_OFFLINE: '1', POLICY_DAEMON: '0' },
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

describe.skipIf(!HAS_GIT)('many packages', () => {
  it('reads 2,000 packages with 256 file descriptors: no EMFILE, every package read', () => {
    const count = 2000;
    const files: Record<string, string> = { 'RELEASE_v0.1.0.md': releaseNotes('0.1.0') };
    let policy = 'version: 1\npackages:\n';
    for (let i = 0; i < count; i++) {
      files[`crates/p${i}/Cargo.toml`] = cargo(`p${i}`, '0.1.0');
      policy += `  - name: p${i}\n    manifest: crates/p${i}/Cargo.toml\n`;
    }
    files['release-policy.yml'] = policy;
    const dir = repoWith(files);
    // The work tree, HEAD and the index are each read for every package, and tags and history too.
    const facts = runLimited(['facts'], dir, 256);
    expect(facts.stderr).not.toMatch(STACK);
    expect(facts.stderr).not.toContain('internal error');
    expect(facts.code).toBe(0);
    const packages = (JSON.parse(facts.stdout) as { facts: { packages: { name: string; version: string; manifestError: string }[] } }).facts.packages;
    expect(packages).toHaveLength(count);
    expect(packages.filter((p) => p.version === '0.1.0' && p.manifestError === '')).toHaveLength(count);
    const check = runLimited(['check', '--gate', 'pre-commit', '--format', 'json'], dir, 256);
    expect([check.code, check.stderr]).toEqual([0, '']);
    expect((JSON.parse(check.stdout) as { findings: unknown[] }).findings).toEqual([]);
  });
});

describe.skipIf(!HAS_GIT)('the policy path', () => {
  it('a broken release-policy.yaml beside a valid release-policy.yml: exit 2 naming both', () => {
    const dir = repoWith({ 'release-policy.yml': POLICY, 'release-policy.yaml': 'version: [\n', 'Cargo.toml': cargo('demo', '0.1.0') });
    const stderr = expectUserError(runPolicy(['check'], { cwd: dir }));
    expect(stderr).toContain(`two policy files: ${join(dir, 'release-policy.yml')} and ${join(dir, 'release-policy.yaml')}`);
    expect(stderr).toContain('hint: keep one');
  });

  it('a folder named release-policy.yml says so, not "no release-policy.yml found"', () => {
    const dir = repoWith({ 'Cargo.toml': cargo('demo', '0.1.0') });
    mkdirSync(join(dir, 'release-policy.yml'));
    const stderr = expectUserError(runPolicy(['check'], { cwd: dir }));
    expect(stderr).toContain(`policy: ${join(dir, 'release-policy.yml')} is a directory`);
    expect(stderr).not.toContain('no release-policy.yml found');
    // The hooks see the same problem instead of "nothing to check".
    expect(expectUserError(runPolicy(['hook', 'pre-commit'], { cwd: dir }))).toContain('is a directory');
  });

  it('--policy naming a FIFO: exit 2 at once instead of waiting on it forever', () => {
    const dir = repoWith({ 'Cargo.toml': cargo('demo', '0.1.0') });
    execFileSync('mkfifo', [join(dir, 'policy.fifo')]);
    const stderr = expectUserError(runPolicy(['check', '--policy', 'policy.fifo'], { cwd: dir }));
    expect(stderr).toContain(`policy: ${join(dir, 'policy.fifo')} is a FIFO, not a regular file`);
  });

  it('a dangling symbolic link, found or given: names where it points', () => {
    const dir = repoWith({ 'Cargo.toml': cargo('demo', '0.1.0') });
    symlinkSync('policies/main.yml', join(dir, 'release-policy.yml'));
    const found = expectUserError(runPolicy(['status'], { cwd: dir }));
    expect(found).toContain(`${join(dir, 'release-policy.yml')} is a symbolic link to policies/main.yml, which does not exist`);
    const given = expectUserError(runPolicy(['rules', '--policy', 'release-policy.yml'], { cwd: dir }));
    expect(given).toContain('is a symbolic link to policies/main.yml, which does not exist');
  });
});

/** The findings of `policy check --format json`, as `rule: message`. */
function findings(result: CliResult): string[] {
  return (JSON.parse(result.stdout) as { findings: { rule: string; message: string }[] }).findings.map((f) => `${f.rule}: ${f.message}`);
}

describe.skipIf(!HAS_GIT)('bytes that are not UTF-8 text', () => {
  it('a NUL byte in release-policy.yml: exit 2 at its line and column', () => {
    const dir = repoWith({ 'release-policy.yml': Buffer.from('version: 1\npackages:\n  - name: de\0mo\n'), 'Cargo.toml': cargo('demo', '0.1.0') });
    const stderr = expectUserError(runPolicy(['check'], { cwd: dir }));
    expect(stderr).toContain(`${join(dir, 'release-policy.yml')}:3:13 contains a NUL byte (0x00)`);
  });

  it('a Latin-1 byte in release-policy.yml: exit 2 at its line and column, after the valid é before it', () => {
    const text = Buffer.concat([Buffer.from('version: 1\n# caf\u00e9'), Buffer.from([0x20, 0xe9]), Buffer.from('\npackages:\n  - name: demo\n')]);
    const dir = repoWith({ 'release-policy.yml': text, 'Cargo.toml': cargo('demo', '0.1.0') });
    const stderr = expectUserError(runPolicy(['check'], { cwd: dir }));
    expect(stderr).toContain(`${join(dir, 'release-policy.yml')}:2:8 is not UTF-8 text: byte 0xe9`);
    expect(stderr).toContain('hint: save the file as UTF-8');
  });

  it('a UTF-16 rule file in rulesDir: exit 2 naming the rule file', () => {
    const rule = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id: x\n', 'utf16le')]);
    const dir = repoWith({ 'release-policy.yml': `${POLICY}rulesDir: rules\n`, 'rules/x.yml': rule, 'Cargo.toml': cargo('demo', '0.1.0') });
    const stderr = expectUserError(runPolicy(['check'], { cwd: dir }));
    expect(stderr).toContain(`${join(dir, 'rules', 'x.yml')}:1:1 is UTF-16 text, not UTF-8`);
  });

  it('a non-UTF-8 byte or a NUL in Cargo.toml: a manifest-valid finding at the file, line and column', () => {
    const manifest = Buffer.concat([Buffer.from('[package]\nname = "demo"\nversion = "0.1.0"\ndescription = "na'), Buffer.from([0xef, 0x76]), Buffer.from('e"\n')]);
    const dir = repoWith({ 'release-policy.yml': POLICY, 'Cargo.toml': manifest, 'RELEASE_v0.1.0.md': releaseNotes('0.1.0') });
    const result = runPolicy(['check', '--gate', 'pre-commit', '--format', 'json'], { cwd: dir });
    expect([result.code, result.stderr]).toEqual([1, '']);
    expect(findings(result)).toEqual(['manifest-valid: demo: Cargo.toml:4:18: is not UTF-8 text: byte 0xef does not start or continue a character here']);
    write(dir, 'Cargo.toml', '[package]\nname = "demo"\0\nversion = "0.1.0"\n');
    const nul = runPolicy(['check', '--gate', 'pre-commit', '--format', 'json'], { cwd: dir });
    expect(findings(nul)).toContain('manifest-valid: demo: Cargo.toml:2:14: contains a NUL byte (0x00)');
  });
});

describe.skipIf(!HAS_GIT)('what the manifest says', () => {
  it('a Cargo.toml without version: a manifest-valid finding (cargo reads 0.0.0 and refuses to publish), not a silent 0.0.0', () => {
    const dir = repoWith({ 'release-policy.yml': POLICY, 'Cargo.toml': '[package]\nname = "demo"\nedition = "2021"\n' });
    const result = runPolicy(['check', '--gate', 'pre-commit', '--format', 'json'], { cwd: dir });
    expect([result.code, result.stderr]).toEqual([1, '']);
    expect(findings(result)).toEqual([
      'manifest-valid: demo: Cargo.toml:1:1: [package] has no `version`: cargo defaults it to 0.0.0 and refuses to publish it; add `version = "X.Y.Z"` (or `version.workspace = true`)',
    ]);
    const facts = JSON.parse(runPolicy(['facts', '--gate', 'pre-commit'], { cwd: dir }).stdout) as { facts: { packages: { version: string }[] } };
    expect(facts.facts.packages[0]?.version).toBe('');
  });

  it('a Cargo.toml that is a FIFO or a folder: a manifest-valid finding saying what it is, without waiting on it', () => {
    const dir = repoWith({ 'release-policy.yml': `${POLICY}  - name: web\n    manifest: web/Cargo.toml\n` });
    execFileSync('mkfifo', [join(dir, 'Cargo.toml')]);
    mkdirSync(join(dir, 'web', 'Cargo.toml'), { recursive: true });
    const result = runPolicy(['check', '--gate', 'pre-commit', '--format', 'json'], { cwd: dir });
    expect([result.code, result.stderr]).toEqual([1, '']);
    expect(findings(result)).toEqual([
      'manifest-valid: demo: Cargo.toml:1:1: is a FIFO, not a regular file',
      'manifest-valid: web: web/Cargo.toml:1:1: is a directory',
    ]);
  });

  it('a policy package name that is not the manifest\'s crate: manifest-valid in check, exit 2 naming both in the release commands', () => {
    const policy = 'version: 1\npackages:\n  - name: other\n    manifest: crates/demo/Cargo.toml\n';
    const dir = repoWith({ 'release-policy.yml': policy, 'crates/demo/Cargo.toml': cargo('demo', '0.1.0'), 'RELEASE_v0.1.0.md': releaseNotes('0.1.0') });
    const message = '[package] name is "demo", but the policy names the package "other" (release-policy.yml:3:11); make the two the same';
    const check = runPolicy(['check', '--gate', 'pre-commit', '--format', 'json'], { cwd: dir });
    expect([check.code, check.stderr]).toEqual([1, '']);
    expect(findings(check)).toEqual([`manifest-valid: other: crates/demo/Cargo.toml:2:1: ${message}`]);
    for (const args of [['verify'], ['gate', 'publish'], ['status'], ['run', '--phase', 'notes', '--', 'true']]) {
      const stderr = expectUserError(runPolicy(args, { cwd: dir }));
      expect(stderr).toContain(`policy: crates/demo/Cargo.toml:2:1: ${message}`);
    }
    // Nothing was recorded: the refused `run` never ran its command.
    expect(existsSync(join(dir, '.git', 'release-policy', 'journal.jsonl'))).toBe(false);
  });
});

describe.skipIf(!HAS_GIT)('rule options schemas', () => {
  const rule = (options: string): string => `id: zero-major
title: Packages are past 0.x
spec: "Project rule."
severity: error
gates: [ci]
facts: [packages]
options:
${options}
checks:
  - for: packages
    expression: '!it.version.startsWith("0.")'
    message: "{{it.name}} is still {{it.version}}"
    subject: { kind: package, name: "{{it.name}}" }
docs:
  why: Stability.
  fix: Release 1.0.0.
`;
  const repoWithRule = (options: string): string =>
    repoWith({ 'release-policy.yml': `${POLICY}rulesDir: rules\n`, 'rules/zero-major.yml': rule(options), 'Cargo.toml': cargo('demo', '1.0.0') });

  it('type: arrayy is exit 2 at its line in the rule file, with the type it meant, though no policy sets the option', () => {
    const dir = repoWithRule('  type: object\n  properties:\n    allowed: { type: arrayy, default: [] }');
    const stderr = expectUserError(runPolicy(['check'], { cwd: dir }));
    expect(stderr).toContain(`${join(dir, 'rules', 'zero-major.yml')}:10:22 options.properties.allowed.type: options schema: "arrayy" is not a JSON Schema type`);
    expect(stderr).toContain('hint: did you mean "array"?');
  });

  it('an unknown keyword (strict mode) is exit 2 at that key', () => {
    const dir = repoWithRule('  type: object\n  properties:\n    allowed:\n      tpye: array');
    const stderr = expectUserError(runPolicy(['rules'], { cwd: dir }));
    expect(stderr).toContain(`${join(dir, 'rules', 'zero-major.yml')}:11:7 options.properties.allowed.tpye: options schema: unknown keyword: "tpye"`);
  });

  it('a schema the meta-schema refuses is exit 2 at the offending value', () => {
    const dir = repoWithRule('  type: object\n  properties:\n    allowed: { type: array, minItems: -1 }');
    const stderr = expectUserError(runPolicy(['check'], { cwd: dir }));
    expect(stderr).toContain(`${join(dir, 'rules', 'zero-major.yml')}:10:39 options.properties.allowed.minItems: must be >= 0`);
  });

  it('a valid schema still loads', () => {
    const dir = repoWithRule('  type: object\n  properties:\n    allowed: { type: array, items: { type: string }, default: [] }');
    const result = runPolicy(['check', '--format', 'json'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(findings(result).filter((f) => f.startsWith('zero-major'))).toEqual([]);
  });
});
