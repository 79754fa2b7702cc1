// The journal's lock and its faults with real files, real processes and, where the machine
// allows it (root, tmpfs), a real full file system: a failed write leaves no lock and no torn
// line, a symbolic link is never followed, a dead holder is taken over, a live one is waited for.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/fs/atomic-write.js';
import { acquireLock, releaseLock, type LockHolder } from '../../src/facts/journal-lock.js';
import {
  JournalLockError,
  JournalSymlinkError,
  JournalWriteError,
  appendEvent,
  journalPath,
  newEvent,
  readJournal,
  type JournalEvent,
} from '../../src/facts/journal.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'journal-lock-test-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let counter = 0;
function freshJournal(): string {
  const file = journalPath(join(tmp, `git-${++counter}`));
  mkdirSync(dirname(file), { recursive: true });
  return file;
}

function event(reason = 'x'): JournalEvent {
  return newEvent({ type: 'comment', package: 'demo', version: '0.2.0', issue: 7, reason });
}

/** The pid of a process that has exited: a holder that is certainly dead. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '0']).pid;
  expect(pid).toBeGreaterThan(0);
  return pid as number;
}

describe('taking the lock', () => {
  it('writes the holder into the lock before it is visible, and leaves only the journal behind', async () => {
    const file = freshJournal();
    const lock = await acquireLock(`${file}.lock`, { staleMs: 30_000, timeoutMs: 1_000 });
    const content = JSON.parse(readFileSync(`${file}.lock`, 'utf8')) as Record<string, unknown>;
    expect(content).toMatchObject({ pid: process.pid, host: hostname(), token: lock.token });
    expect(readdirSync(dirname(file))).toEqual(['journal.jsonl.lock']); // no temporary file left
    await releaseLock(lock);
    expect(readdirSync(dirname(file))).toEqual([]);
  });

  it('takes over the lock of a dead process at once', async () => {
    const file = freshJournal();
    const dead = deadPid();
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: dead, host: hostname(), token: 'dead', at: new Date().toISOString() }));
    const e = event();
    await appendEvent(file, e, { timeoutMs: 0 }); // no waiting: a dead holder is no holder
    expect((await readJournal(file)).events).toEqual([e]);
    expect(readdirSync(dirname(file))).toEqual(['journal.jsonl']);
  });

  it('never releases a lock that is not its own (taken over meanwhile)', async () => {
    const file = freshJournal();
    const lock = await acquireLock(`${file}.lock`, { staleMs: 30_000, timeoutMs: 1_000 });
    const other = JSON.stringify({ pid: process.pid, host: hostname(), token: 'someone-else' });
    writeFileSync(`${file}.lock`, other);
    await releaseLock(lock);
    expect(readFileSync(`${file}.lock`, 'utf8')).toBe(other);
  });

  it('with no time-out, waits for a live holder as long as it holds, says once who holds it, then appends', async () => {
    const file = freshJournal();
    // A live holder (this process) keeps the lock 1.5 s: the writer waits, says so once, then appends.
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), token: 'live', at: new Date().toISOString() }));
    setTimeout(() => rmSync(`${file}.lock`), 1_500);
    const told: LockHolder[] = [];
    const e = event();
    await appendEvent(file, e, { timeoutMs: Infinity, waitNoticeMs: 100, onWait: (h) => told.push(h) });
    expect(told).toHaveLength(1);
    expect(told[0]?.pid).toBe(process.pid);
    expect(told[0]?.description).toContain(`pid ${process.pid}`);
    expect((await readJournal(file)).events).toEqual([e]);
  });

  it('counts its time-out per holder: a lock that keeps changing hands is waited out', async () => {
    const file = freshJournal();
    const hold = (token: string): void =>
      writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), token, at: new Date().toISOString() }));
    hold('first');
    // Six holders of 150 ms each: 900 ms in all, each under the 400 ms time-out.
    let turn = 0;
    const timer = setInterval(() => {
      turn += 1;
      if (turn < 6) hold(`holder-${turn}`);
      else {
        clearInterval(timer);
        rmSync(`${file}.lock`);
      }
    }, 150);
    const e = event();
    await appendEvent(file, e, { timeoutMs: 400 });
    expect(turn).toBe(6);
    expect((await readJournal(file)).events).toEqual([e]);
  });

  it('gives up on one live holder that keeps the lock past the time-out, writing nothing', async () => {
    const file = freshJournal();
    const held = JSON.stringify({ pid: process.pid, host: hostname(), token: 'stuck', at: '2026-01-31T12:00:00.000Z' });
    writeFileSync(`${file}.lock`, held);
    const error = await appendEvent(file, event(), { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JournalLockError);
    expect((error as Error).message).toBe(`the release journal is locked: ${file}.lock is held by pid ${process.pid} on ${hostname()} since 2026-01-31T12:00:00.000Z`);
    expect(existsSync(file)).toBe(false);
    expect(readFileSync(`${file}.lock`, 'utf8')).toBe(held);
  });
});

describe('many processes, some dying while they hold the lock', () => {
  const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  let worker: string;
  beforeAll(async () => {
    const entry = join(tmp, 'worker.ts');
    // Each worker appends COUNT events. While it holds the lock it creates a marker file with
    // O_EXCL and removes it: two holders at once would find the marker there. A "crasher"
    // kills itself (SIGKILL) while holding the lock on its first append, leaving the lock of
    // a dead process for the others to take over.
    writeFileSync(entry, `import { closeSync, openSync, unlinkSync } from 'node:fs';
import { appendEvent, newEvent } from ${JSON.stringify(join(ROOT, 'src', 'facts', 'journal.ts'))};
const [file, name, count, crasher, startAt] = process.argv.slice(2);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
for (let i = 0; i < Number(count); i++) {
  await appendEvent(file, newEvent({ type: 'comment', package: name, version: '1.0.0', issue: 3, reason: String(i) }), {
    timeoutMs: Infinity,
    afterAppend: async () => {
      if (crasher === '1') process.kill(process.pid, 'SIGKILL');
      const marker = file + '.held';
      closeSync(openSync(marker, 'wx'));
      await new Promise((resolve) => setTimeout(resolve, 1));
      unlinkSync(marker);
    },
  });
}
`);
    worker = join(tmp, 'worker.mjs');
    await build({ entryPoints: [entry], outfile: worker, bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'error' });
  });

  function run(file: string, name: string, count: number, crasher: boolean, startAt: number): Promise<{ code: number | null; signal: string | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [worker, file, name, String(count), crasher ? '1' : '0', String(startAt)], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stderr }));
    });
  }

  it('never has two holders at once, takes over every dead holder\'s lock, and loses no event of a survivor', async () => {
    const file = freshJournal();
    // It starts locked by a dead process, too.
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: deadPid(), host: hostname(), token: 'dead' }));
    const startAt = Date.now() + 1_500;
    const names = Array.from({ length: 12 }, (_, i) => `w${i}`);
    const crashers = new Set(['w2', 'w5', 'w8', 'w11']);
    const results = await Promise.all(names.map((name) => run(file, name, 15, crashers.has(name), startAt)));
    for (const [i, result] of results.entries()) {
      if (crashers.has(names[i]!)) expect(result.signal).toBe('SIGKILL');
      else expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
    }
    const { events, problems } = await readJournal(file);
    expect(problems).toEqual([]);
    for (const name of names.filter((n) => !crashers.has(n))) {
      expect(events.filter((e) => e.package === name).map((e) => e.reason)).toEqual(Array.from({ length: 15 }, (_, i) => String(i)));
    }
    // A crasher's one event was written before it died holding the lock.
    for (const name of crashers) expect(events.filter((e) => e.package === name)).toHaveLength(1);
    // Left: the journal, and at most the lock of the last crasher if no survivor came after it.
    expect(readdirSync(dirname(file)).filter((n) => n !== 'journal.jsonl' && n !== 'journal.jsonl.lock')).toEqual([]);
  }, 120_000);
});

describe('symbolic links', () => {
  it('refuses to append to or read a journal that is a symbolic link, and leaves its target alone', async () => {
    const file = freshJournal();
    const target = join(tmp, `target-${counter}.txt`);
    writeFileSync(target, 'not a journal\n');
    symlinkSync(target, file);
    const error = await appendEvent(file, event()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JournalSymlinkError);
    expect((error as Error).message).toBe(`${file} is a symbolic link; the release journal and its lock are never followed through one`);
    await expect(readJournal(file)).rejects.toBeInstanceOf(JournalSymlinkError);
    expect(readFileSync(target, 'utf8')).toBe('not a journal\n');
    expect(readdirSync(dirname(file))).toEqual(['journal.jsonl']); // no lock left
  });

  it('refuses a lock that is a symbolic link', async () => {
    const file = freshJournal();
    const target = join(tmp, `lock-target-${counter}`);
    writeFileSync(target, JSON.stringify({ pid: deadPid(), host: hostname(), token: 'dead' }));
    symlinkSync(target, `${file}.lock`);
    await expect(appendEvent(file, event(), { timeoutMs: 200 })).rejects.toBeInstanceOf(JournalSymlinkError);
    expect(existsSync(target)).toBe(true);
    expect(existsSync(file)).toBe(false);
  });

  it('refuses a journal folder that is a symbolic link', async () => {
    const real = mkdtempSync(join(tmp, 'real-'));
    const file = journalPath(join(tmp, `git-${++counter}`));
    mkdirSync(dirname(dirname(file)), { recursive: true });
    symlinkSync(real, dirname(file));
    await expect(appendEvent(file, event())).rejects.toBeInstanceOf(JournalSymlinkError);
    expect(readdirSync(real)).toEqual([]);
  });
});

/** A real, tiny tmpfs; null (with the reason) where the machine does not allow mounting. */
function mountTmpfs(dir: string, size: string): string | null {
  mkdirSync(dir, { recursive: true });
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.error) return mounted.error.message;
  return mounted.status === 0 ? null : (mounted.stderr.trim() || `mount exited ${mounted.status}`);
}

const mountPoint = join(tmpdir(), `journal-lock-tmpfs-${process.pid}`);
// Probed here (mounted and unmounted at once), mounted for real only around the cases that
// use it, so that a run that filters them out leaves no mount behind.
const cannotMount = mountTmpfs(mountPoint, '256k');
if (cannotMount === null) spawnSync('umount', [mountPoint]);
rmSync(mountPoint, { recursive: true, force: true });
if (cannotMount !== null) {
  console.warn(`journal-lock.test.ts: the full-disk cases are skipped: cannot mount a tmpfs (${cannotMount})`);
}

describe.skipIf(cannotMount !== null)('a full file system (a real tmpfs)', () => {
  beforeAll(() => {
    expect(mountTmpfs(mountPoint, '256k')).toBeNull();
  });
  afterAll(() => {
    spawnSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  /** Fills the tmpfs to the last byte. */
  function fill(): string {
    const filler = join(mountPoint, 'filler');
    spawnSync('sh', ['-c', `cat /dev/zero > '${filler}' 2>/dev/null`]);
    return filler;
  }

  it('leaves no lock, no temporary file and no torn line, says ENOSPC for the journal, and works once space is freed', async () => {
    const file = join(mountPoint, 'release-policy', 'journal.jsonl');
    mkdirSync(dirname(file), { recursive: true });
    const first = event('before');
    await appendEvent(file, first);
    const before = readFileSync(file, 'utf8');
    const filler = fill();
    // Big enough to need more than the page the journal has: the write itself runs out of space.
    const big = newEvent({ type: 'comment', package: 'demo', version: '0.2.0', issue: 7, reason: 'y'.repeat(20_000) });
    const error = await appendEvent(file, big).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JournalWriteError);
    expect(error).toMatchObject({ code: 'ENOSPC', path: file });
    expect(readdirSync(dirname(file))).toEqual(['journal.jsonl']);
    expect(readFileSync(file, 'utf8')).toBe(before);

    rmSync(filler);
    const after = event('after');
    await appendEvent(file, after);
    expect((await readJournal(file)).events.map((e) => e.reason)).toEqual(['before', 'after']);
    expect(readdirSync(dirname(file))).toEqual(['journal.jsonl']);
  });

  it('cuts a line that ran out of space half-way back off the journal (the lock itself got the last page)', async () => {
    const file = join(mountPoint, 'torn', 'journal.jsonl');
    mkdirSync(dirname(file), { recursive: true });
    await appendEvent(file, event('before'));
    const before = readFileSync(file, 'utf8');
    // One page kept free for the lock file; the line needs more than the journal's last page has.
    const reserve = join(mountPoint, 'reserve');
    writeFileSync(reserve, Buffer.alloc(4096));
    const filler = fill();
    rmSync(reserve);
    const big = newEvent({ type: 'comment', package: 'demo', version: '0.2.0', issue: 7, reason: 'y'.repeat(20_000) });
    const error = await appendEvent(file, big).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ENOSPC', path: file });
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(readdirSync(dirname(file))).toEqual(['journal.jsonl']);
    rmSync(filler);
  });

  it('an atomic write that runs out of space keeps the old file and leaves no temporary file', () => {
    const dir = join(mountPoint, 'atomic');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'state');
    writeFileAtomic(file, 'blocked\n');
    const filler = fill();
    let error: unknown = null;
    try {
      writeFileAtomic(file, 'x'.repeat(64 * 1024));
    } catch (e) {
      error = e;
    }
    expect((error as NodeJS.ErrnoException | null)?.code).toBe('ENOSPC');
    expect(readFileSync(file, 'utf8')).toBe('blocked\n');
    expect(readdirSync(dir)).toEqual(['state']);
    rmSync(filler);
  });
});
