import { BASELINE_REMOVABLE, baselineEntries } from '../../engine/baseline.js';
import { baselinable, FACTS_UNAVAILABLE, WAIVER_EXPIRED, WAIVER_INVALID, WAIVER_UNUSED } from '../../engine/gate.js';
import type { Finding, GateName } from '../../engine/model.js';
import { parseCommandArgs } from '../args.js';
import type { CliContext } from '../context.js';
import { defaultBaselinePath, DEFAULT_BASELINE_FILE, displayPath, writeBaseline } from '../baseline-file.js';
import { evaluatePolicyGate } from '../evaluate.js';
import { loadPolicy, locatePolicy, resolveCwd } from '../load.js';
import { parseGate } from './check.js';

export const BASELINE_HELP = `Usage: policy baseline [--gate G] [--offline]

Records today's findings of the \`ci\` and \`audit\` gates (or of gate G only) in the baseline
file the policy names (\`baseline:\` in release-policy.yml; without it, ${DEFAULT_BASELINE_FILE}
beside the policy, and you add the key). \`policy check\` and \`policy audit\` then list those
findings as baselined and fail only on new ones. Run it again to drop entries of fixed findings.

Exit codes: 0 written, 2 usage, policy or IO error, 3 facts unavailable (nothing written).
`;

const OPTIONS = {
  gate: { type: 'string' },
  offline: { type: 'boolean' },
} as const;

/** Findings the engine makes about itself: never accepted into a baseline. */
const ENGINE_RULES = new Set([FACTS_UNAVAILABLE, WAIVER_EXPIRED, WAIVER_INVALID, WAIVER_UNUSED, BASELINE_REMOVABLE]);

export async function runBaseline(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('baseline', argv, OPTIONS);
  if (values.help) {
    ctx.stdout(BASELINE_HELP);
    return 0;
  }
  const gates: GateName[] = values.gate === undefined ? ['ci', 'audit'] : [parseGate(String(values.gate))];
  const cwd = resolveCwd(ctx, values.cwd);
  const policyFile = locatePolicy(cwd, values.policy);
  const loaded = await loadPolicy(policyFile, ctx.toolVersion);
  const findings: Finding[] = [];
  for (const gate of gates) {
    const verdict = await evaluatePolicyGate(ctx, cwd, loaded, { gate, arg: '', offline: values.offline === true, baseline: false });
    // A baseline from an incomplete evaluation would miss findings and call them new later.
    if (verdict.exitCode === 3) {
      const reasons = Object.entries(verdict.unavailable).map(([fact, reason]) => `  ${fact}: ${reason}`).join('\n');
      ctx.stderr(`policy baseline: gate ${gate} could not be evaluated; nothing written\n${reasons}\n  hint: make the facts available (see the reasons) and run it again.\n`);
      return 3;
    }
    const unjudged = verdict.findings.filter((f) => f.rule === FACTS_UNAVAILABLE);
    for (const f of unjudged) ctx.stderr(`policy baseline: gate ${gate}: ${f.message}; their findings are not recorded\n`);
    findings.push(...verdict.findings);
  }
  // Findings about a release in progress or the push are about now, not history: never accepted.
  const current = loaded.catalogue.filter((rule) => !baselinable(rule)).map((rule) => rule.id);
  const entries = baselineEntries(findings, new Set([...ENGINE_RULES, ...current]));
  const named = loaded.policy.baseline !== '';
  const file = named ? loaded.policy.baseline : defaultBaselinePath(policyFile);
  writeBaseline(file, entries);
  const shown = displayPath(ctx.cwd, file);
  ctx.stdout(`policy baseline: ${entries.length === 1 ? '1 finding' : `${entries.length} findings`} of gate${gates.length === 1 ? '' : 's'} ${gates.join(', ')} recorded in ${shown}\n`);
  if (!named) {
    ctx.stdout(`  add \`baseline: ${DEFAULT_BASELINE_FILE}\` to ${displayPath(ctx.cwd, policyFile)} so that \`policy check\` and \`policy audit\` use it, and commit both files\n`);
  } else {
    ctx.stdout('  commit it: `policy check` and `policy audit` now fail only on findings it does not hold\n');
  }
  return 0;
}
