// `policy hook pre-push|pre-commit|commit-msg|reference-transaction [git's args]`: the hook
// entry points the shims (hooks/) hand over to when shell alone cannot decide. Each reads its
// input exactly as git gives it, evaluates its gate, and on a refusal prints what was refused,
// the rule, the spec line behind it and how to get unblocked. Exit 0 allows, 1 refuses (git
// aborts the commit, push or ref update), 2 for a broken policy (the hook fails closed).
import type { GateName, Verdict } from '../../engine/model.js';
import { findRepoRoot } from '../../policy/locate.js';
import { renderVerdict } from '../../report/index.js';
import { parseCommandArgs } from '../args.js';
import { UsageError, type CliContext } from '../context.js';
import { evaluatePolicyGate } from '../evaluate.js';
import { findPolicy, loadPolicy, resolveCwd, type LoadedPolicy } from '../load.js';
import { refreshSettings } from '../../hooks/settings.js';
import { createTiming } from '../timing.js';
import type { HookInput } from '../../facts/collect.js';

export const HOOK_HELP = `Usage: policy hook NAME [git's arguments]   (git's stdin as it comes)

The entry points of the git hook shims that \`policy hooks install\` writes. You do not
normally run these yourself; the shims call them only when shell cannot decide alone.

  pre-push REMOTE URL         stdin: "<local ref> <local sha> <remote ref> <remote sha>" lines
  pre-commit                  reads the index git is committing (GIT_INDEX_FILE)
  commit-msg FILE             reads the commit message file
  reference-transaction STATE stdin: "<old sha> <new sha> <ref>" lines; acts on "prepared"

Each evaluates its gate (pre-push, pre-commit, commit-msg; reference-transaction asks the
tag gate for every release tag it creates or moves). Hooks take no flags: set
POLICY_OFFLINE=1 in the environment to skip network facts.

Exit codes: 0 allowed, 1 refused, 2 usage or policy error, 3 facts unavailable.
`;

const HOOKS = ['pre-push', 'pre-commit', 'commit-msg', 'reference-transaction'] as const;
type Hook = (typeof HOOKS)[number];

/** The commands that bypass one hook call, for the refusal's last line. */
const BYPASS: Record<Hook, string> = {
  'pre-push': 'git push --no-verify',
  'pre-commit': 'git commit --no-verify',
  'commit-msg': 'git commit --no-verify',
  'reference-transaction': 'git -c core.hooksPath=/dev/null tag ...',
};

export async function runHook(ctx: CliContext, argv: string[]): Promise<number> {
  // Git's arguments are positionals; a message file named like a flag still follows `--`.
  const { values, positionals } = parseCommandArgs('hook', argv, {}, 3);
  if (values.help) {
    ctx.stdout(HOOK_HELP);
    return 0;
  }
  const [name, ...args] = positionals;
  const hook = parseHook(name);
  const cwd = resolveCwd(ctx, values.cwd);
  const policyFile = findPolicy(cwd, values.policy);
  const root = findRepoRoot(cwd) ?? cwd;
  if (policyFile === null) {
    keepSettings(ctx, root, null, '');
    ctx.stderr(`release-policy: no release-policy.yml in ${root}; the ${hook} hook has nothing to check\n`);
    return 0;
  }
  const timing = createTiming(ctx);
  const loaded = await loadPolicy(policyFile, ctx.toolVersion);
  keepSettings(ctx, root, loaded, policyFile);
  timing.mark('load policy');
  const queries = await hookQueries(ctx, hook, args);
  timing.mark('read input');
  let worst = 0;
  for (const query of queries) {
    const verdict = await evaluatePolicyGate(ctx, cwd, loaded, { ...query, viaHook: true }, timing.mark);
    report(ctx, hook, query, verdict, loaded);
    timing.mark('report');
    worst = Math.max(worst, verdict.exitCode);
  }
  timing.print();
  return worst;
}

function parseHook(name: string | undefined): Hook {
  if ((HOOKS as readonly (string | undefined)[]).includes(name)) return name as Hook;
  throw new UsageError(
    name === undefined ? 'policy hook needs a hook name' : `unknown hook "${name}"`,
    `Hooks: ${HOOKS.join(', ')}. Install the shims with \`policy hooks install\`.`,
  );
}

interface HookQuery {
  gate: GateName;
  arg: string;
  hook?: HookInput;
  /** What is being asked about, for the refusal's first line. */
  subject: string;
}

async function hookQueries(ctx: CliContext, hook: Hook, args: string[]): Promise<HookQuery[]> {
  switch (hook) {
    case 'pre-push': {
      const [remote = '', url = remote] = args;
      if (remote === '') throw new UsageError('policy hook pre-push needs the remote and its URL, as git passes them');
      const { parsePushInput, PushInputError } = await import('../../facts/pre-push.js');
      let lines;
      try {
        lines = parsePushInput(await ctx.readStdin());
      } catch (error) {
        if (error instanceof PushInputError) throw new UsageError(error.message, 'The pre-push hook reads what git writes to it; run it through `git push`.');
        throw error;
      }
      // git runs pre-push even when nothing is to be pushed: there is nothing to refuse.
      if (lines.length === 0) return [];
      // A push to a URL names the remote by that URL, which may carry a token: neither the
      // push fact nor the refusal keeps it. A remote's name is no URL and stays as it is.
      const { redactUrl } = await import('../../release/redact.js');
      const shown = redactUrl(remote);
      return [{ gate: 'pre-push', arg: '', hook: { remote: shown, url: redactUrl(url), lines }, subject: `git push to ${shown}` }];
    }
    case 'pre-commit':
      return [{ gate: 'pre-commit', arg: '', subject: 'git commit' }];
    case 'commit-msg': {
      const [file] = args;
      if (file === undefined) throw new UsageError('policy hook commit-msg needs the message file, as git passes it');
      return [{ gate: 'commit-msg', arg: file, subject: 'git commit' }];
    }
    case 'reference-transaction': {
      const [state] = args;
      if (state === undefined) throw new UsageError('policy hook reference-transaction needs the state, as git passes it');
      // Only `prepared` can still abort the update; git ignores the exit code afterwards.
      if (state !== 'prepared') return [];
      const { transactionTags } = await import('../../facts/pre-push.js');
      return transactionTags(await ctx.readStdin()).map(({ name, commit }) => ({
        gate: 'tag',
        arg: name,
        hook: { tagCommit: commit },
        subject: `creating tag ${name}`,
      }));
    }
  }
}

function report(ctx: CliContext, hook: Hook, query: HookQuery, verdict: Verdict, loaded: LoadedPolicy): void {
  if (verdict.findings.length === 0 && verdict.exitCode === 0) return;
  const refused = verdict.exitCode !== 0;
  const lines: string[] = [];
  if (refused) lines.push(`release-policy: ${query.subject} refused by the release policy (${hook} hook)`, '');
  lines.push(renderVerdict('text', verdict, {
    color: ctx.color,
    rules: loaded.catalogue,
    toolVersion: ctx.toolVersion,
    title: `policy hook ${hook}`,
  }).trimEnd());
  if (refused) {
    const specs = new Map<string, string>();
    for (const finding of verdict.findings) if (finding.severity === 'error' && finding.spec !== '') specs.set(finding.rule, finding.spec);
    if (specs.size > 0) {
      lines.push('', 'Why:');
      for (const [rule, spec] of specs) lines.push(`  ${rule}: ${spec}`);
    }
    lines.push(
      '',
      'To get unblocked: do what each fix says; `policy status` shows the release state and its next action.',
      `The hook is your guard rail, CI is the authority: \`${BYPASS[hook]}\` skips this hook once, and CI checks again.`,
    );
  }
  ctx.stderr(`${lines.join('\n')}\n`);
}

/** Keeps the shims' settings current (hooks/release-policy.sh), quietly: a hook never fails for them. */
function keepSettings(ctx: CliContext, root: string, loaded: LoadedPolicy | null, policyFile: string): void {
  try {
    refreshSettings({ root, policyFile, policy: loaded?.policy ?? null, cli: ctx.cliPath, node: ctx.nodePath });
  } catch (error) {
    if (ctx.debug) ctx.stderr(`release-policy: cannot write the hook settings: ${(error as Error).message}\n`);
  }
}
