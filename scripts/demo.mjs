// `npm run demo`: builds the sample workspace in a temporary folder and audits it.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSampleRepo, git } from './sample-repo.mjs';
import { runReleaseDemo } from './demo-release.mjs';

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
  console.log('Workspace versions along main: 0.1.1 (tagged v0.1.0), 0.1.0, 0.2.0 (tagged v0.2.0, with notes), 0.2.2 (no notes)\n');
  console.log('$ policy audit\n');
  const audit = spawnSync(process.execPath, [cli, 'audit'], { cwd: dir, stdio: 'inherit' });
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
    console.log('\nThe release loop stopped at the failed dry-run, refused every hard stop, and went on once the dry-run passed.');
  }
}
