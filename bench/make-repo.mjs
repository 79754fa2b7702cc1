// Builds the benchmark repository: a Cargo workspace with 20,000 commits on `main` and
// 10,000 release tags `v{version}` (every other one annotated). The crate's version changes
// every other commit and each tag points at the commit that set its version. One
// `git fast-import` process is fed a stream, so the build takes a few seconds.
//
// Usage: node bench/make-repo.mjs DIR [TAGS]   (default 10,000 tags and twice as many
// commits; reuses DIR when a previous build completed)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const TAGS = Number(process.argv[3] ?? 10_000);
const COMMITS = TAGS * 2;
const DONE = 'release-policy-bench-v2.done';
const BUILDING = 'release-policy-bench.building';
const started = performance.now();

const dir = process.argv[2] ? resolve(process.argv[2]) : '';
if (!dir) {
  process.stderr.write('usage: node bench/make-repo.mjs DIR\n');
  process.exit(2);
}
if (existsSync(join(dir, '.git', DONE))) {
  console.log(`bench repo ${dir}: reused (${COMMITS} commits, ${TAGS} tags)`);
  process.exit(0);
}
// Only an empty directory or our own unfinished build is ever deleted.
if (existsSync(dir) && readdirSync(dir).length > 0) {
  if (!existsSync(join(dir, '.git', BUILDING))) {
    process.stderr.write(`${dir} exists and is not a bench repository; choose another DIR\n`);
    process.exit(2);
  }
  rmSync(dir, { recursive: true, force: true });
}
mkdirSync(dir, { recursive: true });

const env = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: process.platform === 'win32' ? 'NUL' : '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
};
const git = (...args) => execFileSync('git', args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit'] });
git('-c', 'init.defaultBranch=main', 'init', '-q', '.');
writeFileSync(join(dir, '.git', BUILDING), '');

/** Version k: 1.0.0, 1.0.1, ... 1.0.99, 1.1.0, ... 1.99.99. */
const versionOf = (k) => `1.${Math.floor(k / 100)}.${k % 100}`;
const latest = versionOf(TAGS - 1);

const manifest = (version) => `[workspace]
members = [".", "crates/demo-macros"]
resolver = "2"

[workspace.package]
version = "${version}"
edition = "2021"
license = "MIT"
repository = "https://example.com/demo"

[package]
name = "demo"
version.workspace = true
edition.workspace = true
license.workspace = true

[dependencies]
demo-macros = { path = "crates/demo-macros" }
serde = { version = "1", features = ["derive"] }
`;

const policy = `version: 1
extends: [recommended]
packages:
  - name: demo
    ecosystem: cargo
    manifest: Cargo.toml
    registry: crates-io
    tag: "v{version}"
    releaseNotes: "RELEASE_v{version}.md"
`;

const notes = `# v${latest} - Benchmark release\n\n## What's in this release\n\n- Benchmark release.\n\n## Validation\n\n- bench\n`;
const macros = '[package]\nname = "demo-macros"\nversion.workspace = true\nedition.workspace = true\n';

const data = (text) => `data ${Buffer.byteLength(text)}\n${text}\n`;
const file = (path, text) => `M 100644 inline ${path}\n${data(text)}`;
const person = (i) => `Bench <bench@example.com> ${1_600_000_000 + i * 600} +0000`;

/** The fast-import stream for commit i, and the tag of its version when it sets one. */
function commitStream(i) {
  const k = Math.floor(i / 2);
  const bump = i % 2 === 0;
  let out = `commit refs/heads/main\nmark :${i + 1}\nauthor ${person(i)}\ncommitter ${person(i)}\n`;
  out += data(bump ? `Release ${versionOf(k)}` : `Work after ${versionOf(k)}`);
  if (i === 0) {
    out += file('crates/demo-macros/Cargo.toml', macros) + file('crates/demo-macros/src/lib.rs', '');
    out += file('README.md', '# demo\n') + file('release-policy.yml', policy);
  }
  if (bump) out += file('Cargo.toml', manifest(versionOf(k)));
  else out += file('src/lib.rs', `pub const BUILD: u32 = ${i};\n`);
  if (i === COMMITS - 1) out += file(`RELEASE_v${latest}.md`, notes);
  out += '\n';
  if (bump && k % 2 === 0) out += `tag v${versionOf(k)}\nfrom :${i + 1}\ntagger ${person(i)}\n${data(`demo ${versionOf(k)}`)}`;
  else if (bump) out += `reset refs/tags/v${versionOf(k)}\nfrom :${i + 1}\n\n`;
  return out;
}

const importer = spawn('git', ['fast-import', '--quiet'], { cwd: dir, env, stdio: ['pipe', 'ignore', 'inherit'] });
const finished = new Promise((resolveExit, reject) => {
  importer.on('error', reject);
  importer.on('close', (code) => (code === 0 ? resolveExit() : reject(new Error(`git fast-import exited with ${code}`))));
});
for (let i = 0; i < COMMITS; i += 500) {
  let chunk = '';
  for (let j = i; j < Math.min(i + 500, COMMITS); j++) chunk += commitStream(j);
  if (!importer.stdin.write(chunk)) await new Promise((drained) => importer.stdin.once('drain', drained));
}
importer.stdin.end();
await finished;

// Packed refs and a checked-out work tree, as in a clone.
git('pack-refs', '--all', '--prune');
git('reset', '-q', '--hard', 'main');
rmSync(join(dir, '.git', BUILDING));
writeFileSync(join(dir, '.git', DONE), `${COMMITS} commits, ${TAGS} tags\n`);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`bench repo ${dir}: built ${COMMITS} commits, ${TAGS} tags in ${seconds}s`);
