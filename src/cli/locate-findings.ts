// The IO half of locating findings: reads the manifests, workspace roots and release notes
// that src/report/locate.ts asks for, nothing when the verdict has no finding (hooks pay
// nothing while all is well).
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Verdict } from '../engine/model.js';
import { readRegularText } from '../fs/read-regular.js';
import { findRepoRoot } from '../policy/locate.js';
import { filesToRead, inRepository, locateFindings, type LocateIndex } from '../report/locate.js';
import type { LoadedPolicy } from './load.js';

/** Each round reads the files the last one showed to be needed (a manifest, then the workspace root above it). */
const MAX_ROUNDS = 32;

export function locateVerdict(cwd: string, loaded: LoadedPolicy, verdict: Verdict): Verdict {
  if (verdict.findings.length === 0 && verdict.waived.length === 0) return verdict;
  const root = repositoryRoot(cwd);
  const files = new Map<string, string | null>();
  const index: LocateIndex = { root, policy: loaded.policy, catalogue: loaded.catalogue, files };
  const findings = [...verdict.findings, ...verdict.waived];
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const needs = filesToRead(findings, index);
    if (needs.length === 0) break;
    for (const path of needs) files.set(path, readInside(root, path));
  }
  return locateFindings(verdict, index);
}

/** The policy file as SARIF's fallback location wants it: repository-relative, or undefined outside it (or the built-in policy). */
export function policyFileInRepository(cwd: string, loaded: LoadedPolicy): string | undefined {
  return inRepository({ file: loaded.policy.file, line: 1, col: 1 }, repositoryRoot(cwd))?.file;
}

function repositoryRoot(cwd: string): string {
  return findRepoRoot(cwd) ?? resolve(cwd);
}

/** A repository file's text; null when absent, not a regular file, or outside the repository (a policy path with `..`). */
function readInside(root: string, path: string): string | null {
  const file = join(root, path);
  const inside = relative(root, file);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return null;
  return readRegularText(file);
}
