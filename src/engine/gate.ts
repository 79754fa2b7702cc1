import type { FactName } from '../facts/model.js';
import type { CelContext } from './expression.js';
import { evaluateRule, type RuleRun } from './evaluate.js';
import type { BaselineMatcher } from './baseline.js';
import type { Finding, Verdict, WaivedFinding } from './model.js';
import { isExpired, type CompiledWaiver } from './waivers.js';

export interface GateInput {
  gate: string;
  runs: RuleRun[];
  waivers: CompiledWaiver[];
  /** Facts prepared with prepareFacts. */
  facts: CelContext;
  unavailable: Partial<Record<FactName, string>>;
  onUnavailable: 'error' | 'warn';
  /**
   * Facts the user chose to skip (`--offline`): a rule that needs one is reported as a warning,
   * not at its severity. An unreachable registry is not skipped: its fact says so, and rules fail closed.
   */
  skipped?: readonly FactName[];
  /** Today as YYYY-MM-DD in UTC; passed in so the engine never reads the clock. */
  today: string;
  /** Findings accepted by the policy's baseline file: reported apart, not counted. */
  baseline?: BaselineMatcher;
}

/** Ids of the findings the engine itself produces about waivers. */
export const WAIVER_EXPIRED = 'waiver-expired';
export const WAIVER_UNUSED = 'waiver-unused';
export const WAIVER_INVALID = 'waiver-invalid';
/** The one finding per unavailable cause, naming the rules that could not be judged. */
export const FACTS_UNAVAILABLE = 'facts-unavailable';
/** Ends a facts-unavailable finding's message, before the rules it names (read back by unjudgedRules). */
const UNJUDGED_MARK = '(reason under "unavailable"): ';

export function evaluateGate(input: GateInput): Verdict {
  const findings: Finding[] = [];
  const waived: WaivedFinding[] = [];
  const baselined: Finding[] = [];
  const unavailable: Record<string, string> = {};
  let unavailableErrors = 0;
  const evaluatedRules = new Set<string>();
  const usedWaivers = new Set<number>();
  const brokenWaivers = new Map<number, string>();
  // Rules that could not be judged, by cause (the missing facts) and severity: one finding each,
  // naming the rules, as the reason is the same for all of them and is shown once, in `unavailable`.
  const unjudged = new Map<string, { missing: string[]; severity: 'error' | 'warn'; rules: string[]; spec: string }>();

  for (const run of input.runs) {
    const definition = run.rule.definition;
    const missing = definition.facts.filter((fact) => input.unavailable[fact] !== undefined);
    if (missing.length > 0) {
      const chosen = missing.every((fact) => input.skipped?.includes(fact) ?? false);
      const severity = input.onUnavailable === 'warn' || chosen ? 'warn' : run.severity;
      for (const fact of missing) unavailable[fact] = input.unavailable[fact] ?? '';
      const key = `${missing.join(', ')}\0${severity}`;
      const group = unjudged.get(key) ?? { missing, severity, rules: [], spec: definition.spec };
      group.rules.push(definition.id);
      unjudged.set(key, group);
      continue;
    }
    evaluatedRules.add(definition.id);
    for (const finding of evaluateRule(run, input.facts)) {
      const waiver = findWaiver(input, finding, brokenWaivers);
      if (waiver) {
        usedWaivers.add(waiver.index);
        waived.push({ ...finding, waiver: { reason: waiver.reason, owner: waiver.owner, expires: waiver.expires } });
      } else if (baselinable(definition) && input.baseline?.accepts(finding) === true) {
        baselined.push(finding);
      } else {
        findings.push(finding);
      }
    }
  }

  for (const { missing, severity, rules, spec } of unjudged.values()) {
    if (severity === 'error') unavailableErrors += 1;
    const facts = missing.length === 1 ? `the ${missing[0]} fact` : `the facts ${missing.join(', ')}`;
    findings.push({
      rule: FACTS_UNAVAILABLE,
      severity,
      message: `${rules.length === 1 ? '1 rule' : `${rules.length} rules`} could not be judged without ${facts} ${UNJUDGED_MARK}${rules.join(', ')}`,
      subject: { kind: 'fact', name: missing.join(', ') },
      spec: rules.length === 1 ? spec : 'Nothing fails open silently: a rule whose facts are unavailable is reported, not passed.',
      fix: 'Make the missing facts available (see the reason), or set `onUnavailable: warn` in release-policy.yml to let this gate pass without them.',
    });
  }
  if (input.baseline) findings.push(...input.baseline.removable(evaluatedRules));

  findings.push(...waiverFindings(input, evaluatedRules, usedWaivers, brokenWaivers));

  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  const ruleErrors = errors - unavailableErrors;
  // Exit 3 wins over 1: the verdict is incomplete, and the fix (a full clone, a token) differs
  // from fixing a violation. Either way the gate refuses.
  const exitCode = unavailableErrors > 0 ? 3 : ruleErrors > 0 ? 1 : 0;
  return {
    gate: input.gate, allowed: exitCode === 0, errors, warnings, findings, waived,
    ...(input.baseline ? { baselined } : {}), unavailable, exitCode,
  };
}

function findWaiver(input: GateInput, finding: Finding, broken: Map<number, string>): CompiledWaiver['config'] | null {
  for (const waiver of input.waivers) {
    const { config } = waiver;
    if (config.rule !== finding.rule || isExpired(config.expires, input.today)) continue;
    // A waiver reads what a finding says, not where it is shown (a rule file's absolute path).
    const { location: _where, ...said } = finding;
    try {
      if (waiver.when.run({ ...input.facts, finding: said }) === true) return config;
    } catch (error) {
      // It waives nothing (fail closed) and is reported, not mistaken for an unused waiver.
      broken.set(config.index, ((error as Error).message ?? String(error)).split('\n')[0] ?? '');
    }
  }
  return null;
}

function waiverFindings(
  input: GateInput,
  evaluated: Set<string>,
  used: Set<number>,
  broken: Map<number, string>,
): Finding[] {
  const out: Finding[] = [];
  for (const { config } of input.waivers) {
    if (!evaluated.has(config.rule)) continue;
    const subject = { kind: 'waiver', name: `waivers[${config.index}] (${config.rule})` };
    const where = `${config.location.file}:${config.location.line}:${config.location.col}`;
    if (isExpired(config.expires, input.today)) {
      out.push({
        rule: WAIVER_EXPIRED,
        severity: 'error',
        message: `waiver for ${config.rule} owned by ${config.owner} expired on ${config.expires} (${where}); it no longer waives anything`,
        subject,
        spec: 'Waivers are accountable: an expired waiver is an error of its own, never silently inert.',
        fix: 'Fix what the waiver covered and delete the waiver, or extend `expires` with a reason the owner agrees to.',
      });
      continue;
    }
    const failure = broken.get(config.index);
    if (failure !== undefined) {
      out.push({
        rule: WAIVER_INVALID,
        severity: 'error',
        message: `waiver for ${config.rule} (${where}) could not be evaluated: ${failure}; it waives nothing`,
        subject,
        spec: 'Nothing fails open silently: a waiver that cannot decide waives nothing and says so.',
        fix: 'Correct the waiver\'s `when`, or make the facts it reads available to this gate.',
      });
      continue;
    }
    if (!used.has(config.index)) {
      out.push({
        rule: WAIVER_UNUSED,
        severity: 'warn',
        message: `waiver for ${config.rule} (${where}) matched no finding`,
        subject,
        spec: 'Waivers that no longer match anything hide nothing and should go.',
        fix: 'Delete the waiver, or correct its `when` expression.',
      });
    }
  }
  return out;
}

/**
 * Whether a rule's findings may be accepted by a baseline: those about the history (tags,
 * versions, manifests), never those about a release in progress or what is being pushed or
 * committed now. A blocked release stays blocked however the baseline was written.
 */
export function baselinable(definition: Pick<RuleRun['rule']['definition'], 'facts'>): boolean {
  return !definition.facts.some((fact) => fact === 'release' || fact === 'push' || fact === 'commit' || fact === 'github');
}


/** The rules a facts-unavailable finding names (the end of its message, as written above). */
export function unjudgedRules(finding: Pick<Finding, 'rule' | 'message'>): string[] {
  if (finding.rule !== FACTS_UNAVAILABLE) return [];
  const at = finding.message.lastIndexOf(UNJUDGED_MARK);
  return at < 0 ? [] : finding.message.slice(at + UNJUDGED_MARK.length).split(', ');
}
