// `policy decide` refuses what is not a deliberate next version: no release to decide for,
// a leading `v`, a version not higher than the one under release. Each refusal is exit 2 with
// the reason, and records nothing. Real git, plain shell commands as release steps.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPolicy, type CliResult } from '../helpers/cli.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_GIT } from '../helpers/tools.js';

let repo: TempRepo;

beforeEach(() => {
  if (!HAS_GIT) return;
  repo = makeRepo({ branch: 'issue-7-feature' });
  repo.commit('release 0.2.0', {
    'release-policy.yml': 'version: 1\npackages:\n  - name: demo\n    registry: local\nissues:\n  branch: "issue-{issue}-*"\n',
    'Cargo.toml': '[package]\nname = "demo"\nversion = "0.2.0"\nedition = "2021"\n',
  });
});

afterEach(() => {
  if (HAS_GIT) repo.remove();
});

const policy = (...args: string[]): CliResult => runPolicy(args, { cwd: repo.dir, env: hermeticGitEnv });
const journalLines = (): number => {
  const file = join(repo.dir, '.git', 'release-policy', 'journal.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).length : 0;
};
const failDryRun = (): CliResult => policy('run', '--phase', 'dry-run', '--', 'sh', '-c', 'echo "error: failed to verify package tarball" >&2; exit 101');

describe.skipIf(!HAS_GIT)('policy decide refuses', () => {
  it('a decision with no release in progress', () => {
    const result = policy('decide', '--version', '0.2.1', '--reason', 'just because');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no release of demo is in progress, so there is no release to decide a next version for');
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(journalLines()).toBe(0);
  });

  it('a decision once the release is closed', () => {
    // The journal of a release that went through: written as `policy run` writes it.
    const commands: Record<string, string[]> = {
      'dry-run': ['cargo', 'publish', '--dry-run'], publish: ['cargo', 'publish'], tag: ['git', 'tag', 'v0.2.0'],
      push: ['git', 'push', 'origin', 'HEAD', 'v0.2.0'], closeout: ['gh', 'issue', 'close', '7'],
    };
    const events = ['dry-run', 'publish', 'tag', 'push', 'closeout'].map((phase, i) => ({
      v: 1, id: `0000000${i}`, at: `2026-11-24T19:0${i}:00Z`, type: 'step-finished', package: 'demo', version: '0.2.0', issue: 7,
      phase, command: commands[phase], exitCode: 0, outcome: phase === 'publish' ? 'published' : 'ok', reason: 'exit-zero',
      ...(phase === 'publish' ? { published: 'yes' } : {}),
    }));
    mkdirSync(join(repo.dir, '.git', 'release-policy'), { recursive: true });
    writeFileSync(join(repo.dir, '.git', 'release-policy', 'journal.jsonl'), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    expect(JSON.parse(policy('status', '--format', 'json').stdout).status).toBe('closed');
    const before = journalLines();
    const result = policy('decide', '--version', '0.2.1', '--reason', 'next one');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the release of demo v0.2.0 is closed');
    expect(journalLines()).toBe(before);
  });

  it.each([
    ['v0.2.1', 'give the version without a leading v', 'policy decide --version 0.2.1'],
    ['V0.2.1', 'give the version without a leading v', 'policy decide --version 0.2.1'],
    ['0.1.9', '--version 0.1.9 is not higher than v0.2.0, the version under release for demo', 'for example 0.2.1'],
    ['0.2.0-rc.1', '--version 0.2.0-rc.1 is not higher than v0.2.0', 'higher than 0.2.0'],
    ['0.2.0+build.1', '--version 0.2.0+build.1 is not higher than v0.2.0, the version under release for demo (build metadata does not make a new version)', 'higher than 0.2.0'],
    ['0.2.0', 'v0.2.0 is already the version under release for demo', 'next version'],
  ])('--version %s while 0.2.0 is blocked: exit 2, %s', (version, reason, hint) => {
    expect(failDryRun().code).toBe(101);
    const before = journalLines();
    const result = policy('decide', '--version', version, '--reason', 'the registry has it');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(reason);
    expect(result.stderr).toContain(hint);
    expect(journalLines()).toBe(before);
  });
});

describe.skipIf(!HAS_GIT)('policy decide records', () => {
  it('a higher version for a blocked release', () => {
    expect(failDryRun().code).toBe(101);
    const result = policy('decide', '--version', '0.2.1', '--reason', '0.2.0 is taken');
    expect(result.code).toBe(0);
    expect(JSON.parse(policy('status', '--format', 'json').stdout).decisions).toMatchObject([{ version: '0.2.1', reason: '0.2.0 is taken' }]);
  });
});
