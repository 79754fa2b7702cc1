import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GATES, type GateName, type Verdict } from '../../engine/model.js';
import type { GitHubConfig as LoadedPolicyGitHub } from '../../policy/model.js';
import { FORMATS, renderVerdict, type Format } from '../../report/index.js';
import { didYouMean } from '../../policy/did-you-mean.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { isOffline, UsageError, type CliContext } from '../context.js';
import { evaluatePolicyGate } from '../evaluate.js';
import { policyFileInRepository } from '../locate-findings.js';
import { errnoWords } from '../io-error.js';
import { createTiming } from '../timing.js';
import { loadPolicy, locatePolicy, resolveCwd } from '../load.js';

export const CHECK_HELP = `Usage: policy check [--gate G] [--format F] [--output FILE] [--offline] [--facts FILE]

Evaluates the rules of one gate against the repository's facts.

Options:
  --gate G         ${GATES.join(', ')} (default: ci)
  --format F       ${FORMATS.join(', ')} (default: text)
  --output FILE    write the report to FILE instead of standard output
  --offline        skip network facts (also POLICY_OFFLINE=1)
  --facts FILE     evaluate facts saved by \`policy facts\` instead of reading the repository
  --policy FILE    the policy file (default: release-policy.yml from here up to the repository root)
  --cwd DIR        run as if started in DIR
  --debug          print stack traces for internal errors

Exit codes: 0 allowed, 1 refused, 2 usage or policy error, 3 facts unavailable (fail-closed).
`;

export const AUDIT_HELP = `Usage: policy audit [--format F] [--output FILE] [--offline] [--facts FILE]

Evaluates the whole history: every release tag and every version change on the default
branch (the rules of the \`audit\` gate). Options as for \`policy check\`.

Exit codes: 0 clean, 1 violations, 2 usage or policy error, 3 facts unavailable.
`;

const OPTIONS = {
  gate: { type: 'string' },
  format: { type: 'string' },
  output: { type: 'string' },
  // Skips the network facts (the registry); rules that need them report them unavailable.
  offline: { type: 'boolean' },
  facts: { type: 'string' },
} as const;

export async function runCheck(ctx: CliContext, argv: string[], mode: 'check' | 'audit'): Promise<number> {
  const { values } = parseCommandArgs(mode, argv, OPTIONS);
  if (values.help) {
    ctx.stdout(mode === 'audit' ? AUDIT_HELP : CHECK_HELP);
    return 0;
  }
  if (mode === 'audit' && values.gate !== undefined) throw new UsageError('policy audit takes no --gate; it is the `audit` gate');
  const gate = mode === 'audit' ? 'audit' : parseGate(String(values.gate ?? 'ci'));
  const format = oneOf('format', String(values.format ?? 'text'), FORMATS) as Format;
  const timing = createTiming(ctx);
  const cwd = resolveCwd(ctx, values.cwd);
  const loaded = await loadPolicy(locatePolicy(cwd, values.policy), ctx.toolVersion);
  timing.mark('load policy');
  const factsFile = typeof values.facts === 'string' ? values.facts : null;
  const verdict = await evaluatePolicyGate(ctx, cwd, loaded, {
    gate,
    arg: '',
    factsFile,
    offline: values.offline === true,
    // The baseline (if the policy names one) applies to whichever gate is checked.
    baseline: true,
  }, timing.mark);
  const report = renderVerdict(format, verdict, {
    color: ctx.color && typeof values.output !== 'string',
    rules: loaded.catalogue,
    toolVersion: ctx.toolVersion,
    title: mode === 'audit' ? 'policy audit' : `policy check --gate ${gate}`,
    policyFile: policyFileInRepository(cwd, loaded),
  });
  if (typeof values.output === 'string') writeReport(ctx, values.output, report);
  else ctx.stdout(report);
  timing.mark('report');
  // Saved facts describe another moment: never act on GitHub from them.
  if (gate === 'ci' && factsFile === null && loaded.policy.github.enforce === 'reopen') {
    await enforceReopen(ctx, cwd, loaded.policy.github, verdict, isOffline(ctx, values.offline));
    timing.mark('enforce');
  }
  timing.print();
  return verdict.exitCode;
}

/**
 * `github.enforce: reopen` (policy check --gate ci, policy ci): the first issue-closed-while-open finding (there is one release
 * issue) reopens its issue with one comment. A failure is said and leaves the exit code as the
 * finding made it (1).
 */
export async function enforceReopen(ctx: CliContext, cwd: string, config: LoadedPolicyGitHub, verdict: Verdict, offline: boolean, command = 'policy check'): Promise<void> {
  const { REOPEN_RULE, reopenIssue } = await import('../reopen-issue.js');
  const finding = verdict.findings.find((f) => f.rule === REOPEN_RULE && f.severity === 'error' && /^#[0-9]+$/.test(f.subject.name));
  if (finding === undefined) return;
  const issue = Number(finding.subject.name.slice(1));
  const { GitHubUnavailable } = await import('../../facts/github.js');
  try {
    const done = await reopenIssue({ cwd, env: ctx.env, config, offline, toolVersion: ctx.toolVersion, issue, finding: finding.message });
    ctx.stderr(done.action === 'reopened'
      ? `${command}: reopened ${done.repository}#${issue} and said why in a comment${done.url ? ` (${done.url})` : ''} (github.enforce: reopen)\n`
      : `${command}: ${done.repository}#${issue} is open again already; nothing posted (github.enforce: reopen)\n`);
  } catch (error) {
    if (!(error instanceof GitHubUnavailable)) throw error;
    ctx.stderr(`${command}: could not reopen issue #${issue} (github.enforce: reopen): ${error.message}; reopen it by hand (\`gh issue reopen ${issue}\`), the token needs issues: write\n`);
  }
}

export function parseGate(value: string): GateName {
  if ((GATES as readonly string[]).includes(value)) return value as GateName;
  const suggestion = didYouMean(value, GATES);
  throw new UsageError(
    `unknown gate "${value}"${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
    `Gates: ${GATES.join(', ')}.`,
  );
}

/** --output is relative to where the command was started (not --cwd), like any shell path. */
export function writeReport(ctx: CliContext, output: string, report: string): void {
  if (output === '') throw new UsageError('--output needs a file name');
  const file = resolve(ctx.cwd, output);
  try {
    writeFileSync(file, report);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'EISDIR' ? 'it is a folder' : code === 'ENOENT' ? 'its folder does not exist' : `${errnoWords(error) ?? (error as Error).message}${code ? ` (${code})` : ''}`;
    throw new UsageError(`cannot write the report to ${file}: ${reason}`, 'Pass a file path in an existing, writable folder.');
  }
}
