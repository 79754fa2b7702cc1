import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HAS_GIT } from './helpers/tools.js';

export default function setup(): void {
  if (!HAS_GIT) {
    // CI machines have git: there a missing git is a broken machine, not a reason to skip.
    if (process.env.CI) throw new Error('git is not on PATH; the tests need it in CI');
    process.stderr.write('\ngit was not found on PATH: the tests that need git (facts, CLI, demo) are skipped.\n\n');
  }
  // The CLI tests run the built command; `npm test` builds first, this covers `npx vitest`.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  if (!existsSync(join(root, 'dist', 'cli.cjs'))) {
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  }
}
