// The command under hostile or unusual input: every user error is exit 2 with a located
// message and a hint, never "internal error" or a stack trace; edits are never missed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, releaseNotes, write } from '../../scripts/sample-repo.mjs';
import { useColor } from '../../src/cli/context.js';
import { isBuildStale } from '../global-setup.js';
import { CLI, runPolicy, type CliResult } from '../helpers/cli.js';
import { ZERO_MAJOR_RULE as RULE, ZERO_MAJOR_TABLE as TABLE } from '../helpers/rule-fixtures.js';
import { HAS_GIT } from '../helpers/tools.js';

const STACK = /\n\s+at .+:\d+:\d+/;

/** A user error: exit 2, nothing on stdout, no stack, no "internal error". */
function expectUserError(result: CliResult): string {
  expect([result.code, result.stdout]).toEqual([2, '']);
  expect(result.stderr).not.toMatch(STACK);
  expect(result.stderr).not.toContain('internal error');
  return result.stderr;
}

const cargo = (name: string, version: string): string => `[package]\nname = "${name}"\nversion = "${version}"\nedition = "2021"\n`;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A git repository holding `files`, committed once. */
function repoWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'release-policy-robust-'));
  dirs.push(dir);
  git(dir, ['init', '-q']);
  for (const [path, text] of Object.entries(files)) write(dir, path, text);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'start']);
  return dir;
}

const POLICY = 'version: 1\npackages:\n  - name: demo\n';

describe.skipIf(!HAS_GIT)('manifest paths in the policy (1)', () => {
  it('uses ./crates/a/Cargo.toml as git names it, so history still sees the version changes', () => {
    const dir = repoWith({
      'release-policy.yml': 'version: 1\npackages:\n  - name: a\n    manifest: ./crates/a/Cargo.toml\n    releaseNotes: ./RELEASE_v{version}.md\n',
      'crates/a/Cargo.toml': cargo('a', '0.1.0'),
      'RELEASE_v0.1.0.md': releaseNotes('0.1.0'),
    });
    write(dir, 'crates/a/Cargo.toml', cargo('a', '0.3.0'));
    write(dir, 'RELEASE_v0.3.0.md', releaseNotes('0.3.0'));
    git(dir, ['add', '-A'], '2026-01-02T12:00:00Z');
    git(dir, ['commit', '-q', '-m', 'Bump to 0.3.0'], '2026-01-02T12:00:00Z');
    const result = runPolicy(['audit', '--format', 'json'], { cwd: dir });
    expect([result.code, result.stderr]).toEqual([1, '']);
    const report = JSON.parse(result.stdout) as { findings: { rule: string; message: string; subject: { kind: string } }[] };
    report.findings = report.findings.filter((f) => f.subject.kind !== 'fact'); // the registry, offline
    expect(report.findings.map((f) => f.rule)).toEqual(['version-not-skipped']);
    expect(report.findings[0]?.message).toContain('0.3.0');
  });

  it('refuses ../x/Cargo.toml, absolute paths and backslashes at the value, with a hint', () => {
    const dir = repoWith({
      'release-policy.yml':
        'version: 1\npackages:\n  - name: a\n    manifest: ../x/Cargo.toml\n  - name: b\n    manifest: /etc/Cargo.toml\n    releaseNotes: notes\\RELEASE_v{version}.md\n',
      'Cargo.toml': cargo('a', '0.1.0'),
    });
    const stderr = expectUserError(runPolicy(['check'], { cwd: dir }));
    expect(stderr).toContain('policy: 3 problems');
    expect(stderr).toContain('release-policy.yml:4:15 packages[0].manifest: "../x/Cargo.toml" contains ".."');
    expect(stderr).toContain('hint: write the path from the repository root without ".."');
    expect(stderr).toContain('release-policy.yml:6:15 packages[1].manifest: "/etc/Cargo.toml" is an absolute path');
    expect(stderr).toContain('release-policy.yml:7:19 packages[1].releaseNotes: "notes\\RELEASE_v{version}.md" contains a backslash');
    expect(stderr).toContain('hint: write the path with forward slashes: notes/RELEASE_v{version}.md');
  });
});

describe.skipIf(!HAS_GIT)('a policy without packages (2)', () => {
  it('is refused, with a hint to list the crate, instead of passing every rule', () => {
    const dir = repoWith({ 'release-policy.yml': 'version: 1\nextends: [recommended]\n', 'Cargo.toml': cargo('demo', '0.1.0') });
    const stderr = expectUserError(runPolicy(['check'], { cwd: dir }));
    expect(stderr).toContain('release-policy.yml:1:1 packages: missing required key "packages"');
    expect(stderr).toMatch(/hint: add packages: .*list the crate to release/);
    write(dir, 'release-policy.yml', 'version: 1\npackages: []\n');
    const empty = expectUserError(runPolicy(['audit'], { cwd: dir }));
    expect(empty).toContain('release-policy.yml:2:11 packages: must not be empty');
    expect(empty).toContain('list the crate to release');
  });
});

/** Runs the command with its stdout (and stderr) closed by the reader before it writes. */
function runWithClosedPipes(args: string[], cwd: string, closeStderr: boolean): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    // Closing our end first makes every write of the child fail with EPIPE, as after `| head -1`.
    child.stdout.destroy();
    let stderr = '';
    if (closeStderr) child.stderr.destroy();
    else child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stderr }));
  });
}

describe.skipIf(!HAS_GIT)('a closed stdout or stderr (3)', () => {
  let dir: string;
  beforeAll(() => {
    dir = repoWith({ 'release-policy.yml': POLICY, 'Cargo.toml': cargo('demo', '0.1.0') });
  });

  it('`policy facts | head -1` stops quietly with the command\'s exit code', async () => {
    const facts = await runWithClosedPipes(['facts'], dir, false);
    expect(facts).toEqual({ code: 0, stderr: '' });
    // A refused check stays refused: the reader stopping early changes no verdict.
    const check = await runWithClosedPipes(['check', '--format', 'json'], dir, false);
    expect(check).toEqual({ code: 1, stderr: '' });
  });

  it('a closed stderr keeps the exit code of a policy error', async () => {
    const broken = repoWith({ 'release-policy.yml': 'version: 1\npakages: []\n' });
    expect(await runWithClosedPipes(['check'], broken, true)).toEqual({ code: 2, stderr: '' });
  });
});

describe('NO_COLOR (4)', () => {
  it('turns colour off only when set to a non-empty value (no-color.org)', () => {
    expect(useColor(true, {})).toBe(true);
    expect(useColor(true, { NO_COLOR: '' })).toBe(true);
    expect(useColor(true, { NO_COLOR: '1' })).toBe(false);
    expect(useColor(true, { NO_COLOR: 'false' })).toBe(false);
    expect(useColor(true, { TERM: 'dumb' })).toBe(false);
    expect(useColor(false, {})).toBe(false);
  });

  // util-linux `script` gives the command a terminal; elsewhere the unit test above stands.
  const hasScript = HAS_GIT && process.platform === 'linux' && spawnSync('script', ['-qec', 'true', '/dev/null']).status === 0;
  it.skipIf(!hasScript)('on a terminal, an empty NO_COLOR colours the report and NO_COLOR=1 does not', () => {
    const dir = repoWith({ 'release-policy.yml': POLICY, 'Cargo.toml': cargo('demo', '0.1.0') });
    const onTerminal = (noColor: string): { code: number | null; stdout: string } => {
      const command = `'${process.execPath}' '${CLI}' check`;
      const result = spawnSync('script', ['-qec', command, '/dev/null'], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: noColor, TERM: 'xterm' },
      });
      return { code: result.status, stdout: result.stdout };
    };
    const empty = onTerminal('');
    expect(empty.code).toBe(1);
    expect(empty.stdout).toContain('release-notes-present');
    expect(empty.stdout).toContain('\u001b[');
    const set = onTerminal('1');
    expect(set.code).toBe(1);
    expect(set.stdout).toContain('release-notes-present');
    expect(set.stdout).not.toContain('\u001b[');
  });
});


describe.skipIf(!HAS_GIT)('rule folders that cannot be read (5)', () => {
  it('a folder named x.yml and a dangling link are diagnostics with the file and a hint', () => {
    const dir = repoWith({ 'release-policy.yml': `${POLICY}rulesDir: policy-rules\n`, 'Cargo.toml': cargo('demo', '1.0.0') });
    mkdirSync(join(dir, 'policy-rules', 'x.yml'), { recursive: true });
    symlinkSync(join(dir, 'policy-rules', 'missing.yml'), join(dir, 'policy-rules', 'dangling.yml'));
    const stderr = expectUserError(runPolicy(['check'], { cwd: dir }));
    expect(stderr).toContain('policy: 2 problems');
    expect(stderr).toContain(`${join(dir, 'policy-rules', 'dangling.yml')}:1:1 cannot be read: the file does not exist (a dangling symbolic link?)`);
    expect(stderr).toContain('hint: point the link at an existing rule file, or remove it');
    expect(stderr).toContain(`${join(dir, 'policy-rules', 'x.yml')}:1:1 is a folder, not a rule file`);
    expect(stderr).toContain('hint: rule folders hold rule files');
  });

  it('a rulesDir that is a file is a diagnostic, not an internal error', () => {
    const dir = repoWith({ 'release-policy.yml': `${POLICY}rulesDir: Cargo.toml\n`, 'Cargo.toml': cargo('demo', '1.0.0') });
    const stderr = expectUserError(runPolicy(['rules'], { cwd: dir }));
    expect(stderr).toContain(`${join(dir, 'Cargo.toml')}:1:1 rulesDir: is a file, not a rules folder`);
    expect(stderr).toContain('hint: fix `rulesDir` in release-policy.yml');
  });
});

describe.skipIf(!HAS_GIT)('a malformed facts file (6)', () => {
  let dir: string;
  beforeAll(() => {
    dir = repoWith({ 'release-policy.yml': POLICY, 'Cargo.toml': cargo('demo', '1.0.0') });
  });

  const replay = (content: unknown): string => {
    writeFileSync(join(dir, 'facts.json'), JSON.stringify(content));
    return expectUserError(runPolicy(['check', '--facts', 'facts.json'], { cwd: dir }));
  };

  it('names the key of an unavailable reason that is not a string', () => {
    const stderr = replay({ facts: {}, unavailable: { packages: 5 } });
    expect(stderr).toContain('facts.json: unavailable.packages must be a string (why the fact could not be read), got 5');
    expect(stderr).toContain('hint: The file must be the JSON that `policy facts` prints');
  });

  it('refuses an unavailable that is not an object, and a file that is not one', () => {
    expect(replay({ facts: {}, unavailable: ['packages'] })).toContain('"unavailable" must be an object of fact name to reason, got a list');
    expect(replay([1, 2])).toContain('expected a JSON object, got a list');
    expect(replay(null)).toContain('expected a JSON object, got null');
  });
});

describe.skipIf(!HAS_GIT)('policy test PATHS (7)', () => {
  let dir: string;
  beforeAll(() => {
    dir = repoWith({
      'release-policy.yml': `${POLICY}rulesDir: .\n`,
      'Cargo.toml': cargo('demo', '1.0.0'),
      'no-zero-major.yml': RULE('no-zero-major'),
      'no-zero-major.test.yml': TABLE('no-zero-major'),
      'empty/README.md': 'no rules here\n',
    });
  });

  it('tests the rules of `.`, skipping the policy file and the tables', () => {
    const result = runPolicy(['test', '.'], { cwd: dir });
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toContain('✔ no-zero-major (3 cases)');
    expect(result.stdout).toContain('1 of 1 rules passed, 3 cases');
  });

  it('a path that does not exist, or names no rule, is exit 2 naming the path', () => {
    const missing = expectUserError(runPolicy(['test', 'no-such-rules'], { cwd: dir }));
    expect(missing).toContain('policy: test path "no-such-rules" does not exist');
    expect(missing).toContain('hint: Give rule files (<id>.yml)');
    const empty = expectUserError(runPolicy(['test', 'empty'], { cwd: dir }));
    expect(empty).toContain('test path "empty" matches no rule: the folder holds no rule files (<id>.yml)');
    const policyFile = expectUserError(runPolicy(['test', 'release-policy.yml'], { cwd: dir }));
    expect(policyFile).toContain('test path "release-policy.yml" is the policy file, not a rule');
    const notRule = expectUserError(runPolicy(['test', 'Cargo.toml', 'no-zero-major.yml'], { cwd: dir }));
    expect(notRule).toContain('test path "Cargo.toml" is not a rule file: rule files end in .yml');
  });

  it('a misspelled option in a case is a diagnostic at the case, not silently ignored', () => {
    const table = join(dir, 'no-zero-major.test.yml');
    writeFileSync(table, TABLE('no-zero-major').replace('options: { allowed: [demo] }', 'options: { allowd: [demo] }'));
    try {
      const stderr = expectUserError(runPolicy(['test', 'no-zero-major.test.yml'], { cwd: dir }));
      expect(stderr).toContain(`${table}:10:16 cases[2].options.allowd: unknown key "allowd"`);
      expect(stderr).toContain('hint: did you mean "allowed"?');
      writeFileSync(table, TABLE('no-zero-major').replace('options: { allowed: [demo] }', 'options: { allowed: demo }'));
      const typed = expectUserError(runPolicy(['test'], { cwd: dir }));
      expect(typed).toContain(`${table}:10:25 cases[2].options.allowed: expected a list, got a string ("demo")`);
    } finally {
      writeFileSync(table, TABLE('no-zero-major'));
    }
  });
});

describe.skipIf(!HAS_GIT)('the load cache (8)', () => {
  it('sees a same-size edit of the policy whose mtime was restored', () => {
    const dir = repoWith({ 'release-policy.yml': POLICY, 'Cargo.toml': cargo('demo', '1.0.0') });
    const file = join(dir, 'release-policy.yml');
    const at = 1_700_000_000; // whole seconds, so the restored mtime is exactly the old one
    const error = `${POLICY}rules:\n  release-notes-present: error\n`;
    const warn = `${POLICY}rules:\n  release-notes-present:  warn\n`;
    expect(warn.length).toBe(error.length);

    writeFileSync(file, error);
    utimesSync(file, at, at);
    const refused = runPolicy(['check', '--format', 'json'], { cwd: dir });
    expect(refused.code).toBe(1);
    const before = statSync(file);

    writeFileSync(file, warn);
    utimesSync(file, at, at);
    const after = statSync(file);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
    expect(readFileSync(file, 'utf8')).toBe(warn);

    const warned = runPolicy(['check', '--format', 'json'], { cwd: dir });
    expect([warned.code, warned.stderr]).toEqual([0, '']);
    const findings = (JSON.parse(warned.stdout) as { findings: { rule: string; severity: string; subject: { kind: string } }[] }).findings;
    // Less the registry rules' offline warnings.
    expect(findings.filter((f) => f.subject.kind !== 'fact')).toEqual([expect.objectContaining({ rule: 'release-notes-present', severity: 'warn' })]);
  });
});

describe('the test setup (9)', () => {
  it('rebuilds when dist/ is missing or older than a file under src/, rules/, schema/ or scripts/', () => {
    const root = mkdtempSync(join(tmpdir(), 'release-policy-stale-'));
    dirs.push(root);
    const old = 1_600_000_000;
    const fresh = old + 100;
    for (const path of ['src/cli/main.ts', 'rules/a.yml', 'schema/s.json', 'scripts/build.mjs', 'package.json']) {
      write(root, path, 'x');
      utimesSync(join(root, path), old, old);
    }
    expect(isBuildStale(root)).toBe(true); // no dist/
    for (const path of ['dist/cli.cjs', 'dist/policy.cjs']) {
      write(root, path, 'built');
      utimesSync(join(root, path), fresh, fresh);
    }
    expect(isBuildStale(root)).toBe(false);
    for (const path of ['src/cli/main.ts', 'rules/a.yml', 'schema/s.json', 'scripts/build.mjs']) {
      utimesSync(join(root, path), fresh + 1, fresh + 1);
      expect([path, isBuildStale(root)]).toEqual([path, true]);
      utimesSync(join(root, path), old, old);
    }
    utimesSync(join(root, 'dist/policy.cjs'), old - 1, old - 1);
    expect(isBuildStale(root)).toBe(true);
  });
});
