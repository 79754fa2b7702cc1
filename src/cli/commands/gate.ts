// `policy gate start-issue N | close-issue N | bump V | tag NAME | publish`: whether an
// action is allowed now, for people, scripts and agents. 0 allowed, 1 refused.
import type { GateName } from '../../engine/model.js';
import { FORMATS, renderVerdict, type Format } from '../../report/index.js';
import { didYouMean } from '../../policy/did-you-mean.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { UsageError, type CliContext } from '../context.js';
import { evaluatePolicyGate } from '../evaluate.js';
import { policyFileInRepository } from '../locate-findings.js';
import { parseIssue, parseVersion, readScene, readWorkTree } from '../release.js';

export const GATE_HELP = `Usage: policy gate ACTION [ARG] [--format F] [--package NAME]

Asks whether a release-loop action is allowed now, by the rules of its gate:

  start-issue N    start work on issue N
  close-issue N    close issue N
  bump V           change the package's version to V
  tag NAME         create the tag NAME
  publish          publish the version in the working tree (cargo publish, npm publish)

Prints the findings that refuse it, with the rule, the spec line and how to get unblocked.

Options:
  --format F       ${FORMATS.join(', ')} (default: text)
  --package NAME   the package (default: the journal's last, else the policy's first)
  --policy FILE, --cwd DIR, --debug

Exit codes: 0 allowed, 1 refused, 2 usage or policy error, 3 facts unavailable.
`;

const ACTIONS = ['start-issue', 'close-issue', 'bump', 'tag', 'publish'] as const satisfies readonly GateName[];
type Action = (typeof ACTIONS)[number];

export async function runGate(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('gate', argv, { format: { type: 'string' }, package: { type: 'string' } }, 2);
  if (values.help) {
    ctx.stdout(GATE_HELP);
    return 0;
  }
  const format = oneOf('format', String(values.format ?? 'text'), FORMATS) as Format;
  const [name, raw] = positionals;
  const action = parseAction(name);
  const scene = await readScene(ctx, values);
  let arg: string;
  if (action === 'publish') {
    if (raw !== undefined) throw new UsageError('policy gate publish takes no argument; it asks about the version in the working tree');
    const tree = await readWorkTree(scene);
    if (tree.version === '') throw new UsageError(`cannot read the version of ${scene.pkg.name}: ${tree.manifestError}`, 'Fix the manifest first.');
    arg = tree.version;
  } else {
    if (raw === undefined || raw === '') throw new UsageError(`policy gate ${action} needs ${action === 'bump' ? 'a version' : action === 'tag' ? 'a tag name' : 'an issue number'}`, 'Run `policy gate --help`.');
    arg = parseArg(action, raw);
  }
  const verdict = await evaluatePolicyGate(ctx, scene.cwd, scene.loaded, {
    gate: action,
    arg,
    ...(typeof values.package === 'string' ? { releasePackage: scene.pkg.name } : {}),
  });
  ctx.stdout(renderVerdict(format, verdict, {
    color: ctx.color,
    rules: scene.loaded.catalogue,
    toolVersion: ctx.toolVersion,
    title: `policy gate ${action}${action === 'publish' ? ` (v${arg})` : ` ${arg}`}`,
    policyFile: policyFileInRepository(scene.cwd, scene.loaded),
  }));
  return verdict.exitCode;
}

function parseAction(name: string | undefined): Action {
  if (name === undefined) throw new UsageError('policy gate needs an action', `Actions: ${ACTIONS.join(', ')}.`);
  if ((ACTIONS as readonly string[]).includes(name)) return name as Action;
  const suggestion = didYouMean(name, ACTIONS);
  throw new UsageError(`unknown gate action "${name}"${suggestion ? `; did you mean "${suggestion}"?` : ''}`, `Actions: ${ACTIONS.join(', ')}.`);
}

function parseArg(action: Exclude<Action, 'publish'>, raw: string): string {
  switch (action) {
    case 'start-issue':
    case 'close-issue':
      return String(parseIssue(`policy gate ${action}`, raw));
    case 'bump':
      return parseVersion(`policy gate bump ${raw}`, raw);
    case 'tag':
      return raw.replace(/^refs\/tags\//, '');
  }
}
