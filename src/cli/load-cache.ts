// A cache of the loaded policy and rules, so that a hook or gate that runs on every push
// skips YAML parsing, schema validation and type-checking when nothing changed. It is
// written only after a load that had no problems, and it is keyed on the size, mtime,
// inode and ctime of the policy, every rule file and the running build, and on a hash of
// the policy's text, so an edit is never missed. Size and mtime alone miss a same-size edit
// whose mtime was restored (`cp -p`, `rsync -t`, `touch -r`, coarse file systems); ctime
// cannot be set back by such tools, and a file replaced by rename gets a new inode.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { RuleDefinition } from '../engine/model.js';
import { findRepoRoot, gitDirsOnDisk } from '../policy/locate.js';
import type { Policy } from '../policy/model.js';

export type Settings = Map<string, { severity: 'off' | 'warn' | 'error'; options: Record<string, unknown> }>;

export interface CachedLoad {
  policy: Policy;
  catalogue: RuleDefinition[];
  settings: Settings;
}

interface CacheFile {
  fingerprint: string;
  policy: Policy;
  catalogue: RuleDefinition[];
  settings: [string, { severity: 'off' | 'warn' | 'error'; options: Record<string, unknown> }][];
}

/** Where the cache of a policy lives: beside the repository's git data, never committed. */
export function cacheFileFor(policyFile: string): string | null {
  const root = findRepoRoot(dirname(resolve(policyFile)));
  const dirs = root === null ? null : gitDirsOnDisk(root);
  if (dirs === null) return null;
  return join(dirs.gitDir, 'release-policy', `load-${hashText(resolve(policyFile))}.json`);
}

function fingerprint(policyFile: string, ruleDirs: string[], toolVersion: string): string {
  const parts = [toolVersion, stamp(fileURLToPath(import.meta.url)), stamp(policyFile), contentHash(policyFile)];
  for (const dir of ruleDirs) {
    let names: string[] = [];
    try {
      // Test tables (`<id>.test.yml`) do not change what a policy loads.
      names = readdirSync(dir).filter((n) => /(?<!\.test)\.ya?ml$/.test(n)).sort();
    } catch {
      parts.push(`${dir}:missing`);
    }
    for (const name of names) parts.push(stamp(join(dir, name)));
  }
  return parts.join('\n');
}

function stamp(file: string): string {
  try {
    const s = statSync(file);
    return `${file}:${s.size}:${s.mtimeMs}:${s.ino}:${s.ctimeMs}`;
  } catch {
    return `${file}:missing`;
  }
}

export function readLoadCache(policyFile: string, builtInDir: string, toolVersion: string): CachedLoad | null {
  const file = cacheFileFor(policyFile);
  if (!file || !existsSync(file)) return null;
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
    const expected = fingerprint(policyFile, [builtInDir, ...data.policy.rulesDirs], toolVersion);
    if (data.fingerprint !== expected) return null;
    return { policy: data.policy, catalogue: data.catalogue, settings: new Map(data.settings) };
  } catch {
    return null;
  }
}

export function writeLoadCache(policyFile: string, builtInDir: string, toolVersion: string, load: CachedLoad): void {
  const file = cacheFileFor(policyFile);
  if (!file) return;
  const data: CacheFile = {
    fingerprint: fingerprint(policyFile, [builtInDir, ...load.policy.rulesDirs], toolVersion),
    policy: load.policy,
    catalogue: load.catalogue,
    settings: [...load.settings],
  };
  try {
    mkdirSync(dirname(file), { recursive: true });
    // A concurrent reader sees the old file or the new one; a cache needs no fsync.
    writeFileAtomic(file, JSON.stringify(data), { sync: false });
  } catch {
    // A read-only git directory only costs speed.
  }
}

/**
 * The policy file's text hashed (it is a few hundred bytes, read anyway on a miss): the one
 * stamp no file system or copying tool can make look unchanged. Two independent 32-bit
 * hashes, not a cryptographic one: this guards against accidents, not attackers, and
 * node:crypto would cost every hook run a module load.
 */
function contentHash(file: string): string {
  try {
    const text = readFileSync(file, 'utf8');
    return `${file}#${text.length}:${hashText(text)}:${fnv1a(text)}`;
  } catch {
    return `${file}#missing`;
  }
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/** A short stable name for a path; node:crypto would cost the hook a module load for this. */
function hashText(text: string): string {
  let hash = 5381;
  for (let i = 0; i < text.length; i += 1) hash = ((hash * 33) ^ text.charCodeAt(i)) >>> 0;
  return hash.toString(16).padStart(8, '0');
}
