// Which release steps are still running: the process identity `policy run` records on its
// step events (pid, host, process start time), and the check, for every step that never
// finished, of whether that process still lives. The fold (src/release/state.ts) gets the
// answers as input and never looks itself.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { JournalEvent, StepProcess } from '../release/model.js';
import { unfinishedSteps } from '../release/state.js';

export interface ProcessIdentity {
  pid: number;
  host: string;
  /** `<boot id>/<start time in clock ticks since boot>`; absent where /proc does not tell. */
  processStart?: string;
}

/** The identity of process `pid` on this machine, as step events record it. */
export function processIdentity(pid: number): ProcessIdentity {
  const start = processStartOf(pid);
  return { pid, host: hostname(), ...(start === null ? {} : { processStart: start }) };
}

/**
 * When process `pid` started, unique across reboots: the boot id with field 22 (starttime) of
 * /proc/PID/stat. A pid alone is reused once its process is gone; the pair is not. Null where
 * there is no /proc (macOS, Windows) or it cannot be read.
 */
export function processStartOf(pid: number): string | null {
  const stat = readProcStat(pid);
  const boot = readText('/proc/sys/kernel/random/boot_id')?.trim();
  if (stat === null || !boot) return null;
  return `${boot}/${stat.startTime}`;
}

/** State (field 3) and starttime (field 22) of /proc/PID/stat; null when unreadable. */
function readProcStat(pid: number): { state: string; startTime: string } | null {
  const text = readText(`/proc/${pid}/stat`);
  if (text === null) return null;
  // Field 2 is the command name in parentheses and may itself hold spaces and parentheses:
  // the fields after it start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).trim().split(/\s+/);
  const state = fields[0];
  const startTime = fields[19];
  if (state === undefined || startTime === undefined || !/^\d+$/.test(startTime)) return null;
  return { state, startTime };
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/**
 * For each step of the journal that started and never finished and recorded its process:
 * `running` when that process lives on this machine with the same start time, `gone` when it
 * is dead, a zombie or its pid now belongs to a later process, `elsewhere` when it ran on
 * another host (nothing here can tell; the fold treats it as running and says so). `child`:
 * the command process a publish recorded (src/facts/publish-slot.ts), which counts as the
 * step's process too.
 */
export function probeSteps(
  events: readonly JournalEvent[],
  child: { step: string; pid: number; host: string; start?: string } | null = null,
): Map<string, StepProcess> {
  const here = hostname();
  const found = new Map<string, StepProcess>();
  for (const e of unfinishedSteps(events)) {
    if (e.pid === undefined || e.host === undefined) continue;
    let state: StepProcess = e.host !== here ? 'elsewhere' : probe(e.pid, e.processStart);
    // `policy run` killed while its command (cargo, uploading) goes on: the step still runs.
    if (state === 'gone' && child !== null && child.step === e.id && child.host === here && probe(child.pid, child.start) === 'running') state = 'running';
    found.set(e.id, state);
  }
  return found;
}

/**
 * Whether process `pid` of this machine is the one recorded: alive (not a zombie) and, where
 * its start time was recorded, started then (a pid is reused once its process is gone).
 */
export function probe(pid: number, recordedStart: string | undefined): 'running' | 'gone' {
  if (!signalable(pid)) return 'gone';
  const stat = readProcStat(pid);
  // A killed process its parent has not reaped yet still answers signals: it is not running.
  if (stat !== null && (stat.state === 'Z' || stat.state === 'X')) return 'gone';
  if (recordedStart !== undefined) {
    const now = processStartOf(pid);
    if (now !== null && now !== recordedStart) return 'gone'; // the pid was reused
  }
  return 'running';
}

/** Whether a process with this pid exists (EPERM: it does, under another user). */
function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
