// Throwaway git repositories for tests: real git in a directory under os.tmpdir(), with
// its own identity and no system or global config (CI machines have no identity, and a
// developer's `commit.gpgsign` or `init.defaultBranch` must not change results).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Environment that makes git ignore the machine's config; tests pass it to collectors too. */
export const hermeticGitEnv: Record<string, string> = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: process.platform === 'win32' ? 'NUL' : '/dev/null',
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_COMMITTER_NAME: 'Test Committer',
  GIT_COMMITTER_EMAIL: 'committer@example.com',
  // Hooks run in their own process in tests: no hook daemon outlives a test (test/hooks/daemon.test.ts tests it).
  POLICY_DAEMON: '0',
};

/** Runs git in `cwd` with the hermetic environment and returns stdout without the final newline. */
export function gitSync(cwd: string, args: readonly string[], env: Record<string, string> = {}): string {
  const out = execFileSync('git', args, { cwd, env: { ...process.env, ...hermeticGitEnv, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return out.replace(/\n$/, '');
}

/** Files to write, path (repository-relative) → content; `null` deletes the file. */
export type Files = Record<string, string | Buffer | null>;

export interface TempRepo {
  /** Absolute path of the work tree. */
  dir: string;
  git(...args: string[]): string;
  write(files: Files): void;
  /** Writes `files`, stages everything (`git add -A`) and commits; returns the commit id. */
  commit(message: string, files?: Files, date?: string): string;
  /** A lightweight tag, or an annotated one when `message` is given; `target` defaults to HEAD. */
  tag(name: string, options?: { message?: string; target?: string }): void;
  remove(): void;
}

let clock = Date.UTC(2024, 0, 1) / 1000;

/** Creates a repository on `branch` (default `main`) and, when `files` are given, a first commit. */
export function makeRepo(options: { branch?: string; files?: Files } = {}): TempRepo {
  const dir = mkdtempSync(join(tmpdir(), 'release-policy-'));
  gitSync(dir, ['-c', `init.defaultBranch=${options.branch ?? 'main'}`, 'init', '-q', '.']);
  const repo: TempRepo = {
    dir,
    git: (...args) => gitSync(dir, args),
    write(files) {
      for (const [path, content] of Object.entries(files)) {
        const file = join(dir, path);
        if (content === null) rmSync(file, { force: true });
        else {
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, content);
        }
      }
    },
    commit(message, files = {}, date) {
      repo.write(files);
      gitSync(dir, ['add', '-A']);
      // Distinct, increasing dates keep `git log` order deterministic.
      const when = date ?? `@${(clock += 60)} +0000`;
      gitSync(dir, ['commit', '-q', '--allow-empty', '-m', message], { GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when });
      return gitSync(dir, ['rev-parse', 'HEAD']);
    },
    tag(name, { message, target = 'HEAD' } = {}) {
      gitSync(dir, ['tag', ...(message === undefined ? [] : ['-a', '-m', message]), name, target]);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  if (options.files) repo.commit('initial', options.files);
  return repo;
}
