// The release commands end to end with real git and plain shell commands as release steps
// (the cargo acceptance is in test/acceptance/): run, status, comment, decide, gate.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, runPolicy, type CliResult } from '../helpers/cli.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_CARGO, HAS_GIT } from '../helpers/tools.js';

const POLICY = `version: 1
packages:
  - name: demo
    registry: local
issues:
  branch: "issue-{issue}-*"
`;

const NOTES = "# demo v0.2.0\n\n## What's in this release\n\n- things\n\n## Validation\n\n- tests\n";

let repo: TempRepo;

beforeEach(() => {
  if (!HAS_GIT) return;
  repo = makeRepo({ branch: 'issue-7-feature' });
  repo.commit('release 0.2.0', {
    'release-policy.yml': POLICY,
    'Cargo.toml': '[package]\nname = "demo"\nversion = "0.2.0"\nedition = "2021"\n',
    'RELEASE_v0.2.0.md': NOTES,
  });
});

afterEach(() => {
  if (HAS_GIT) repo.remove();
});

function policy(args: string[], env: Record<string, string> = {}): CliResult {
  return runPolicy(args, { cwd: repo.dir, env: { ...hermeticGitEnv, ...env } });
}

function journal(): string {
  const file = join(repo.dir, '.git', 'release-policy', 'journal.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function status(): Record<string, unknown> & { failure: Record<string, unknown> | null } {
  const result = policy(['status', '--format', 'json']);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

const FAILING_DRY_RUN = ['run', '--phase', 'dry-run', '--', 'sh', '-c', 'echo "   Compiling demo v0.2.0"; echo "error[E0308]: mismatched types" >&2; exit 101'];

describe.skipIf(!HAS_GIT)('policy run', () => {
  it('records a failed step with its exact command, exit code and error, blocks, and prints the status comment', () => {
    const run = policy(FAILING_DRY_RUN);
    expect(run.code).toBe(101);
    expect(run.stdout).toContain('Compiling demo v0.2.0'); // the command's own output reaches the terminal
    expect(run.stderr).toContain('error[E0308]: mismatched types');
    expect(run.stderr).toContain('Release blocked for demo v0.2.0.');
    const state = status();
    expect(state).toMatchObject({ package: 'demo', version: '0.2.0', issue: 7, status: 'blocked', published: 'no' });
    expect(state.failure).toMatchObject({
      phase: 'dry-run',
      command: `sh -c 'echo "   Compiling demo v0.2.0"; echo "error[E0308]: mismatched types" >&2; exit 101'`,
      exitCode: 101,
      error: 'error[E0308]: mismatched types',
    });
    const lines = journal().trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((e) => e.type)).toEqual(['step-started', 'step-finished']);
    expect(lines[1]).toMatchObject({ phase: 'dry-run', exitCode: 101, outcome: 'failed', issue: 7, commit: repo.git('rev-parse', 'HEAD') });
  });

  it('returns the command exit code; a command labelled --phase dry-run that is no dry-run clears nothing', () => {
    expect(policy(FAILING_DRY_RUN).code).toBe(101);
    const rerun = policy(['run', '--phase', 'dry-run', '--', 'sh', '-c', 'echo packaged; exit 0']);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain('packaged');
    expect(rerun.stderr).toContain("`sh -c 'echo packaged; exit 0'` is not a dry-run command (cargo publish --dry-run, cargo package, npm publish --dry-run): its success is recorded, but it clears no block and is no dry-run for the publish");
    const state = status();
    expect(state).toMatchObject({ status: 'blocked', failure: { phase: 'dry-run', exitCode: 101 }, notTheStep: { phase: 'dry-run', command: "sh -c 'echo packaged; exit 0'" } });
    expect(state).not.toHaveProperty('lastDryRunOk');
    expect(policy(['status']).stdout).toContain("not counted:  `sh -c 'echo packaged; exit 0'` ran as the dry-run step");
    expect(policy(['gate', 'publish']).code).toBe(1);
  });

  it.skipIf(!HAS_CARGO)('a successful rerun of the step itself (cargo package) clears the block', () => {
    repo.commit('sources', { 'src/lib.rs': '' });
    expect(policy(FAILING_DRY_RUN).code).toBe(101);
    const rerun = policy(['run', '--', 'cargo', 'package', '--allow-dirty', '--no-verify', '--offline']);
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).not.toContain('is not a dry-run command');
    expect(status()).toMatchObject({ status: 'in-progress', failure: null, published: 'no', lastDryRunOk: { version: '0.2.0' } });
  });

  it('takes the issue from --issue over the branch name', () => {
    expect(policy(['run', '--phase', 'notes', '--issue', '12', '--', 'true']).code).toBe(0);
    expect(status()).toMatchObject({ issue: 12, status: 'in-progress' });
  });

  it('records a command that is not found as a failure with exit code 127', () => {
    const run = policy(['run', '--phase', 'notes', '--', 'no-such-command-xyz', '--flag']);
    expect(run.code).toBe(127);
    expect(run.stderr).toContain('cannot run "no-such-command-xyz": not found on PATH');
    expect(status()).toMatchObject({ status: 'blocked', failure: { phase: 'notes', command: 'no-such-command-xyz --flag', exitCode: 127 } });
  });

  it('refuses a --phase that does not fit the command (a publish labelled notes would skip the publish gate), writing nothing', () => {
    const run = policy(['run', '--phase', 'notes', '--', 'cargo', 'publish', '--registry', 'local']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('`cargo publish --registry local` is a publish step, not notes');
    expect(run.stderr).toContain('Drop --phase notes');
    expect(journal()).toBe('');
  });

  it('refuses a command whose phase it cannot tell, and one without `--`, writing nothing', () => {
    const unknown = policy(['run', '--', 'make', 'release']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('cannot tell the release phase of `make release`');
    expect(unknown.stderr).toContain('--phase');
    const noSeparator = policy(['run', 'cargo', 'publish']);
    expect(noSeparator.code).toBe(2);
    expect(noSeparator.stderr).toContain('needs `--` before the command');
    const badPhase = policy(['run', '--phase', 'deploy', '--', 'true']);
    expect(badPhase.code).toBe(2);
    expect(badPhase.stderr).toContain('--phase must be one of bump, notes, dry-run, publish, tag, push, closeout');
    expect(journal()).toBe('');
  });

  it('never writes, prints or renders a secret: --token VALUE, token-like environment values, URL credentials', () => {
    const script = 'echo "uploading with $2 as $MY_API_TOKEN to https://bot:pa55word@registry.example/x"; echo "error: denied for $2" >&2; exit 1';
    const run = policy(['run', '--phase', 'dry-run', '--', 'sh', '-c', script, 'sh', '--token', 'S3CRET'], { MY_API_TOKEN: 'envsecret-123' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('uploading with *** as *** to https://***@registry.example/x');
    const outputs = [
      run.stdout,
      run.stderr,
      journal(),
      policy(['status']).stdout,
      policy(['status', '--format', 'json']).stdout,
      policy(['comment']).stdout,
    ];
    for (const text of outputs) {
      expect(text).not.toContain('S3CRET');
      expect(text).not.toContain('envsecret-123');
      expect(text).not.toContain('pa55word');
    }
    expect(status().failure).toMatchObject({
      command: `sh -c '${script.replace('bot:pa55word', '***')}' sh --token '***'`,
      error: 'error: denied for ***',
    });
  });

  it('keeps a torn last line, names it, and still counts every complete event; the next append starts a new line', () => {
    expect(policy(FAILING_DRY_RUN).code).toBe(101);
    const file = join(repo.dir, '.git', 'release-policy', 'journal.jsonl');
    appendFileSync(file, '{"v":1,"id":"00000000deadbeef","at":"2026-11-24T19:0');
    const shown = policy(['status', '--format', 'json']);
    expect(shown.code).toBe(0);
    expect(shown.stderr).toContain(`${file}:3: torn last line`);
    expect(JSON.parse(shown.stdout)).toMatchObject({ status: 'blocked', journal: { problems: [{ line: 3 }] } });
    expect(policy(['run', '--phase', 'notes', '--', 'true']).code).toBe(0);
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines[2]).toBe('{"v":1,"id":"00000000deadbeef","at":"2026-11-24T19:0'); // kept as it was
    expect(JSON.parse(lines[3] ?? '')).toMatchObject({ type: 'step-started', phase: 'notes' });
    expect(JSON.parse(lines[4] ?? '')).toMatchObject({ type: 'step-finished', phase: 'notes', exitCode: 0 });
    expect(status()).toMatchObject({ status: 'blocked', completed: ['notes'] });
  });

  it('loses no event when two runs append at once', async () => {
    const start = (tag: string): Promise<number> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [CLI, 'run', '--phase', 'notes', '--', 'sh', '-c', `sleep 0.2; echo ${tag}`], {
          cwd: repo.dir,
          env: { ...process.env, ...hermeticGitEnv, NO_COLOR: '1' },
          stdio: 'ignore',
        });
        child.on('close', (code) => resolve(code ?? -1));
      });
    expect(await Promise.all([start('a'), start('b'), start('c')])).toEqual([0, 0, 0]);
    const events = journal().trim().split('\n').map((line) => JSON.parse(line));
    expect(events).toHaveLength(6);
    expect(events.filter((e) => e.type === 'step-finished')).toHaveLength(3);
    expect(new Set(events.map((e) => e.id)).size).toBe(6);
    expect(policy(['status', '--format', 'json']).stderr).toBe('');
  });
});

describe.skipIf(!HAS_GIT)('policy comment', () => {
  it("renders the spec's status comment exactly, with the state in one hidden HTML comment", () => {
    policy(FAILING_DRY_RUN);
    const { stdout, code } = policy(['comment']);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines.slice(0, 8)).toEqual([
      'Release blocked for demo v0.2.0.',
      '',
      'Failed step:',
      // A code span: Markdown would not show the quotes, brackets and `>&` of this command as they are.
      `- \`sh -c 'echo "   Compiling demo v0.2.0"; echo "error[E0308]: mismatched types" >&2; exit 101'\``,
      '',
      'Current state:',
      '- crate published: no',
      expect.stringMatching(/^- next action: fix packaging, manifest or validation problems, then rerun the dry-run with `policy run --phase dry-run -- sh -c /),
    ]);
    expect(stdout.match(/<!-- release-policy:state /g)).toHaveLength(1);
    const hidden = /<!-- release-policy:state (.*) -->/.exec(stdout)?.[1] ?? '';
    expect(JSON.parse(hidden)).toMatchObject({ status: 'blocked', issue: 7, published: 'no' });
  });

  it('--post offline, or without a token, posts nothing: exit 3 with the reason', () => {
    const offline = policy(['comment', '--post']);
    expect(offline.code).toBe(3);
    expect(offline.stderr).toMatch(/^policy comment: not posted on issue #7: offline: GitHub is not asked/);
    const noToken = runPolicy(['comment', '--post'], { cwd: repo.dir, env: { ...hermeticGitEnv, POLICY_OFFLINE: '0' } });
    expect(noToken.code).toBe(3);
    expect(noToken.stderr).toContain('no GitHub token: set GITHUB_TOKEN (or GH_TOKEN)');
  });
});

describe.skipIf(!HAS_GIT)('policy decide', () => {
  it('records a decision with its reason, shown by status', () => {
    policy(FAILING_DRY_RUN);
    const decided = policy(['decide', '--version', '0.2.1', '--reason', '0.2.0 is taken on the registry']);
    expect(decided.code).toBe(0);
    expect(decided.stdout).toContain('the next version of demo is v0.2.1');
    expect(status()).toMatchObject({ decisions: [{ version: '0.2.1', reason: '0.2.0 is taken on the registry' }] });
  });

  it('refuses a decision without a reason, with an invalid version, or for the version under release', () => {
    policy(FAILING_DRY_RUN);
    expect(policy(['decide', '--version', '0.2.1']).stderr).toContain('needs --reason TEXT');
    expect(policy(['decide', '--version', 'next', '--reason', 'x']).stderr).toContain('not a SemVer version');
    const same = policy(['decide', '--version', '0.2.0', '--reason', 'x']);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('already the version under release');
    expect(journal().trim().split('\n')).toHaveLength(2); // nothing recorded
  });
});

describe.skipIf(!HAS_GIT)('policy gate', () => {
  function gate(...args: string[]): CliResult {
    return policy(['gate', ...args]);
  }

  it('allows everything while no release is in progress', () => {
    expect(gate('start-issue', '8').code).toBe(0);
    expect(gate('bump', '0.2.1').code).toBe(0);
    expect(gate('close-issue', '7').code).toBe(0);
  });

  it('refuses the hard stops while the dry-run is blocked, each naming its rule', () => {
    expect(policy(FAILING_DRY_RUN).code).toBe(101);
    const expected: [string[], string][] = [
      [['tag', 'v0.2.0'], 'dry-run-failure-no-tag'],
      [['tag', 'v0.2.0'], 'tag-requires-publish'],
      [['start-issue', '8'], 'blocked-no-next-issue'],
      [['close-issue', '7'], 'blocked-keep-issue-open'],
      [['bump', '0.2.1'], 'blocked-no-version-change'],
      [['publish'], 'publish-requires-dry-run'],
    ];
    for (const [args, rule] of expected) {
      const result = gate(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 1 });
      expect(result.stdout).toContain(rule);
    }
    expect(gate('start-issue', '7').code).toBe(0); // the release's own issue
    expect(gate('bump', '0.2.0').code).toBe(0); // the version under release
    const json = JSON.parse(gate('start-issue', '8', '--format', 'json').stdout);
    expect(json).toMatchObject({ gate: 'start-issue', verdict: { allowed: false } });
    expect(json.findings[0]).toMatchObject({ rule: 'blocked-no-next-issue', severity: 'error' });
  });

  it('a recorded decision allows the bump it decided, and only that one', () => {
    policy(FAILING_DRY_RUN);
    policy(['decide', '--version', '0.3.0', '--reason', 'the fix changes the API']);
    expect(gate('bump', '0.3.0').code).toBe(0);
    expect(gate('bump', '0.2.1').code).toBe(1);
  });

  it('refuses to run a refused step: a publish without a passing dry-run is not run', () => {
    policy(FAILING_DRY_RUN);
    const run = policy(['run', '--phase', 'publish', '--', 'sh', '-c', 'touch published-marker']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('publish-requires-dry-run');
    expect(run.stderr).toContain('was not run');
    expect(existsSync(join(repo.dir, 'published-marker'))).toBe(false);
  });

  it('refuses a step for a version other than the blocked one', () => {
    policy(FAILING_DRY_RUN);
    repo.write({ 'Cargo.toml': '[package]\nname = "demo"\nversion = "0.2.1"\nedition = "2021"\n' });
    const run = policy(['run', '--phase', 'dry-run', '--', 'sh', '-c', 'touch ran-marker']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('blocked-no-version-change');
    expect(existsSync(join(repo.dir, 'ran-marker'))).toBe(false);
  });

  it('reports usage errors with exit 2', () => {
    expect(gate('start-issue', 'abc').stderr).toContain('must be an issue number');
    const typo = gate('strat-issue', '8');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('did you mean "start-issue"?');
    expect(gate('bump', 'latest').stderr).toContain('not a SemVer version');
    expect(gate('publish', '0.2.0').stderr).toContain('takes no argument');
    expect(gate().code).toBe(2);
  });
});

describe.skipIf(!HAS_GIT)('policy abandon', () => {
  it('refuses with no release in progress, and without a reason; records nothing', () => {
    const none = policy(['abandon', '--reason', 'not needed']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('policy abandon: refused: there is no release in progress for demo to abandon. Nothing was recorded.');
    expect(policy(FAILING_DRY_RUN).code).toBe(101);
    const before = journal();
    const noReason = policy(['abandon']);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('policy abandon needs --reason TEXT');
    expect(journal()).toBe(before);
  });

  it('ends a blocked release deliberately: status, comment, journal and the gates say so', () => {
    expect(policy(FAILING_DRY_RUN).code).toBe(101);
    expect(policy(['gate', 'start-issue', '8']).code).toBe(1);
    const done = policy(['abandon', '--reason', 'superseded by the 0.3 rewrite']);
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('Recorded: the release of demo v0.2.0 is abandoned (was blocked); v0.2.0 will not be published.');
    const events = journal().trim().split('\n').map((line) => JSON.parse(line));
    expect(events.at(-1)).toMatchObject({ type: 'abandon', package: 'demo', version: '0.2.0', issue: 7, reason: 'superseded by the 0.3 rewrite' });
    expect(status()).toMatchObject({ status: 'abandoned', failure: null, published: 'no', abandoned: { reason: 'superseded by the 0.3 rewrite' } });
    expect(policy(['status']).stdout).toContain('abandoned:    superseded by the 0.3 rewrite');
    const comment = policy(['comment']).stdout;
    expect(comment).toContain('Release abandoned for demo v0.2.0.');
    expect(comment).toContain('- superseded by the 0.3 rewrite');
    const publish = policy(['gate', 'publish']);
    expect(publish.code).toBe(1);
    expect(publish.stdout + publish.stderr).toContain('abandoned-not-published');
    expect(policy(['run', '--', 'cargo', 'publish', '--dry-run']).code).toBe(1); // the abandoned version takes no more steps
    expect(policy(['gate', 'bump', '0.3.0']).code).toBe(0);
    expect(policy(['gate', 'start-issue', '8']).code).toBe(0);
    expect(policy(['gate', 'close-issue', '7']).code).toBe(0);
    const again = policy(['abandon', '--reason', 'twice']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('was already abandoned');
  });
});
