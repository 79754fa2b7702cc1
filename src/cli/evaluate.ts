// One gate evaluated against the repository's facts: shared by `check`, `gate` and `run`.
import { prepareFacts, whenHolds, type RuleRun } from '../engine/evaluate.js';
import { factsNamedIn, fieldsReadIn, type CompiledWaiver } from '../engine/waivers.js';
import type { FactName } from '../facts/model.js';
import type { GitHubRead, HookInput } from '../facts/collect.js';
import { readStateWord } from '../facts/release.js';
import { BaselineMatcher } from '../engine/baseline.js';
import { evaluateGate } from '../engine/gate.js';
import type { GateName, Verdict } from '../engine/model.js';
import { displayPath, readBaseline } from './baseline-file.js';
import { isOffline, type CliContext } from './context.js';
import { gatherFacts } from './gather-facts.js';
import { locateVerdict } from './locate-findings.js';
import { warnJournalProblems } from './release.js';
import { definitionsOf, factsNeeded, gateDefinitions, prepareGate, type GateDefinitions, type LoadedPolicy } from './load.js';

export interface GateQuery {
  gate: GateName;
  /** The gate's argument: issue number, version or tag name; "" for none. */
  arg: string;
  /** Facts saved by `policy facts`, replayed instead of reading the repository. */
  factsFile?: string | null;
  /** The package whose release the `release` fact folds; default the journal's last. */
  releasePackage?: string;
  /** What a hook was given (pre-push lines, the tag's commit). */
  hook?: HookInput;
  /** Skip network facts (--offline); POLICY_OFFLINE=1 in the environment does too. */
  offline?: boolean;
  /** A git hook is asking: GitHub is read only for an open release or a pushed release tag. */
  viaHook?: boolean;
  /** The command's one GitHub read, when the command reads GitHub again afterwards (policy run posts the comment). */
  githubRead?: GitHubRead;
  /** The issue whose release state GitHub is asked for (a CI event about that issue). */
  issue?: number;
  /**
   * Whether the policy's baseline file accepts findings (default: for the `ci` and `audit`
   * gates, the ones `policy baseline` records); `policy baseline` itself asks without it.
   */
  baseline?: boolean;
}

/** Facts read over the network: skipped offline. */
const NETWORK_FACTS: readonly FactName[] = ['registry', 'github'];

/** Compiles the gate's rules, reads the facts they need, and evaluates them. */
export async function evaluatePolicyGate(
  ctx: CliContext,
  cwd: string,
  loaded: LoadedPolicy,
  query: GateQuery,
  mark: (label: string) => void = () => {},
): Promise<Verdict> {
  // Read first: a malformed baseline is reported before any fact is read.
  const baseline = baselineOf(ctx, loaded, query);
  const definitions = gateDefinitions(loaded, query.gate);
  const offline = isOffline(ctx, query.offline);
  const repoFields = repoFieldsRead(definitions);
  // One GitHub request per command, whichever of the two collects below needs it first.
  const githubRead: GitHubRead = query.githubRead ?? {};
  const gather = (needs: FactName[], pushCommits = true) => gatherFacts({
    cwd,
    factsFile: query.factsFile ?? null,
    policy: loaded.policy,
    needs,
    gate: { name: query.gate, arg: query.arg },
    ...(query.releasePackage === undefined ? {} : { releasePackage: query.releasePackage }),
    ...(query.hook === undefined ? {} : { hook: query.hook }),
    repoFields,
    offline,
    env: ctx.env,
    toolVersion: ctx.toolVersion,
    githubRead,
    ...(query.viaHook === true ? { viaHook: true } : {}),
    ...(query.issue === undefined ? {} : { issue: query.issue }),
    pushCommits,
  });
  // Two steps: first the facts the rules' `when` conditions read (for the release rules, the
  // journal alone) with those of the rules that always apply, then the facts of the rules
  // whose `when` holds. While no release is blocked, a hook pays for no git status or tag
  // lookup that only a blocked release's rules need.
  // While the release is open (the hooks' state file says so), the release rules' `when`s
  // will hold: every fact is read at once, and the git processes start before the rules
  // compile, so that CEL's set-up runs while they do.
  const open = !query.factsFile && ['blocked', 'unknown', 'released'].includes(readStateWord(cwd) ?? '');
  const all = open ? factsNeeded(definitions) : null;
  const reading = all === null ? null : gather(all);
  const { runs, waivers } = prepareGate(loaded, query.gate);
  mark(`compile ${runs.length} rules`);
  const first = all ?? whenFacts(runs, waivers);
  // The push's commits (a `git log` of everything the push brings: 20,000 commits on a first
  // push) are read in the first step only when a rule read then needs them; the release rules
  // that do are read in the second step, once their `when` holds.
  const firstReadsCommits = all !== null
    || readsPushCommits(definitionsOf({ runs: runs.filter((run) => !run.rule.definition.when), waivers }))
    || runs.some(({ rule }) => rule.definition.when && rule.definition.facts.includes('push') && fieldsReadIn([rule.definition.when.text], 'push')?.has('commits') !== false);
  const collected = await (reading ?? gather(first, firstReadsCommits));
  const early = prepareFacts(collected.facts);
  const applying = runs.filter((run) => run.rule.definition.facts.some((f) => f in collected.unavailable) || whenHolds(run, early));
  const needed = factsNeeded(definitionsOf({ runs: applying, waivers }));
  const pushAgain = !firstReadsCommits && needed.includes('push') && readsPushCommits(definitionsOf({ runs: applying, waivers }));
  const rest = needed.filter((name) => !first.includes(name) || (name === 'push' && pushAgain));
  // The facts read first are converted to CEL values once (10,000 tags and as many version
  // changes on the audit bench): only those the second step read are converted again.
  const prepared = early;
  if (rest.length > 0) {
    const more = await gather(rest);
    Object.assign(collected.facts, more.facts);
    Object.assign(collected.unavailable, more.unavailable);
    Object.assign(prepared, prepareFacts(more.facts));
  }
  mark(`collect ${[...first, ...rest].join(', ')}`);
  // Read from the repository (not a saved facts file): name the journal lines that did not count.
  if (!query.factsFile && collected.facts.release !== undefined) warnJournalProblems(ctx, collected.facts.release.journal);
  const verdict = evaluateGate({
    gate: query.gate,
    runs,
    waivers,
    facts: prepared,
    unavailable: collected.unavailable,
    onUnavailable: loaded.policy.onUnavailable,
    skipped: offline ? NETWORK_FACTS : githubNotSetUp(loaded, collected.unavailable.github) ? ['github'] : [],
    today: ctx.today,
    ...baseline,
  });
  mark('evaluate');
  return locateVerdict(cwd, loaded, verdict);
}

function baselineOf(ctx: CliContext, loaded: LoadedPolicy, query: GateQuery): { baseline?: BaselineMatcher } {
  const file = loaded.policy.baseline;
  if (file === '' || !(query.baseline ?? (query.gate === 'ci' || query.gate === 'audit'))) return {};
  const shown = displayPath(ctx.cwd, file);
  return { baseline: new BaselineMatcher(readBaseline(file, shown), shown) };
}

/**
 * GitHub not set up at all (the policy names no `github.repository`, `graphqlUrl` or
 * `enforce: reopen`, and there is no token, or no repository to ask) is a choice, like
 * --offline: the built-in rules that read the issue are reported as a warning, so a project
 * that does not use GitHub is not refused by them. A policy that names its GitHub fails closed
 * without a token (exit 3), as on a refused token, a 5xx or a rate limit. The reasons are
 * src/facts/github.ts's, compared by their start so that a hook does not load the GitHub client.
 */
function githubNotSetUp(loaded: LoadedPolicy, reason: string | undefined): boolean {
  const { repository, graphqlUrl, enforce } = loaded.policy.github;
  if (repository !== '' || graphqlUrl !== '' || enforce === 'reopen') return false;
  return reason !== undefined && (reason.startsWith('no GitHub token') || reason.startsWith('no GitHub repository'));
}

/**
 * The facts read first: those the gate's `when` conditions and waivers name, and every fact
 * of the rules without a `when` (they apply anyway, so their facts are read at once).
 */
function whenFacts(runs: RuleRun[], waivers: CompiledWaiver[]): FactName[] {
  const named = new Set<FactName>(factsNeeded(definitionsOf({ runs: runs.filter((run) => !run.rule.definition.when), waivers })));
  for (const { rule } of runs) {
    if (rule.definition.when) for (const fact of factsNamedIn([rule.definition.when.text], rule.definition.facts)) named.add(fact);
  }
  return [...named];
}

/**
 * The `repo` fields the gate's rules and waivers read, null for all: a hook whose rules read
 * only `repo.dirty` or `repo.branch` starts no for-each-ref or config for the default branch
 * and the remotes (two process starts of a pre-push run's five, bench/hooks.mjs).
 */
function repoFieldsRead(definitions: GateDefinitions): string[] | null {
  const fields = fieldsReadIn(textsReading(definitions, 'repo'), 'repo');
  return fields === null ? null : [...fields];
}

/** Whether the rules and waivers read `push.commits` (or the push fact whole). */
function readsPushCommits(definitions: GateDefinitions): boolean {
  const fields = fieldsReadIn(textsReading(definitions, 'push'), 'push');
  return fields === null || fields.has('commits');
}

/** The CEL texts of the waivers and of the rules that declare `fact`. */
function textsReading({ rules, waivers }: GateDefinitions, fact: FactName): string[] {
  const texts: string[] = waivers.map((waiver) => waiver.when.text);
  for (const { when, variables, checks, facts } of rules) {
    if (!facts.includes(fact)) continue;
    if (when) texts.push(when.text);
    for (const variable of variables) texts.push(variable.expression.text);
    for (const check of checks) texts.push(check.for?.text ?? '', check.expression.text, ...celParts(check.message.text), ...celParts(check.subject.name.text));
  }
  return texts;
}

/**
 * The CEL parts of a message template (`{{ ... }}`, as src/engine/template.ts reads them): its
 * literal text is prose ("this push would point it at"), and a fact's name there reads nothing.
 */
function celParts(template: string): string[] {
  return [...template.matchAll(/\{\{(.*?)\}\}/gs)].map((match) => match[1] ?? '');
}
