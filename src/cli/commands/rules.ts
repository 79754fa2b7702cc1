import { WAIVER_EXPIRED, WAIVER_INVALID, WAIVER_UNUSED } from '../../engine/gate.js';
import { didYouMean } from '../../policy/did-you-mean.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { UsageError, type CliContext } from '../context.js';
import { loadCatalogue, resolveCwd } from '../load.js';

export const RULES_HELP = `Usage: policy rules [--format text|json]

Lists every rule: id, effective severity (from release-policy.yml when one is found,
otherwise the rule's default), gates and title.
`;

export const EXPLAIN_HELP = `Usage: policy explain ID

Prints a rule's title, the spec line it enforces, why it exists, how to fix a finding,
its gates, the facts it reads, its options with defaults, and its checks.
`;

/** Findings the engine makes about waivers; documented here so `explain` knows them too. */
const ENGINE_FINDINGS: Record<string, { title: string; spec: string; why: string; fix: string }> = {
  [WAIVER_EXPIRED]: {
    title: 'A waiver past its expiry date',
    spec: 'Waivers are accountable: an expired waiver is an error of its own, never silently inert.',
    why: 'A waiver holds through the end of its `expires` day (UTC). After that it waives nothing and says so, so an exception cannot outlive the decision behind it.',
    fix: 'Fix what the waiver covered and delete it, or extend `expires` with the owner\'s agreement.',
  },
  [WAIVER_INVALID]: {
    title: 'A waiver whose `when` could not be evaluated',
    spec: 'Nothing fails open silently: a waiver that cannot decide waives nothing and says so.',
    why: 'An evaluation error (a value of an unexpected type, a fact this gate does not collect) must not waive a finding, nor pass for an unused waiver.',
    fix: "Correct the waiver's `when`, or make the facts it reads available to this gate.",
  },
  [WAIVER_UNUSED]: {
    title: 'A waiver that matched no finding',
    spec: 'Waivers that no longer match anything hide nothing and should go.',
    why: 'An unused waiver is reported as a warning, so stale exceptions are found and removed.',
    fix: 'Delete the waiver, or correct its `when` expression.',
  },
};

export async function runRules(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('rules', argv, { format: { type: 'string' } });
  if (values.help) {
    ctx.stdout(RULES_HELP);
    return 0;
  }
  const format = oneOf('format', String(values.format ?? 'text'), ['text', 'json'] as const);
  const { rules, loaded } = await loadCatalogue(ctx, resolveCwd(ctx, values.cwd), values.policy);
  const rows = rules.map((rule) => ({
    id: rule.id,
    severity: loaded ? (loaded.settings.get(rule.id)?.severity ?? 'off') : rule.severity,
    gates: rule.gates,
    title: rule.title,
    builtIn: rule.builtIn,
  }));
  if (format === 'json') {
    ctx.stdout(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(...rows.map((r) => r.id.length));
  for (const row of rows) {
    ctx.stdout(`${row.id.padEnd(width)}  ${row.severity.padEnd(5)}  ${row.title}\n${' '.repeat(width + 9)}gates: ${row.gates.join(', ')}\n`);
  }
  ctx.stdout(`${rows.length} rules${loaded ? ` (severities from ${loaded.policy.file})` : ' (default severities; no release-policy.yml found)'}\n`);
  return 0;
}

export async function runExplain(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('explain', argv, {}, 1);
  if (values.help) {
    ctx.stdout(EXPLAIN_HELP);
    return 0;
  }
  const id = positionals[0];
  if (!id) throw new UsageError('policy explain needs a rule id', 'Run `policy rules` to list them.');
  const engine = ENGINE_FINDINGS[id];
  if (engine) {
    ctx.stdout(`${id}: ${engine.title}\n\nspec: ${engine.spec}\n\nwhy: ${engine.why}\n\nfix: ${engine.fix}\n`);
    return 0;
  }
  const { rules, loaded } = await loadCatalogue(ctx, resolveCwd(ctx, values.cwd), values.policy);
  const rule = rules.find((r) => r.id === id);
  if (!rule) {
    const suggestion = didYouMean(id, [...rules.map((r) => r.id), ...Object.keys(ENGINE_FINDINGS)]);
    throw new UsageError(`unknown rule "${id}"${suggestion ? `; did you mean "${suggestion}"?` : ''}`, 'Run `policy rules` to list them.');
  }
  const setting = loaded?.settings.get(rule.id);
  const options = (rule.options as { properties?: Record<string, { description?: string; default?: unknown }> }).properties ?? {};
  const lines = [
    `${rule.id}: ${rule.title}`,
    '',
    `spec: ${rule.spec}`,
    '',
    `why: ${rule.docs.why}`,
    '',
    `fix: ${rule.docs.fix}`,
    '',
    `severity: ${setting ? `${setting.severity} (default ${rule.severity})` : rule.severity}`,
    `gates: ${rule.gates.join(', ')}`,
    `facts: ${rule.facts.join(', ')} (see schema/facts.schema.json)`,
  ];
  const optionNames = Object.keys(options);
  if (optionNames.length > 0) {
    lines.push('options:');
    for (const name of optionNames) {
      const option = options[name] ?? {};
      const current = setting?.options[name];
      const set = current !== undefined && JSON.stringify(current) !== JSON.stringify(option.default);
      lines.push(
        `  ${name}: ${option.description ?? ''} (default ${JSON.stringify(option.default)}${set ? `; policy sets ${JSON.stringify(current)}` : ''})`,
      );
    }
  }
  if (rule.when) lines.push(`when: ${rule.when.text}`);
  for (const variable of rule.variables) lines.push(`variable ${variable.name}: ${variable.expression.text}`);
  rule.checks.forEach((check, index) => {
    lines.push(`check ${index + 1}:${check.for ? ` for each it in ${check.for.text}` : ''}`, `  must hold: ${check.expression.text}`);
  });
  lines.push(`file: ${rule.file}`);
  ctx.stdout(`${lines.join('\n')}\n`);
  return 0;
}
