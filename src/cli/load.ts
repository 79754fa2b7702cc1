import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createCelRoot, type CelRoot } from '../engine/cel-env.js';
import { compileRule, type CompiledRule } from '../engine/compile.js';
import type { RuleRun } from '../engine/evaluate.js';
import type { RuleDefinition } from '../engine/model.js';
import { compileWaivers, type CompiledWaiver } from '../engine/waivers.js';
import { formatDiagnostic } from '../policy/diagnostics.js';
import type { Diagnostic, Policy } from '../policy/model.js';
import { findPolicyFile, readPolicy, resolveRuleSettings } from '../policy/read-policy.js';
import { builtInRulesDir, loadRuleDirs } from '../policy/read-rules.js';
import { PolicyError, UsageError, type CliContext } from './context.js';

export interface LoadedPolicy {
  policy: Policy;
  catalogue: RuleDefinition[];
  settings: Map<string, { severity: 'off' | 'warn' | 'error'; options: Record<string, unknown> }>;
  root: CelRoot;
  compiled: Map<string, CompiledRule>;
  waivers: CompiledWaiver[];
}

export function resolveCwd(ctx: CliContext, cwdFlag: unknown): string {
  return typeof cwdFlag === 'string' ? resolve(ctx.cwd, cwdFlag) : ctx.cwd;
}

/** The policy file to use: --policy, else release-policy.yml from cwd up to the repository root. */
export function locatePolicy(cwd: string, policyFlag: unknown): string {
  if (typeof policyFlag === 'string') return resolve(cwd, policyFlag);
  const found = findPolicyFile(cwd);
  if (!found) {
    throw new UsageError(
      `no release-policy.yml found from ${cwd} up to the repository root`,
      'Create one (see the README, "The policy file"), or pass --policy FILE.',
    );
  }
  return found;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} ${file}: ${code === 'ENOENT' ? 'file not found' : (error as Error).message}`);
  }
}

/**
 * Reads the policy and every rule, resolves severities and options, and compiles every
 * enabled rule and waiver. All problems are collected and reported together (exit 2).
 */
export function loadPolicy(file: string): LoadedPolicy {
  const diagnostics: Diagnostic[] = [];
  const read = readPolicy(file, readText(file, 'policy'));
  diagnostics.push(...read.diagnostics);
  if (!read.policy) throw new PolicyError(diagnostics.map(formatDiagnostic));
  const policy = read.policy;

  const rules = loadRuleDirs(policy.rulesDirs, builtInRulesDir());
  diagnostics.push(...rules.diagnostics);
  const resolved = resolveRuleSettings(policy, rules.rules);
  diagnostics.push(...resolved.diagnostics);

  const root = createCelRoot();
  const compiled = new Map<string, CompiledRule>();
  for (const rule of rules.rules) {
    if ((resolved.settings.get(rule.id)?.severity ?? 'off') === 'off') continue;
    const result = compileRule(root, rule);
    diagnostics.push(...result.diagnostics);
    if (result.value) compiled.set(rule.id, result.value);
  }
  const waivers = compileWaivers(root, policy.waivers);
  diagnostics.push(...waivers.diagnostics);

  if (diagnostics.length > 0) throw new PolicyError(diagnostics.map(formatDiagnostic));
  return { policy, catalogue: rules.rules, settings: resolved.settings, root, compiled, waivers: waivers.waivers };
}

/** The rules a gate evaluates: enabled, and listing the gate. */
export function planGate(loaded: LoadedPolicy, gate: string): RuleRun[] {
  const runs: RuleRun[] = [];
  for (const [id, rule] of loaded.compiled) {
    const setting = loaded.settings.get(id);
    if (!setting || setting.severity === 'off') continue;
    if (!(rule.definition.gates as string[]).includes(gate)) continue;
    runs.push({ rule, severity: setting.severity, options: setting.options });
  }
  return runs;
}
