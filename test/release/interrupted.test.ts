// Steps that did not finish are not "no", with real processes: a real `policy run -- cargo
// publish` against a loopback registry that stores the upload and then never answers, a
// second publish refused while the first runs, `kill -9` of the policy process, and
// `policy verify` settling what the killed publish left unknown. Then a tag step and a dry-run
// step killed the same way.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cargoEnv, startRegistry } from '../../scripts/loopback-registry.mjs';
import { CLI, runPolicyAsync, type CliResult } from '../helpers/cli.js';
import { commitDemoRelease } from '../helpers/demo-crate.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_CARGO, HAS_GIT } from '../helpers/tools.js';

const CARGO_TIMEOUT = 240_000;

if (!HAS_CARGO) console.warn('test/release/interrupted.test.ts: the publish cases are skipped, cargo is not on PATH');

/** A `policy` command started in its own process group, so the test can kill it and what it ran. */
interface Started {
  child: ChildProcess;
  pid: number;
  exited: Promise<void>;
  output: () => string;
}

function startPolicy(args: string[], cwd: string, env: Record<string, string>): Started {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', POLICY_OFFLINE: '1', POLICY_DAEMON: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
  // 'exit' (not 'close'): the orphaned command keeps the pipes open after the kill.
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, pid: child.pid!, exited, output: () => output };
}

/** Kills one process, or with a negative pid its whole group; gone already is fine. */
function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function waitFor(what: string, test: () => boolean, started: Started, ms = 180_000): Promise<void> {
  const deadline = Date.now() + ms;
  let done = false;
  void started.exited.then(() => (done = true));
  while (!test()) {
    if (done) throw new Error(`the policy command ended before ${what}:\n${started.output()}`);
    if (Date.now() > deadline) throw new Error(`no ${what} after ${ms} ms:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface JournalLine {
  type: string;
  phase?: string;
  pid?: number;
  host?: string;
  processStart?: string;
}

function journalLines(dir: string): JournalLine[] {
  const file = join(dir, '.git', 'release-policy', 'journal.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as JournalLine);
}

/** Crate demo 0.2.0 on issue 7's branch, its dry-run passed against a fresh loopback registry. */
async function dryRunPassed(): Promise<{ registry: Awaited<ReturnType<typeof startRegistry>>; repo: TempRepo; env: Record<string, string> }> {
  const registry = await startRegistry();
  const repo = makeRepo({ branch: 'issue-7-feature' });
  commitDemoRelease(repo, registry);
  const env = {
    ...(cargoEnv(registry, join(repo.dir, '.cargo-home')) as Record<string, string>),
    ...hermeticGitEnv,
    // Online, to ask the loopback registry; cargo waits for the hanging answer instead of
    // giving up after its default 30 s while the test looks.
    POLICY_OFFLINE: '0',
    CARGO_HTTP_TIMEOUT: '600',
  };
  const dryRun = await runPolicyAsync(['run', '--', 'cargo', 'publish', '--registry', 'local', '--dry-run'], { cwd: repo.dir, env });
  expect(dryRun.code, dryRun.stderr).toBe(0);
  return { registry, repo, env };
}

/** The scene of a describe: its dry-run passed once (beforeAll), its processes killed and registry closed after. */
function usePublishScene() {
  const scene = {} as { registry: Awaited<ReturnType<typeof startRegistry>>; repo: TempRepo; env: Record<string, string>; leftovers: number[] };
  scene.leftovers = [];
  beforeAll(async () => {
    Object.assign(scene, await dryRunPassed());
  }, CARGO_TIMEOUT);
  afterAll(async () => {
    for (const group of scene.leftovers) kill(-group);
    await scene.registry?.close();
    scene.repo?.remove();
  });
  const policy = (...args: string[]): Promise<CliResult> => runPolicyAsync(args, { cwd: scene.repo.dir, env: scene.env });
  const status = async (): Promise<Record<string, unknown>> => JSON.parse((await policy('status', '--format', 'json')).stdout) as Record<string, unknown>;
  return { scene, policy, status };
}

describe.skipIf(!HAS_CARGO || !HAS_GIT)('a publish killed mid-upload, with real cargo and a loopback registry', () => {
  const { scene, policy, status } = usePublishScene();
  const stored = (): boolean => (scene.registry.crates.get('demo') ?? []).some((v) => v.vers === '0.2.0');

  it('while the upload hangs the publish is running: the gate and a second publish are refused, cargo is not run again', async () => {
    scene.registry.faults.publish = 'store-then-hang';
    const first = startPolicy(['run', '--', 'cargo', 'publish', '--registry', 'local'], scene.repo.dir, scene.env);
    scene.leftovers.push(first.pid);
    await waitFor('upload stored by the registry', stored, first);

    const started = journalLines(scene.repo.dir).filter((e) => e.type === 'step-started' && e.phase === 'publish');
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ pid: first.pid, host: hostname() });
    if (process.platform === 'linux') expect(started[0]!.processStart).toMatch(/^[0-9a-f-]{36}\/\d+$/);
    // The hooks' state word assumes the worst while a step is open: they ask the engine.
    expect(readFileSync(join(scene.repo.dir, '.git', 'release-policy', 'state'), 'utf8')).toBe('unknown\n');

    const gate = await policy('gate', 'publish');
    expect(gate.code).toBe(1);
    expect(gate.stdout).toContain('publish-no-blind-retry');
    expect(gate.stdout).toMatch(new RegExp(`a publish is running since \\S+ \\(pid ${first.pid} on ${hostname().replace(/[.]/g, '\\.')}\\)`));

    expect(await status()).toMatchObject({
      status: 'in-progress',
      published: 'unknown',
      failure: null,
      running: [{ phase: 'publish', command: 'cargo publish --registry local', pid: first.pid, host: hostname(), alive: 'yes' }],
    });

    const requestsBefore = scene.registry.requests.length;
    const linesBefore = journalLines(scene.repo.dir).length;
    const second = await policy('run', '--', 'cargo', 'publish', '--registry', 'local');
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('a publish is running since');
    expect(second.stderr).toContain('`cargo publish --registry local` was not run');
    // cargo never started: it would have asked the registry's index first.
    expect(scene.registry.requests.length).toBe(requestsBefore);
    expect(journalLines(scene.repo.dir)).toHaveLength(linesBefore);
    expect(scene.registry.crates.get('demo')).toHaveLength(1);

    // kill -9 of the policy process: no step-finished is ever written.
    kill(first.pid);
    await first.exited;
    kill(-first.pid); // the orphaned cargo, still waiting on the registry
  }, CARGO_TIMEOUT);

  it('once the process is gone the release is unknown, reason interrupted, and the gate stays shut', async () => {
    expect(journalLines(scene.repo.dir).filter((e) => e.type === 'step-finished' && e.phase === 'publish')).toHaveLength(0);
    const state = await status();
    expect(state).toMatchObject({
      status: 'unknown',
      published: 'unknown',
      running: [],
      failure: { phase: 'publish', command: 'cargo publish --registry local', exitCode: null, reason: 'interrupted' },
    });
    expect(String((state.failure as { error: string }).error)).toContain('ended without recording an outcome');
    const comment = await policy('comment');
    expect(comment.stdout).toContain('Release blocked for demo v0.2.0.\n\nFailed step:\n- cargo publish --registry local\n');
    expect(comment.stdout).toContain('- crate published: unknown\n');
    const gate = await policy('gate', 'publish');
    expect(gate.code).toBe(1);
    expect(gate.stdout).toContain('publish-no-blind-retry');
    expect(gate.stdout).not.toContain('is running since');
    expect((await policy('gate', 'tag', 'v0.2.0')).code).toBe(1);
  });

  it('policy verify records yes, and the release is released', async () => {
    scene.registry.faults.publish = null;
    const verify = await policy('verify');
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toContain('demo 0.2.0 on local');
    expect(verify.stdout).toContain('published yes');
    expect(await status()).toMatchObject({ status: 'released', published: 'yes', failure: null });
    expect((await policy('gate', 'publish')).code).toBe(1); // already published: never twice
  }, CARGO_TIMEOUT);

  it('a tag step killed before it finished is a failed tag step, reason interrupted', async () => {
    const tag = startPolicy(['run', '--phase', 'tag', '--', 'sleep', '300'], scene.repo.dir, scene.env);
    scene.leftovers.push(tag.pid);
    await waitFor('tag step-started in the journal', () => journalLines(scene.repo.dir).some((e) => e.type === 'step-started' && e.phase === 'tag'), tag);
    expect((await status()).running).toMatchObject([{ phase: 'tag', pid: tag.pid, alive: 'yes' }]);
    kill(-tag.pid); // policy and its sleep at once
    await tag.exited;
    expect(await status()).toMatchObject({
      status: 'released',
      published: 'yes',
      running: [],
      failure: { phase: 'tag', command: 'sleep 300', exitCode: null, reason: 'interrupted' },
    });
    const close = await policy('gate', 'close-issue', '7');
    expect(close.code).toBe(1);
    expect(close.stdout).toContain('blocked-keep-issue-open');
  });
});

describe.skipIf(!HAS_GIT)('a dry-run killed before it finished', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = makeRepo({ branch: 'issue-7-feature' });
    repo.commit('release demo 0.2.0 (#7)', {
      'release-policy.yml': 'version: 1\npackages:\n  - name: demo\n    ecosystem: npm\n',
      'package.json': '{ "name": "demo", "version": "0.2.0" }\n',
    });
  });
  afterAll(() => repo?.remove());

  it('is a failed dry-run: the release is blocked, reason interrupted', async () => {
    const env = { ...hermeticGitEnv };
    const run = startPolicy(['run', '--phase', 'dry-run', '--', 'sleep', '300'], repo.dir, env);
    try {
      await waitFor('dry-run step-started in the journal', () => journalLines(repo.dir).some((e) => e.type === 'step-started'), run);
    } finally {
      kill(-run.pid);
    }
    await run.exited;
    const policy = (...args: string[]): Promise<CliResult> => runPolicyAsync(args, { cwd: repo.dir, env });
    const state = JSON.parse((await policy('status', '--format', 'json')).stdout) as Record<string, unknown>;
    expect(state).toMatchObject({ status: 'blocked', published: 'no', running: [], failure: { phase: 'dry-run', command: 'sleep 300', exitCode: null, reason: 'interrupted' } });
    expect(state.nextAction).toMatch(/^the dry-run step of v0.2.0 was interrupted .*rerun it with `policy run --phase dry-run -- sleep 300`/);
    const tag = await policy('gate', 'tag', 'v0.2.0');
    expect(tag.code).toBe(1);
    expect(tag.stdout).toContain('dry-run-failure-no-tag');
  });
});

describe.skipIf(!HAS_CARGO || !HAS_GIT)('two publishes at once, and cargo outliving a killed policy run', () => {
  const { scene, policy, status } = usePublishScene();
  // A hanging upload is logged in `requests` only once it ends: count what the registry stored.
  const uploads = (): number => (scene.registry.crates.get('demo') ?? []).length;
  const publishesStarted = (): number => journalLines(scene.repo.dir).filter((e) => e.type === 'step-started' && e.phase === 'publish').length;

  it('two publishes started together: one runs, the other is refused before cargo starts', async () => {
    scene.registry.faults.publish = 'store-then-hang';
    const a = startPolicy(['run', '--', 'cargo', 'publish', '--registry', 'local'], scene.repo.dir, scene.env);
    const b = startPolicy(['run', '--', 'cargo', 'publish', '--registry', 'local'], scene.repo.dir, scene.env);
    scene.leftovers.push(a.pid, b.pid);
    const refused = await Promise.race([a.exited.then(() => a), b.exited.then(() => b)]);
    const running = refused === a ? b : a;
    expect(refused.child.exitCode, refused.output()).toBe(1);
    expect(refused.output()).toContain('a publish is running since');
    expect(refused.output()).toContain('was not run');
    await waitFor('the upload stored', () => (scene.registry.crates.get('demo') ?? []).length > 0, running);
    expect(uploads()).toBe(1);
    expect(publishesStarted()).toBe(1);

    // kill -9 of `policy run` only: cargo goes on waiting for the registry's answer.
    kill(running.pid);
    await running.exited;
    const state = await status();
    expect(state).toMatchObject({ status: 'in-progress', published: 'unknown', running: [{ phase: 'publish', alive: 'yes' }] });
    const gate = await policy('gate', 'publish');
    expect(gate.code).toBe(1);
    expect(gate.stdout).toContain('a publish is running since');
    const again = await policy('run', '--', 'cargo', 'publish', '--registry', 'local');
    expect(again.code).toBe(1);
    expect(uploads()).toBe(1);
    expect(publishesStarted()).toBe(1);

    // Once cargo is gone too, the step was interrupted: unknown until the registry is asked.
    kill(-running.pid);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await status()).toMatchObject({ status: 'unknown', published: 'unknown', running: [], failure: { phase: 'publish', reason: 'interrupted' } });
    scene.registry.faults.publish = null;
    expect((await policy('verify')).code).toBe(0);
    expect(await status()).toMatchObject({ status: 'released', published: 'yes' });
  }, CARGO_TIMEOUT);
});
