// `npm run demo`: builds the sample workspace in a temporary folder and audits it, then walks
// publish-failure.md with real cargo against a loopback registry, and shows the status comment
// on a loopback GitHub and a second clone (scripts/demo-release.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSampleRepo, git } from './sample-repo.mjs';
import { runReleaseDemo } from './demo-release.mjs';
import { startRegistry } from './loopback-registry.mjs';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.cjs');
const probe = spawnSync('git', ['--version'], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.error('The demo needs git on PATH to build its sample repository; git was not found.');
  process.exit(1);
}

const dir = buildSampleRepo();
try {
  console.log(`Sample Cargo workspace: ${dir}\n`);
  console.log('History of main (oldest last):');
  console.log(git(dir, ['log', '--format=  %h %d %s', '--decorate=short']).replace(/HEAD -> main, /, ''));
  console.log('Workspace versions along main: 0.1.1 (tagged v0.1.0), 0.1.0, 0.2.0 (tagged v0.2.0, with notes), 0.2.2 (no notes)');
  // The sample's registry `local` is a loopback registry in this process that has 0.1.0, 0.1.1
  // and 0.2.0 of demo-runtime: the audit asks it whether each release tag names a published
  // version and each published version has its tag (0.1.1 has none).
  const registry = await startRegistry();
  for (const version of ['0.1.0', '0.1.1', '0.2.0']) registry.seed('demo-runtime', version);
  console.log(`Its registry \`local\` (${registry.indexUrl}) has demo-runtime 0.1.0, 0.1.1 and 0.2.0.\n`);
  console.log('$ policy audit\n');
  // Asynchronous: the registry answers from this process's event loop.
  const audit = await new Promise((resolve) => {
    const env = { ...process.env, POLICY_OFFLINE: '0', CARGO_REGISTRIES_LOCAL_INDEX: `sparse+${registry.indexUrl}` };
    spawn(process.execPath, [cli, 'audit'], { cwd: dir, env, stdio: 'inherit' }).on('close', (status) => resolve({ status }));
  });
  await registry.close();
  console.log(`\npolicy audit exited ${audit.status}${audit.status === 1 ? ' (violations found, as the sample intends)' : ''}.`);
  console.log('\n$ policy explain version-not-skipped\n');
  spawnSync(process.execPath, [cli, 'explain', 'version-not-skipped'], { cwd: dir, stdio: 'inherit' });
  process.exitCode = audit.status === 1 ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log('\nThe release-loop part of the demo needs cargo on PATH; cargo was not found, so it is skipped.');
} else {
  const problems = await runReleaseDemo(cli);
  if (problems.length > 0) {
    console.error(`\nThe demo did not go as the spec says:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exitCode = 1;
  } else {
    console.log(`\n\nEvery step behaved as publish-failure.md says:
  1. dry-run failure: no tag, no bump, no next issue until the dry-run passed
  2. ambiguous publish: no blind retry (one upload), no tag until \`policy verify\` confirmed it
  3. push rejected after the publish: released, issue #7 open until the push and the closeout
  4. version taken by other content: no bump until a decision was recorded
  5. the status comment on the issue (loopback GitHub): posted once, then updated in place; the token shown nowhere;
     a second clone with no journal reads the blocked release from the issue and is refused`);
  }
}
