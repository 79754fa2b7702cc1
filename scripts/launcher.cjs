#!/usr/bin/env node
'use strict';
// The `policy` command's entry: runs the bundle (policy.cjs beside this file) through a V8
// code cache. Node 20 has no module.enableCompileCache(), and compiling the 400 KB bundle
// on every hook run cost ~8 ms of a ~45 ms budget (bench/); with the cache it is ~1 ms.
// The cache is per user, keyed on the bundle's path, size and mtime, and V8 itself
// rejects a cache that does not match the source, so a stale one only costs speed.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const bundle = path.join(__dirname, 'policy.cjs');

/** A short stamp of the bundle as built and the Node that runs it, with `extra` (djb2, hex). */
function stamp(extra) {
  const stat = fs.statSync(bundle);
  let hash = 5381;
  for (const ch of `${bundle}:${stat.size}:${stat.mtimeMs}:${process.version}:${extra}`) hash = ((hash * 33) ^ ch.charCodeAt(0)) >>> 0;
  return hash.toString(16);
}

function cacheFile() {
  if (process.env.POLICY_CODE_CACHE === '0') return null;
  const base = process.env.XDG_CACHE_HOME || (require('node:os').homedir() ? path.join(require('node:os').homedir(), '.cache') : '');
  if (!base) return null;
  // One cache per command and gate: the cache holds the functions its first run compiled,
  // so a hook's cache must not be the one an audit happened to write first.
  const args = process.argv.slice(2);
  const gate = args.includes('--gate') ? args[args.indexOf('--gate') + 1] : '';
  const kind = `${/^[a-z-]+$/.test(args[0] || '') ? args[0] : 'other'}${/^[a-z-]+$/.test(gate || '') ? `-${gate}` : ''}`;
  return path.join(base, 'release-policy', `code-${stamp(process.arch)}-${kind}.bin`);
}

/** Runs the bundle in this process (through the code cache). */
function runBundle() {
  let source = fs.readFileSync(bundle, 'utf8');
  if (source.startsWith('#!')) source = `//${source.slice(2)}`;
  const file = cacheFile();
  let cachedData;
  if (file) {
    try {
      cachedData = fs.readFileSync(file);
    } catch {
      cachedData = undefined;
    }
  }
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
  if (file && (cachedData === undefined || script.cachedDataRejected)) {
    // Written at exit, after the run compiled the functions it used, so the next run skips them too.
    process.once('exit', () => {
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        const temp = `${file}.${process.pid}`;
        fs.writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(temp, file);
        // Caches of earlier builds are never read again; drop those unused for a week.
        const dir = path.dirname(file);
        for (const name of fs.readdirSync(dir)) {
          const other = path.join(dir, name);
          if (name.startsWith('code-') && Date.now() - fs.statSync(other).atimeMs > 7 * 86400000) fs.rmSync(other, { force: true });
        }
      } catch {
        // An unwritable cache folder only costs speed.
      }
    });
  }
  const bundleModule = { exports: {} };
  script.runInThisContext()(bundleModule.exports, Module.createRequire(bundle), bundleModule, bundle, path.dirname(bundle));
}

// ---- The hook daemon (src/cli/daemon.ts) ------------------------------------------------------
// A hook that reaches the engine asks a warm `policy` process first: it skips loading the
// bundle and CEL and the JIT's first runs (bench/hooks.mjs). No daemon answering: the hook runs
// here, and a daemon is started for the next call. POLICY_DAEMON=0 turns it off; so does CI
// (one-shot machines gain nothing from it).

/** The socket of the daemon for this bundle and Node, in a folder only this user can enter; null: none. */
function daemonSocket() {
  try {
    const os = require('node:os');
    const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
    if (uid < 0) return null;
    const dir = path.join(process.env.XDG_RUNTIME_DIR || os.tmpdir(), `release-policy-${uid}`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const folder = fs.lstatSync(dir);
    // Someone else's folder, a symlink, or one others may enter: no daemon, run here.
    if (!folder.isDirectory() || folder.uid !== uid || (folder.mode & 0o077) !== 0) return null;
    return path.join(dir, `hook-${stamp(process.execPath)}.sock`);
  } catch {
    return null;
  }
}

/**
 * The daemon's own environment: a few harmless variables, not this caller's. Every request
 * brings its own environment (src/cli/daemon.ts); the caller's would otherwise stay in the
 * daemon's process (readable in /proc/<pid>/environ) for as long as it lives, tokens included.
 */
function daemonEnv() {
  const env = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'XDG_CACHE_HOME', 'POLICY_CODE_CACHE']) if (process.env[name] !== undefined) env[name] = process.env[name];
  return env;
}

function startDaemon(socket) {
  try {
    const { spawn } = require('node:child_process');
    // cwd / : the daemon must not keep a repository's folder busy.
    spawn(process.execPath, [__filename, '__daemon', socket], { cwd: '/', detached: true, stdio: 'ignore', env: daemonEnv() }).unref();
  } catch {
    // Only speed is lost.
  }
}

/** Sends the hook to the daemon; resolves true when it answered (output printed, exit code set). */
function askDaemon(socket, args) {
  // Hooks with stdin (pre-push, reference-transaction): read once, and kept for a run here.
  let stdin = '';
  if (args[1] === 'pre-push' || args[1] === 'reference-transaction') {
    try {
      stdin = fs.readFileSync(0, 'utf8');
    } catch {
      stdin = '';
    }
  }
  globalThis.__policyStdin = stdin;
  return new Promise((resolve) => {
    const net = require('node:net');
    const request = { argv: args, cwd: process.cwd(), env: process.env, stdin, tty: require('node:tty').isatty(1) };
    const connection = net.createConnection(socket);
    let answer = '';
    let settled = false;
    const done = (served) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      connection.destroy();
      resolve(served);
    };
    // A daemon that does not answer in time is left alone; the hook runs here.
    const timer = setTimeout(() => done(false), 30000);
    connection.setEncoding('utf8');
    connection.on('connect', () => connection.write(`${JSON.stringify(request)}\n`));
    connection.on('data', (chunk) => {
      answer += chunk;
      if (!answer.endsWith('\n')) return;
      let parsed;
      try {
        parsed = JSON.parse(answer);
      } catch {
        return done(false);
      }
      if (parsed.stdout) process.stdout.write(parsed.stdout);
      if (parsed.stderr) process.stderr.write(parsed.stderr);
      if (process.env.POLICY_DEBUG === '1') process.stderr.write(`policy: served by the hook daemon (pid ${parsed.pid})\n`);
      process.exitCode = parsed.code;
      done(true);
    });
    connection.on('error', (error) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') startDaemon(socket);
      done(false);
    });
    connection.on('close', () => done(false));
  });
}

const args = process.argv.slice(2);
const socket = args[0] === 'hook' && process.env.POLICY_DAEMON !== '0' && !process.env.CI ? daemonSocket() : null;
if (socket === null) runBundle();
else askDaemon(socket, args).then((served) => served || runBundle());
