/**
 * One release step as `policy run` runs it, the pure parts: the gate a step must pass before
 * it runs, the package a command names, the journal line of its outcome, and how to say that
 * a command is not the step it was labelled. No IO: `src/cli/commands/run.ts` runs the
 * command and writes the journal.
 */
import { createdTagName, type Classification } from './classify.js';
import type { JournalEvent, Phase } from './model.js';

/** What the commands of each phase a command can be recognised as are (see `isStepCommand`). */
export const STEP_COMMANDS: Partial<Record<Phase, string>> = {
  'dry-run': 'cargo publish --dry-run, cargo package, npm publish --dry-run',
  publish: 'cargo publish, npm publish',
  tag: 'git tag NAME',
  push: 'git push',
};

/** The gates a step can ask: a subset of the engine's gate names. */
export type StepGate = 'publish' | 'tag' | 'close-issue' | 'bump';

/**
 * The gate a step must pass before it runs, or null when it asks none: publish → `publish`;
 * tag → `tag` of the tag it creates (else the version's tag by the package's template);
 * closeout → `close-issue` of the release's issue (none when the issue is unknown); a bump asks
 * nothing (it changes the version the gates would ask about); any other step → `bump` of the
 * version in the working tree, so a step for a version other than the blocked one is refused.
 */
export function stepGate(
  phase: Phase,
  command: readonly string[],
  step: { version: string; issue: number | null; tagTemplate: string },
): { gate: StepGate; arg: string } | null {
  switch (phase) {
    case 'bump':
      return null;
    case 'publish':
      return { gate: 'publish', arg: step.version };
    case 'tag':
      return { gate: 'tag', arg: createdTagName(command) ?? step.tagTemplate.replaceAll('{version}', step.version) };
    case 'closeout':
      return step.issue === null ? null : { gate: 'close-issue', arg: String(step.issue) };
    default:
      return { gate: 'bump', arg: step.version };
  }
}

/** cargo's `-p NAME` / `--package NAME` / `--package=NAME`, which names the package a step is for. */
export function cargoPackageArg(command: readonly string[]): string | null {
  for (let i = 0; i < command.length; i++) {
    const arg = command[i]!;
    if ((arg === '-p' || arg === '--package') && command[i + 1] !== undefined) return command[i + 1]!;
    if (arg.startsWith('--package=')) return arg.slice('--package='.length);
  }
  return null;
}

/** How a step's command ended, as `policy run` saw it. */
export interface StepResult {
  exitCode: number | null;
  signal: string | null;
  /** Redacted output, bounded (head and tail). */
  output: string;
  /** ENOENT (not found) or another spawn error code; null when it started. */
  spawnError: string | null;
}

/** The exit code a shell gives a command it cannot start: 127 not found, 126 found but not executable. */
export function spawnExitCode(code: string): number {
  return code === 'ENOENT' ? 127 : 126;
}

/** The `step-finished` line of a step that ran (or could not start), from its classification. */
export function finishedEvent(
  base: Omit<JournalEvent, 'v' | 'id' | 'at' | 'type'>,
  result: StepResult,
  classification: Classification,
): Omit<JournalEvent, 'v' | 'id' | 'at'> {
  const event: Omit<JournalEvent, 'v' | 'id' | 'at'> = {
    type: 'step-finished',
    ...base,
    outcome: classification.outcome,
    reason: classification.reason,
  };
  if (result.spawnError !== null) event.exitCode = spawnExitCode(result.spawnError);
  else if (result.exitCode !== null) event.exitCode = result.exitCode;
  if (classification.published !== null) event.published = classification.published;
  if (classification.excerpt !== '') event.excerpt = classification.excerpt;
  return event;
}

/** Said when a step labelled `phase` succeeded with a command that is not that step. */
export function notTheStepMessage(phase: Phase, command: string): string {
  return `\`${command}\` is not a ${phase} command (${STEP_COMMANDS[phase] ?? phase}): ` +
    `its success is recorded, but it clears no block${phase === 'dry-run' ? ' and is no dry-run for the publish' : ''}`;
}
