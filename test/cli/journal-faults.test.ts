// The release journal under faults, end to end with the built `policy` and real git: many
// concurrent `policy run`s, a lock held by a live or a dead process, a full and a read-only
// file system (a real tmpfs, where the machine allows mounting one), a journal that is a
// symbolic link, and bad journal lines named by every command that reads the journal.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, runPolicy, runPolicyAsync, type CliResult } from '../helpers/cli.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_GIT } from '../helpers/tools.js';

const POLICY = `version: 1
packages:
  - name: demo
    registry: local
issues:
  branch: "issue-{issue}-*"
`;

const NOTES = "# demo v0.2.0\n\n## What's in this release\n\n- things\n\n## Validation\n\n- tests\n";

let repo: TempRepo;
let folder: string;
let journalFile: string;

beforeEach(() => {
  if (!HAS_GIT) return;
  repo = makeRepo({ branch: 'issue-7-feature' });
  repo.commit('release 0.2.0', {
    'release-policy.yml': POLICY,
    'Cargo.toml': '[package]\nname = "demo"\nversion = "0.2.0"\nedition = "2021"\n',
    'RELEASE_v0.2.0.md': NOTES,
  });
  folder = join(repo.dir, '.git', 'release-policy');
  journalFile = join(folder, 'journal.jsonl');
});

afterEach(() => {
  if (HAS_GIT) repo.remove();
});

function policy(args: string[]): CliResult {
  return runPolicy(args, { cwd: repo.dir, env: hermeticGitEnv });
}

interface Event {
  type: string;
  exitCode?: number;
  command?: string[];
}

function events(): Event[] {
  if (!existsSync(journalFile)) return [];
  return readFileSync(journalFile, 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Event);
}

/** Files of the journal's folder that a fault must not leave behind: locks and temporary files. */
function leftovers(): string[] {
  return readdirSync(folder).filter((name) => name.includes('.lock') || name.endsWith('.tmp') || name.includes('.break-'));
}

describe.skipIf(!HAS_GIT)('200 concurrent `policy run`s', () => {
  it('record the outcome of every command that ran; every exit is the command\'s own or a refusal before running', async () => {
    expect(policy(['run', '--phase', 'notes', '--', 'true']).code).toBe(0); // the folder and the load cache exist
    const before = events().length;
    const runs = await Promise.all(
      Array.from({ length: 200 }, () => runPolicyAsync(['run', '--phase', 'notes', '--', 'true'], { cwd: repo.dir, env: hermeticGitEnv })),
    );
    const ran = runs.filter((run) => run.code === 0);
    const refused = runs.filter((run) => run.code !== 0);
    for (const run of ran) expect(run.stderr).toContain('policy run: notes of demo v0.2.0 succeeded');
    for (const run of refused) {
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain('policy run: refused; `true` was not run.');
    }
    for (const run of runs) expect(run.stderr).not.toContain('internal error');
    const after = events().slice(before);
    expect(after.filter((e) => e.type === 'step-finished')).toHaveLength(ran.length);
    expect(after.filter((e) => e.type === 'step-started')).toHaveLength(ran.length);
    for (const e of after.filter((e) => e.type === 'step-finished')) expect(e.exitCode).toBe(0);
    expect(leftovers()).toEqual([]);
  }, 900_000);
});

describe.skipIf(!HAS_GIT)('the journal lock', () => {
  let holder: ChildProcess | null = null;
  afterEach(() => {
    holder?.kill();
    holder = null;
  });

  /** A live process on this host, named as the holder of a fresh lock. */
  function holdLock(): number {
    holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    const pid = holder.pid as number;
    mkdirSync(folder, { recursive: true });
    writeFileSync(`${journalFile}.lock`, JSON.stringify({ pid, host: hostname(), token: 'held', at: '2026-01-31T12:00:00.000Z' }));
    return pid;
  }

  it('a lock left by a dead process is taken over: the step runs and is recorded', () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    mkdirSync(folder, { recursive: true });
    writeFileSync(`${journalFile}.lock`, JSON.stringify({ pid: dead, host: hostname(), token: 'dead' }));
    const run = policy(['run', '--phase', 'notes', '--', 'true']);
    expect(run.code, run.stderr).toBe(0);
    expect(events().map((e) => e.type)).toEqual(['step-started', 'step-finished']);
    expect(leftovers()).toEqual([]);
  });

  it('a lock a live process keeps refuses the step before it runs: exit 2, the holder named, nothing run', () => {
    const pid = holdLock();
    const marker = join(repo.dir, 'ran');
    const run = policy(['run', '--phase', 'notes', '--', 'touch', marker]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`policy run: cannot record the start of the step in the release journal: the release journal is locked: ${journalFile}.lock is held by pid ${pid} on ${hostname()} since 2026-01-31T12:00:00.000Z`);
    expect(run.stderr).toContain(`policy run: refused; \`touch ${marker}\` was not run.`);
    expect(run.stderr).not.toContain('internal error');
    expect(existsSync(marker)).toBe(false);
    expect(events()).toEqual([]);
  }, 60_000);

  it('the outcome of a step that ran waits for a live holder, says so, and is recorded with the command\'s exit code', () => {
    mkdirSync(folder, { recursive: true });
    // The step itself starts a process that takes the lock for 3 s, then ends with exit 5
    // (its helpers let go of the output pipes, which `policy run` reads to their end).
    const script = [
      'sleep 3 </dev/null >/dev/null 2>&1 & pid=$!',
      `printf '{"pid":%s,"host":"%s","token":"step","at":"2026-01-31T12:00:00.000Z"}' "$pid" "$HOLDER_HOST" > "$LOCK"`,
      '(wait_for() { while kill -0 "$1" 2>/dev/null; do sleep 0.1; done; }; wait_for "$pid"; rm -f "$LOCK") </dev/null >/dev/null 2>&1 &',
      'exit 5',
    ].join('\n');
    const run = runPolicy(['run', '--phase', 'notes', '--', 'sh', '-c', script], {
      cwd: repo.dir,
      env: { ...hermeticGitEnv, LOCK: `${journalFile}.lock`, HOLDER_HOST: hostname() },
    });
    expect(run.code, run.stderr).toBe(5);
    expect(run.stderr).toMatch(new RegExp(`policy run: waiting for the release journal lock held by pid \\d+ on ${hostname()} since 2026-01-31T12:00:00.000Z to record the outcome`));
    const finished = events().filter((e) => e.type === 'step-finished');
    expect(finished.map((e) => e.exitCode)).toEqual([5]);
    expect(leftovers()).toEqual([]);
  }, 60_000);
});

describe.skipIf(!HAS_GIT)('interrupted while waiting to record the outcome', () => {
  it('Ctrl-C still hands over the line to append, and the exit code is the command\'s own', async () => {
    mkdirSync(folder, { recursive: true });
    // The step leaves a live process holding the lock (its pid is written to HOLDER_PID), then exits 6.
    const script = [
      'sleep 60 </dev/null >/dev/null 2>&1 & pid=$!',
      'echo "$pid" > "$HOLDER_PID"',
      `printf '{"pid":%s,"host":"%s","token":"step","at":"2026-01-31T12:00:00.000Z"}' "$pid" "$HOLDER_HOST" > "$LOCK"`,
      'exit 6',
    ].join('\n');
    const holderPid = join(repo.dir, '..', `${repo.dir.split('/').pop()}-holder`);
    const child = spawn(process.execPath, [CLI, 'run', '--phase', 'notes', '--', 'sh', '-c', script], {
      cwd: repo.dir,
      env: { ...process.env, ...hermeticGitEnv, NO_COLOR: '1', POLICY_OFFLINE: '1', LOCK: `${journalFile}.lock`, HOLDER_HOST: hostname(), HOLDER_PID: holderPid },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      child.stderr.setEncoding('utf8').on('data', (text: string) => {
        stderr += text;
        if (stderr.includes('waiting for the release journal lock')) resolve();
      });
      child.on('close', () => resolve());
    });
    child.kill('SIGINT');
    const code = await exited;
    try {
      process.kill(Number(readFileSync(holderPid, 'utf8')));
    } finally {
      rmSync(holderPid, { force: true });
    }
    expect(code, stderr).toBe(6);
    expect(stderr).toContain('but its outcome could not be recorded in the release journal: interrupted by SIGINT while waiting for the lock');
    expect(stderr).toContain(`To record it, append this line to ${journalFile}:`);
    const printed = stderr.split('\n').find((line) => line.startsWith('{"v":1'));
    expect(JSON.parse(printed ?? '{}')).toMatchObject({ type: 'step-finished', exitCode: 6 });
    expect(events().map((e) => e.type)).toEqual(['step-started']);
  }, 60_000);
});

describe.skipIf(!HAS_GIT)('a journal that is a symbolic link', () => {
  it('is refused by every command with exit 2, and its target is never written', () => {
    mkdirSync(folder, { recursive: true });
    const target = join(repo.dir, '..', `${repo.dir.split('/').pop()}-target.txt`);
    writeFileSync(target, 'someone else\'s file\n');
    symlinkSync(target, journalFile);
    try {
      const marker = join(repo.dir, 'ran');
      for (const args of [
        ['run', '--phase', 'notes', '--', 'touch', marker],
        ['status'],
        ['comment'],
        ['gate', 'publish'],
        ['check', '--gate', 'publish'],
        ['facts'],
        ['decide', '--version', '0.2.1', '--reason', 'taken'],
      ]) {
        const result = policy(args);
        expect(result.code, args.join(' ')).toBe(2);
        expect(result.stderr, args.join(' ')).toContain(`policy: ${journalFile} is a symbolic link; the release journal and its lock are never followed through one`);
        expect(result.stderr).not.toContain('internal error');
      }
      expect(existsSync(marker)).toBe(false);
      expect(readFileSync(target, 'utf8')).toBe('someone else\'s file\n');
    } finally {
      rmSync(target, { force: true });
    }
  });
});

describe.skipIf(!HAS_GIT)('bad journal lines', () => {
  it('are named (file:line and why) by every command that reads the journal', () => {
    expect(policy(['run', '--phase', 'notes', '--', 'true']).code).toBe(0);
    appendFileSync(journalFile, 'not json\n');
    const named = `policy: warning: ${journalFile}:3: not valid JSON`;
    for (const args of [
      ['run', '--phase', 'notes', '--', 'true'],
      ['status'],
      ['comment'],
      ['gate', 'publish'],
      ['check', '--gate', 'publish'],
      ['check', '--gate', 'publish', '--format', 'json'],
      ['facts'],
      ['hook', 'pre-commit'],
      ['decide', '--version', '0.2.1', '--reason', 'taken'],
    ]) {
      const result = policy(args);
      expect(result.stderr, args.join(' ')).toContain(named);
      // Once per command, even where the journal is read twice (run reads it, then its gate does).
      expect(result.stderr.split(named).length - 1, args.join(' ')).toBe(1);
    }
  });
});

/** Mounts a real tmpfs; the reason it cannot, or null. */
function mountTmpfs(dir: string, size: string): string | null {
  mkdirSync(dir, { recursive: true });
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.error) return mounted.error.message;
  return mounted.status === 0 ? null : (mounted.stderr.trim() || `mount exited ${mounted.status}`);
}

const probe = join(process.env.TMPDIR ?? '/tmp', `journal-faults-probe-${process.pid}`);
const cannotMount = mountTmpfs(probe, '64k');
if (cannotMount === null) spawnSync('umount', [probe]);
rmSync(probe, { recursive: true, force: true });
if (cannotMount !== null) console.warn(`journal-faults.test.ts: full and read-only file system cases skipped: cannot mount a tmpfs (${cannotMount})`);

describe.skipIf(!HAS_GIT || cannotMount !== null)('the journal on a full or read-only file system (a real tmpfs)', () => {
  beforeEach(() => {
    expect(mountTmpfs(folder, '1m')).toBeNull();
  });
  afterEach(() => {
    spawnSync('umount', [folder]);
  });

  it('ENOSPC: the command\'s own exit code, the file and "no space left on device" named, the line to append printed, no lock left; the next run works once space is freed', () => {
    expect(policy(['run', '--phase', 'notes', '--', 'true']).code).toBe(0);
    // The step fills the file system, then fails with its own exit code.
    const run = policy(['run', '--phase', 'notes', '--', 'sh', '-c', `cat /dev/zero > '${join(folder, 'filler')}' 2>/dev/null; exit 3`]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`but its outcome could not be recorded in the release journal: cannot write to ${journalFile}: no space left on device (ENOSPC)`);
    expect(run.stderr).toContain(`To record it, append this line to ${journalFile}:`);
    expect(run.stderr).not.toContain('internal error');
    const printed = run.stderr.split('\n').find((line) => line.startsWith('{"v":1'));
    expect(JSON.parse(printed ?? '{}')).toMatchObject({ type: 'step-finished', phase: 'notes', exitCode: 3, outcome: 'failed' });
    expect(leftovers()).toEqual([]);
    expect(events().map((e) => e.type)).toEqual(['step-started', 'step-finished', 'step-started']);

    rmSync(join(folder, 'filler'));
    appendFileSync(journalFile, `${printed}\n`); // recorded by hand, as the message says
    const next = policy(['run', '--phase', 'notes', '--', 'true']);
    expect(next.code, next.stderr).toBe(0);
    expect(events().map((e) => e.type)).toEqual(['step-started', 'step-finished', 'step-started', 'step-finished', 'step-started', 'step-finished']);
    expect(events()[3]?.exitCode).toBe(3);
    expect(leftovers()).toEqual([]);
  });

  it('EROFS: the outcome is not lost silently, a step that cannot start is not run, other writes say "read-only file system"; all works once writable', () => {
    expect(policy(['run', '--phase', 'notes', '--', 'true']).code).toBe(0);
    const run = policy(['run', '--phase', 'notes', '--', 'sh', '-c', `mount -o remount,ro '${folder}' && exit 4`]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`but its outcome could not be recorded in the release journal: cannot write to ${journalFile}: read-only file system (EROFS)`);
    expect(run.stderr).toContain(`To record it, append this line to ${journalFile}:`);

    const marker = join(repo.dir, 'ran');
    const refused = policy(['run', '--phase', 'notes', '--', 'touch', marker]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`policy run: cannot record the start of the step in the release journal: cannot write to ${journalFile}: read-only file system (EROFS)`);
    expect(refused.stderr).toContain(`policy run: refused; \`touch ${marker}\` was not run.`);
    expect(existsSync(marker)).toBe(false);

    const decided = policy(['decide', '--version', '0.2.1', '--reason', 'taken']);
    expect(decided.code).toBe(2);
    expect(decided.stderr).toContain(`policy: cannot write to ${journalFile}: read-only file system (EROFS)`);
    const report = policy(['check', '--output', join(folder, 'report.txt')]);
    expect(report.code).toBe(2);
    expect(report.stderr).toContain(`read-only file system (EROFS)`);
    for (const result of [run, refused, decided, report]) expect(result.stderr).not.toContain('internal error');
    expect(leftovers()).toEqual([]);

    expect(spawnSync('mount', ['-o', 'remount,rw', folder]).status).toBe(0);
    const next = policy(['run', '--phase', 'notes', '--', 'true']);
    expect(next.code, next.stderr).toBe(0);
    expect(events().filter((e) => e.type === 'step-finished')).toHaveLength(2);
  });
});
