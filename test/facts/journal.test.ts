import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { build } from 'esbuild';
import {
  JournalLockError,
  appendEvent,
  journalPath,
  newEvent,
  readJournal,
  validateEvent,
  type JournalEvent,
} from '../../src/facts/journal.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'journal-test-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let counter = 0;
/** A fresh journal path in its own folder (as under the git common dir). */
function freshJournal(): string {
  return journalPath(join(tmp, `git-${++counter}`));
}

function event(fields: Partial<JournalEvent> = {}): JournalEvent {
  return {
    ...newEvent({ type: 'step-finished', package: 'oris-runtime', version: '0.2.0', issue: 3 }),
    ...fields,
  };
}

describe('journalPath', () => {
  it('is release-policy/journal.jsonl under the git common dir', () => {
    expect(journalPath('/repo/.git')).toBe(join('/repo/.git', 'release-policy', 'journal.jsonl'));
  });
});

describe('appendEvent and readJournal', () => {
  it('a missing file is an empty journal', async () => {
    expect(await readJournal(join(tmp, 'nowhere', 'journal.jsonl'))).toEqual({ events: [], problems: [] });
  });

  it('appends events as lines and reads them back in order, creating the folder', async () => {
    const file = freshJournal();
    const events = [
      event({ type: 'step-started', phase: 'dry-run', command: ['cargo', 'publish', '--dry-run'] }),
      event({
        type: 'step-finished',
        phase: 'dry-run',
        command: ['cargo', 'publish', '--dry-run'],
        exitCode: 101,
        outcome: 'failed',
        published: 'no',
        excerpt: 'error: failed to verify package tarball\n  "quoted", tab\t, unicode é 🚀',
        commit: 'a'.repeat(40),
      }),
      event({ type: 'decision', issue: null, reason: 'skip 0.2.0: yanked upstream' }),
    ];
    for (const e of events) await appendEvent(file, e);
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(4);
    expect(await readJournal(file)).toEqual({ events, problems: [] });
    expect(readdirSync(dirname(file))).toEqual(['journal.jsonl']); // the lock is released
  });

  it('refuses an invalid event and writes nothing', async () => {
    const file = freshJournal();
    await expect(appendEvent(file, event({ type: 'bogus' as 'comment' }))).rejects.toThrow(/invalid journal event: type must be/);
    await expect(appendEvent(file, { ...event(), extra: 1 } as JournalEvent)).rejects.toThrow(/unknown property "extra"/);
    expect(existsSync(file)).toBe(false);
  });

  it('reports a torn last line, keeps it, and starts the next append on a new line', async () => {
    const file = freshJournal();
    const first = event({ reason: 'one' });
    const second = event({ reason: 'two' });
    await appendEvent(file, first);
    await appendEvent(file, second);
    const torn = JSON.stringify(event({ reason: 'three' })).slice(0, 37);
    appendFileSync(file, torn); // a crash in the middle of a write

    const before = await readJournal(file);
    expect(before.events).toEqual([first, second]);
    expect(before.problems).toEqual([{ line: 3, message: expect.stringMatching(/^torn last line \(no newline at the end of the file\): /) }]);

    const fourth = event({ reason: 'four' });
    await appendEvent(file, fourth);
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines[2]).toBe(torn); // kept exactly as it was
    expect(JSON.parse(lines[3] ?? '')).toEqual(fourth);
    expect(lines).toHaveLength(5);

    const after = await readJournal(file);
    expect(after.events).toEqual([first, second, fourth]);
    expect(after.problems).toEqual([{ line: 3, message: expect.stringMatching(/^not valid JSON: /) }]);
  });

  it('reports bad JSON, invalid events and repeated ids with their line numbers; every other line counts', async () => {
    const file = freshJournal();
    mkdirSync(dirname(file), { recursive: true });
    const good = [event({ reason: 'a' }), event({ reason: 'b' }), event({ reason: 'c' })];
    const lines = [
      JSON.stringify(good[0]),
      '{"v":1,"id":',
      JSON.stringify({ ...good[1], id: 'ffffffffffffffff', type: 'started' }),
      '',
      JSON.stringify(good[1]),
      '[1,2]',
      JSON.stringify({ ...good[2], v: 2 }),
      '\u0000\u0000\u0000',
      JSON.stringify(good[2]),
      JSON.stringify(good[0]),
    ];
    writeFileSync(file, lines.join('\n') + '\n');
    const { events, problems } = await readJournal(file);
    expect(events).toEqual(good);
    expect(problems.map((p) => p.line)).toEqual([2, 3, 6, 7, 8, 10]);
    expect(problems[0]?.message).toMatch(/^not valid JSON/);
    expect(problems[1]?.message).toBe('invalid event: type must be one of step-started, step-finished, decision, verification, comment, abandon');
    expect(problems[2]?.message).toBe('invalid event: an event must be a JSON object');
    expect(problems[3]?.message).toBe('invalid event: v must be 1, not 2');
    expect(problems[4]?.message).toMatch(/^not valid JSON/);
    expect(problems[5]?.message).toMatch(/^repeated event id /);
  });
});

describe('the lock', () => {
  it('breaks a lock whose process is dead', async () => {
    const file = freshJournal();
    mkdirSync(dirname(file), { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    expect(dead).toBeGreaterThan(0);
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: dead, host: hostname(), token: 'dead' }));
    const e = event();
    const started = Date.now();
    await appendEvent(file, e, { timeoutMs: 5_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await readJournal(file)).events).toEqual([e]);
    expect(readdirSync(dirname(file))).toEqual(['journal.jsonl']);
  });

  it('never breaks the lock of a live holder on this host, however old', async () => {
    const file = freshJournal();
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), token: 'old' }));
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(`${file}.lock`, old, old);
    await expect(appendEvent(file, event(), { timeoutMs: 300 })).rejects.toThrow(`is held by pid ${process.pid} on ${hostname()}`);
    expect(existsSync(file) ? readFileSync(file, 'utf8') : '').toBe('');
    expect(existsSync(`${file}.lock`)).toBe(true);
  });

  it.skipIf(!existsSync('/proc/self/stat'))('breaks a lock whose pid now belongs to another process (its recorded start differs)', async () => {
    const file = freshJournal();
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), start: 'another-boot/1', token: 'reused' }));
    const e = event();
    await appendEvent(file, e, { timeoutMs: 5_000 });
    expect((await readJournal(file)).events).toEqual([e]);
    expect(readdirSync(dirname(file))).toEqual(['journal.jsonl']);
  });

  it('breaks a lock of another host once it is older than staleMs (its process cannot be checked from here)', async () => {
    const file = freshJournal();
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: 1, host: `not-${hostname()}`, token: 'elsewhere' }));
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(`${file}.lock`, old, old);
    const e = event();
    await appendEvent(file, e, { timeoutMs: 5_000 });
    expect((await readJournal(file)).events).toEqual([e]);
  });

  it('breaks an old lock it cannot read', async () => {
    const file = freshJournal();
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.lock`, '');
    const old = (Date.now() - 31_000) / 1000;
    utimesSync(`${file}.lock`, old, old);
    await appendEvent(file, event(), { timeoutMs: 5_000 });
    expect((await readJournal(file)).events).toHaveLength(1);
  });

  it('waits for a fresh lock of a live process, then gives up without writing', async () => {
    const file = freshJournal();
    mkdirSync(dirname(file), { recursive: true });
    const held = JSON.stringify({ pid: process.pid, host: hostname(), token: 'live' });
    writeFileSync(`${file}.lock`, held);
    const started = Date.now();
    const error = await appendEvent(file, event(), { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JournalLockError);
    expect((error as Error).message).toContain(`held by pid ${process.pid}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(existsSync(file)).toBe(false);
    expect(readFileSync(`${file}.lock`, 'utf8')).toBe(held);
  });

  it('appends as soon as the holder releases the lock', async () => {
    const file = freshJournal();
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), token: 'live' }));
    setTimeout(() => rmSync(`${file}.lock`), 150);
    const e = event();
    await appendEvent(file, e, { timeoutMs: 5_000 });
    expect((await readJournal(file)).events).toEqual([e]);
  });
});

describe('two processes appending at once', () => {
  let worker: string;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmp, 'worker-'));
    const entry = join(dir, 'worker.ts');
    // Each worker waits for a common start time, appends COUNT events with a large excerpt
    // (bigger than a pipe buffer), numbered in `reason`, and prints when it started and ended.
    writeFileSync(
      entry,
      `import { appendEvent, newEvent } from ${JSON.stringify(join(ROOT, 'src', 'facts', 'journal.ts'))};
const [file, name, count, startAt] = process.argv.slice(2);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
const start = Date.now();
for (let i = 0; i < Number(count); i++) {
  await appendEvent(file, newEvent({ type: 'comment', package: name, version: '1.0.0', issue: 3, reason: String(i), excerpt: name + ':' + i + ':' + 'x'.repeat(8192) }));
}
process.stdout.write(JSON.stringify({ start, end: Date.now() }));
`,
    );
    worker = join(dir, 'worker.mjs');
    await build({ entryPoints: [entry], outfile: worker, bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'error' });
  });

  interface Run {
    code: number | null;
    span: { start: number; end: number } | null;
  }

  function run(file: string, name: string, count: number, startAt: number): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [worker, file, name, String(count), String(startAt)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, span: code === 0 ? (JSON.parse(out) as Run['span']) : null }));
    });
  }

  it('loses and interleaves nothing: 2 × 200 events, all valid', async () => {
    const file = freshJournal();
    const startAt = Date.now() + 1_000;
    const [alpha, beta] = await Promise.all([run(file, 'alpha', 200, startAt), run(file, 'beta', 200, startAt)]);
    expect([alpha?.code, beta?.code]).toEqual([0, 0]);
    // The two really ran at once: their append loops overlapped in time.
    const a = alpha?.span ?? { start: 0, end: 0 };
    const b = beta?.span ?? { start: 0, end: 0 };
    expect(a.start < b.end && b.start < a.end, JSON.stringify({ a, b })).toBe(true);

    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(400);
    const { events, problems } = await readJournal(file);
    expect(problems).toEqual([]);
    expect(events).toHaveLength(400);
    for (const name of ['alpha', 'beta']) {
      const mine = events.filter((e) => e.package === name);
      expect(mine.map((e) => e.reason)).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));
      for (const e of mine) expect(e.excerpt).toBe(`${name}:${e.reason}:${'x'.repeat(8192)}`);
    }
    expect(new Set(events.map((e) => e.id)).size).toBe(400);
    expect(readdirSync(dirname(file))).toEqual(['journal.jsonl']);
  });
});

describe('validateEvent', () => {
  const valid = event({
    phase: 'publish',
    command: ['cargo', 'publish'],
    exitCode: 101,
    outcome: 'failed',
    published: 'unknown',
    excerpt: 'Uploading ...',
    reason: 'r',
    commit: 'abcdef0',
  });
  const cases: [string, unknown, string | null][] = [
    ['a full event', valid, null],
    ['a minimal event', { v: 1, id: 'deadbeef', at: '2026-01-31T12:00:00Z', type: 'comment', package: 'p', version: '1.0.0', issue: null }, null],
    ['an offset time', { ...valid, at: '2026-01-31T12:00:00.5+02:00' }, null],
    ['undefined optionals', { ...valid, phase: undefined, command: undefined }, null],
    ['not an object', 'text', 'an event must be a JSON object'],
    ['null', null, 'an event must be a JSON object'],
    ['an array', [], 'an event must be a JSON object'],
    ['an unknown key', { ...valid, extra: true }, 'unknown property "extra"'],
    ['v missing', { ...valid, v: undefined }, 'v must be 1, not missing'],
    ['v 2', { ...valid, v: 2 }, 'v must be 1, not 2'],
    ['id not hex', { ...valid, id: 'XYZ12345' }, 'id must be 8 to 64 lowercase hex digits'],
    ['id too short', { ...valid, id: 'abc' }, 'id must be 8 to 64 lowercase hex digits'],
    ['at not ISO', { ...valid, at: 'yesterday' }, expect.stringMatching(/^at must be an ISO 8601 time/)],
    ['at without zone', { ...valid, at: '2026-01-31T12:00:00' }, expect.stringMatching(/^at must be/)],
    ['at impossible date', { ...valid, at: '2026-13-45T12:00:00Z' }, expect.stringMatching(/^at must be/)],
    ['type unknown', { ...valid, type: 'started' }, expect.stringMatching(/^type must be one of/)],
    ['package empty', { ...valid, package: '' }, 'package must be a non-empty string'],
    ['version missing', { ...valid, version: undefined }, 'version must be a non-empty string'],
    ['issue missing', { ...valid, issue: undefined }, 'issue must be a positive integer or null'],
    ['issue 0', { ...valid, issue: 0 }, 'issue must be a positive integer or null'],
    ['issue text', { ...valid, issue: '3' }, 'issue must be a positive integer or null'],
    ['phase unknown', { ...valid, phase: 'release' }, expect.stringMatching(/^phase must be one of/)],
    ['command a string', { ...valid, command: 'cargo publish' }, 'command must be a non-empty array of strings'],
    ['command empty', { ...valid, command: [] }, 'command must be a non-empty array of strings'],
    ['command with a number', { ...valid, command: ['cargo', 1] }, 'command must be a non-empty array of strings'],
    ['exitCode fractional', { ...valid, exitCode: 1.5 }, 'exitCode must be an integer'],
    ['published maybe', { ...valid, published: 'maybe' }, expect.stringMatching(/^published must be one of/)],
    ['excerpt a number', { ...valid, excerpt: 3 }, 'excerpt must be a string'],
    ['commit not hex', { ...valid, commit: 'HEAD' }, 'commit must be a lowercase hex object name'],
    ['what a verification asked', { ...valid, type: 'verification', asked: { crate: 'demo', registry: 'local2', url: 'http://127.0.0.1:1/index/', from: 'f' } }, null],
    ['asked without its url', { ...valid, asked: { crate: 'demo', registry: 'local2', from: 'f' } }, 'asked crate, registry, url, from must be strings'],
    ['asked with another key', { ...valid, asked: { crate: 'demo', registry: 'r', url: '', from: 'f', token: 'x' } }, 'asked has crate, registry, url, from only'],
    ['asked a string', { ...valid, asked: 'local2' }, 'asked must be an object'],
  ];
  it.each(cases)('%s', (_name, value, expected) => {
    expect(validateEvent(value)).toEqual(expected);
  });

  it('agrees with schema/journal-event.schema.json on every case', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schema', 'journal-event.schema.json'), 'utf8')) as object;
    const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);
    for (const [name, value, expected] of cases) {
      // The schema sees what JSON.stringify writes (undefined optionals vanish), except the
      // impossible date, which a pattern cannot refuse.
      if (name === 'at impossible date') continue;
      const json: unknown = value === undefined ? undefined : JSON.parse(JSON.stringify(value));
      expect(validate(json), name).toBe(expected === null);
    }
  });
});
