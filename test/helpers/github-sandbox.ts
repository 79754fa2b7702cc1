// A repository of crate demo 0.2.0 on the branch of issue 7, and a loopback GitHub (GitHub's
// published schema, in-memory issues) with issue 7 open, fresh for every test: what the tests
// of the GitHub connection start from.
import { afterEach, beforeEach } from 'vitest';
import { startGitHub, type LoopbackGitHub } from '../../scripts/loopback-github.mjs';
import { runPolicyAsync, type CliResult } from './cli.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from './git-repo.js';
import { HAS_GIT } from './tools.js';

/** A token shaped like GitHub's, so that a leak of it is found by the secret patterns too. */
export const TEST_TOKEN = 'ghp_loopbackTokenThatMustNeverShow0123456789';

export interface GitHubSandbox {
  readonly repo: TempRepo;
  readonly github: LoopbackGitHub;
  /** The environment of a `policy` call: online, the token, the loopback endpoint, a 2 s deadline. */
  env(extra?: Record<string, string>): Record<string, string>;
  policy(args: string[], extra?: Record<string, string>): Promise<CliResult>;
}

/** Registers the per-test setup and teardown; the sandbox's fields are the current test's. */
export function useGitHubSandbox(policyText: string): GitHubSandbox {
  let repo: TempRepo;
  let github: LoopbackGitHub;
  beforeEach(async () => {
    github = await startGitHub({ token: TEST_TOKEN });
    if (!HAS_GIT) return;
    repo = makeRepo({ branch: 'issue-7-feature' });
    repo.commit('release 0.2.0', {
      'release-policy.yml': policyText,
      'Cargo.toml': '[package]\nname = "demo"\nversion = "0.2.0"\nedition = "2021"\n',
    });
    github.addIssue(7, { title: 'Feature seven' });
  });
  afterEach(async () => {
    await github.close();
    if (HAS_GIT) repo.remove();
  });
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    ...hermeticGitEnv,
    POLICY_OFFLINE: '0',
    GITHUB_TOKEN: TEST_TOKEN,
    GITHUB_GRAPHQL_URL: github.url,
    POLICY_GITHUB_TIMEOUT: '2',
    ...extra,
  });
  return {
    get repo() {
      return repo;
    },
    get github() {
      return github;
    },
    env,
    policy: (args, extra = {}) => runPolicyAsync(args, { cwd: repo.dir, env: env(extra) }),
  };
}

/** A project rule that reads the `github` fact (and any other `facts`), so that its gates need GitHub. */
export function githubRule(rule: { id: string; title: string; gates: string; facts: string; expression: string }): string {
  return [
    `id: ${rule.id}`,
    `title: ${rule.title}`,
    'spec: test',
    'severity: error',
    `gates: [${rule.gates}]`,
    `facts: [${rule.facts}]`,
    'checks:',
    `  - expression: ${rule.expression}`,
    '    message: GitHub did not answer',
    '    subject: { kind: issue, name: "{{github.repository}}" }',
    'docs:',
    '  why: test',
    '  fix: test',
    '',
  ].join('\n');
}
