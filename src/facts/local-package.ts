// The checksum of the package as we would upload it, to tell "our upload landed" from "someone
// else's content holds the version" when the registry already has the version under release.
//
// Cargo: `cargo package --no-verify` in a temporary worktree at the commit the publish ran on,
// sha256 of the .crate (the registry's `cksum` is the sha256 of the uploaded .crate). The
// worktree matters: the .crate carries `.cargo_vcs_info.json` with the commit it was made from,
// so packaging a later HEAD, or a dirty tree, gives other bytes for the same sources. Cargo's
// tarballs are otherwise reproducible (fixed mtimes and order), which the tests check.
// npm: `npm pack --dry-run --json` prints the tarball's `integrity` (sha512), the packument's
// `dist.integrity`.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { git } from './git.js';

export type LocalChecksum = { checksum: string } | { reason: string };

export interface LocalPackageRequest {
  /** The repository's work tree root. */
  root: string;
  ecosystem: 'cargo' | 'npm';
  /** Manifest path relative to root. */
  manifest: string;
  name: string;
  version: string;
  /** The commit the publish ran on; null: HEAD. */
  commit: string | null;
  /** Cargo: `-p NAME` for a workspace member whose own manifest was not found (packaged from `manifest`'s workspace). */
  cargoPackage?: string;
  env: NodeJS.ProcessEnv;
}

/** Never throws: a package that cannot be made gives the reason instead. */
export async function localChecksum(request: LocalPackageRequest): Promise<LocalChecksum> {
  try {
    return request.ecosystem === 'cargo' ? await crateChecksum(request) : await npmIntegrity(request);
  } catch (error) {
    return { reason: (error as Error).message };
  }
}

async function crateChecksum(request: LocalPackageRequest): Promise<LocalChecksum> {
  const commit = request.commit ?? (await git(request.root, request.env, ['rev-parse', '--verify', 'HEAD'])).trim();
  // The caller's TMPDIR, as a fresh process of the caller's would use.
  const scratch = mkdtempSync(join(request.env.TMPDIR || tmpdir(), 'release-policy-package-'));
  const tree = join(scratch, 'tree');
  try {
    // No hooks: a user's post-checkout hook has no business running for our scratch checkout.
    await git(request.root, request.env, ['-c', 'core.hooksPath=/dev/null', 'worktree', 'add', '--detach', '--quiet', tree, commit]);
    try {
      // The publish packaged the work tree's Cargo.lock, which is often not committed.
      const lock = lockFileBeside(request.root, request.manifest);
      if (lock !== null) copyFileSync(join(request.root, lock), join(tree, lock));
      const manifest = join(tree, request.manifest);
      const target = join(scratch, 'target');
      const result = await run('cargo', ['package', '--no-verify', '--quiet', '--manifest-path', manifest, ...(request.cargoPackage ? ['-p', request.cargoPackage] : []), '--target-dir', target], tree, request.env);
      if (result.code !== 0) {
        const why = result.stderr.trim().split('\n').filter((line) => line.trim() !== '').slice(-3).join(' / ');
        return { reason: `\`cargo package\` at commit ${commit.slice(0, 12)} failed (exit ${result.code ?? 'none'}): ${why}` };
      }
      const crate = join(target, 'package', `${request.name}-${request.version}.crate`);
      if (!existsSync(crate)) return { reason: `\`cargo package\` made no ${request.name}-${request.version}.crate: is the manifest's version ${request.version}?` };
      return { checksum: createHash('sha256').update(readFileSync(crate)).digest('hex') };
    } finally {
      await git(request.root, request.env, ['-c', 'core.hooksPath=/dev/null', 'worktree', 'remove', '--force', tree]).catch(() => undefined);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Cargo.lock in the manifest's folder or the nearest folder above it within the repository. */
function lockFileBeside(root: string, manifest: string): string | null {
  let dir = dirname(manifest);
  for (;;) {
    const candidate = dir === '.' ? 'Cargo.lock' : join(dir, 'Cargo.lock');
    if (existsSync(join(root, candidate))) return candidate;
    if (dir === '.' || dir === '') return null;
    dir = dirname(dir);
  }
}

async function npmIntegrity(request: LocalPackageRequest): Promise<LocalChecksum> {
  const folder = join(request.root, dirname(request.manifest));
  const result = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], folder, request.env);
  if (result.code !== 0) return { reason: `\`npm pack --dry-run\` failed (exit ${result.code ?? 'none'}): ${result.stderr.trim().split('\n').slice(-2).join(' / ')}` };
  const parsed = JSON.parse(result.stdout) as { integrity?: string; version?: string }[];
  const integrity = parsed[0]?.integrity;
  if (typeof integrity !== 'string') return { reason: '`npm pack --dry-run --json` printed no integrity' };
  if (parsed[0]?.version !== request.version) return { reason: `the package.json version is ${parsed[0]?.version ?? 'missing'}, not ${request.version}` };
  return { checksum: integrity };
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: { ...env, CARGO_TERM_COLOR: 'never' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ code: null, stdout, stderr: error.code === 'ENOENT' ? `${command} is not on PATH` : error.message }),
    );
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
