// One gate evaluated against the repository's facts: shared by `check`, `gate` and `run`.
import { prepareFacts } from '../engine/evaluate.js';
import { evaluateGate } from '../engine/gate.js';
import type { GateName, Verdict } from '../engine/model.js';
import type { CliContext } from './context.js';
import { gatherFacts } from './gather-facts.js';
import { factsNeeded, prepareGate, type LoadedPolicy } from './load.js';

export interface GateQuery {
  gate: GateName;
  /** The gate's argument: issue number, version or tag name; "" for none. */
  arg: string;
  /** Facts saved by `policy facts`, replayed instead of reading the repository. */
  factsFile?: string | null;
  /** The package whose release the `release` fact folds; default the journal's last. */
  releasePackage?: string;
}

/** Compiles the gate's rules, reads the facts they need, and evaluates them. */
export async function evaluatePolicyGate(
  ctx: CliContext,
  cwd: string,
  loaded: LoadedPolicy,
  query: GateQuery,
  mark: (label: string) => void = () => {},
): Promise<Verdict> {
  const { runs, waivers } = prepareGate(loaded, query.gate);
  mark(`compile ${runs.length} rules`);
  const needs = factsNeeded({ runs, waivers });
  const collected = await gatherFacts({
    cwd,
    factsFile: query.factsFile ?? null,
    policy: loaded.policy,
    needs,
    gate: { name: query.gate, arg: query.arg },
    ...(query.releasePackage === undefined ? {} : { releasePackage: query.releasePackage }),
  });
  mark(`collect ${needs.join(', ')}`);
  const verdict = evaluateGate({
    gate: query.gate,
    runs,
    waivers,
    facts: prepareFacts(collected.facts),
    unavailable: collected.unavailable,
    onUnavailable: loaded.policy.onUnavailable,
    today: ctx.today,
  });
  mark('evaluate');
  return verdict;
}
