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
let source = fs.readFileSync(bundle, 'utf8');
if (source.startsWith('#!')) source = `//${source.slice(2)}`;

function cacheFile() {
  if (process.env.POLICY_CODE_CACHE === '0') return null;
  const base = process.env.XDG_CACHE_HOME || (require('node:os').homedir() ? path.join(require('node:os').homedir(), '.cache') : '');
  if (!base) return null;
  const stat = fs.statSync(bundle);
  let hash = 5381;
  for (const ch of `${bundle}:${stat.size}:${stat.mtimeMs}:${process.version}:${process.arch}`) hash = ((hash * 33) ^ ch.charCodeAt(0)) >>> 0;
  // One cache per command and gate: the cache holds the functions its first run compiled,
  // so a hook's cache must not be the one an audit happened to write first.
  const args = process.argv.slice(2);
  const gate = args.includes('--gate') ? args[args.indexOf('--gate') + 1] : '';
  const kind = `${/^[a-z-]+$/.test(args[0] || '') ? args[0] : 'other'}${/^[a-z-]+$/.test(gate || '') ? `-${gate}` : ''}`;
  return path.join(base, 'release-policy', `code-${hash.toString(16)}-${kind}.bin`);
}

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
