// `policy ci`: the whole CI job from the environment GitHub Actions sets (the action runs it; any
// other CI can too). The event picks the gates (src/ci/plan.ts); the verdicts, merged, become
// annotations on stdout, `$GITHUB_OUTPUT` lines, the job summary and, when asked, a SARIF file.
import { appendFileSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { FAIL_ON, mergeVerdicts, outcomeOf, planCi, withoutGone, type CiEvent, type CiPlan, type FailOn, type GateRun } from '../../ci/plan.js';
import type { Verdict } from '../../engine/model.js';
import type { GitHubRead } from '../../facts/collect.js';
import { runGit } from '../../facts/git.js';
import { redactText } from '../../release/redact.js';
import type { ReleaseFact } from '../../release/fact.js';
import { renderGithub } from '../../report/github.js';
import { renderJobSummary } from '../../report/job-summary.js';
import { renderSarif } from '../../report/sarif.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { isOffline, UsageError, type CliContext } from '../context.js';
import { evaluatePolicyGate } from '../evaluate.js';
import { gatherFacts } from '../gather-facts.js';
import { errnoWords } from '../io-error.js';
import { loadPolicy, locatePolicy, resolveCwd, type LoadedPolicy } from '../load.js';
import { enforceReopen, parseGate, writeReport } from './check.js';

export const CI_HELP = `Usage: policy ci [--gate G] [--fail-on error|warning|never] [--sarif FILE] [--no-fetch]

The CI check of one event, from the environment GitHub Actions sets (GITHUB_EVENT_NAME,
GITHUB_EVENT_PATH, GITHUB_REF, GITHUB_SHA, GITHUB_BASE_REF, GITHUB_WORKSPACE): a tag push asks
the tag gate for that tag and ci; a branch push asks ci about the pushed commits; a pull
request asks review about base...head; an issue closed asks close-issue and ci about that
issue's release; schedule and workflow_dispatch ask ci and audit; any other event ci.
Prints annotations, appends the job summary to $GITHUB_STEP_SUMMARY and the outputs verdict,
errors, warnings and sarif to $GITHUB_OUTPUT.

Options:
  --gate G         ask this gate instead of the event's (with the event's push)
  --fail-on F      error (default): refused or facts unavailable fail; warning: warnings too;
                   never: exit 0 whatever the verdict
  --sarif FILE     also write the findings as SARIF 2.1.0 to FILE
  --no-fetch       in a shallow checkout, do not fetch the missing history: exit 3 saying what is missing
  --offline        skip network facts (also POLICY_OFFLINE=1)
  --policy FILE    the policy file (default: release-policy.yml from the workspace up)
  --cwd DIR        the repository (default: GITHUB_WORKSPACE, else here)

Exit codes: 0 allowed, 1 refused, 2 usage or policy error, 3 facts unavailable (fail-closed).
`;

const OPTIONS = {
  gate: { type: 'string' },
  'fail-on': { type: 'string' },
  sarif: { type: 'string' },
  'no-fetch': { type: 'boolean' },
  offline: { type: 'boolean' },
} as const;

const CHECKOUT_FIX = 'set `fetch-depth: 0` on actions/checkout (or let the action fetch: `fetch: true`)';

export async function runCi(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('ci', argv, OPTIONS);
  if (values.help) {
    ctx.stdout(CI_HELP);
    return 0;
  }
  const gate = typeof values.gate === 'string' && values.gate !== '' ? parseGate(values.gate) : '';
  const failOn = oneOf('fail-on', typeof values['fail-on'] === 'string' && values['fail-on'] !== '' ? values['fail-on'] : 'error', FAIL_ON) as FailOn;
  const sarif = typeof values.sarif === 'string' && values.sarif !== '' ? resolve(ctx.cwd, values.sarif) : '';
  const fetch = values['no-fetch'] !== true;
  const offline = isOffline(ctx, values.offline);
  const workspace = ctx.env.GITHUB_WORKSPACE;
  const cwd = typeof values.cwd === 'string' ? resolveCwd(ctx, values.cwd) : workspace ? resolveCwd(ctx, workspace) : ctx.cwd;
  const event = readEvent(ctx);
  const planned = planCi(event, gate);
  const loaded = await loadPolicy(locatePolicy(cwd, values.policy), ctx.toolVersion);

  const { missing, gone } = await ensureHistory(ctx, cwd, planned, fetch);
  const plan = withoutGone(planned, gone, planned.baseBranch);
  let verdict: Verdict;
  let release: ReleaseFact | null = null;
  if (missing !== '') {
    verdict = mergeVerdicts([{ gate: plan.runs.map((r) => r.gate).join(', '), allowed: false, errors: 0, warnings: 0, findings: [], waived: [], unavailable: { history: missing }, exitCode: 3 }]);
  } else {
    // One GitHub read for the runs about the same issue (all of them, for every event).
    const githubRead: GitHubRead = {};
    const verdicts: Verdict[] = [];
    for (const run of plan.runs) {
      verdicts.push(await evaluatePolicyGate(ctx, cwd, loaded, {
        gate: run.gate,
        arg: run.arg,
        hook: hookOf(run),
        offline,
        githubRead,
        ...(run.issue === undefined ? {} : { issue: run.issue }),
      }));
    }
    verdict = mergeVerdicts(verdicts);
    release = await readRelease(ctx, cwd, loaded, plan.runs[0], offline, githubRead);
    if (plan.runs.some((run) => run.gate === 'ci') && loaded.policy.github.enforce === 'reopen') {
      await enforceReopen(ctx, cwd, loaded.policy.github, verdict, offline, 'policy ci');
    }
  }
  const { outcome, exitCode } = outcomeOf(verdict, failOn);
  const renderOptions = { color: false, rules: loaded.catalogue, toolVersion: ctx.toolVersion, title: `policy ci (${verdict.gate})` };
  ctx.stdout(renderGithub(verdict, renderOptions));
  if (sarif !== '') writeReport(ctx, sarif, renderSarif(verdict, renderOptions));
  const summaryFile = ctx.env.GITHUB_STEP_SUMMARY;
  if (summaryFile) appendOut(summaryFile, renderJobSummary({ verdict, outcome, event: plan.describe, release }), 'the job summary (GITHUB_STEP_SUMMARY)');
  const outputFile = ctx.env.GITHUB_OUTPUT;
  if (outputFile) {
    const outputs = { verdict: outcome, errors: String(verdict.errors), warnings: String(verdict.warnings), sarif };
    appendOut(outputFile, githubOutputs(outputs), 'the step outputs (GITHUB_OUTPUT)');
  }
  return exitCode;
}

/** `name<<DELIMITER` … `DELIMITER` for each output: a value can hold any line, never end the block. */
export function githubOutputs(values: Record<string, string>): string {
  let text = '';
  for (const [name, value] of Object.entries(values)) {
    let delimiter = `ghadelimiter_${randomBytes(12).toString('hex')}`;
    while (value.includes(delimiter)) delimiter = `ghadelimiter_${randomBytes(12).toString('hex')}`;
    text += `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
  }
  return text;
}

function readEvent(ctx: CliContext): CiEvent {
  const name = ctx.env.GITHUB_EVENT_NAME ?? '';
  if (name === '') {
    throw new UsageError('policy ci: GITHUB_EVENT_NAME is not set', 'Run it in GitHub Actions, or set GITHUB_EVENT_NAME (and GITHUB_EVENT_PATH to the event JSON); use `policy check --gate ci` elsewhere.');
  }
  let payload: Record<string, unknown> = {};
  const file = ctx.env.GITHUB_EVENT_PATH ?? '';
  if (file !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      const reason = error instanceof SyntaxError ? `not JSON (${error.message})` : (errnoWords(error) ?? (error as Error).message);
      throw new UsageError(`policy ci: cannot read the event GITHUB_EVENT_PATH=${file}: ${reason}`, 'GitHub Actions writes the event payload there; point it at that JSON file.');
    }
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) payload = parsed as Record<string, unknown>;
  }
  return { name, payload, ref: ctx.env.GITHUB_REF ?? '', sha: ctx.env.GITHUB_SHA ?? '', baseRef: ctx.env.GITHUB_BASE_REF ?? '' };
}

function hookOf(run: GateRun): { lines?: GateRun['lines']; bases?: string[]; tagCommit?: string } {
  return {
    ...(run.lines === undefined ? {} : { lines: run.lines }),
    ...(run.bases === undefined ? {} : { bases: run.bases }),
    ...(run.tagCommit === undefined ? {} : { tagCommit: run.tagCommit }),
  };
}

/** The release fact for the job summary, from the same GitHub read; null when it cannot be read. */
async function readRelease(ctx: CliContext, cwd: string, loaded: LoadedPolicy, run: GateRun | undefined, offline: boolean, githubRead: GitHubRead): Promise<ReleaseFact | null> {
  try {
    const collected = await gatherFacts({
      cwd,
      factsFile: null,
      policy: loaded.policy,
      needs: ['release'],
      gate: { name: 'ci', arg: '' },
      offline,
      env: ctx.env,
      toolVersion: ctx.toolVersion,
      githubRead,
      ...(run?.issue === undefined ? {} : { issue: run.issue }),
    });
    return collected.facts.release ?? null;
  } catch {
    return null;
  }
}

/**
 * The history the gates read: a shallow checkout lacks tags and older commits (and a pull
 * request's base may be missing). With fetch allowed they are fetched; otherwise, or when the
 * fetch fails, `missing` says what is missing and how to get it ("" when nothing is). `gone`:
 * the plan's optional commits (a forced push's `before`) that no fetch brought.
 */
async function ensureHistory(ctx: CliContext, cwd: string, plan: CiPlan, fetch: boolean): Promise<{ missing: string; gone: string[] }> {
  const git = (args: string[], ok: number[] = []) => runGit(cwd, ctx.env, args, ok);
  let shallow: boolean;
  try {
    shallow = (await git(['rev-parse', '--is-shallow-repository'])).stdout.trim() === 'true';
  } catch (error) {
    return { missing: `${cwd} is not a git work tree: ${firstLine(error, ctx.env)}`, gone: [] };
  }
  if (shallow) {
    if (!fetch) return { missing: `the checkout is shallow: the tags and the history the gates read are missing; ${CHECKOUT_FIX}`, gone: [] };
    try {
      await git(['fetch', '--quiet', '--unshallow', '--tags', 'origin']);
    } catch (error) {
      return { missing: `the checkout is shallow and \`git fetch --unshallow --tags origin\` failed (${firstLine(error, ctx.env)}); ${CHECKOUT_FIX}`, gone: [] };
    }
    ctx.stderr('policy ci: the checkout was shallow; fetched the whole history and the tags (git fetch --unshallow --tags)\n');
  }
  const bases = plan.runs.flatMap((run) => run.bases ?? []);
  const optional = plan.optional ?? [];
  const have = async (rev: string): Promise<boolean> => (await git(['cat-file', '-e', `${rev}^{commit}`], [1, 128])).exitCode === 0;
  const absent = async (wanted: string[]): Promise<string[]> => {
    const found = await Promise.all(wanted.map(have));
    return wanted.filter((_, i) => !found[i]);
  };
  let lacking = await absent([...plan.commits, ...bases, ...optional]);
  if (lacking.length > 0 && fetch) {
    const branch = plan.baseBranch;
    const refspecs = branch === '' ? [] : [`+refs/heads/${branch}:refs/remotes/origin/${branch}`];
    try {
      await git(['fetch', '--quiet', '--tags', 'origin', ...refspecs, ...lacking.filter((rev) => /^[0-9a-f]{40}/.test(rev))]);
    } catch {
      // A forced push's old commit may be gone from the remote too; what is still missing is said below.
      if (refspecs.length > 0) await git(['fetch', '--quiet', 'origin', ...refspecs], [1, 128]).catch(() => undefined);
    }
    lacking = await absent(lacking);
  }
  const gone = lacking.filter((rev) => optional.includes(rev));
  const required = lacking.filter((rev) => !optional.includes(rev));
  if (required.length === 0) return { missing: '', gone };
  const named = required.map((rev) => (/^[0-9a-f]{40}/.test(rev) ? `commit ${rev.slice(0, 12)}` : rev)).join(', ');
  return { missing: `the checkout lacks ${named}, which the event names; ${CHECKOUT_FIX}`, gone };
}

/** A git error's first line, with any credential in a remote URL or the environment's tokens redacted. */
function firstLine(error: unknown, env: NodeJS.ProcessEnv): string {
  return redactText(((error as Error).message ?? String(error)).split('\n')[0] ?? '', env);
}

function appendOut(file: string, text: string, what: string): void {
  try {
    appendFileSync(file, text);
  } catch (error) {
    throw new UsageError(`cannot append to ${what} ${file}: ${errnoWords(error) ?? (error as Error).message}`, 'GitHub Actions sets this file; check the variable.');
  }
}
