// The environment and the working folder are inputs of the collectors, never read from the
// process: the hook daemon serves many callers from one process (src/cli/daemon.ts), and a
// caller's variables (GIT_INDEX_FILE, GIT_DIR, a GITHUB_TOKEN) must reach that caller's git
// processes and no one else's.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectFacts, type CollectRequest } from '../../src/facts/collect.js';
import { gitCommonDir } from '../../src/facts/release.js';
import type { PackageConfig } from '../../src/policy/model.js';
import { PROJECT_ROOT } from '../helpers/cli.js';
import { gitSync, hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_GIT } from '../helpers/tools.js';

/** The folders that never touch `process` (the common brief's layers below src/cli). */
const PURE = ['src/facts', 'src/registry', 'src/policy', 'src/hooks', 'src/engine', 'src/release', 'src/report'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name) ? [path] : [];
  });
}

describe('the environment and the working folder reach the collectors only as inputs', () => {
  it('no file under the collector, policy, engine, release or report folders mentions process.env or process.cwd(', () => {
    const files = PURE.flatMap((dir) => sourceFiles(join(PROJECT_ROOT, dir)));
    // The walk found the sources: an empty list would make this test pass on nothing.
    expect(files.length).toBeGreaterThan(50);
    const mentions = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => (/process\.env\b|process\.cwd\(/.test(line) ? [`${relative(PROJECT_ROOT, file)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(mentions).toEqual([]);
  });
});

const demo: PackageConfig = { name: 'demo', ecosystem: 'cargo', manifest: 'Cargo.toml', registry: 'crates-io', tag: 'v{version}', releaseNotes: 'RELEASE_v{version}.md' };

describe.skipIf(!HAS_GIT)('collectors run git with the environment of the request, not of the process', () => {
  let repo: TempRepo;
  let other: TempRepo;
  let scratch: string;
  /** The test process's environment, hermetic for git, and without a GIT_INDEX_FILE or GIT_DIR of its own. */
  const base: NodeJS.ProcessEnv = { ...process.env, ...hermeticGitEnv };
  delete base.GIT_INDEX_FILE;
  delete base.GIT_DIR;

  beforeAll(() => {
    repo = makeRepo({ files: { 'Cargo.toml': '[package]\nname = "demo"\nversion = "0.1.0"\n', 'src/lib.rs': '\n' } });
    other = makeRepo({ files: { 'README.md': 'other\n' } });
    scratch = mkdtempSync(join(tmpdir(), 'release-policy-env-'));
  });
  afterAll(() => {
    repo?.remove();
    other?.remove();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** An index file of `repo` holding HEAD plus `path` with `text` staged. */
  function indexWith(name: string, path: string, text: string): string {
    const index = join(scratch, name);
    const file = join(scratch, `${name}.blob`);
    writeFileSync(file, text);
    const blob = gitSync(repo.dir, ['hash-object', '-w', file]);
    gitSync(repo.dir, ['read-tree', 'HEAD'], { GIT_INDEX_FILE: index });
    gitSync(repo.dir, ['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { GIT_INDEX_FILE: index });
    return index;
  }

  const preCommit = (env: NodeJS.ProcessEnv): CollectRequest => ({
    cwd: repo.dir,
    env,
    packages: [demo],
    defaultBranch: '',
    needs: ['commit', 'packages'],
    gate: { name: 'pre-commit', arg: '' },
  });

  it('two collections at once, each with its own GIT_INDEX_FILE, read each its own staged paths and manifest', async () => {
    const bump = indexWith('bump', 'Cargo.toml', '[package]\nname = "demo"\nversion = "0.2.0"\n');
    const fix = indexWith('fix', 'src/fix.rs', 'pub fn fixed() {}\n');
    const [a, b, plain] = await Promise.all([
      collectFacts(preCommit({ ...base, GIT_INDEX_FILE: bump })),
      collectFacts(preCommit({ ...base, GIT_INDEX_FILE: fix })),
      collectFacts(preCommit(base)),
    ]);
    expect(a.unavailable).toEqual({});
    expect(a.facts.commit?.paths).toEqual(['Cargo.toml']);
    expect(b.facts.commit?.paths).toEqual(['src/fix.rs']);
    expect(plain.facts.commit?.paths).toEqual([]);
    // The staged manifest is read through the request's index too (cat-file `:Cargo.toml`).
    expect(a.facts.packages?.[0]?.versionStaged).toBe('0.2.0');
    expect(b.facts.packages?.[0]?.versionStaged).toBe('0.1.0');
  });

  it('GIT_DIR in the request, not the process, names the repository whose common directory is read', async () => {
    expect(await gitCommonDir(repo.dir, base)).toBe(join(repo.dir, '.git'));
    expect(await gitCommonDir(repo.dir, { ...base, GIT_DIR: join(other.dir, '.git') })).toBe(join(other.dir, '.git'));
  });
});
