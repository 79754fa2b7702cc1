// Running git. We spawn the `git` binary directly with node:child_process instead of using
// simple-git: simple-git waits an extra 50 ms after every command that prints nothing, and
// it strips ambient GIT_* variables such as GIT_INDEX_FILE, which a pre-commit hook needs to
// read the index git is building (both measured with simple-git 4.0.2 in the project's
// hooks/CI research, section 2).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createLimiter } from './limit.js';

/** A git command that failed; `command` and `stderr` say which and why. */
export class GitError extends Error {
  constructor(
    readonly command: readonly string[],
    readonly exitCode: number | string | null,
    readonly stderr: string,
  ) {
    const reason = stderr.trim() || `exit code ${String(exitCode)}`;
    super(`git ${command.join(' ')}: ${reason}`);
    this.name = 'GitError';
  }
}

/**
 * The environment of the command being served, handed in by src/cli: the collectors never
 * read this process's own, because the hook daemon serves many callers from one process and
 * must not keep (or hand on) one caller's variables, a token among them, for the next.
 */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * The environment for every git child: the caller's, with its GIT_* variables kept on purpose
 * (hooks set GIT_DIR and GIT_INDEX_FILE). GIT_OPTIONAL_LOCKS=0 keeps `git status` from taking
 * index.lock to refresh the index (git(1), "GIT_OPTIONAL_LOCKS"), so a read-only linter never
 * races the git command that runs it as a hook.
 */
export function gitEnv(env: Env): NodeJS.ProcessEnv {
  return { ...env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' };
}

export interface GitResult {
  stdout: string;
  exitCode: number;
}

/**
 * Short-lived git children running at once. Each holds three pipes; a policy of thousands
 * of packages once started one per package at the same moment and ran out of file
 * descriptors (`spawn git EMFILE`). The long-lived `cat-file --batch` processes (one or two
 * per fact collection) are not counted: they would hold a slot while waiting on the others.
 */
export const GIT_CONCURRENCY = 16;
const gitSlots = createLimiter(GIT_CONCURRENCY);

/** The one place git is started. */
function spawnGit(cwd: string, env: Env, args: readonly string[]): ChildProcessWithoutNullStreams {
  // With `env` given, node looks `git` up on env.PATH: the caller's PATH, as a fresh process would.
  return spawn('git', args, { cwd, env: gitEnv(env), windowsHide: true });
}

/** Why git could not start: a missing binary or folder, or the system out of resources. */
function spawnFailure(cwd: string, error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') return `cannot run git in ${cwd}: is git on PATH and the directory present?`;
  if (error.code === 'EMFILE' || error.code === 'ENFILE' || error.code === 'EAGAIN') {
    return `cannot start git: the system is out of file descriptors or processes (${error.code}); raise \`ulimit -n\` or close other programs`;
  }
  return `cannot start git in ${cwd}: ${error.message}`;
}

/**
 * Runs `git args` in `cwd` and returns its stdout. Exit codes in `allowExit` (besides 0) are
 * returned instead of thrown, for commands that use them as answers (e.g. `git config --get`
 * exits 1 when the key is unset).
 */
export function runGit(
  cwd: string,
  env: Env,
  args: readonly string[],
  allowExit: readonly number[] = [],
): Promise<GitResult> {
  return gitSlots.run(
    () =>
      new Promise<GitResult>((resolve, reject) => {
        const child = spawnGit(cwd, env, args);
        child.on('error', (error: NodeJS.ErrnoException) => reject(new GitError(args, error.code ?? null, spawnFailure(cwd, error))));
        // A failed start has no pipes; 'error' above reports it.
        if (!child.stdout) return;
        const out: Buffer[] = [];
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
        child.on('close', (code, signal) => {
          const stdout = Buffer.concat(out).toString('utf8');
          if (code === 0) return resolve({ stdout, exitCode: 0 });
          if (code !== null && allowExit.includes(code)) return resolve({ stdout, exitCode: code });
          reject(new GitError(args, code ?? signal, stderr || `killed by ${signal ?? 'a signal'}`));
        });
      }),
  );
}

/** Runs git and returns stdout; throws GitError on any non-zero exit. */
export async function git(cwd: string, env: Env, args: readonly string[]): Promise<string> {
  return (await runGit(cwd, env, args)).stdout;
}

/**
 * Runs git and hands its stdout to `onText` as it arrives (UTF-8 decoded across chunk
 * boundaries), so a consumer can start work before a long `git log` has finished.
 */
export function streamGit(cwd: string, env: Env, args: readonly string[], onText: (text: string) => void): Promise<void> {
  return gitSlots.run(
    () =>
      new Promise<void>((resolve, reject) => {
        const child = spawnGit(cwd, env, args);
        child.on('error', (error: NodeJS.ErrnoException) => reject(new GitError(args, error.code ?? null, spawnFailure(cwd, error))));
        if (!child.stdout) return;
        let stderr = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (text: string) => {
          try {
            onText(text);
          } catch (error) {
            child.kill();
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
        child.on('close', (code) => (code === 0 ? resolve() : reject(new GitError(args, code, stderr))));
      }),
  );
}

/** One object as `git cat-file --batch` printed it. */
export interface GitObject {
  oid: string;
  type: string;
  content: Buffer;
}

interface Pending {
  resolve: (object: GitObject | null) => void;
  reject: (error: Error) => void;
}

// `<oid> <type> <size>`; anything else (`<rev> missing`, `<rev> ambiguous`) means no object.
const HEADER = /^([0-9a-f]{40,64}) ([a-z]+) ([0-9]+)$/;

/**
 * One long-lived `git cat-file --batch` process (git-cat-file(1), "BATCH OUTPUT"). Requests
 * made in the same event-loop turn are written in one chunk; answers come back in request
 * order, so a FIFO of pending promises matches them. Sizes are byte counts, so the parser
 * works on Buffers, never on decoded text.
 */
export class CatFileBatch {
  private readonly child: ChildProcessWithoutNullStreams;
  // A FIFO with a moving head: Array#shift is O(n), and a batch may hold 20,000 requests.
  private pending: Pending[] = [];
  private head = 0;
  private queued: string[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private parts: Buffer[] = [];
  private partsLength = 0;
  private needed = 1;
  private stderr = '';
  private failure: Error | null = null;
  private readonly closed: Promise<void>;

  constructor(cwd: string, env: Env) {
    this.child = spawnGit(cwd, env, ['cat-file', '--batch']);
    const started = Boolean(this.child.stdout);
    this.closed = new Promise((resolve) => {
      this.child.on('error', (error: NodeJS.ErrnoException) => {
        this.fail(new GitError(['cat-file', '--batch'], error.code ?? null, spawnFailure(cwd, error)));
        // A process that never started emits no 'close'.
        if (!started) resolve();
      });
      this.child.on('close', (code) => {
        this.fail(new GitError(['cat-file', '--batch'], code, this.stderr || 'git cat-file exited early'));
        resolve();
      });
    });
    // A failed start has no pipes; 'error' above reports it to every request.
    if (!started) return;
    this.child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    // EPIPE after git died is reported through 'close' below, with git's own stderr.
    this.child.stdin.on('error', () => undefined);
  }

  /** The object named by `rev` (e.g. `HEAD:Cargo.toml`, `:Cargo.toml`, an oid), or null if missing. */
  read(rev: string): Promise<GitObject | null> {
    if (this.failure) return Promise.reject(this.failure);
    // A newline would split the request in two and desynchronise every later answer.
    if (rev === '' || /[\n\r]/.test(rev)) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      if (this.queued.length === 0) setImmediate(() => this.flush());
      this.queued.push(rev);
    });
  }

  readMany(revs: readonly string[]): Promise<Array<GitObject | null>> {
    return Promise.all(revs.map((rev) => this.read(rev)));
  }

  /** Ends the process; pending requests are still answered first. */
  async close(): Promise<void> {
    this.flush();
    this.child.stdin?.end();
    await this.closed;
  }

  private flush(): void {
    if (this.queued.length === 0 || this.failure || !this.child.stdin) return;
    this.child.stdin.write(this.queued.join('\n') + '\n');
    this.queued = [];
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiting = this.pending.slice(this.head);
    this.pending = [];
    this.head = 0;
    for (const waiter of waiting) waiter.reject(this.failure);
  }

  private answer(object: GitObject | null): void {
    const waiter = this.pending[this.head++];
    if (this.head === this.pending.length) {
      this.pending = [];
      this.head = 0;
    }
    waiter?.resolve(object);
  }

  private receive(chunk: Buffer): void {
    this.parts.push(chunk);
    this.partsLength += chunk.length;
    // Large objects arrive in many chunks; join them once, not once per chunk.
    if (this.buffer.length + this.partsLength < this.needed) return;
    this.buffer = Buffer.concat([this.buffer, ...this.parts]);
    this.parts = [];
    this.partsLength = 0;
    this.parse();
  }

  private parse(): void {
    const buf = this.buffer;
    let pos = 0;
    for (;;) {
      const newline = buf.indexOf(10, pos);
      if (newline < 0) {
        this.needed = buf.length - pos + 1;
        break;
      }
      const header = buf.toString('utf8', pos, newline);
      const match = HEADER.exec(header);
      if (!match) {
        this.answer(null);
        pos = newline + 1;
        continue;
      }
      const size = Number(match[3]);
      const end = newline + 1 + size + 1;
      if (buf.length < end) {
        this.needed = end - pos;
        break;
      }
      // Copy so a small answer does not keep the whole read buffer alive.
      const content = Buffer.from(buf.subarray(newline + 1, newline + 1 + size));
      this.answer({ oid: match[1] ?? '', type: match[2] ?? '', content });
      pos = end;
    }
    this.buffer = buf.subarray(pos);
    if (this.buffer.length === 0) this.needed = 1;
  }
}

/**
 * Branch and repository-relative paths from `git status --porcelain=v2 --branch -z`
 * (git-status(1), "Porcelain Format Version 2"; porcelain paths ignore the cwd).
 */
export function parseStatusPaths(entries: readonly string[]): { branch: string; head: string; paths: string[] } {
  const paths = new Set<string>();
  let branch = '';
  let head = '';
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] ?? '';
    if (entry.startsWith('# branch.oid ')) {
      const oid = entry.slice('# branch.oid '.length);
      head = oid === '(initial)' ? '' : oid;
      continue;
    }
    if (entry.startsWith('# branch.head ')) {
      const name = entry.slice('# branch.head '.length);
      branch = name === '(detached)' ? '' : name;
      continue;
    }
    // Field counts before the path: ordinary 8, rename/copy 9 (then the original path), unmerged 10.
    const fields = { '1': 8, '2': 9, u: 10, '?': 1, '!': 1 }[entry[0] ?? ''];
    if (fields === undefined || entry[0] === '!') continue;
    paths.add(entry.split(' ').slice(fields).join(' '));
    if (entry[0] === '2') paths.add(entries[++i] ?? '');
  }
  paths.delete('');
  return { branch, head, paths: [...paths].sort() };
}

export interface LogCommit {
  commit: string;
  subject: string;
  /** Files the commit changed against its first parent; `oid` is "" for a deleted file. */
  files: Array<{ path: string; oid: string }>;
}

/**
 * Parses `git log -z --raw --no-abbrev --format=%x01%H%x00%s%x00`: each commit is `\x01`,
 * hash and subject NUL-terminated, then raw entries `:<modes> <old> <new> <status>\0<path>\0`
 * (git-diff(1), "Raw output format", with -z). Records are read in order, each field up to
 * its NUL, so a subject or path holding `\x01` cannot be mistaken for a record start. With
 * `complete` false (streaming), a record that may continue in the next chunk is left for
 * later: `consumed` says how much of `out` was used.
 */
export function parseLogRaw(out: string, complete = true): { commits: LogCommit[]; consumed: number } {
  const commits: LogCommit[] = [];
  let pos = 0;
  let consumed = 0;
  const readField = (): string | null => {
    const end = out.indexOf('\0', pos);
    if (end < 0) return null;
    const text = out.slice(pos, end);
    pos = end + 1;
    return text;
  };
  while (pos < out.length) {
    if (out[pos] !== '\x01') {
      consumed = ++pos;
      continue;
    }
    pos++;
    const commit = readField();
    const subject = commit === null ? null : readField();
    if (commit === null || subject === null) break;
    const entry: LogCommit = { commit, subject, files: [] };
    let whole = true;
    for (;;) {
      while (out[pos] === '\n' || out[pos] === '\0') pos++;
      if (out[pos] !== ':') break;
      const fields = readField()?.split(' ');
      const path = fields ? readField() : null;
      if (!fields || path === null) {
        whole = false;
        break;
      }
      const oid = fields[3] ?? '';
      entry.files.push({ path, oid: /^0*$/.test(oid) ? '' : oid });
    }
    if (!whole || (pos >= out.length && !complete)) break;
    commits.push(entry);
    consumed = pos;
  }
  return { commits, consumed };
}

export interface DeadlineResult {
  stdout: string;
  stderr: string;
  /** null when git was stopped at the deadline. */
  exitCode: number | null;
  timedOut: boolean;
}

/**
 * Runs git with a deadline, for commands that talk to a remote (`git ls-remote`): at the
 * deadline git and every process it started (ssh, git-remote-https) are killed as a group, and
 * the answer is returned at once, without waiting for pipes a surviving helper may hold open.
 */
export function runGitWithDeadline(cwd: string, env: Env, args: readonly string[], timeoutMs: number): Promise<DeadlineResult> {
  return new Promise((resolve) => {
    const child = spawn('git', args, { cwd, env: gitEnv(env), windowsHide: true, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (result: DeadlineResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      child.stdout.destroy();
      child.stderr.destroy();
      finish({ stdout, stderr, exitCode: null, timedOut: true });
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', (error) => finish({ stdout, stderr: error.message, exitCode: null, timedOut: false }));
    child.on('close', (code) => finish({ stdout, stderr, exitCode: code, timedOut: false }));
  });
}
