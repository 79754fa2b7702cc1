// The hook daemon: a warm `policy` process that serves `policy hook ...` calls over a Unix
// socket, so that a hook on the engine path pays for starting Node but not for loading the
// bundle, the CEL library and the JIT's first runs again (bench/hooks.mjs: the engine path's
// work falls from ~40 ms to ~12 ms). The launcher (scripts/launcher.cjs) connects, sends one
// request and prints the answer; when no daemon answers it runs the hook itself and starts
// one for the next call.
//
// Safety: each request runs exactly as a fresh process would (its own argv, working
// directory, environment and stdin; every fact is read again, the policy's load cache is
// checked again). The request's folder and environment are handed to the command as inputs
// (ctx.cwd, ctx.env, down to every git the collectors start): this process's own environment
// and working directory are never changed, so a caller's variables (a GITHUB_TOKEN among them)
// are neither seen by the next request nor kept once the request is answered. The launcher
// starts the daemon with a few harmless variables only, for the same reason. Requests are
// still served one at a time: a user's hooks rarely overlap, and one request's memory at a
// time is all the daemon holds. The socket sits in a folder only its user can enter. The daemon ends after IDLE_MS without a request;
// a rebuilt bundle gets a new socket name (the launcher's stamp), so an old daemon is never
// asked again and idles out.
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { UsageError, type CliContext } from './context.js';
import type { CliIo } from './main.js';

const IDLE_MS = 10 * 60 * 1000;
/** A request larger than this is refused (stdin of a pre-push is a few lines per ref). */
const MAX_REQUEST = 16 * 1024 * 1024;

/** What the launcher sends: one JSON line. */
export interface DaemonRequest {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  stdin: string;
  /** Whether the launcher's stdout is a terminal (for colour). */
  tty: boolean;
}

/** What the daemon answers: one JSON line. */
export interface DaemonAnswer {
  stdout: string;
  stderr: string;
  code: number;
  pid: number;
}

type Main = (argv: string[], io: CliIo) => Promise<number>;

export async function runDaemon(_ctx: CliContext, argv: string[], main: Main): Promise<number> {
  const [socketPath] = argv;
  if (socketPath === undefined) throw new UsageError('the hook daemon needs its socket path');
  if (!(await claim(socketPath))) return 0; // another daemon answers already
  let queue: Promise<void> = Promise.resolve();
  let idle: NodeJS.Timeout;
  const server = createServer((socket) => {
    clearTimeout(idle);
    readRequest(socket).then(
      (request) => {
        queue = queue.then(() => serve(request, main).then((answer) => void socket.end(`${JSON.stringify(answer)}\n`)));
        return queue;
      },
      () => void socket.destroy(),
    ).finally(armIdle);
  });
  const stop = (): void => {
    server.close();
    rmSync(socketPath, { force: true });
    rmSync(`${socketPath}.pid`, { force: true });
  };
  function armIdle(): void {
    clearTimeout(idle);
    idle = setTimeout(stop, IDLE_MS);
    idle.unref();
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  chmodSync(socketPath, 0o600);
  writeFileSync(`${socketPath}.pid`, `${process.pid}\n`, { mode: 0o600 });
  process.once('SIGTERM', () => {
    stop();
    process.exit(0);
  });
  armIdle();
  await new Promise<void>((resolve) => server.once('close', () => resolve()));
  return 0;
}

/** True when the socket path is ours to listen on: no file, or a stale one nobody answers on. */
async function claim(socketPath: string): Promise<boolean> {
  if (!existsSync(socketPath)) return true;
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) return false;
  rmSync(socketPath, { force: true });
  return true;
}

function readRequest(socket: Socket): Promise<DaemonRequest> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > MAX_REQUEST) socket.destroy(new Error('request too large'));
      const end = text.indexOf('\n');
      if (end === -1) return;
      const line = text.slice(0, end);
      // The raw line holds the caller's environment: not kept while the socket lives on.
      text = '';
      try {
        resolve(JSON.parse(line) as DaemonRequest);
      } catch (error) {
        reject(error as Error);
      }
    });
    socket.on('error', reject);
    socket.on('end', () => reject(new Error('request ended early')));
  });
}

/** One request, run as a fresh process would run it, with the request's folder and environment as its own. */
async function serve(request: DaemonRequest, main: Main): Promise<DaemonAnswer> {
  const out: string[] = [];
  const err: string[] = [];
  let code: number;
  try {
    code = await main(request.argv, {
      cwd: request.cwd,
      env: requestEnv(request.env),
      stdout: (text) => void out.push(text),
      stderr: (text) => void err.push(text),
      tty: request.tty,
      readStdin: async () => request.stdin,
    });
  } catch (error) {
    err.push(`policy: the hook daemon could not run the hook: ${(error as Error).message}\n`);
    code = 2;
  } finally {
    // The answer is all that outlives the request: its environment and stdin are let go here,
    // whatever still holds the request object (the socket's closures until it closes).
    request.env = {};
    request.stdin = '';
  }
  return { stdout: out.join(''), stderr: err.join(''), code, pid: process.pid };
}

/** The request's environment as a fresh object of strings (JSON may carry anything). */
function requestEnv(env: unknown): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  if (env === null || typeof env !== 'object') return out;
  for (const [key, value] of Object.entries(env)) if (typeof value === 'string') out[key] = value;
  return out;
}
