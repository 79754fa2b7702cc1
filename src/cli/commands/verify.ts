// `policy verify`: the explicit registry confirmation publish-failure.md asks for ("treat the
// release as unknown and stop until the actual crates.io state is confirmed"). It asks the
// registry about the version under release, compares the registry's checksum with the local
// package when the version is there, and records the answer in the journal.
import { join } from 'node:path';
import { newEvent } from '../../facts/journal.js';
import { localChecksum } from '../../facts/local-package.js';
import { appendReleaseEvent, gitCommonDir, releaseState } from '../../facts/release.js';
import { readJournal } from '../../facts/journal.js';
import { resolvePublishTarget, type ResolvedPublishTarget } from '../../facts/publish-target.js';
import { formatCommand, type JournalEvent } from '../../release/model.js';
import { askRegistry, cargoIndexLocation, RegistryConfigError, resolveCargoRegistry, resolveNpmRegistry } from '../../registry/ask.js';
import { createRedactor } from '../../release/redact.js';
import { verificationVerdict } from '../../release/verification.js';
import { parseCommandArgs } from '../args.js';
import { isOffline, UsageError, type CliContext } from '../context.js';
import { findRepoRoot } from '../../policy/locate.js';
import { readScene, readWorkTree, warnJournalProblems, type ReleaseScene } from '../release.js';

export const VERIFY_HELP = `Usage: policy verify [--package NAME]

Asks the package's registry whether the version under release is published, and records
the answer in the release journal. The registry's word is three-valued:

  yes       the registry has the version. Its checksum is compared with the local package
            (\`cargo package\` at the commit the publish ran on; \`npm pack\` for npm):
            the same content means our upload landed and the release is released;
            other content means the version is taken: decide a new version with
            \`policy decide --version V --reason TEXT\`
  no        the registry says it does not have the version: a retry is allowed
  unknown   the registry could not be asked (unreachable, 5xx, timeout, 429), or its
            index and API disagree (an index lagging behind a publish): the release stays
            as it was; ask again later

Cargo: the crate and registry the recorded publish of the version used, as cargo chose
them: --index URL, else --registry NAME, else the manifest's publish = ["NAME"], else
cargo's registry.default, else crates-io; the crate -p NAME names, else the manifest's
[package] name (--manifest-path read too). With no publish recorded, the policy's package
and registry (packages[].registry). A registry name is read as cargo's configuration defines
it: crates-io (the sparse index https://index.crates.io/ and the web API
https://crates.io/api/v1), [registries.NAME] index = "sparse+https://..." in
.cargo/config.toml from this folder up, then $CARGO_HOME/config.toml, or
CARGO_REGISTRIES_<NAME>_INDEX.
npm: as npm resolves it: @scope:registry for a scoped name, else npm_config_registry, else
registry= in .npmrc (this folder up, then the user's), else https://registry.npmjs.org/.

Options:
  --package NAME   the package (default: the journal's last)
  --policy FILE, --cwd DIR, --debug

Exit codes: 0 the registry answered (yes, no or taken) and it is recorded; 3 the answer is
unknown (recorded too, with its evidence; also when POLICY_OFFLINE=1, recording nothing);
2 usage or policy error, such as a registry name cargo's configuration does not define.
`;

export async function runVerify(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('verify', argv, { package: { type: 'string' } });
  if (values.help) {
    ctx.stdout(VERIFY_HELP);
    return 0;
  }
  const scene = await readScene(ctx, values);
  warnJournalProblems(ctx, scene);
  const { pkg, state } = scene;
  if (isOffline(ctx)) {
    ctx.stderr('policy verify: POLICY_OFFLINE=1 is set, and verifying means asking the registry; nothing was recorded.\n  hint: run it where the registry is reachable, without POLICY_OFFLINE.\n');
    return 3;
  }
  const version = state.version ?? (await readWorkTree(scene)).version;
  const root = findRepoRoot(scene.cwd) ?? scene.cwd;
  // The crate and registry the recorded publish went to, not only the policy's: asking the
  // policy's registry about a crate uploaded elsewhere reads "no" and opens the publish gate.
  const target: ResolvedPublishTarget = pkg.ecosystem === 'cargo'
    ? await resolvePublishTarget({ root, cwd: scene.cwd, pkg, events: scene.journal.contents.events, version, env: ctx.env })
    : { crate: pkg.name, registry: pkg.registry, from: 'the policy', command: null, manifest: pkg.manifest };
  // A registry the configuration does not define is a usage error (exit 2), not an unknown answer.
  try {
    if (pkg.ecosystem === 'npm') resolveNpmRegistry(pkg.name, scene.cwd, ctx.env);
    else if (target.index !== undefined) cargoIndexLocation(target.index, '--index');
    else resolveCargoRegistry(target.registry, scene.cwd, ctx.env);
  } catch (error) {
    if (!(error instanceof RegistryConfigError)) throw error;
    const named = target.command === null
      ? `The policy names registry "${pkg.registry}" for ${pkg.name} (packages[].registry in release-policy.yml).`
      : `The registry comes from ${target.from}: \`${formatCommand(target.command)}\`.`;
    throw new UsageError(error.message, named);
  }
  if (version === '') throw new UsageError(`no version to verify for ${pkg.name}: nothing is in the journal and the manifest has none`);

  const answer = await askRegistry({
    ecosystem: pkg.ecosystem,
    name: target.crate,
    version,
    registry: target.registry,
    ...(target.index === undefined ? {} : { index: target.index }),
    cwd: scene.cwd,
    env: ctx.env,
    cacheDir: join(await gitCommonDir(scene.cwd, ctx.env), 'release-policy', 'registry-cache'),
    toolVersion: ctx.toolVersion,
  });

  const local = answer.published !== 'yes' ? null : await localChecksum({
    root,
    ecosystem: pkg.ecosystem,
    manifest: target.manifest ?? pkg.manifest,
    name: target.crate,
    version,
    commit: publishCommit(scene, version),
    env: ctx.env,
    // A `-p` crate whose manifest was not found is packaged from the policy's workspace.
    ...(target.manifest === null && target.crate !== pkg.name ? { cargoPackage: target.crate } : {}),
  });
  const verdict = verificationVerdict(answer, local);

  // URLs in the evidence are redacted already; cargo's and npm's messages in a reason may hold
  // anything the environment does (a token-like value), so the whole record is redacted too.
  const redactor = createRedactor([], ctx.env);
  const asked = { crate: target.crate, registry: answer.registry, url: answer.url, from: target.from };
  const event = newEvent({
    type: 'verification',
    package: pkg.name,
    version,
    issue: state.issue,
    published: verdict.published,
    ...(verdict.content === undefined ? {} : { content: verdict.content }),
    evidence: answer.evidence,
    reason: redactor.text(verdict.reason),
    asked: { ...asked, registry: redactor.text(asked.registry), from: redactor.text(asked.from) },
  });
  await appendReleaseEvent(scene.journal.path, event);
  const after = releaseState(await readJournal(scene.journal.path), { package: pkg.name, defaultPackage: pkg.name, ecosystem: pkg.ecosystem, journalFile: scene.journal.path });

  const where = answer.url === '' || answer.url === answer.registry ? answer.registry : `${answer.registry} (${answer.url})`;
  const elsewhere = target.crate !== pkg.name || target.registry !== pkg.registry;
  const lines = [
    `${target.crate} ${version} on ${where}: published ${verdict.word}`,
    ...(elsewhere ? [`  asked ${target.crate} on ${answer.registry} (from ${target.from}); the policy names ${pkg.name} on ${pkg.registry}`] : []),
    ...(verdict.compared === '' ? [] : [`  ${verdict.compared}`]),
    ...(verdict.published === 'unknown' && answer.reason !== '' ? [`  why unknown: ${answer.reason}`] : []),
    '  evidence:',
    ...answer.evidence.map((e) => `    ${e.at}  ${e.status ?? 'no answer'}  ${e.source}  ${e.detail}`),
    `Recorded in ${scene.journal.path}. The release is ${after.status}${after.taken ? ' (version taken)' : ''}.`,
    `  next action: ${after.nextAction}`,
  ];
  ctx.stdout(redactor.text(`${lines.join('\n')}\n`));
  return verdict.published === 'unknown' ? 3 : 0;
}

/** The commit the last publish of the version ran on, from the journal; null when none is recorded. */
function publishCommit(scene: ReleaseScene, version: string): string | null {
  const events: JournalEvent[] = scene.journal.contents.events;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.package === scene.pkg.name && e.version === version && e.phase === 'publish' && e.commit) return e.commit;
  }
  return null;
}
