import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { collectFacts, type GitHubRead, type HookInput } from '../facts/collect.js';
import { FACT_NAMES, type CollectedFacts, type FactName, type Facts } from '../facts/model.js';
import { completeFacts } from '../engine/evaluate.js';
import type { Policy } from '../policy/model.js';
import { validateFacts } from '../generated/validators.js';
import { UsageError } from './context.js';

export interface GatherRequest {
  cwd: string;
  /** Facts saved by `policy facts`, replayed instead of reading the repository. */
  factsFile: string | null;
  policy: Policy;
  needs: FactName[];
  gate: { name: string; arg: string };
  /** The package whose release the `release` fact folds; default the journal's last. */
  releasePackage?: string;
  /** What a hook was given (pre-push lines, the tag's commit). */
  hook?: HookInput;
  /** The `repo` fields the rules read; null or absent: all. */
  repoFields?: string[] | null;
  /** Whether the push fact lists its commits (default true). */
  pushCommits?: boolean;
  /** Skip network facts. */
  offline?: boolean;
  env: NodeJS.ProcessEnv;
  toolVersion?: string;
  /** The command's one GitHub read, shared between its collects. */
  githubRead?: GitHubRead;
  /** A git hook is asking (GitHub only for an open release or a pushed release tag). */
  viaHook?: boolean;
  /** The issue whose release state GitHub is asked for. */
  issue?: number;
}

/** Facts from the repository, or from a saved file so any verdict can be reproduced. */
export async function gatherFacts(request: GatherRequest): Promise<CollectedFacts> {
  if (request.factsFile) return readFactsFile(resolve(request.cwd, request.factsFile), request.gate);
  return collectFacts({
    cwd: request.cwd,
    env: request.env,
    packages: request.policy.packages,
    defaultBranch: request.policy.defaultBranch,
    needs: request.needs,
    gate: request.gate,
    issuePatterns: request.policy.issues.branch,
    allowPaths: request.policy.blocked.allowPaths,
    ...(request.releasePackage === undefined ? {} : { releasePackage: request.releasePackage }),
    ...(request.hook === undefined ? {} : { hook: request.hook }),
    ...(request.repoFields == null ? {} : { repoFields: request.repoFields }),
    ...(request.pushCommits === false ? { pushCommits: false } : {}),
    offline: request.offline ?? false,
    ...(request.toolVersion === undefined ? {} : { toolVersion: request.toolVersion }),
    github: request.policy.github,
    ...(request.githubRead === undefined ? {} : { githubRead: request.githubRead }),
    ...(request.viaHook === true ? { viaHook: true } : {}),
    ...(request.issue === undefined ? {} : { issue: request.issue }),
  });
}

export function readFactsFile(file: string, gate: { name: string; arg: string }): CollectedFacts {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read facts file ${file}: ${(error as Error).message}`, 'Save facts with `policy facts > FILE`.');
  }
  const shape = 'The file must be the JSON that `policy facts` prints: { "facts": {...}, "unavailable": {...} }.';
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new UsageError(`facts file ${file}: expected a JSON object, got ${Array.isArray(data) ? 'a list' : JSON.stringify(data)}`, shape);
  }
  const record = data as { facts?: Record<string, unknown>; unavailable?: unknown };
  const partial = record.facts ?? {};
  const saved = readUnavailable(file, record.unavailable, shape);
  if (!validateFacts(partial)) {
    const first = validateFacts.errors?.[0];
    throw new UsageError(
      `facts file ${file}: facts${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}${
        first?.params && 'additionalProperty' in first.params ? ` ("${String(first.params.additionalProperty)}")` : ''
      }`,
      shape,
    );
  }
  const complete = completeFacts(partial);
  const facts: Partial<Facts> = { gate };
  const unavailable: Partial<Record<FactName, string>> = { ...saved };
  for (const name of FACT_NAMES) {
    if (name === 'gate') continue; // the gate asked now wins over the one the facts were saved for
    if (name in partial) (facts as Record<string, unknown>)[name] = complete[name];
    // A fact the file lacks is unknown, not empty: rules that need it must not pass silently.
    else unavailable[name] ??= `not in the facts file ${file}`;
  }
  return { facts, unavailable };
}

/** `unavailable`: fact name → reason, both strings; absent means none. */
function readUnavailable(file: string, value: unknown, shape: string): Record<string, string> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`facts file ${file}: "unavailable" must be an object of fact name to reason, got ${describe(value)}`, shape);
  }
  for (const [key, reason] of Object.entries(value)) {
    if (typeof reason !== 'string') {
      throw new UsageError(
        `facts file ${file}: unavailable.${key} must be a string (why the fact could not be read), got ${describe(reason)}`,
        shape,
      );
    }
  }
  return value as Record<string, string>;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'an object';
  return JSON.stringify(value) ?? String(value);
}
