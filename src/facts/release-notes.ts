// The `release.notes` fact: whether the release notes of the version under release ever
// existed, and a `git checkout` that brings them back. A notes file that never existed is
// release-notes-present's finding, not a deletion; one that did is restored from where git
// still holds it (HEAD, the index, or the commit before the one that deleted it: `git
// checkout HEAD -- FILE` fails once a commit deleted the file).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from '../policy/locate.js';
import type { PackageConfig } from '../policy/model.js';
import { quoteArg } from '../release/model.js';
import { CatFileBatch, runGit, type Env } from './git.js';
import { NO_NOTES, type ReleaseFact } from '../release/fact.js';


/**
 * Read only while a release exists; the history walk only when neither HEAD nor the index
 * holds the file (a path-limited `git log`, stopping at the first deletion it meets).
 */
export async function readReleaseNotes(cwd: string, env: Env, pkg: PackageConfig, version: string, shared?: CatFileBatch): Promise<ReleaseFact['notes']> {
  if (pkg.releaseNotes === '') return NO_NOTES;
  const path = pkg.releaseNotes.replaceAll('{version}', version);
  const root = findRepoRoot(cwd) ?? cwd;
  const quoted = quoteArg(path);
  const batch = shared ?? new CatFileBatch(cwd, env);
  try {
    const blob = async (spec: string): Promise<boolean> => (await batch.read(spec))?.type === 'blob';
    if (await blob(`HEAD:${path}`)) return { path, existed: true, restore: `git checkout HEAD -- ${quoted}` };
    if (await blob(`:${path}`)) return { path, existed: true, restore: `git checkout -- ${quoted}` };
  } finally {
    if (shared === undefined) await batch.close();
  }
  // Written but never staged: it exists, and git holds no copy to restore; no history walk.
  if (existsSync(join(root, path))) return { path, existed: true, restore: '' };
  // An unborn HEAD has no history: git exits 128, and nothing was deleted.
  const log = await runGit(root, env, ['--literal-pathspecs', 'log', '-1', '--no-renames', '--diff-filter=D', '--format=%P', 'HEAD', '--', path], [128]);
  const parent = log.exitCode === 0 ? (log.stdout.trim().split(' ')[0] ?? '') : '';
  if (parent !== '') return { path, existed: true, restore: `git checkout ${parent.slice(0, 12)} -- ${quoted}` };
  return { path, existed: false, restore: '' };
}
