import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HAS_CARGO, HAS_GIT } from './helpers/tools.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What the build reads: a file here newer than the build means dist/ is stale. */
const BUILD_INPUTS = ['src', 'rules', 'schema', 'scripts', 'package.json'];
const BUILD_OUTPUTS = [join('dist', 'cli.cjs'), join('dist', 'policy.cjs')];

export default function setup(): void {
  // Hooks that git runs in tests inherit this: each runs in its own process, and no hook
  // daemon outlives the tests (test/hooks/daemon.test.ts turns it on for itself).
  process.env.POLICY_DAEMON = '0';
  if (!HAS_GIT) {
    // CI machines have git: there a missing git is a broken machine, not a reason to skip.
    if (process.env.CI) throw new Error('git is not on PATH; the tests need it in CI');
    process.stderr.write('\ngit was not found on PATH: the tests that need git (facts, CLI, demo) are skipped.\n\n');
  }
  if (!HAS_CARGO) {
    // The same for cargo: in CI the registry tests must run against a real cargo.
    if (process.env.CI) throw new Error('cargo is not on PATH; the tests need it in CI');
    process.stderr.write('\ncargo was not found on PATH: the tests that run cargo publish against the loopback registry are skipped.\n\n');
  }
  // The CLI tests run the built command, so a stale build would test old code. `npm test`
  // builds first; this covers `npx vitest` after an edit. We build only when dist/ is
  // missing or older than a source file rather than always: the build starts by deleting
  // dist/, so an unconditional build would pull the command from under any other test run
  // (or `vitest --watch`) sharing this checkout, and it would cost every run a second.
  // Comparing mtimes takes a few milliseconds for the ~100 input files.
  if (isBuildStale(ROOT)) {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  }
}

/** Whether dist/ under `root` is missing or older than a file the build reads. */
export function isBuildStale(root: string): boolean {
  const built = oldestOutput(root);
  return built === null || newestInput(root) > built;
}

/** The mtime of the oldest build output, or null when one is missing. */
function oldestOutput(root: string): number | null {
  let oldest = Number.POSITIVE_INFINITY;
  for (const output of BUILD_OUTPUTS) {
    try {
      oldest = Math.min(oldest, statSync(join(root, output)).mtimeMs);
    } catch {
      return null;
    }
  }
  return oldest;
}

function newestInput(root: string): number {
  let newest = 0;
  const visit = (path: string): void => {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return; // a file deleted while we look, or a dangling link: not an input
    }
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const input of BUILD_INPUTS) visit(join(root, input));
  return newest;
}
