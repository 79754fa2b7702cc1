// Reading and writing the baseline file (`baseline:` in release-policy.yml); the matching is
// src/engine/baseline.ts's.
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { formatBaseline, type BaselineEntry } from '../engine/baseline.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { UsageError } from './context.js';
import { describeIoError } from './io-error.js';

/** The file `policy baseline` writes when the policy names none, beside the policy file. */
export const DEFAULT_BASELINE_FILE = '.release-policy-baseline.json';

export function defaultBaselinePath(policyFile: string): string {
  return join(dirname(policyFile), DEFAULT_BASELINE_FILE);
}

/** How a path is shown to the user: relative to where they are, unless that climbs out. */
export function displayPath(cwd: string, file: string): string {
  const rel = relative(cwd, file);
  return rel === '' || rel.startsWith('..') ? file : rel;
}

const REWRITE = 'Run `policy baseline` to write it again from today\'s findings (or restore it from git), or remove `baseline:` from release-policy.yml.';

/** Reads and checks the baseline file; any problem is a usage error (exit 2) naming the file and where. */
export function readBaseline(file: string, shown: string): BaselineEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'the file does not exist' : describeIoError(error) ?? (error as Error).message;
    throw new UsageError(`cannot read the baseline ${shown} (named by \`baseline:\` in the policy): ${why}`, REWRITE);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // V8 quotes the text around the error, line breaks and all: one line of it is enough.
    const detail = ((error as Error).message ?? '').replace(/\s+/g, ' ');
    throw new UsageError(`${shown}${jsonPosition(text, error)}: the baseline is not valid JSON: ${detail}`, REWRITE);
  }
  const bad = (where: string, what: string): UsageError => new UsageError(`${shown}: ${where}: ${what}; this is not a baseline file`, REWRITE);
  if (!isRecord(raw)) throw bad('the file', 'must be an object with `version` and `findings`');
  if (raw.version !== 1) throw bad('version', `must be 1, found ${JSON.stringify(raw.version) ?? 'nothing'}`);
  if (!Array.isArray(raw.findings)) throw bad('findings', 'must be a list');
  return raw.findings.map((entry: unknown, index: number): BaselineEntry => {
    const at = `findings[${index}]`;
    if (!isRecord(entry)) throw bad(at, 'must be an object');
    const subject = entry.subject;
    for (const key of ['rule', 'fingerprint', 'message'] as const) {
      if (typeof entry[key] !== 'string' || (key !== 'message' && entry[key] === '')) throw bad(`${at}.${key}`, 'must be a non-empty string');
    }
    if (!isRecord(subject) || typeof subject.kind !== 'string' || typeof subject.name !== 'string') {
      throw bad(`${at}.subject`, 'must be an object with string `kind` and `name`');
    }
    if (entry.severity !== 'error' && entry.severity !== 'warn') throw bad(`${at}.severity`, 'must be "error" or "warn"');
    return {
      rule: entry.rule as string,
      subject: { kind: subject.kind, name: subject.name },
      fingerprint: entry.fingerprint as string,
      message: entry.message as string,
      severity: entry.severity,
    };
  });
}

/** Writes the baseline whole (a reader never sees half of it). */
export function writeBaseline(file: string, entries: BaselineEntry[]): void {
  writeFileAtomic(file, formatBaseline(entries));
}

/** `:line:col` of a JSON.parse error, from the position V8 names ("at position 12"), else "". */
function jsonPosition(text: string, error: unknown): string {
  const match = /position (\d+)/.exec((error as Error).message ?? '');
  if (!match) return '';
  const before = text.slice(0, Number(match[1]));
  const lines = before.split('\n');
  return `:${lines.length}:${(lines.at(-1)?.length ?? 0) + 1}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
