// `policy hook` and `policy hooks` as commands: bad input, states that need no evaluation,
// install refusals, and what doctor says for plain git installs.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPolicy } from '../helpers/cli.js';
import { makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_GIT } from '../helpers/tools.js';

const POLICY = 'version: 1\npackages:\n  - name: demo\n';
const ZERO = '0'.repeat(40);

describe.skipIf(!HAS_GIT)('policy hook and policy hooks', () => {
  let repo: TempRepo;
  beforeEach(() => {
    repo = makeRepo({ files: { 'release-policy.yml': POLICY, 'Cargo.toml': '[package]\nname = "demo"\nversion = "0.2.0"\n' } });
  });
  afterEach(() => repo?.remove());

  const policy = (args: string[], input = '', env: Record<string, string> = {}) => runPolicy(args, { cwd: repo.dir, input, env });

  it('pre-push input git would never write is exit 2 with the line and the expected shape', () => {
    const result = policy(['hook', 'pre-push', 'origin', 'url'], 'refs/heads/main abc refs/heads/main\n');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('pre-push input line 1: 3 fields; expected "<local ref> <local sha> <remote ref> <remote sha>"');
  });

  it('a push of nothing and a transaction past "prepared" are allowed without evaluation', () => {
    expect(policy(['hook', 'pre-push', 'origin', 'url'], '')).toMatchObject({ code: 0, stderr: '' });
    const line = `${ZERO} ${'a'.repeat(40)} refs/tags/v0.2.0\n`;
    expect(policy(['hook', 'reference-transaction', 'committed'], line)).toMatchObject({ code: 0, stderr: '' });
  });

  it('a release tag on a commit whose manifest carries another version is refused by the tag hook', () => {
    const head = repo.git('rev-parse', 'HEAD');
    const result = policy(['hook', 'reference-transaction', 'prepared'], `${ZERO} ${head} refs/tags/v0.3.0\n`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('release-policy: creating tag v0.3.0 refused by the release policy (reference-transaction hook)');
    expect(result.stderr).toContain('new-tag-matches-manifest');
    expect(result.stderr).toContain('the tag names demo 0.3.0, but the manifest there carries 0.2.0');
    expect(result.stderr).toContain('Why:\n  new-tag-matches-manifest: Hard Stop Rule');
    expect(policy(['hook', 'reference-transaction', 'prepared'], `${ZERO} ${head} refs/tags/v0.2.0\n`).code).toBe(0);
  });

  it('unknown hooks and missing arguments are usage errors', () => {
    expect(policy(['hook', 'post-commit'])).toMatchObject({ code: 2 });
    expect(policy(['hook', 'post-commit']).stderr).toContain('unknown hook "post-commit"');
    expect(policy(['hook', 'commit-msg']).stderr).toContain('needs the message file');
    expect(policy(['hooks', 'install', '--manager', 'lefthook']).stderr).toContain('--manager must be one of git, husky');
  });

  it('a worktree without a policy file is allowed, and says so', () => {
    rmSync(join(repo.dir, 'release-policy.yml'));
    const result = policy(['hook', 'pre-commit']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('no release-policy.yml');
  });

  it('install --manager git refuses husky\'s hooks path and a global one, with what to do', () => {
    repo.git('config', 'core.hooksPath', '.husky/_');
    const husky = policy(['hooks', 'install', '--manager', 'git']);
    expect(husky.code).toBe(2);
    expect(husky.stderr).toContain('core.hooksPath is .husky/_: husky runs this repository\'s hooks');
    repo.git('config', '--unset', 'core.hooksPath');
    const globalConfig = join(repo.dir, '.git', 'global-config');
    writeFileSync(globalConfig, '[core]\n\thooksPath = /tmp/all-hooks\n');
    const global = policy(['hooks', 'install', '--manager', 'git'], '', { GIT_CONFIG_GLOBAL: globalConfig });
    expect(global.code).toBe(2);
    expect(global.stderr).toContain('in your global git config: installing there would change the hooks of every repository');
  });

  it('doctor finds a missing or foreign hook and says how to fix it; after install all is well', () => {
    const before = policy(['hooks', 'doctor']);
    expect(before.code).toBe(1);
    expect(before.stdout).toMatch(/FAIL {2}pre-push: .*\.git\/hooks\/pre-push is missing\n {6}fix: policy hooks install --manager git/);
    expect(policy(['hooks', 'install']).code).toBe(0);
    const after = policy(['hooks', 'doctor']);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('The release-policy hooks run in this worktree.');
    writeFileSync(join(repo.dir, '.git', 'hooks', 'commit-msg'), '#!/bin/sh\nexit 0\n');
    const foreign = policy(['hooks', 'doctor']);
    expect(foreign.code).toBe(1);
    expect(foreign.stdout).toContain('commit-msg: ');
    expect(foreign.stdout).toContain('is not the release-policy shim');
  });

  it('install writes the settings the shims read: tag and path patterns from the policy', () => {
    expect(policy(['hooks', 'install']).code).toBe(0);
    const settings = readFileSync(join(repo.dir, '.git', 'release-policy', 'hooks.conf'), 'utf8');
    expect(settings).toContain(`rp_policy='${join(repo.dir, 'release-policy.yml')}'`);
    expect(settings).toContain("rp_tags='v[0-9]*'");
    expect(settings).toContain("rp_paths='Cargo.toml\nRELEASE_v*.md'");
  });
});
