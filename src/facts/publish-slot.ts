// One publish at a time, and a publish's upload watched to its end. Two guards beside the
// journal, in its folder:
// - `publish.lock`: taken by `policy run` for a publish before its gate is asked and held until
//   its outcome is recorded, so two publishes started at the same moment cannot both pass the
//   "a publish is running" check (which reads the journal) before either has written its
//   start. A lock whose holder died is taken over (src/facts/journal-lock.ts).
// - `publish.child`: the command's own process (cargo), written right after it starts. When
//   the `policy run` process is killed, cargo may go on uploading: while it lives the step is
//   still running, so neither `policy verify` nor a second publish takes the silence for a "no".
import { readFileSync, unlinkSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { acquireLock, releaseLock, type HeldLock } from './journal-lock.js';
import { processStartOf } from './process.js';

export interface StepChild {
  /** The id of the step's `step-started` event. */
  step: string;
  pid: number;
  host: string;
  /** Its process start (see processStartOf); absent where the system does not tell. */
  start?: string;
}

function slotPath(journalFile: string): string {
  return join(dirname(journalFile), 'publish.lock');
}

function childPath(journalFile: string): string {
  return join(dirname(journalFile), 'publish.child');
}

/** Takes the publish slot, or throws JournalLockError naming the live publish that holds it. */
export async function takePublishSlot(journalFile: string): Promise<HeldLock> {
  await mkdir(dirname(journalFile), { recursive: true });
  // No waiting: a publish that is running is refused, never queued behind.
  return acquireLock(slotPath(journalFile), { staleMs: 30_000, timeoutMs: 0 });
}

/** Records the step's command process (its pid as the child of `policy run`). */
export function recordStepChild(journalFile: string, step: string, pid: number): void {
  const start = processStartOf(pid);
  const child: StepChild = { step, pid, host: hostname(), ...(start === null ? {} : { start }) };
  writeFileAtomic(childPath(journalFile), `${JSON.stringify(child)}\n`, { sync: false });
}

/** The step's command process recorded beside the journal; null when none (or unreadable). */
export function readStepChild(journalFile: string): StepChild | null {
  try {
    const value = JSON.parse(readFileSync(childPath(journalFile), 'utf8')) as Partial<StepChild>;
    if (typeof value.step !== 'string' || !Number.isSafeInteger(value.pid) || typeof value.host !== 'string') return null;
    return { step: value.step, pid: value.pid!, host: value.host, ...(typeof value.start === 'string' ? { start: value.start } : {}) };
  } catch {
    return null;
  }
}

/** Gives the slot back once the outcome is recorded (or the step did not run). */
export async function releasePublishSlot(journalFile: string, slot: HeldLock): Promise<void> {
  try {
    unlinkSync(childPath(journalFile));
  } catch {
    // none was written (the command did not start)
  }
  await releaseLock(slot);
}
