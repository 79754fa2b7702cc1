// `policy run [--phase P] [--package NAME] [--issue N] -- CMD ARGS...`: runs one release
// step, journals it (exact command, exit code, classified outcome, error excerpt, all with
// secrets redacted), and on failure prints the spec's status comment. Before running, it
// asks the gate of the step's phase; a refused step is not run (exit 1).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { newEvent, readJournal } from '../../facts/journal.js';
import { processIdentity } from '../../facts/process.js';
import { JournalLockError, type HeldLock } from '../../facts/journal-lock.js';
import { recordStepChild, releasePublishSlot, takePublishSlot } from '../../facts/publish-slot.js';
import { appendReleaseEvent, releaseState } from '../../facts/release.js';
import { renderVerdict } from '../../report/index.js';
import { BoundedOutput, RedactingLines } from '../../release/capture.js';
import { classifyOutcome, inferPhase, type Classification } from '../../release/classify.js';
import { renderStatusComment, withoutHiddenState } from '../../release/comment.js';
import { isStepCommand } from '../../release/state.js';
import { PHASES, formatCommand, type JournalEvent, type Phase } from '../../release/model.js';
import { createRedactor, type Redactor } from '../../release/redact.js';
import { cargoPackageArg, finishedEvent, notTheStepMessage, spawnExitCode, stepGate, type StepResult } from '../../release/step.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { describeIoError, ioErrorHint } from '../io-error.js';
import { isOffline, UsageError, type CliContext } from '../context.js';
import { evaluatePolicyGate } from '../evaluate.js';
import type { GitHubRead } from '../../facts/collect.js';
import { parseIssue, readScene, readWorkTree, warnJournalProblems, type ReleaseScene } from '../release.js';

export const RUN_HELP = `Usage: policy run [--phase P] [--package NAME] [--issue N] -- CMD ARGS...

Runs one release step and records it in the release journal: the exact command, exit code,
the phase, whether the version got published, and an excerpt of the error. Output streams
to the terminal as it comes. On failure the release is blocked and the status comment is
printed. Secrets (--token VALUE, token-like environment values, credentials in URLs) are
redacted from everything recorded and printed.

With GITHUB_TOKEN (or GH_TOKEN) set and the policy's github.comment at auto (the default),
the status comment is posted on the release's issue after a step that changed the release
state, and updated in place after later steps (as \`policy comment --post\`). A comment that
cannot be posted is said in one line; it never changes the step's outcome or exit code.

The phase is inferred from the command where it can be:
  cargo publish --dry-run, cargo package, npm publish --dry-run   dry-run
  cargo publish, npm publish                                       publish
  git tag NAME                                                     tag
  git push                                                         push
and otherwise given with --phase: ${PHASES.join(', ')}.

Before running, the step's gate is asked: a publish needs a passing dry-run of the same
version on the same commit, no other publish running, and no unconfirmed failed or
interrupted publish (\`policy verify\`); a tag needs the version published; closeout needs tag and push done; any step for a version
other than the blocked one is refused. A refused step is not run.

Options:
  --phase P        the release phase of the command
  --package NAME   the package (default: the policy's only package, or cargo's -p NAME)
  --issue N        the release's issue (default: from the branch name by issues.branch,
                   else the release in progress)
  --policy FILE, --cwd DIR, --debug

Exit codes: the command's own exit code when it ran (128+N when killed by signal N), but 1
when it exited 0 and its output shows the step failed (cargo's dry-run warning that the
version already exists on the registry); 127 when the command is not found and 126 when it
is not executable (it never ran); 1 when the policy refused to run it; 2 usage or policy
error, or the start of the step could not be recorded (it was not run); 3 facts
unavailable. The outcome of a step that ran is always waited for and recorded; if the
journal cannot be written (a full disk), the line to append is printed and the exit code
is still the command's own.
`;

/** A pause after which a partial output line (a prompt, a progress bar) is shown anyway. */
const PARTIAL_LINE_MS = 100;

const OPTIONS = {
  phase: { type: 'string' },
  package: { type: 'string' },
  issue: { type: 'string' },
} as const;

export async function runRun(ctx: CliContext, argv: string[]): Promise<number> {
  const separator = argv.indexOf('--');
  const own = separator === -1 ? argv : argv.slice(0, separator);
  const command = separator === -1 ? [] : argv.slice(separator + 1);
  if (separator === -1 && !own.includes('--help') && !own.includes('-h')) {
    throw new UsageError('policy run needs `--` before the command to run', 'For example: policy run -- cargo publish --dry-run');
  }
  const { values } = parseCommandArgs('run', own, OPTIONS);
  if (values.help) {
    ctx.stdout(RUN_HELP);
    return 0;
  }
  if (command.length === 0) {
    throw new UsageError(
      'policy run needs a command after `--`',
      'For example: policy run -- cargo publish --dry-run',
    );
  }
  const inferred = inferPhase(command);
  const phase = typeof values.phase === 'string' ? oneOf('phase', values.phase, PHASES) : inferred;
  if (phase !== null && inferred !== null && inferred !== phase) {
    // `--phase notes -- cargo publish` would upload past the publish gate and record no publish.
    throw new UsageError(
      `\`${formatCommand(createRedactor(command, ctx.env).argv)}\` is a ${inferred} step, not ${phase}`,
      `Drop --phase ${phase}: the phase of this command is ${inferred}, and its gate is asked before it runs.`,
    );
  }
  if (phase === null) {
    throw new UsageError(
      `cannot tell the release phase of \`${formatCommand(createRedactor(command, ctx.env).argv)}\``,
      `Give it with --phase: ${PHASES.join(', ')}.`,
    );
  }
  const scene = await readScene(ctx, values, (packages) => {
    const named = cargoPackageArg(command);
    return named === null ? null : (packages.find((p) => p.name === named) ?? null);
  });
  warnJournalProblems(ctx, scene);
  if (typeof values.package !== 'string' && scene.loaded.policy.packages.length > 1 && cargoPackageArg(command) === null) {
    const names = scene.loaded.policy.packages.map((p) => p.name).join(', ');
    ctx.stderr(`policy run: the policy names several packages (${names}); recording this step for ${scene.pkg.name}. Pass --package NAME to choose.\n`);
  }
  const tree = await readWorkTree(scene);
  const version = tree.version !== '' ? tree.version : (scene.state.version ?? '');
  if (version === '') {
    throw new UsageError(`cannot read the version of ${scene.pkg.name}: ${tree.manifestError}`, 'Fix the manifest, or record the step once it parses.');
  }
  const issue = typeof values.issue === 'string'
    ? parseIssue('--issue', values.issue)
    : tree.branchIssue > 0 ? tree.branchIssue : scene.state.issue;
  const redactor = createRedactor(command, ctx.env);

  // One publish at a time: the slot is taken before the gate reads the journal for a running
  // publish, so two started together cannot both pass (src/facts/publish-slot.ts).
  let slot: HeldLock | null = null;
  if (phase === 'publish') {
    try {
      slot = await takePublishSlot(scene.journal.path);
    } catch (error) {
      if (!(error instanceof JournalLockError)) throw error;
      // The holder reads "pid N on HOST since T": said the way the publish gate says it.
      const held = /^(.*) since (.*)$/.exec(error.holder);
      const running = held === null ? `(${error.holder})` : `since ${held[2]} (${held[1]})`;
      ctx.stderr(`policy run: refused: a publish is running ${running}, holding ${error.lockFile}; \`${formatCommand(redactor.argv)}\` was not run.\n`);
      return 1;
    }
  }
  try {
    // One GitHub request for the run: the gate's read serves the status comment posted after the step.
    const githubRead: GitHubRead = {};
    const refusal = await askGate(ctx, scene, phase, command, version, issue, githubRead);
    if (refusal !== 0) {
      ctx.stderr(`policy run: refused; \`${formatCommand(redactor.argv)}\` was not run.\n`);
      return refusal;
    }

    // Who runs the step, so that a step whose process died is told from one still running.
    const base = { package: scene.pkg.name, version, issue, phase, command: redactor.argv, ...(tree.head ? { commit: tree.head } : {}), ...processIdentity(process.pid) };
    // A bump changes the version: it is recorded once, after it ran, under the version it made.
    const started = newEvent({ type: 'step-started', ...base });
    if (phase !== 'bump') {
      const refused = await recordStart(ctx, scene.journal.path, started, redactor);
      if (refused !== 0) return refused;
    }
    // A publish's command is watched beyond this process: if `policy run` is killed, cargo may
    // go on uploading, and the step must read as running while it does.
    const onStart = phase === 'publish' ? (pid: number): void => {
      try {
        recordStepChild(scene.journal.path, started.id, pid);
      } catch {
        // Not recorded: the step still counts as running while this process lives.
      }
    } : undefined;
    const result = await execute(ctx, command, scene.cwd, redactor, onStart);
    // A command that could not start has the exit code a shell gives it (127 not found, 126 not
    // executable): it never ran, which is not the same as being killed by a signal.
    const exitCode = result.spawnError !== null ? spawnExitCode(result.spawnError) : result.exitCode;
    const classification = classifyOutcome({ phase, exitCode, output: result.output });
    const finished = { ...base };
    if (phase === 'bump') {
      const after = await readWorkTree(scene).catch(() => null);
      if (after !== null && after.version !== '') finished.version = after.version;
    }
    const ownCode = exitCodeOf(result, classification);
    if (!(await recordOutcome(ctx, scene.journal.path, newEvent(finishedEvent(finished, result, classification)), redactor, ownCode))) return ownCode;

    // Recorded: a journal that cannot be read back now only costs the summary, not the exit code.
    const journal = await readJournal(scene.journal.path).catch((error: unknown) => {
      const io = describeIoError(error, scene.journal.path);
      if (io === null) throw error;
      ctx.stderr(`policy run: the outcome is recorded, but the journal cannot be read back for the summary: ${io}\n`);
      return null;
    });
    if (journal === null) return ownCode;
    const state = releaseState(journal, { package: scene.pkg.name, defaultPackage: scene.pkg.name, ecosystem: scene.pkg.ecosystem, journalFile: scene.journal.path });
    const succeeded = classification.outcome === 'ok' || classification.outcome === 'published';
    if (classification.outcome === 'ok' && !isStepCommand(phase, command)) {
      ctx.stderr(`\npolicy run: ${notTheStepMessage(phase, formatCommand(redactor.argv))}.\n`);
    }
    if (succeeded) {
      ctx.stderr(`\npolicy run: ${phase} of ${scene.pkg.name} v${finished.version} succeeded; the release is ${state.status}.\n  next action: ${state.nextAction}\n`);
    } else {
      const code = classification.reason === 'command-not-run'
        ? `could not run the command, exit ${exitCode}: ${exitCode === 127 ? 'not found' : 'not executable'}`
        : exitCode === null ? `killed by ${result.signal ?? 'a signal'}` : `exit ${exitCode}`;
      ctx.stderr(
        `\npolicy run: ${phase} of ${scene.pkg.name} v${finished.version} failed (${code}); the release is ${state.status}.\n` +
          `Status comment (\`policy comment\` prints it again):\n\n${shownComment(ctx, redactor.text(renderStatusComment(state, { ecosystem: scene.pkg.ecosystem })))}`,
      );
    }
    const before = renderStatusComment(scene.state, { ecosystem: scene.pkg.ecosystem });
    if (renderStatusComment(state, { ecosystem: scene.pkg.ecosystem }) !== before) {
      await postAfterStep(ctx, { ...scene, journal: { path: scene.journal.path, contents: journal }, state }, githubRead);
    }
    return ownCode;
  } finally {
    if (slot !== null) await releasePublishSlot(scene.journal.path, slot).catch(() => undefined);
  }
}

/**
 * Posts (or updates) the status comment after a step that changed the state, when a token is
 * set, the policy's github.comment is auto and the run is not offline. Whatever happens on
 * GitHub is said in one line on standard error; the step's outcome and exit code stay its own.
 */
async function postAfterStep(ctx: CliContext, scene: ReleaseScene, githubRead: GitHubRead): Promise<void> {
  if (scene.loaded.policy.github.comment !== 'auto' || isOffline(ctx)) return;
  if (!ctx.env.GITHUB_TOKEN && !ctx.env.GH_TOKEN) return;
  try {
    const { commentOf, postedLine } = await import('./release.js');
    const { state, body } = await commentOf(ctx, scene, undefined);
    if (state.issue === null) {
      ctx.stderr('policy run: the status comment was not posted: the release names no issue (pass --issue N)\n');
      return;
    }
    const { postStatusComment } = await import('../post-comment.js');
    const posted = await postStatusComment({
      cwd: scene.cwd,
      env: ctx.env,
      config: scene.loaded.policy.github,
      offline: false,
      toolVersion: ctx.toolVersion,
      issue: state.issue,
      state,
      body,
      ...(githubRead.view === undefined ? {} : { earlier: githubRead.view }),
    });
    ctx.stderr(`${postedLine(posted, state.issue).replace(/^policy:/, 'policy run:')}\n`);
  } catch (error) {
    // Any failure, expected (GitHub unreachable, refused) or not, is one line: the step is recorded.
    const reason = error instanceof Error ? error.message : String(error);
    ctx.stderr(`policy run: the status comment was not posted: ${createRedactor([], ctx.env).text(reason)}\n`);
  }
}

/** On a terminal the status comment reads as the issue shows it, as `policy comment` does there. */
function shownComment(ctx: CliContext, body: string): string {
  return ctx.tty ? withoutHiddenState(body) : body;
}

/** The exit code of `policy run` for a step that ran: the command's own, as documented in RUN_HELP. */
function exitCodeOf(result: StepResult, classification: Classification): number {
  if (result.spawnError !== null) return spawnExitCode(result.spawnError);
  // A step that exited 0 but did not succeed (cargo's dry-run only warns that the version
  // already exists on the registry) must stop a script too: `policy run ... && next` must not go on.
  const succeeded = classification.outcome === 'ok' || classification.outcome === 'published';
  if (result.exitCode === 0 && !succeeded) return 1;
  if (result.exitCode !== null) return result.exitCode;
  return 128 + (result.signal ? (osConstants.signals[result.signal as NodeJS.Signals] ?? 0) : 0);
}

/**
 * Records that the step starts. When that cannot be written (the lock stays busy past its
 * time-out, a full or read-only disk), the step is refused before it runs: exit 2, and the
 * command is not run, so no step ever runs unrecorded.
 */
async function recordStart(ctx: CliContext, journal: string, event: JournalEvent, redactor: Redactor): Promise<number> {
  try {
    await appendReleaseEvent(journal, event);
    return 0;
  } catch (error) {
    const io = describeIoError(error, journal);
    if (io === null) throw error;
    ctx.stderr(
      `policy run: cannot record the start of the step in the release journal: ${io}\n` +
        `policy run: refused; \`${formatCommand(redactor.argv)}\` was not run.\n  hint: ${ioErrorHint(error)}\n`,
    );
    return 2;
  }
}

/**
 * Records the outcome of a step that ran. It must not be lost: the lock is waited for as long
 * as its holder lives (saying so once), and when the line truly cannot be written the user is
 * told what failed and given the exact line to append later. True when it was recorded.
 */
async function recordOutcome(ctx: CliContext, journal: string, event: JournalEvent, redactor: Redactor, ownCode: number): Promise<boolean> {
  const code = event.exitCode === undefined ? 'killed by a signal' : `exit ${event.exitCode}`;
  const unrecorded = (why: string, hint: string): string =>
    `\npolicy run: \`${formatCommand(redactor.argv)}\` ran (${code}, outcome ${event.outcome ?? 'unknown'}), but its outcome could not be recorded in the release journal: ${why}\n` +
    `  hint: ${hint}\n` +
    `  Until it is recorded the journal does not know how this step ended. To record it, append this line to ${journal}:\n` +
    `${JSON.stringify(event)}\n`;
  // Interrupted while waiting for the lock (Ctrl-C after the waiting notice): the line is
  // still handed over, and the exit code is still the command's own. Unless the line made it
  // in the meantime: then appending it again would only repeat it. A closed terminal (SIGHUP)
  // stops nothing: no one would read the line, so the outcome is waited for.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (journalHolds(journal, event.id)) ctx.stderr(`\npolicy run: interrupted by ${signal}; the outcome of \`${formatCommand(redactor.argv)}\` is recorded.\n`);
    else ctx.stderr(unrecorded(`interrupted by ${signal} while waiting for the lock`, 'append the line below once no policy command holds the lock; do not run the step again'));
    process.exit(ownCode);
  };
  const keepWaiting = (): void => {};
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  for (const signal of signals) process.on(signal, onSignal);
  process.on('SIGHUP', keepWaiting);
  try {
    await appendReleaseEvent(journal, event, {
      timeoutMs: Infinity,
      onWait: (holder) => ctx.stderr(`policy run: waiting for the release journal lock held by ${holder.description} to record the outcome\n`),
    });
    return true;
  } catch (error) {
    const io = describeIoError(error, journal);
    if (io === null) throw error;
    ctx.stderr(unrecorded(io, ioErrorHint(error, 'append the line below; do not run the step again')));
    return false;
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
    process.off('SIGHUP', keepWaiting);
  }
}

/** Whether the journal already holds the event with this id (read in one go; false when unreadable). */
function journalHolds(journal: string, id: string): boolean {
  try {
    return readFileSync(journal, 'utf8').includes(`"id":${JSON.stringify(id)}`);
  } catch {
    return false;
  }
}

/** Asks the step's gate (see `stepGate`) before it runs; the refusal is printed, its exit code returned. */
async function askGate(
  ctx: CliContext,
  scene: ReleaseScene,
  phase: Phase,
  command: readonly string[],
  version: string,
  issue: number | null,
  githubRead: GitHubRead,
): Promise<number> {
  const asked = stepGate(phase, command, { version, issue, tagTemplate: scene.pkg.tag });
  if (asked === null) return 0;
  const { gate, arg } = asked;
  const verdict = await evaluatePolicyGate(ctx, scene.cwd, scene.loaded, { gate, arg, releasePackage: scene.pkg.name, githubRead });
  if (verdict.exitCode === 0) return 0;
  ctx.stderr(renderVerdict('text', verdict, {
    color: ctx.color,
    rules: scene.loaded.catalogue,
    toolVersion: ctx.toolVersion,
    title: `policy gate ${gate} ${arg}`,
  }));
  return verdict.exitCode;
}

/**
 * Runs the command with the terminal's stdin, streaming its stdout and stderr (redacted) to
 * ours as they come and keeping a bounded, redacted copy of both, interleaved as seen.
 * Ctrl-C reaches the command (same process group); this process waits for it to end, as a
 * shell does, so the step is still recorded.
 */
function execute(ctx: CliContext, command: string[], cwd: string, redactor: Redactor, onStart?: (pid: number) => void): Promise<StepResult> {
  const kept = new BoundedOutput();
  const env = { ...ctx.env };
  // cargo colours only a terminal; the child writes to a pipe, ours may be a terminal.
  if (ctx.color && env.CARGO_TERM_COLOR === undefined) env.CARGO_TERM_COLOR = 'always';
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { cwd, env, stdio: ['inherit', 'pipe', 'pipe'] });
    if (child.pid !== undefined) onStart?.(child.pid);
    const ignore = (): void => {};
    const forward = (signal: NodeJS.Signals) => (): void => void child.kill(signal);
    const onTerm = forward('SIGTERM');
    const onHup = forward('SIGHUP');
    process.on('SIGINT', ignore);
    process.on('SIGTERM', onTerm);
    process.on('SIGHUP', onHup);
    const pipe = (stream: NodeJS.ReadableStream, write: (text: string) => void) => {
      const decoder = new StringDecoder('utf8');
      const lines = new RedactingLines(redactor);
      let timer: NodeJS.Timeout | null = null;
      const show = (text: string): void => {
        if (text === '') return;
        write(text);
        kept.append(text);
      };
      const flushLater = (): void => {
        if (timer !== null) clearTimeout(timer);
        timer = lines.hasPending ? setTimeout(() => show(lines.flush()), PARTIAL_LINE_MS) : null;
      };
      stream.on('data', (chunk: Buffer) => {
        show(lines.push(decoder.write(chunk)));
        flushLater();
      });
      return new Promise<void>((done) => {
        stream.on('end', () => {
          if (timer !== null) clearTimeout(timer);
          show(lines.push(decoder.end()));
          show(lines.end());
          done();
        });
      });
    };
    const streams = Promise.all([pipe(child.stdout!, ctx.stdout), pipe(child.stderr!, ctx.stderr)]);
    let settled = false;
    const finish = (result: Omit<StepResult, 'output'>): void => {
      if (settled) return;
      settled = true;
      process.off('SIGINT', ignore);
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
      resolve({ ...result, output: kept.text() });
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      const what = error.code === 'ENOENT' ? 'not found on PATH' : error.message;
      const text = `policy run: cannot run "${redactor.argv[0]}": ${what}\n`;
      ctx.stderr(text);
      kept.append(`error: ${text}`);
      finish({ exitCode: null, signal: null, spawnError: error.code ?? 'EACCES' });
    });
    child.on('close', (code, signal) => {
      void streams.then(() => finish({ exitCode: code, signal, spawnError: null }));
    });
  });
}
