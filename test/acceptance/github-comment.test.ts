// Issue acceptance for the status comment on GitHub, as a new user would try it: the crate
// at 0.2.0 on branch issue-7-feature, real cargo against a loopback registry named `local`, a
// loopback GitHub (GitHub's schema) holding issue 7, GITHUB_TOKEN and GITHUB_GRAPHQL_URL set
// and `github.repository` in the policy. A dry-run that fails for a real packaging reason
// posts one comment; a second failing dry-run updates it; the token shows nowhere.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startGitHub, type LoopbackGitHub } from '../../scripts/loopback-github.mjs';
import { cargoEnv, startRegistry } from '../../scripts/loopback-registry.mjs';
import { runPolicyAsync, type CliResult } from '../helpers/cli.js';
import { commitDemoRelease, DEMO_POLICY } from '../helpers/demo-crate.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_CARGO, HAS_GIT } from '../helpers/tools.js';

const CARGO_TIMEOUT = 240_000;
const TOKEN = 'ghp_acceptanceTokenNeverShown000000000001';

if (!HAS_CARGO) console.warn('test/acceptance/github-comment.test.ts: skipped, cargo is not on PATH');

const closers: (() => Promise<unknown>)[] = [];
let repo: TempRepo | null = null;

afterEach(async () => {
  for (const close of closers.splice(0)) await close().catch(() => undefined);
  repo?.remove();
  repo = null;
});

describe.skipIf(!HAS_CARGO || !HAS_GIT)('the status comment with real cargo and a loopback GitHub', () => {
  it('a failing dry-run creates one comment on issue 7, a second updates it, the token shows nowhere', async () => {
    const registry = await startRegistry();
    closers.push(() => registry.close());
    const github: LoopbackGitHub = await startGitHub({ token: TOKEN });
    closers.push(() => github.close());
    github.addIssue(7, { title: 'Feature seven' });
    repo = makeRepo({ branch: 'issue-7-feature' });
    // A real packaging failure: the crate does not compile, so cargo's verify step fails.
    commitDemoRelease(repo, registry, {
      lib: 'pub fn answer() -> u32 { "forty-two" }\n',
      files: { 'release-policy.yml': `${DEMO_POLICY}github:\n  repository: acme/demo\n` },
    });
    const env = {
      ...(cargoEnv(registry, join(repo.dir, '.cargo-home')) as Record<string, string>),
      ...hermeticGitEnv,
      POLICY_OFFLINE: '0',
      GITHUB_TOKEN: TOKEN,
      GITHUB_GRAPHQL_URL: github.url,
    };
    const dir = repo.dir;
    const policy = (...args: string[]): Promise<CliResult> => runPolicyAsync(args, { cwd: dir, env });
    const comments = () => github.issues.get(7)?.comments ?? [];

    const first = await policy('run', '--', 'cargo', 'publish', '--registry', 'local', '--dry-run');
    expect(first.code).not.toBe(0);
    expect(comments()).toHaveLength(1);
    const body = comments()[0]!.body;
    const lines = body.split('\n');
    expect(lines[0]).toBe('Release blocked for demo v0.2.0.');
    expect(lines.slice(2, 4)).toEqual(['Failed step:', '- cargo publish --registry local --dry-run']);
    expect(body).toContain('\n- crate published: no\n');
    expect(body).toMatch(/\n- next action: fix packaging, manifest or validation problems, then rerun the dry-run/);

    const second = await policy('run', '--', 'cargo', 'publish', '--registry', 'local', '--dry-run');
    expect(second.code).toBe(first.code);
    expect(comments()).toHaveLength(1);
    expect(comments()[0]!.updatedAt >= comments()[0]!.createdAt).toBe(true);
    expect(second.stderr).toMatch(/policy run: (updated the status comment|the status comment on acme\/demo#7 is up to date)/);

    const journal = readFileSync(join(dir, '.git', 'release-policy', 'journal.jsonl'), 'utf8');
    for (const text of [first.stdout, first.stderr, second.stdout, second.stderr, journal, comments()[0]!.body]) expect(text).not.toContain(TOKEN);
  }, CARGO_TIMEOUT);
});
