// The collector that tells a running step from a dead one, against real processes: a live
// one, one killed, one whose pid is taken for another process (a start time that differs),
// a zombie nobody reaped, and a step recorded on another host.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';
import { validateEvent } from '../../src/facts/journal.js';
import { probeSteps, processIdentity, processStartOf } from '../../src/facts/process.js';
import type { JournalEvent } from '../../src/release/model.js';
import { PROJECT_ROOT } from '../helpers/cli.js';

const LINUX = process.platform === 'linux';
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

let n = 0;
function startedStep(fields: Partial<JournalEvent>): JournalEvent {
  n++;
  return {
    v: 1, id: `${n}`.padStart(8, '0'), at: '2026-12-03T06:00:00.000Z', type: 'step-started',
    package: 'demo', version: '0.2.0', issue: 7, phase: 'publish', command: ['cargo', 'publish'], ...fields,
  };
}

function sleeper(): Promise<ChildProcess> {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(child));
    child.once('error', reject);
  });
}

describe('processIdentity', () => {
  it('names this process, its host and (on Linux) its boot and start time', () => {
    const me = processIdentity(process.pid);
    expect(me).toMatchObject({ pid: process.pid, host: hostname() });
    if (LINUX) {
      const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      expect(me.processStart).toMatch(new RegExp(`^${boot}/\\d+$`));
    }
  });
});

describe('probeSteps', () => {
  it('a live process with the recorded start time is running; once killed it is gone', async () => {
    const child = await sleeper();
    const step = startedStep(processIdentity(child.pid!));
    expect(probeSteps([step]).get(step.id)).toBe('running');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(probeSteps([step]).get(step.id)).toBe('gone');
  });

  it.skipIf(!LINUX)('a pid now held by another process (another start time) is gone', async () => {
    const child = await sleeper();
    const [boot, ticks] = processStartOf(child.pid!)!.split('/');
    const earlier = startedStep({ pid: child.pid!, host: hostname(), processStart: `${boot}/${Number(ticks) - 1}` });
    const otherBoot = startedStep({ pid: child.pid!, host: hostname(), processStart: `00000000-0000-0000-0000-000000000000/${ticks}` });
    const found = probeSteps([earlier, otherBoot]);
    expect(found.get(earlier.id)).toBe('gone');
    expect(found.get(otherBoot.id)).toBe('gone');
  });

  it.skipIf(!LINUX)('a killed process its parent has not reaped (a zombie) is gone', async () => {
    // sh starts a background sleep, then becomes a sleep that never waits for it.
    const parent = spawn('sh', ['-c', 'sleep 300 & echo $!; exec sleep 300'], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(parent);
    const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString()))));
    const step = startedStep(processIdentity(pid));
    expect(probeSteps([step]).get(step.id)).toBe('running');
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (!/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(probeSteps([step]).get(step.id)).toBe('gone');
  });

  it('a step of another host cannot be checked here; a step without a process and a finished step are not probed', async () => {
    const child = await sleeper();
    const elsewhere = startedStep({ pid: child.pid!, host: `not-${hostname()}` });
    const unrecorded = startedStep({});
    const finishedStart = startedStep({ ...processIdentity(child.pid!), phase: 'dry-run' });
    const finish: JournalEvent = { ...finishedStart, id: 'ffffffff', type: 'step-finished', exitCode: 0, outcome: 'ok' };
    const found = probeSteps([elsewhere, unrecorded, finishedStart, finish]);
    expect([...found.entries()]).toEqual([[elsewhere.id, 'elsewhere']]);
  });
});

describe('the process fields of journal events', () => {
  const base = startedStep({ pid: 4242, host: 'build-1', processStart: 'boot/100' });
  const cases: [string, unknown, string | null][] = [
    ['pid, host and start time', base, null],
    ['none of them (an older journal)', { ...base, pid: undefined, host: undefined, processStart: undefined }, null],
    ['pid 0', { ...base, pid: 0 }, 'pid must be a positive integer'],
    ['pid text', { ...base, pid: '4242' }, 'pid must be a positive integer'],
    ['host empty', { ...base, host: '' }, 'host must be a non-empty string'],
    ['processStart a number', { ...base, processStart: 100 }, 'processStart must be a non-empty string'],
  ];
  it.each(cases)('%s', (_name, value, expected) => {
    expect(validateEvent(value)).toBe(expected);
  });

  it('agree with schema/journal-event.schema.json', () => {
    const schema = JSON.parse(readFileSync(join(PROJECT_ROOT, 'schema', 'journal-event.schema.json'), 'utf8')) as object;
    const validate = new Ajv2020({ strict: true }).compile(schema);
    for (const [name, value, expected] of cases) expect(validate(JSON.parse(JSON.stringify(value))), name).toBe(expected === null);
  });
});
