// Builds the sample Cargo workspace the demo and the acceptance tests audit: real git
// history with the kinds of drift the real loop left behind (a tag on the wrong version,
// a lowered version, a skipped version, a version without release notes).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Git with its own identity and fixed dates: CI machines have none configured. */
export function git(dir, args, date = '2026-01-01T12:00:00Z') {
  return execFileSync('git', ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Sample Maintainer',
      GIT_AUTHOR_EMAIL: 'maintainer@example.invalid',
      GIT_COMMITTER_NAME: 'Sample Maintainer',
      GIT_COMMITTER_EMAIL: 'maintainer@example.invalid',
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function write(dir, path, text) {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

export function releaseNotes(version, title = 'Sample release') {
  return `# v${version} - ${title}\n\n## What's in this release\n\n- Changes.\n\n## Validation\n\n- cargo test\n\n## Links\n\n- Issue #7\n`;
}

const POLICY = `# yaml-language-server: $schema=https://unpkg.com/release-policy/schema/release-policy.schema.json
version: 1
extends: [recommended]
packages:
  - name: demo-runtime
    ecosystem: cargo
    manifest: crates/demo-runtime/Cargo.toml
    # The demo's loopback registry (CARGO_REGISTRIES_LOCAL_INDEX); crates-io is the default.
    registry: local
    tag: "v{version}"
    releaseNotes: "RELEASE_v{version}.md"
`;

/**
 * The acceptance history of the rule engine: 0.1.1 (tagged v0.1.0), 0.1.0, 0.2.0 (tagged
 * v0.2.0, with RELEASE_v0.2.0.md), 0.2.2 (no notes). The crate inherits its version from
 * the workspace; a second crate is not published.
 */
export function buildSampleRepo(dir = mkdtempSync(join(tmpdir(), 'release-policy-sample-'))) {
  mkdirSync(dir, { recursive: true });
  git(dir, ['init', '-q']);
  const workspace = (version) =>
    `[workspace]\nmembers = ["crates/demo-runtime", "crates/demo-tools"]\nresolver = "2"\n\n[workspace.package]\nversion = "${version}"\nedition = "2021"\n`;
  write(dir, 'release-policy.yml', POLICY);
  write(dir, 'crates/demo-runtime/Cargo.toml', '[package]\nname = "demo-runtime"\nversion.workspace = true\nedition.workspace = true\n');
  write(dir, 'crates/demo-runtime/src/lib.rs', 'pub fn answer() -> u32 { 42 }\n');
  write(dir, 'crates/demo-tools/Cargo.toml', '[package]\nname = "demo-tools"\nversion = "0.0.1"\nedition = "2021"\npublish = false\n');
  write(dir, 'crates/demo-tools/src/lib.rs', '');
  const steps = [
    { version: '0.1.1', message: 'Release 0.1.1', tag: 'v0.1.0', date: '2026-01-05T10:00:00Z' },
    { version: '0.1.0', message: 'Go back to 0.1.0', date: '2026-01-12T10:00:00Z' },
    { version: '0.2.0', message: 'Release 0.2.0', tag: 'v0.2.0', notes: true, date: '2026-02-02T10:00:00Z' },
    { version: '0.2.2', message: 'Bump to 0.2.2 after a failed upload', date: '2026-02-03T10:00:00Z' },
  ];
  for (const step of steps) {
    write(dir, 'Cargo.toml', workspace(step.version));
    if (step.notes) write(dir, `RELEASE_v${step.version}.md`, releaseNotes(step.version));
    git(dir, ['add', '-A'], step.date);
    git(dir, ['commit', '-q', '-m', step.message], step.date);
    if (step.tag) git(dir, ['tag', '-a', '-m', `Release ${step.tag}`, step.tag], step.date);
  }
  return dir;
}
