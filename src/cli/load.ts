import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createCelRoot } from '../engine/cel-env.js';
import { compileRule, compileRuleLazily, type CompiledRule } from '../engine/compile.js';
import type { RuleRun } from '../engine/evaluate.js';
import type { RuleDefinition } from '../engine/model.js';
import { compileWaivers, factsNamedBy, type CompiledWaiver } from '../engine/waivers.js';
import { FACT_NAMES, type FactName } from '../facts/model.js';
import type { Diagnostic, Policy, WaiverConfig } from '../policy/model.js';
import { builtInRulesDir, checkPolicyPath, findPolicyFile, PolicyFileProblem } from '../policy/locate.js';
import { PolicyError, UsageError, type CliContext } from './context.js';
import { readLoadCache, writeLoadCache, type Settings } from './load-cache.js';

export interface LoadedPolicy {
  policy: Policy;
  catalogue: RuleDefinition[];
  settings: Settings;
  /** Every enabled rule and waiver, compiled while checking a load that missed the cache. */
  compiled?: Compiled;
}

type Compiled = ReturnType<typeof compileEnabled>;

export interface PreparedGate {
  runs: RuleRun[];
  waivers: CompiledWaiver[];
}

export function resolveCwd(ctx: CliContext, cwdFlag: unknown): string {
  if (typeof cwdFlag !== 'string') return ctx.cwd;
  const dir = resolve(ctx.cwd, cwdFlag);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--cwd ${cwdFlag}: no such folder (${dir})`);
  return dir;
}

/** The policy file named by --policy (relative to cwd), else the one found from cwd up; null when none. */
export function findPolicy(cwd: string, policyFlag: unknown): string | null {
  try {
    if (typeof policyFlag !== 'string') return findPolicyFile(cwd);
    const file = resolve(cwd, policyFlag);
    checkPolicyPath(file);
    return file;
  } catch (error) {
    if (error instanceof PolicyFileProblem) throw new UsageError(error.message, error.hint);
    throw error;
  }
}

/** The policy file to use: --policy, else release-policy.yml from cwd up to the repository root. */
export function locatePolicy(cwd: string, policyFlag: unknown): string {
  const found = findPolicy(cwd, policyFlag);
  if (!found) {
    throw new UsageError(
      `no release-policy.yml found from ${cwd} up to the repository root`,
      'Create one (see the README, "The policy file"), or pass --policy FILE.',
    );
  }
  return found;
}

function readBytes(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} ${file}: ${code === 'ENOENT' ? 'file not found' : (error as Error).message}`);
  }
}

/**
 * Reads the policy and every rule, resolves severities and options, and type-checks every
 * enabled rule and waiver; all problems are reported together (exit 2). An unchanged
 * policy comes from the load cache without parsing anything.
 */
export async function loadPolicy(file: string, toolVersion: string): Promise<LoadedPolicy> {
  const builtIn = builtInRulesDir();
  const cached = readLoadCache(file, builtIn, toolVersion);
  if (cached) return cached;
  const bytes = readBytes(file, 'policy');
  // The YAML parser and validators load only on a cache miss.
  const [{ readPolicy, resolveRuleSettings }, { loadRuleDirs }, { formatDiagnostic }, { decodeText }] = await Promise.all([
    import('../policy/read-policy.js'),
    import('../policy/read-rules.js'),
    import('../policy/diagnostics.js'),
    import('../policy/text-bytes.js'),
  ]);
  const { text, problem } = decodeText(bytes);
  if (problem) throw new PolicyError([formatDiagnostic({ file, key: '', ...problem })]);
  const diagnostics: Diagnostic[] = [];
  const read = readPolicy(file, text);
  diagnostics.push(...read.diagnostics);
  if (!read.policy) throw new PolicyError(diagnostics.map(formatDiagnostic));
  const policy = read.policy;
  const rules = loadRuleDirs(policy.rulesDirs, builtIn);
  diagnostics.push(...rules.diagnostics);
  const resolved = resolveRuleSettings(policy, rules.rules);
  diagnostics.push(...resolved.diagnostics);
  const loaded: LoadedPolicy = { policy, catalogue: rules.rules, settings: resolved.settings };
  const compiled = compileEnabled(loaded, () => true, true);
  diagnostics.push(...compiled.diagnostics);
  if (diagnostics.length > 0) throw new PolicyError(diagnostics.map(formatDiagnostic));
  writeLoadCache(file, builtIn, toolVersion, loaded);
  return { ...loaded, compiled };
}

/**
 * Compiles the enabled rules `wanted` picks and the waivers. `checked`: the load was checked
 * already (a cache hit), so rule bodies compile lazily, on first use (compileRuleLazily).
 */
function compileEnabled(loaded: LoadedPolicy, wanted: (rule: RuleDefinition) => boolean, everyWaiver: boolean, checked = false) {
  const root = createCelRoot();
  const diagnostics: Diagnostic[] = [];
  const compiled = new Map<string, CompiledRule>();
  for (const rule of loaded.catalogue) {
    if ((loaded.settings.get(rule.id)?.severity ?? 'off') === 'off' || !wanted(rule)) continue;
    if (checked) {
      compiled.set(rule.id, compileRuleLazily(root, rule));
      continue;
    }
    const result = compileRule(root, rule);
    diagnostics.push(...result.diagnostics);
    if (result.value) compiled.set(rule.id, result.value);
  }
  const waivers = compileWaivers(
    root,
    everyWaiver ? loaded.policy.waivers : loaded.policy.waivers.filter((w) => compiled.has(w.rule)),
  );
  diagnostics.push(...waivers.diagnostics);
  return { compiled, waivers: waivers.waivers, diagnostics };
}

/** The rules a gate evaluates (enabled, listing the gate) and their waivers, uncompiled. */
export function gateDefinitions(loaded: LoadedPolicy, gate: string): GateDefinitions {
  const rules = loaded.catalogue.filter((rule) => (rule.gates as string[]).includes(gate) && (loaded.settings.get(rule.id)?.severity ?? 'off') !== 'off');
  return { rules, waivers: loaded.policy.waivers.filter((waiver) => rules.some((rule) => rule.id === waiver.rule)) };
}

export interface GateDefinitions {
  rules: RuleDefinition[];
  waivers: WaiverConfig[];
}

/** Compiles the rules a gate evaluates (enabled, listing the gate) and their waivers. */
export function prepareGate(loaded: LoadedPolicy, gate: string): PreparedGate {
  const inGate = (rule: RuleDefinition): boolean => (rule.gates as string[]).includes(gate);
  const { compiled, waivers, diagnostics } = loaded.compiled ?? compileEnabled(loaded, inGate, false, true);
  // Everything compiled cleanly when the load was checked; a problem now is a bug, not a user error.
  if (diagnostics.length > 0) throw new Error(`rules failed to compile after loading: ${diagnostics[0]?.message}`);
  const runs: RuleRun[] = [];
  for (const [id, rule] of compiled) {
    if (!inGate(rule.definition)) continue;
    const setting = loaded.settings.get(id);
    if (setting && setting.severity !== 'off') runs.push({ rule, severity: setting.severity, options: setting.options });
  }
  return { runs, waivers: waivers.filter((w) => runs.some((run) => run.rule.definition.id === w.config.rule)) };
}

/** The facts the rules declare, plus those the waivers' `when` expressions name. */
export function factsNeeded({ rules, waivers }: GateDefinitions): FactName[] {
  const needs = new Set<FactName>(['gate']);
  for (const rule of rules) for (const fact of rule.facts) needs.add(fact);
  for (const fact of factsNamedBy(waivers, FACT_NAMES)) needs.add(fact);
  return [...needs];
}

/** A compiled gate's definitions, for factsNeeded. */
export function definitionsOf({ runs, waivers }: PreparedGate): GateDefinitions {
  return { rules: runs.map((run) => run.rule.definition), waivers: waivers.map((waiver) => waiver.config) };
}

/**
 * Every rule, with the policy when one is found (its rulesDir, effective severities); else
 * the built-in rules alone. A broken policy is reported, never skipped.
 */
export async function loadCatalogue(
  ctx: CliContext,
  cwd: string,
  policyFlag: unknown,
): Promise<{ rules: RuleDefinition[]; loaded: LoadedPolicy | null }> {
  const file = findPolicy(cwd, policyFlag);
  if (file) {
    const loaded = await loadPolicy(file, ctx.toolVersion);
    return { rules: loaded.catalogue, loaded };
  }
  const [{ loadRuleDirs }, { formatDiagnostic }] = await Promise.all([
    import('../policy/read-rules.js'),
    import('../policy/diagnostics.js'),
  ]);
  const result = loadRuleDirs([], builtInRulesDir());
  if (result.diagnostics.length > 0) throw new PolicyError(result.diagnostics.map(formatDiagnostic));
  return { rules: result.rules, loaded: null };
}
