import { FACT_NAMES } from '../../facts/model.js';
import { parseCommandArgs } from '../args.js';
import { isOffline, type CliContext } from '../context.js';
import { gatherFacts } from '../gather-facts.js';
import { factsNeeded, gateDefinitions, loadPolicy, locatePolicy, resolveCwd } from '../load.js';
import { warnJournalProblems } from '../release.js';
import { parseGate } from './check.js';

export const FACTS_HELP = `Usage: policy facts [--gate G] [--offline]

Prints the facts as JSON: { "facts": {...}, "unavailable": {...} }. With --gate, only the
facts that gate's rules need; otherwise every fact. Replay them with
\`policy check --facts FILE\` to reproduce a verdict.
`;

export async function runFacts(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('facts', argv, { gate: { type: 'string' }, offline: { type: 'boolean' } });
  if (values.help) {
    ctx.stdout(FACTS_HELP);
    return 0;
  }
  const cwd = resolveCwd(ctx, values.cwd);
  const loaded = await loadPolicy(locatePolicy(cwd, values.policy), ctx.toolVersion);
  const gate = values.gate === undefined ? null : parseGate(String(values.gate));
  const needs = gate ? factsNeeded(gateDefinitions(loaded, gate)) : [...FACT_NAMES];
  const collected = await gatherFacts({
    cwd,
    factsFile: null,
    policy: loaded.policy,
    needs,
    gate: { name: gate ?? 'ci', arg: '' },
    offline: isOffline(ctx, values.offline),
    env: ctx.env,
    toolVersion: ctx.toolVersion,
  });
  // Also in the JSON (facts.release.journal.problems); said on stderr like every other command.
  if (collected.facts.release !== undefined) warnJournalProblems(ctx, collected.facts.release.journal);
  ctx.stdout(`${JSON.stringify(collected, null, 2)}\n`);
  return 0;
}
