import { spawnSync } from 'node:child_process';

/** Whether a command-line tool runs here; tests that need one are skipped where it does not. */
function available(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

export const HAS_GIT = available('git');
export const HAS_CARGO = available('cargo');
export const HAS_NPM = available('npm');
