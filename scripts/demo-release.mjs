// The release-loop half of `npm run demo`: publish-failure.md walked with real cargo against
// a loopback registry, one story per special case of the spec.
//   1. A dry-run that fails for a packaging reason: the status comment, each refused gate,
//      the git hooks refusing a tag and a bump, the fix, the dry-run passing.
//   2. A real publish whose result is ambiguous (stored, then 500): unknown, no blind retry,
//      no tag, until `policy verify` confirms our upload landed.
//   3. A push the remote rejects after the publish: released, but the issue stays open and
//      the next issue waits until the push and the closeout are done.
//   4. A version taken on the registry by other content (a second crate and repository): the
//      publish fails, `policy verify` says taken, and a bump waits for a recorded decision.
//   5. The issue as the shared record, on a loopback GitHub (GitHub's GraphQL schema): the
//      status comment posted by a failing dry-run, updated in place by the next, the token
//      shown nowhere; then a second clone of the same remote, with no journal of its own,
//      refused a next issue, a tag and CI by the state it reads from the issue.
// Every expected exit code and state is checked; what does not match is returned as a problem.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startGitHub } from './loopback-github.mjs';
import { cargoEnv, startRegistry, writeCargoConfig, writeCrate } from './loopback-registry.mjs';
import { git } from './sample-repo.mjs';

const policyFile = (name) => `# yaml-language-server: $schema=../schema/release-policy.schema.json
version: 1
packages:
  - name: ${name}
    registry: local
    releaseNotes: "RELEASE_v{version}.md"
issues:
  branch: "issue-{issue}-*"
`;

const notes = (name, version, line) => `# ${name} v${version}

## What's in this release

- ${line}

## Validation

- cargo test
`;

const MANIFEST = '[package]\nname = "demo-runtime"\nversion = "0.2.0"\nedition = "2021"\ndescription = "Demo crate"\nlicense = "MIT"\nreadme = "README.md"\n';

/** Git without the machine's config (a global `tag.gpgSign` or hooksPath must not change the story). */
const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Sample Maintainer',
  GIT_AUTHOR_EMAIL: 'maintainer@example.invalid',
  GIT_COMMITTER_NAME: 'Sample Maintainer',
  GIT_COMMITTER_EMAIL: 'maintainer@example.invalid',
};

/**
 * The machine's GitHub settings never reach the demo: with a token and GITHUB_REPOSITORY in the
 * environment, `policy run` would post to the real GitHub. Only section 5 sets its own.
 */
const GITHUB_VARIABLES = ['GITHUB_TOKEN', 'GH_TOKEN', 'GITHUB_GRAPHQL_URL', 'GITHUB_API_URL', 'GITHUB_REPOSITORY'];

const PUBLISH = ['cargo', 'publish', '--registry', 'local'];
const DRY_RUN = [...PUBLISH, '--dry-run'];

/** Runs the demo; returns the problems seen (an empty list when everything behaved as the spec says). */
export async function runReleaseDemo(cli) {
  const problems = [];
  const registry = await startRegistry();
  const root = mkdtempSync(join(tmpdir(), 'release-policy-demo-'));
  // One cargo home and one target dir for both crates; `policy verify` must ask the registry.
  const env = {
    ...cargoEnv(registry, join(root, 'cargo-home')),
    ...GIT_ENV,
    CARGO_TARGET_DIR: join(root, 'target'),
    POLICY_OFFLINE: '0',
    // The demo leaves no process behind: its hooks run in their own process, without the daemon.
    POLICY_DAEMON: '0',
  };
  for (const name of GITHUB_VARIABLES) delete env[name];
  // Above both crates: cargo and `policy verify` read it from every folder up.
  writeCargoConfig(root, registry);
  const uploads = () => registry.requests.filter((r) => r.method === 'PUT' && r.path === '/api/v1/crates/new').length;
  const expectUploads = (count, why) => {
    say(`The registry has received ${uploads()} upload${uploads() === 1 ? '' : 's'} (PUT /api/v1/crates/new) so far.`);
    if (uploads() !== count) problems.push(`${why}: the registry got ${uploads()} uploads, not ${count}`);
  };

  try {
    const runtime = repository(join(root, 'demo-runtime'), 'issue-7-feature', problems, cli, env);
    const codec = repository(join(root, 'demo-codec'), 'issue-9-codec', problems, cli, env);

    // ---------------------------------------------------------------------------------------
    section(1, 'Dry-run failure: fix packaging first, no tag');
    writeCrate(runtime.dir, { name: 'demo-runtime', version: '0.2.0' });
    // A real packaging problem: the manifest names a README that does not exist.
    writeFileSync(join(runtime.dir, 'Cargo.toml'), MANIFEST);
    runtime.commitAll('Release demo-runtime 0.2.0 (#7)', {
      'release-policy.yml': policyFile('demo-runtime'),
      'RELEASE_v0.2.0.md': notes('demo-runtime', '0.2.0', 'The answer, now documented.'),
      '.gitignore': '/Cargo.lock\n',
    });
    say(
      `The release loop: crate demo-runtime 0.2.0 on branch issue-7-feature, loopback registry ${registry.url}`,
      'The git hooks go in first: they ask the same policy as the gates below.',
    );
    await runtime.policy(['hooks', 'install', '--manager', 'git'], 0);
    say('Cargo.toml names readme = "README.md", which does not exist: the dry-run fails.');
    await runtime.policy(['run', '--', ...DRY_RUN], nonZero);
    await runtime.status({ status: 'blocked', published: 'no', failure: { phase: 'dry-run' } });
    await runtime.policy(['comment'], 0, ['- crate published: no\n']);
    say('Every hard stop of publish-failure.md is now a refusal:');
    for (const args of [['tag', 'v0.2.0'], ['start-issue', '8'], ['close-issue', '7'], ['bump', '0.2.1'], ['publish']]) {
      await runtime.policy(['gate', ...args], 1);
    }
    say('... and the git hooks refuse them too: a release tag, and a silent bump to 0.2.1:');
    await runtime.git(['tag', 'v0.2.0'], nonZero);
    writeFileSync(join(runtime.dir, 'Cargo.toml'), MANIFEST.replace('0.2.0', '0.2.1'));
    await runtime.git(['commit', '-q', '-am', 'Bump to 0.2.1'], nonZero);
    writeFileSync(join(runtime.dir, 'Cargo.toml'), MANIFEST);
    say('Fix the packaging problem (add the README), commit, rerun the dry-run:');
    writeFileSync(join(runtime.dir, 'README.md'), '# demo-runtime\n\nThe answer.\n');
    git(runtime.dir, ['add', 'README.md']);
    await runtime.git(['commit', '-q', '-m', 'Add the README the manifest names (#7)'], 0);
    await runtime.policy(['run', '--', ...DRY_RUN], 0);
    await runtime.status({ status: 'in-progress', published: 'no' });
    await runtime.policy(['gate', 'publish'], 0);

    // ---------------------------------------------------------------------------------------
    section(2, 'Real publish failure, ambiguous: do not retry blindly, confirm first');
    say(
      'The registry stores the upload, then answers 500 (faults.publish = "accept-then-500"):',
      'cargo reports a failure, but did the version land? Nobody knows yet.',
    );
    registry.faults.publish = 'accept-then-500';
    await runtime.policy(['run', '--', ...PUBLISH], nonZero);
    await runtime.status({ status: 'unknown', published: 'unknown', failure: { phase: 'publish' } });
    expectUploads(1, 'the ambiguous publish');
    say('Running the same publish again is a blind retry: refused before cargo runs.');
    await runtime.policy(['run', '--', ...PUBLISH], 1, ['publish-no-blind-retry']);
    expectUploads(1, 'the refused retry');
    say('No tag either, from the gate or from git itself (the reference-transaction hook):');
    await runtime.policy(['gate', 'tag', 'v0.2.0'], 1);
    await runtime.git(['tag', 'v0.2.0'], nonZero);
    say('The registry recovers (fault cleared); ask it what it holds:');
    registry.faults.publish = null;
    await runtime.policy(['verify'], 0, ['published yes', 'our upload landed']);
    checkEvidence(runtime.dir, registry.url, problems);
    await runtime.status({ status: 'released', published: 'yes' });
    await runtime.policy(['gate', 'tag', 'v0.2.0'], 0);

    // ---------------------------------------------------------------------------------------
    section(3, 'Post-publish push failure: released, but the issue stays open');
    const remote = join(root, 'remote.git');
    git(root, ['init', '-q', '--bare', remote]);
    git(runtime.dir, ['remote', 'add', 'origin', remote]);
    const hook = join(remote, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "pushes are closed for maintenance" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    say(`The remote ${remote} rejects every push (a pre-receive hook).`, 'The tag is allowed now (the hooks agree), the push is not:');
    await runtime.policy(['run', '--', 'git', 'tag', 'v0.2.0'], 0);
    await runtime.policy(['run', '--', 'git', 'push', 'origin', 'HEAD', 'v0.2.0'], nonZero);
    await runtime.status({ status: 'released', published: 'yes', failure: { phase: 'push' } });
    await runtime.policy(['comment'], 0, ['- crate published: yes\n']);
    say('The crate is out, but the issue is not done: no closing it, no next issue.');
    await runtime.policy(['gate', 'close-issue', '7'], 1);
    await runtime.policy(['gate', 'start-issue', '8'], 1);
    say('The remote accepts pushes again (hook removed); push under `policy run`:');
    rmSync(hook);
    await runtime.policy(['run', '--', 'git', 'push', 'origin', 'HEAD', 'v0.2.0'], 0);
    if (!git(runtime.dir, ['ls-remote', 'origin']).includes('refs/tags/v0.2.0')) problems.push('the remote has no tag v0.2.0 after the push');
    await runtime.policy(['gate', 'close-issue', '7'], 0);
    say('Issue #7 may be closed now; issue #8 waits for the closeout record:');
    await runtime.policy(['gate', 'start-issue', '8'], 1);
    await runtime.policy(['run', '--phase', 'closeout', '--', 'echo', 'gh', 'issue', 'close', '7'], 0);
    await runtime.policy(['gate', 'start-issue', '8'], 0);
    await runtime.status({ status: 'closed', published: 'yes' });

    // ---------------------------------------------------------------------------------------
    section(4, 'Version taken by other content: do not overwrite, decide the next version');
    writeCrate(codec.dir, { name: 'demo-codec', version: '0.2.0' });
    codec.commitAll('Release demo-codec 0.2.0 (#9)', {
      'release-policy.yml': policyFile('demo-codec'),
      'RELEASE_v0.2.0.md': notes('demo-codec', '0.2.0', 'A codec.'),
      '.gitignore': '/Cargo.lock\n',
    });
    registry.seed('demo-codec', '0.2.0');
    say(
      'A second crate, demo-codec 0.2.0 on branch issue-9-codec, in its own repository.',
      "The registry already holds a demo-codec 0.2.0 with other content (seeded): someone else's upload.",
    );
    await codec.policy(['hooks', 'install', '--manager', 'git'], 0);
    const before = uploads();
    say(
      'cargo only warns that 0.2.0 exists and exits 0; `policy run` records the dry-run as failed',
      '(dry-run-version-exists), the publish as unknown, and exits 1 so that a script stops here:',
    );
    await codec.policy(['run', '--', ...DRY_RUN], 1, ['already exists on `local` index']);
    await codec.status({ status: 'unknown', published: 'unknown', failure: { phase: 'dry-run', reason: 'dry-run-version-exists' } });
    say('So the real publish of 0.2.0 fails too: refused before cargo runs, nothing uploaded.');
    await codec.policy(['run', '--', ...PUBLISH], 1, ['publish-no-blind-retry']);
    if (uploads() !== before) problems.push(`the publish of a taken version uploaded ${uploads() - before} time(s)`);
    say('What does the registry hold? Not our package: the version is taken.');
    await codec.policy(['verify'], 0, ['published taken']);
    checkEvidence(codec.dir, registry.url, problems);
    await codec.status({ status: 'blocked', published: 'no', taken: true });
    say('Do not overwrite the story: a new version needs a deliberate, recorded decision.');
    await codec.policy(['gate', 'bump', '0.2.1'], 1);
    await codec.policy(['decide', '--version', '0.2.1', '--reason', '0.2.0 is taken on the registry by other content'], 0);
    await codec.policy(['gate', 'bump', '0.2.1'], 0);
    say('The bump, with release notes that tell the real story, now passes the hooks too:');
    writeCrate(codec.dir, { name: 'demo-codec', version: '0.2.1' });
    writeFileSync(join(codec.dir, 'RELEASE_v0.2.1.md'), notes('demo-codec', '0.2.1', 'A codec. (0.2.0 is taken on the registry by other content.)'));
    git(codec.dir, ['add', '-A']);
    await codec.git(['commit', '-q', '-m', 'Bump demo-codec to 0.2.1: 0.2.0 is taken (#9)'], 0);
    say('and the release goes on as 0.2.1, from its dry-run:');
    await codec.policy(['run', '--', ...DRY_RUN], 0);
    await codec.status({ version: '0.2.1', status: 'in-progress', published: 'no' });

    // ---------------------------------------------------------------------------------------
    section(5, 'The issue is the shared record: the status comment on GitHub, a second clone');
    await sharedRecordDemo(root, cli, env, problems);
  } finally {
    await registry.close();
    rmSync(root, { recursive: true, force: true });
  }
  return problems;
}

/**
 * Section 5: a loopback GitHub holding issue 7 of acme/demo; GITHUB_GRAPHQL_URL and
 * GITHUB_TOKEN go to the `policy` calls only, never to git or cargo by themselves.
 */
async function sharedRecordDemo(root, cli, env, problems) {
  const token = `ghp_demo${randomBytes(16).toString('hex')}`;
  const github = await startGitHub({ token, repository: 'acme/demo' });
  try {
    github.addIssue(7, { title: 'demo-cli: the feature' });
    github.addIssue(8, { title: 'demo-cli: the next feature' });
    const policyEnv = { ...env, GITHUB_GRAPHQL_URL: github.url, GITHUB_TOKEN: token };
    const outputs = [];
    const options = { policyEnv, outputs };
    const first = repository(join(root, 'demo-cli'), 'issue-7-feature', problems, cli, env, options);
    writeCrate(first.dir, { name: 'demo-cli', version: '0.2.0' });
    writeFileSync(join(first.dir, 'Cargo.toml'), MANIFEST.replace('demo-runtime', 'demo-cli'));
    first.commitAll('Release demo-cli 0.2.0 (#7)', {
      'release-policy.yml': `${policyFile('demo-cli')}github:\n  repository: acme/demo\n`,
      'RELEASE_v0.2.0.md': notes('demo-cli', '0.2.0', 'A command line.'),
      '.gitignore': '/Cargo.lock\n',
    });
    const remote = join(root, 'shared.git');
    git(root, ['init', '-q', '--bare', remote]);
    git(first.dir, ['remote', 'add', 'origin', remote]);
    git(first.dir, ['push', '-q', 'origin', 'issue-7-feature']);
    say(
      `A third crate, demo-cli 0.2.0 on branch issue-7-feature, pushed to ${remote};`,
      `its issue is #7 of acme/demo on a loopback GitHub (${github.url}, GitHub's GraphQL schema).`,
      'Its policy says `github: { repository: acme/demo }`; the `policy` calls below get',
      'GITHUB_GRAPHQL_URL and GITHUB_TOKEN (a token made up for this run, never printed).',
      'The manifest names a README that does not exist: the dry-run fails, and `policy run` posts.',
    );
    await first.policy(['run', '--', ...DRY_RUN], nonZero, ['status comment']);
    const comments = () => github.issues.get(7)?.comments ?? [];
    showIssue(github, 7);
    if (comments().length !== 1) problems.push(`issue 7 has ${comments().length} comments after the first failing dry-run, not 1`);
    const firstLine = comments()[0]?.body.split('\n')[0];
    if (firstLine !== 'Release blocked for demo-cli v0.2.0.') problems.push(`the status comment starts ${JSON.stringify(firstLine)}`);
    if (!comments()[0]?.body.includes('- crate published: no\n')) problems.push('the status comment does not say "crate published: no"');
    say('The same dry-run fails again: the tool updates its comment, it does not add one.');
    await first.policy(['run', '--', ...DRY_RUN], nonZero, ['status comment']);
    const added = github.requests.filter((r) => r.operation === 'ReleasePolicyAddComment' && r.status === 200).length;
    const latest = comments().at(-1);
    say(
      `Issue #7 has ${comments().length} comment${comments().length === 1 ? '' : 's'} (${added} created, ${github.requests.length} GraphQL requests in all);`,
      `the comment was created at ${latest?.createdAt} and updated at ${latest?.updatedAt}.`,
    );
    if (comments().length !== 1 || added !== 1) problems.push(`after the second failing dry-run issue 7 has ${comments().length} comments (${added} created), not 1`);

    say(
      'A second maintainer (or CI, or an agent in a new container) clones the same remote:',
      'it has no journal of its own, only the policy, the code and issue #7 on GitHub.',
    );
    const second = repository(join(root, 'second-clone'), 'issue-7-feature', problems, cli, env, { ...options, cloneOf: remote });
    await second.status({ status: 'blocked', issue: 7, published: 'no' }, ['from the issue']);
    say('Its gates read the same state from the issue: no next issue, no release tag.');
    await second.policy(['gate', 'start-issue', '8'], 1, ['#7']);
    await second.policy(['gate', 'tag', 'v0.2.0'], 1);
    say('CI, from a fresh checkout where someone tagged v0.2.0 anyway (no hooks in this clone):');
    git(second.dir, ['tag', 'v0.2.0']);
    const before = github.requests.length;
    await second.policy(['check', '--gate', 'ci'], 1, ['#7']);
    const asked = github.requests.length - before;
    say(`policy check --gate ci asked GitHub ${asked} time${asked === 1 ? '' : 's'}.`);
    if (asked !== 1) problems.push(`policy check --gate ci made ${asked} GraphQL requests, not 1`);

    const journal = readFileSync(join(first.dir, '.git', 'release-policy', 'journal.jsonl'), 'utf8');
    const leaks = [...outputs, journal, ...comments().map((c) => c.body)].filter((text) => text.includes(token)).length;
    say(`The token appears in ${leaks} of the ${outputs.length} outputs shown, the journal and the comment.`);
    if (leaks !== 0) problems.push(`the GitHub token appeared ${leaks} time(s) in output, the journal or the comment`);
  } finally {
    await github.close();
  }
}

/** The issue's comments from the server's state, shown as GitHub renders them: the hidden state is an HTML comment. */
function showIssue(github, number) {
  const issue = github.issues.get(number);
  console.log(`\nIssue ${github.repository}#${number} "${issue.title}" (${issue.state.toLowerCase()}) on the loopback GitHub, ${issue.comments.length} comment(s):`);
  for (const comment of issue.comments) {
    const hidden = comment.body.match(/<!--[\s\S]*?-->/g) ?? [];
    const shown = comment.body.replace(/<!--[\s\S]*?-->/g, '').trimEnd();
    console.log(`\n  ${comment.author} (${comment.authorAssociation}) commented at ${comment.createdAt}:`);
    console.log(shown.split('\n').map((line) => `  | ${line}`.trimEnd()).join('\n'));
    if (hidden.length > 0) console.log(`  (plus ${hidden.length} hidden HTML comment${hidden.length === 1 ? '' : 's'}: the release state, ${hidden.join('').length} characters)`);
  }
}

/**
 * A demo repository in `dir` on `branch`: shown `policy` and `git` commands, checked. With
 * `cloneOf`, a clone of that remote; `policyEnv` is the environment of the `policy` calls
 * (`env` by default); every output shown is appended to `outputs` when given.
 */
function repository(dir, branch, problems, cli, env, { policyEnv = env, cloneOf = null, outputs = null } = {}) {
  if (cloneOf) {
    git(dirname(dir), ['clone', '-q', '-b', branch, cloneOf, dir]);
  } else {
    mkdirSync(dir, { recursive: true });
    git(dir, ['init', '-q', '-b', branch]);
  }
  const check = (shown, result, expect, says = []) => {
    const ok = typeof expect === 'function' ? expect(result.status) : result.status === expect;
    if (!ok) problems.push(`${shown} exited ${result.status}, expected ${typeof expect === 'function' ? 'a failure' : expect}`);
    for (const text of says) if (!result.output.includes(text)) problems.push(`${shown} did not say ${JSON.stringify(text)}`);
    return result.status;
  };
  const shown = async (name, argv, expect, says) => {
    const line = [name, ...argv.slice(name === 'policy' ? 2 : 1)].map(quote).join(' ');
    console.log(`\n$ ${line}`);
    const result = await run(argv, { cwd: dir, env: name === 'policy' ? policyEnv : env });
    outputs?.push(result.output);
    return check(line, result, expect, says);
  };
  return {
    dir,
    /** `policy ARGS`, shown with its output; checks its exit code and that its output says each of `says`. */
    policy: (args, expect, says) => shown('policy', [process.execPath, cli, ...args], expect, says),
    /** git itself, with whatever hooks are installed. */
    git: (args, expect) => shown('git', ['git', ...args], expect),
    /** Shows `policy status`, then checks its JSON form against `fields` (a subset), and that the text says each of `says`. */
    async status(fields, says) {
      await shown('policy', [process.execPath, cli, 'status'], 0, says);
      const json = await run([process.execPath, cli, 'status', '--format', 'json'], { cwd: dir, env: policyEnv, quiet: true });
      outputs?.push(json.output);
      let state = null;
      try {
        state = JSON.parse(json.output);
      } catch {
        problems.push(`policy status --format json printed no JSON: ${json.output.trim()}`);
        return;
      }
      const wrong = mismatches(fields, state);
      if (wrong.length > 0) problems.push(`policy status: ${wrong.join(', ')}`);
    },
    /** Writes `files`, stages everything and commits (no hooks installed yet). */
    commitAll(message, files) {
      for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
      git(dir, ['add', '-A']);
      git(dir, ['commit', '-q', '-m', message]);
    },
  };
}

/**
 * Runs a command with the asynchronous `spawn` (the registry answers from this event loop),
 * stdout and stderr through one pipe so that they keep their order; echoes it unless quiet.
 */
function run(argv, { cwd, env, quiet = false }) {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', 'exec "$@" 2>&1', 'sh', ...argv], { cwd, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text) => {
      output += text;
      if (!quiet) process.stdout.write(text);
    });
    child.on('error', (error) => resolve({ status: null, output: `${output}${error.message}\n` }));
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** Every registry answer recorded as evidence came from the loopback registry. */
function checkEvidence(dir, url, problems) {
  const journal = readFileSync(join(dir, '.git', 'release-policy', 'journal.jsonl'), 'utf8').trim().split('\n');
  const sources = journal.flatMap((line) => (JSON.parse(line).evidence ?? []).map((e) => e.source));
  if (sources.length === 0) problems.push(`${dir}: policy verify recorded no evidence`);
  for (const source of sources) if (!source.startsWith(`${url}/`)) problems.push(`evidence from outside the loopback registry: ${source}`);
}

/** The `expected` fields (nested objects compared field by field) that `actual` does not carry. */
function mismatches(expected, actual, prefix = '') {
  return Object.entries(expected).flatMap(([key, value]) => {
    const got = actual?.[key];
    if (value !== null && typeof value === 'object') return mismatches(value, got, `${prefix}${key}.`);
    return got === value ? [] : [`${prefix}${key} is ${JSON.stringify(got)}, not ${JSON.stringify(value)}`];
  });
}

const nonZero = (code) => code !== 0;

function section(number, title) {
  console.log(`\n\n=== ${number}. ${title} ===`);
}

/** Explanatory lines between the steps. */
function say(...lines) {
  console.log(`\n${lines.map((line) => `--- ${line}`).join('\n')}`);
}

/** An argument as a shell would need it, for the `$ ...` lines. */
function quote(arg) {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}
