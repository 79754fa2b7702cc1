// The corpus of secret forms, end to end: each form goes through a real `policy run` (a real
// process printing it, a real journal in a temp git repository), and the secret must then
// appear in none of the journal, `status` (text and json), `comment`, `facts`, `check
// --format json|sarif|github|markdown`, or the terminal output of the run. The commands
// that print a form are small shell scripts on PATH named as the tools (cargo, npm, curl,
// gh), so the argv is what a user would type; git stays the real git.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runPolicy, runPolicyAsync, type CliResult } from '../helpers/cli.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_GIT } from '../helpers/tools.js';

const POLICY = 'version: 1\npackages:\n  - name: demo\n    registry: local\nissues:\n  branch: "issue-{issue}-*"\n';
const NOTES = "# demo v0.2.0\n\n## What's in this release\n\n- things\n\n## Validation\n\n- tests\n";

/** 36 random-looking characters, as the body of GitHub and npm tokens. */
const BODY = 'Zq7XbN2pL9sKd4Rt8Vw1Yc6Hm3Jf5Gx0Ae9U';

interface Form {
  name: string;
  /** The command after `policy run --phase dry-run --`. */
  command: string[];
  /** What the tool prints on stderr besides echoing its argv on stdout. */
  prints?: string;
  env?: Record<string, string>;
  secrets: string[];
}

const FORMS: Form[] = [
  { name: 'cargo login TOKEN', command: ['cargo', 'login', 'loginsecret-a1b2c3d4'], secrets: ['loginsecret-a1b2c3d4'] },
  {
    name: 'cargo login --registry NAME TOKEN',
    command: ['cargo', 'login', '--registry', 'local', 'loginsecret-e5f6g7h8'],
    secrets: ['loginsecret-e5f6g7h8'],
  },
  { name: 'cargo owner --token X', command: ['cargo', 'owner', '--add', 'bob', '--token', 'ownersecret-i9j0'], secrets: ['ownersecret-i9j0'] },
  { name: 'npm token revoke TOKEN', command: ['npm', 'token', 'revoke', 'npmtokensecret-k1l2'], secrets: ['npmtokensecret-k1l2'] },
  {
    name: 'curl -u user:pass (and the Basic header it sends)',
    command: ['curl', '-v', '-u', 'alice:curlpass-m3n4', 'https://registry.example/api'],
    prints: `> Authorization: Basic ${Buffer.from('alice:curlpass-m3n4').toString('base64')}`,
    secrets: ['curlpass-m3n4', Buffer.from('alice:curlpass-m3n4').toString('base64')],
  },
  {
    name: "-H 'Authorization: Bearer ...'",
    command: ['curl', '-H', 'Authorization: Bearer bearersecret-o5p6', 'https://registry.example/api'],
    prints: '> Authorization: Bearer bearersecret-o5p6',
    secrets: ['bearersecret-o5p6'],
  },
  {
    name: "-H 'X-Api-Key: ...'",
    command: ['curl', '-H', 'X-Api-Key: apikeysecret-q7r8', 'https://registry.example/api'],
    prints: '> X-Api-Key: apikeysecret-q7r8',
    secrets: ['apikeysecret-q7r8'],
  },
  {
    name: '--token -VALUE (a value starting with -)',
    command: ['cargo', 'publish', '--dry-run', '--registry', 'local', '--token', '-dashsecret-s9t0'],
    prints: 'error: the token -dashsecret-s9t0 was rejected',
    secrets: ['-dashsecret-s9t0', 'dashsecret-s9t0'],
  },
  { name: 'printed "token": "..."', command: ['gh', 'api', '/user'], prints: '{"token": "jsonsecret u1v2", "login": "bob"}', secrets: ['jsonsecret u1v2', 'jsonsecret', 'u1v2'] },
  { name: 'printed token: ...', command: ['gh', 'api', '/user'], prints: 'token: yamlsecret-w3x4', secrets: ['yamlsecret-w3x4'] },
  { name: 'printed Token: gho_...', command: ['gh', 'auth', 'status'], prints: `  - Token: gho_${BODY}`, secrets: [`gho_${BODY}`, BODY] },
  {
    name: 'password= and secret keys',
    command: ['gh', 'api', '/config'],
    prints: 'password=pwsecret-y5z6\nclient_secret: clientsecret-a7b8\nDB_SECRET="quoted secret c9d0"',
    secrets: ['pwsecret-y5z6', 'clientsecret-a7b8', 'quoted secret c9d0'],
  },
  {
    name: 'well-known prefixes (GitHub, npm, crates.io)',
    command: ['gh', 'api', '/tokens'],
    prints: [
      `ghp_${BODY}`, `ghu_${BODY}`, `ghs_${BODY}`, `ghr_${BODY}`,
      `github_pat_11ABCDEFG0_${BODY}${BODY}`, `npm_${BODY}`, `cio${BODY.slice(0, 32)}`,
    ].join(' '),
    secrets: [`ghp_${BODY}`, `ghu_${BODY}`, `ghs_${BODY}`, `ghr_${BODY}`, `github_pat_11ABCDEFG0_${BODY}${BODY}`, `npm_${BODY}`, `cio${BODY.slice(0, 32)}`, BODY.slice(0, 32)],
  },
  {
    name: 'URLs with credentials, in the argv and printed',
    command: ['curl', 'https://bob:urlsecret-e1f2@git.example/r.git'],
    prints: 'fetching https://tokasuser-g3h4@git.example/r.git and https://x:p@ss-i5j6@h.example/',
    secrets: ['urlsecret-e1f2', 'tokasuser-g3h4', 'p@ss-i5j6', 'ss-i5j6'],
  },
  {
    name: 'a token-like environment value the command prints',
    command: ['cargo', 'publish', '--dry-run', '--registry', 'local'],
    env: { CARGO_REGISTRIES_LOCAL_TOKEN: 'envsecret-k7l8' },
    prints: 'error: token envsecret-k7l8 rejected',
    secrets: ['envsecret-k7l8'],
  },
];

/** The tool every fake command is: echoes its argv, prints $FAKE_OUT on stderr, fails. */
const FAKE_TOOL = '#!/bin/sh\necho "$(basename "$0") $*"\n[ -n "$FAKE_OUT" ] && printf \'%s\\n\' "$FAKE_OUT" >&2\nexit 1\n';

let repo: TempRepo;
let bin: string;

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { ...hermeticGitEnv, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, ...extra };
}

function journal(): string {
  const file = join(repo.dir, '.git', 'release-policy', 'journal.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** Everything a user or CI can see after the step: name → text. */
async function everyOutput(run: CliResult): Promise<Record<string, string>> {
  const read = (args: string[]) => runPolicyAsync(args, { cwd: repo.dir, env: env() });
  const [status, statusJson, comment, facts, json, sarif, github, markdown] = await Promise.all([
    read(['status']),
    read(['status', '--format', 'json']),
    read(['comment']),
    read(['facts']),
    read(['check', '--format', 'json']),
    read(['check', '--format', 'sarif']),
    read(['check', '--format', 'github']),
    read(['check', '--format', 'markdown']),
  ]);
  for (const result of [status, statusJson, comment, facts]) expect(result.code, result.stderr).toBe(0);
  return {
    'terminal (stdout and stderr of policy run)': run.stdout + run.stderr,
    journal: journal(),
    status: status.stdout + status.stderr,
    'status --format json': statusJson.stdout,
    comment: comment.stdout,
    facts: facts.stdout,
    'check --format json': json.stdout + json.stderr,
    'check --format sarif': sarif.stdout,
    'check --format github': github.stdout,
    'check --format markdown': markdown.stdout,
  };
}

function expectNoSecret(outputs: Record<string, string>, secrets: readonly string[]): void {
  for (const [where, text] of Object.entries(outputs)) {
    for (const secret of secrets) expect(text.includes(secret), `${secret} in ${where}:\n${text}`).toBe(false);
  }
}

describe.skipIf(!HAS_GIT || process.platform === 'win32')('every secret form is redacted everywhere', () => {
  beforeAll(() => {
    repo = makeRepo({ branch: 'issue-7-feature' });
    repo.commit('release 0.2.0', {
      'release-policy.yml': POLICY,
      'Cargo.toml': '[package]\nname = "demo"\nversion = "0.2.0"\nedition = "2021"\n',
      'RELEASE_v0.2.0.md': NOTES,
    });
    bin = join(repo.dir, '.git', 'fake-bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'tool'), FAKE_TOOL);
    chmodSync(join(bin, 'tool'), 0o755);
    for (const name of ['cargo', 'npm', 'curl', 'gh']) symlinkSync(join(bin, 'tool'), join(bin, name));
  });

  afterAll(() => repo?.remove());

  it.each(FORMS.map((form) => [form.name, form] as const))('%s', async (_name, form) => {
    const run = await runPolicyAsync(['run', '--phase', 'dry-run', '--', ...form.command], {
      cwd: repo.dir,
      env: env({ ...form.env, ...(form.prints === undefined ? {} : { FAKE_OUT: form.prints }) }),
    });
    // The step ran and failed (the tool exits 1), so every view shows it as the failed step.
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toContain(`${form.command[0]} `);
    const outputs = await everyOutput(run);
    expect(JSON.parse(outputs['status --format json']!)).toMatchObject({ status: 'blocked', failure: { phase: 'dry-run', exitCode: 1 } });
    expect(outputs.comment).toContain('***');
    expectNoSecret(outputs, form.secrets);
  });

  it('a token printed in two writes across the partial-line flush (> 150 ms apart) never shows', async () => {
    // Each line's first half is written, then a pause longer than the 100 ms flush, then the rest.
    const halves: [string, string][] = [
      ['Token: gho_Zq7XbN2p', 'L9sKd4Rt8Vw1Yc6Hm3Jf5Gx0Ae9U done'],
      ['token: plainsplit', 'secret-m9n0 done'],
      ['{"token": "split json', ' secret o1p2"}'],
      ['the token is S3CRET-ar', 'gv-q3r4 done'],
    ];
    // The halves come from the environment (under names that do not look secret), so the
    // command line holds none of them: only the output can give them away.
    const halfEnv: Record<string, string> = {};
    const script = halves
      .map(([first, second], i) => {
        halfEnv[`PART_${i}_A`] = first;
        halfEnv[`PART_${i}_B`] = second;
        return `printf '%s' "$PART_${i}_A"; sleep 0.3; printf '%s\\n' "$PART_${i}_B"`;
      })
      .join('; ');
    const run = await runPolicyAsync(['run', '--phase', 'dry-run', '--', 'sh', '-c', `${script}; exit 1`, 'sh', '--token', 'S3CRET-argv-q3r4'], {
      cwd: repo.dir,
      env: env(halfEnv),
    });
    expect(run.code, run.stderr).toBe(1);
    // Every line arrived, redacted, in order.
    expect(run.stdout).toContain('Token: *** done\n');
    expect(run.stdout).toContain('token: ***\n'); // a `key: value` value runs to the line's end
    expect(run.stdout).toContain('{"token": "***"}\n');
    const outputs = await everyOutput(run);
    expectNoSecret(outputs, [
      'Zq7XbN2p', 'L9sKd4Rt8Vw1Yc6Hm3Jf5Gx0Ae9U', 'plainsplit', 'secret-m9n0', 'split json', 'secret o1p2', 'S3CRET-ar', 'gv-q3r4',
    ]);
  });

  it('a prompt without a line end shows while the command waits for an answer', async () => {
    // The command waits until the test has seen its prompt on our stdout (a file it creates
    // then): only the trailing word of a partial line waits for more, never a whole prompt.
    const go = join(repo.dir, '.git', 'answered');
    const child = spawn(process.execPath, [CLI, 'run', '--phase', 'notes', '--', 'sh', '-c', `printf 'Token for the registry: '; while [ ! -f '${go}' ]; do sleep 0.05; done; echo answered`], {
      cwd: repo.dir,
      env: { ...process.env, NO_COLOR: '1', POLICY_OFFLINE: '1', ...env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let promptSeen = false;
    // Should the prompt never show, the command is still let go, and the test fails below.
    const giveUp = setTimeout(() => writeFileSync(go, ''), 20_000);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      if (!promptSeen && stdout.includes('Token for the registry: ')) {
        promptSeen = !existsSync(go);
        writeFileSync(go, '');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(giveUp);
    expect(promptSeen).toBe(true);
    expect(code).toBe(0);
    expect(stdout).toBe('Token for the registry: answered\n');
  });

  it('status, comment, facts and check redact a journal written before a form was known (an older version)', async () => {
    const file = join(repo.dir, '.git', 'release-policy', 'journal.jsonl');
    // A failed step as the tests above recorded it, as an older version would have written it.
    const failed = journal().trim().split('\n').map((line) => JSON.parse(line)).filter((e) => e.type === 'step-finished' && e.outcome === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    const older = {
      ...failed[failed.length - 1],
      id: 'feedc0de00000001',
      at: new Date().toISOString(),
      command: ['curl', '-H', 'X-Api-Key: oldjournalsecret-w9x0', 'https://h.example'],
      excerpt: '{"password": "oldjournalsecret-y1z2"}',
    };
    writeFileSync(file, `${journal()}${JSON.stringify(older)}\n`);
    const read = (args: string[]) => runPolicyAsync(args, { cwd: repo.dir, env: env() });
    const [status, statusJson, comment, facts, check] = await Promise.all([
      read(['status']), read(['status', '--format', 'json']), read(['comment']), read(['facts']), read(['check', '--gate', 'ci', '--format', 'json']),
    ]);
    expect(JSON.parse(statusJson.stdout)).toMatchObject({ failure: { command: `curl -H 'X-Api-Key: ***' https://h.example` } });
    expect(JSON.parse(facts.stdout)).toMatchObject({ facts: { release: { failure: { command: `curl -H 'X-Api-Key: ***' https://h.example` } } } });
    expectNoSecret(
      { status: status.stdout, 'status --format json': statusJson.stdout, comment: comment.stdout, facts: facts.stdout + facts.stderr, check: check.stdout + check.stderr },
      ['oldjournalsecret-w9x0', 'oldjournalsecret-y1z2'],
    );
  });

  it("the pre-push refusal header and push fact never show a push URL's credentials", () => {
    const url = 'https://bob:hooksecret-s5t6@git.example/r.git';
    const tokenUrl = `https://ghp_${BODY}@git.example/r.git?private_token=qtoken-u7v8`;
    repo.tag('v0.2.0');
    const sha = repo.git('rev-parse', 'HEAD');
    for (const remote of [url, tokenUrl]) {
      const hook = runPolicy(['hook', 'pre-push', remote, remote], {
        cwd: repo.dir,
        env: env(),
        input: `refs/tags/v0.2.0 ${sha} refs/tags/v0.2.0 ${'0'.repeat(40)}\n`,
      });
      // Refused: the release is blocked (its dry-run failed above), and the tag is not published.
      expect(hook.code, hook.stderr).toBe(1);
      expect(hook.stderr).toContain('release-policy: git push to https://git.example/r.git refused');
      expectNoSecret({ 'pre-push hook': hook.stdout + hook.stderr }, ['hooksecret-s5t6', 'bob:', BODY, 'qtoken-u7v8']);
    }
    repo.git('tag', '-d', 'v0.2.0');
  });
});
