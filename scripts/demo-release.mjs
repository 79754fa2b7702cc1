// The release-loop half of `npm run demo`: a crate whose real `cargo publish --dry-run`
// fails for a packaging reason under `policy run`, against a loopback registry; then the
// status comment, each refused gate, the git hooks refusing a tag and a bump, the fix, and
// the block clearing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cargoEnv, startRegistry, writeCargoConfig, writeCrate } from './loopback-registry.mjs';
import { git } from './sample-repo.mjs';

const POLICY = `# yaml-language-server: $schema=../schema/release-policy.schema.json
version: 1
packages:
  - name: demo-runtime
    registry: local
    releaseNotes: "RELEASE_v{version}.md"
issues:
  branch: "issue-{issue}-*"
`;

const NOTES = `# demo-runtime v0.2.0

## What's in this release

- The answer, now documented.

## Validation

- cargo test
`;

const MANIFEST = '[package]\nname = "demo-runtime"\nversion = "0.2.0"\nedition = "2021"\ndescription = "Demo crate"\nlicense = "MIT"\nreadme = "README.md"\n';

const IDENTITY = {
  GIT_AUTHOR_NAME: 'Sample Maintainer',
  GIT_AUTHOR_EMAIL: 'maintainer@example.invalid',
  GIT_COMMITTER_NAME: 'Sample Maintainer',
  GIT_COMMITTER_EMAIL: 'maintainer@example.invalid',
};

/** Runs the demo; returns the problems seen (an empty list when everything behaved as the spec says). */
export async function runReleaseDemo(cli) {
  const problems = [];
  const registry = await startRegistry();
  const dir = mkdtempSync(join(tmpdir(), 'release-policy-demo-crate-'));
  const env = cargoEnv(registry, join(dir, '.cargo-home'));
  // Not spawnSync: the registry answers from this process's event loop.
  const show = async (args, expect) => {
    console.log(`\n$ policy ${args.join(' ')}`);
    const status = await new Promise((resolve) => {
      spawn(process.execPath, [cli, ...args], { cwd: dir, env, stdio: 'inherit' }).on('close', resolve);
    });
    const ok = typeof expect === 'function' ? expect(status) : status === expect;
    if (!ok) problems.push(`policy ${args.join(' ')} exited ${status}`);
    return status;
  };
  // git itself, with the hooks `policy hooks install` put in place.
  const showGit = async (args, expect) => {
    console.log(`\n$ git ${args.join(' ')}`);
    const status = await new Promise((resolve) => {
      spawn('git', args, { cwd: dir, env: { ...env, ...IDENTITY }, stdio: 'inherit' }).on('close', resolve);
    });
    const ok = typeof expect === 'function' ? expect(status) : status === expect;
    if (!ok) problems.push(`git ${args.join(' ')} exited ${status}`);
    return status;
  };
  try {
    git(dir, ['init', '-q', '-b', 'issue-7-feature']);
    writeCrate(dir, { name: 'demo-runtime', version: '0.2.0' });
    // A real packaging problem: the manifest names a README that does not exist.
    writeFileSync(join(dir, 'Cargo.toml'), MANIFEST);
    writeCargoConfig(dir, registry);
    writeFileSync(join(dir, 'release-policy.yml'), POLICY);
    writeFileSync(join(dir, 'RELEASE_v0.2.0.md'), NOTES);
    writeFileSync(join(dir, '.gitignore'), '/target\n/.cargo-home\n/.cargo/\n');
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '-m', 'Release demo-runtime 0.2.0 (#7)']);
    await show(['hooks', 'install', '--manager', 'git'], 0);

    console.log(`\n--- The release loop: crate demo-runtime 0.2.0 on branch issue-7-feature, loopback registry ${registry.url}`);
    console.log('--- Cargo.toml names readme = "README.md", which does not exist: the dry-run fails.');
    await show(['run', '--', 'cargo', 'publish', '--registry', 'local', '--dry-run'], (code) => code !== 0);
    await show(['status'], 0);
    await show(['comment'], 0);
    console.log('\n--- Every hard stop of publish-failure.md is now a refusal:');
    for (const args of [['tag', 'v0.2.0'], ['start-issue', '8'], ['close-issue', '7'], ['bump', '0.2.1'], ['publish']]) {
      await show(['gate', ...args], 1);
    }
    console.log('\n--- ... and the git hooks refuse them too: a release tag, and a silent bump to 0.2.1:');
    await showGit(['tag', 'v0.2.0'], (code) => code !== 0);
    writeFileSync(join(dir, 'Cargo.toml'), MANIFEST.replace('0.2.0', '0.2.1'));
    await showGit(['commit', '-q', '-am', 'Bump to 0.2.1'], (code) => code !== 0);
    writeFileSync(join(dir, 'Cargo.toml'), MANIFEST);
    console.log('\n--- Fix the packaging problem (add the README), commit, rerun the dry-run:');
    writeFileSync(join(dir, 'README.md'), '# demo-runtime\n\nThe answer.\n');
    git(dir, ['add', 'README.md']);
    await showGit(['commit', '-q', '-m', 'Add the README the manifest names (#7)'], 0);
    await show(['run', '--', 'cargo', 'publish', '--registry', 'local', '--dry-run'], 0);
    await show(['status'], 0);
    await show(['gate', 'publish'], 0);
    console.log('\n--- Publish for real (to the loopback registry), then the tag is allowed:');
    await show(['run', '--', 'cargo', 'publish', '--registry', 'local'], 0);
    await show(['gate', 'tag', 'v0.2.0'], 0);
    await showGit(['tag', 'v0.2.0'], 0);
    await show(['status'], 0);
  } finally {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return problems;
}
