import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildSampleRepo, git } from '../../scripts/sample-repo.mjs';
import { findingFingerprint } from '../../src/engine/fingerprint.js';
import { runPolicy } from '../helpers/cli.js';
import { HAS_GIT } from '../helpers/tools.js';
import { closedPort, isolatedEnv } from '../registry/fixtures.js';

interface JsonFinding {
  rule: string;
  severity: string;
  message: string;
  subject: { kind: string; name: string };
}
interface JsonReport {
  findings: JsonFinding[];
  baselined?: JsonFinding[];
  verdict: { exitCode: number };
}

/** The sample history's drift, as `policy audit` finds it offline (test/cli/audit.test.ts). */
const HISTORIC = [
  ['release-notes-present', 'demo-runtime 0.2.2'],
  ['tag-matches-manifest', 'v0.1.0'],
  ['version-not-lowered', 'demo-runtime 0.1.1 -> 0.1.0'],
  ['version-not-skipped', 'demo-runtime 0.2.0 -> 0.2.2'],
];
const BASELINE = '.release-policy-baseline.json';

const ruleFindings = (report: JsonReport): string[][] =>
  report.findings.filter((f) => f.subject.kind !== 'fact').map((f) => [f.rule, f.subject.name]);

describe.skipIf(!HAS_GIT)('policy baseline', () => {
  let dir: string;
  beforeEach(() => {
    dir = buildSampleRepo();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const policy = (...args: string[]) => runPolicy(args, { cwd: dir });
  const json = (...args: string[]) => {
    const result = policy(...args, '--format', 'json');
    return { code: result.code, report: JSON.parse(result.stdout) as JsonReport, stderr: result.stderr };
  };
  /** Records the baseline and names it in the policy, as the command tells the user to. */
  const adopt = () => {
    const result = policy('baseline');
    expect(result.code, result.stderr).toBe(0);
    appendFileSync(join(dir, 'release-policy.yml'), `baseline: ${BASELINE}\n`);
    return result;
  };

  it('records the history\'s findings as sorted, stable JSON, after which check and audit pass', () => {
    expect(policy('check').code).toBe(1);
    const written = policy('baseline');
    expect(written.code).toBe(0);
    expect(written.stdout).toContain(`4 findings of gates ci, audit recorded in ${BASELINE}`);
    // The policy named no baseline: the default file is written and the user told to name it.
    expect(written.stdout).toContain(`add \`baseline: ${BASELINE}\` to release-policy.yml`);
    const text = readFileSync(join(dir, BASELINE), 'utf8');
    const file = JSON.parse(text) as { version: number; findings: (JsonFinding & { fingerprint: string })[] };
    expect(file.version).toBe(1);
    expect(file.findings.map((f) => [f.rule, f.subject.name])).toEqual(HISTORIC);
    for (const entry of file.findings) {
      expect(entry.fingerprint).toBe(findingFingerprint(entry));
      expect(entry.severity).toBe('error');
    }
    expect(file.findings[1]?.message).toBe('tag v0.1.0 names demo-runtime 0.1.0, but the manifest at commit ' +
      `${git(dir, ['rev-list', '-n1', 'v0.1.0']).trim().slice(0, 12)} carries 0.1.1`);
    // Not named yet: check still fails on the history.
    expect(policy('check').code).toBe(1);

    appendFileSync(join(dir, 'release-policy.yml'), `baseline: ${BASELINE}\n`);
    const check = json('check');
    expect(check.code).toBe(0);
    expect(ruleFindings(check.report)).toEqual([]);
    expect(check.report.baselined?.map((f) => [f.rule, f.subject.name]).sort()).toEqual(HISTORIC);
    expect(json('audit').code).toBe(0);

    // Written again from the same findings: the same bytes.
    expect(policy('baseline').code).toBe(0);
    expect(readFileSync(join(dir, BASELINE), 'utf8')).toBe(text);
  });

  it('fails on a new drift alone, naming only it', () => {
    adopt();
    // A new release tag on a commit whose manifest carries 0.2.2.
    git(dir, ['tag', 'v0.3.0']);
    const check = json('check');
    expect(check.code).toBe(1);
    expect(ruleFindings(check.report)).toEqual([['tag-matches-manifest', 'v0.3.0']]);
    expect(check.report.baselined).toHaveLength(4);
    const text = policy('check');
    expect(text.stdout).toMatch(/1 error, 1 warning \(4 baselined\)/);
  });

  it('never accepts findings about a release in progress: a blocked release stays refused', () => {
    const failed = policy('run', '--issue', '7', '--phase', 'dry-run', '--', 'sh', '-c', 'echo "error: failed to verify package tarball" >&2; exit 1');
    expect(failed.code).toBe(1);
    // Tagged anyway: dry-run-failure-no-tag, a finding about the release in progress.
    git(dir, ['tag', 'v0.2.2']);
    const before = json('check');
    expect(before.report.findings.map((f) => f.rule)).toContain('dry-run-failure-no-tag');
    const current = before.report.findings.filter((f) => f.subject.kind !== 'fact' && !HISTORIC.some(([rule]) => rule === f.rule));
    expect(current.length).toBeGreaterThan(0);
    adopt();
    const file = JSON.parse(readFileSync(join(dir, BASELINE), 'utf8')) as { findings: JsonFinding[] };
    expect(file.findings.map((f) => [f.rule, f.subject.name])).toEqual(HISTORIC);
    const after = json('check');
    expect(after.code).toBe(1);
    // Errors only: writing the baseline dirtied the work tree, which the blocked release warns about.
    const errors = (report: JsonReport) => report.findings.filter((f) => f.severity === 'error').map((f) => [f.rule, f.subject.name]);
    expect(errors(after.report)).toEqual(current.filter((f) => f.severity === 'error').map((f) => [f.rule, f.subject.name]));
    expect(errors(after.report)).toContainEqual(['dry-run-failure-no-tag', 'v0.2.2']);
  });

  it('reports an entry whose finding is fixed as removable, and drops it when written again', () => {
    adopt();
    // The missing release notes of 0.2.2 are written: that finding is fixed.
    writeFileSync(join(dir, 'RELEASE_v0.2.2.md'), "# v0.2.2 - demo-runtime\n\n## What's in this release\n\n- x\n\n## Validation\n\n- y\n");
    git(dir, ['add', 'RELEASE_v0.2.2.md']);
    git(dir, ['commit', '-q', '-m', 'notes for 0.2.2']);
    const check = json('check');
    expect(check.code).toBe(0);
    const removable = check.report.findings.filter((f) => f.rule === 'baseline-removable');
    expect(removable.map((f) => [f.severity, f.subject.name])).toEqual([['warn', 'demo-runtime 0.2.2']]);
    expect(removable[0]?.message).toContain(`the baseline (${BASELINE}) accepts a release-notes-present finding about version demo-runtime 0.2.2 that is no longer found`);
    expect((check.report.findings.find((f) => f.rule === 'baseline-removable') as JsonFinding & { fix: string }).fix).toContain('policy baseline');
    expect(policy('baseline').code).toBe(0);
    const after = json('check');
    expect(after.report.findings.filter((f) => f.rule === 'baseline-removable')).toEqual([]);
    expect(after.report.baselined).toHaveLength(3);
  });

  it('records one gate with --gate, and writes nothing when facts are unavailable (exit 3)', () => {
    expect(policy('baseline', '--gate', 'audit').stdout).toContain('4 findings of gate audit recorded');
    expect(policy('baseline', '--gate', 'pre-commit').stdout).toContain('0 findings of gate pre-commit recorded');
    expect(JSON.parse(readFileSync(join(dir, BASELINE), 'utf8'))).toEqual({ version: 1, findings: [] });

    const clone = `${dir}-shallow`;
    git(dir, ['clone', '-q', '--depth', '1', `file://${dir}`, clone]);
    try {
      const shallow = runPolicy(['baseline'], { cwd: clone });
      expect(shallow.code).toBe(3);
      expect(shallow.stderr).toContain('policy baseline: gate ci could not be evaluated; nothing written');
      expect(shallow.stderr).toMatch(/history: shallow clone/);
      expect(existsSync(join(clone, BASELINE))).toBe(false);
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  });

  it('shows baselined findings in SARIF as suppressions accepted by the baseline', () => {
    adopt();
    const sarif = JSON.parse(policy('audit', '--format', 'sarif').stdout) as {
      runs: { results: { ruleId: string; suppressions?: { kind: string; status: string; justification: string }[] }[] }[];
    };
    const suppressed = sarif.runs[0]!.results.filter((r) => r.suppressions !== undefined);
    expect(suppressed.map((r) => r.ruleId).sort()).toEqual(HISTORIC.map(([rule]) => rule).sort());
    for (const r of suppressed) expect(r.suppressions).toEqual([{ kind: 'external', status: 'accepted', justification: 'baseline' }]);
  });

  it('stops with exit 2 at a malformed or missing baseline, naming the file and the fix', () => {
    adopt();
    writeFileSync(join(dir, BASELINE), '{\n  "version": 1,\n  "findings": [\n    {"rule": }\n  ]\n}\n');
    const broken = policy('check');
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(new RegExp(`^policy: ${BASELINE.replace(/\./g, '\\.')}(:4:\\d+)?: the baseline is not valid JSON`));
    expect(broken.stderr).toContain('hint: Run `policy baseline`');
    expect(broken.stdout).toBe('');

    writeFileSync(join(dir, BASELINE), JSON.stringify({ version: 1, findings: [{ rule: 'x', subject: { kind: 'tag' }, fingerprint: 'f', message: '', severity: 'error' }] }));
    const shape = policy('audit');
    expect(shape.code).toBe(2);
    expect(shape.stderr).toContain(`${BASELINE}: findings[0].subject: must be an object with string \`kind\` and \`name\``);

    rmSync(join(dir, BASELINE));
    const missing = policy('check');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`cannot read the baseline ${BASELINE} (named by \`baseline:\` in the policy): the file does not exist`);
    // Writing it again is the fix.
    expect(policy('baseline').code).toBe(0);
    expect(existsSync(join(dir, BASELINE))).toBe(true);
    expect(policy('check').code).toBe(0);
  });
});

describe.skipIf(!HAS_GIT)('an unreachable registry in check --gate ci', () => {
  it('is said once, with its reason, for many tags, naming the version the registry was asked for', async () => {
    const dir = buildSampleRepo();
    try {
      for (let patch = 3; patch <= 12; patch += 1) git(dir, ['tag', `v0.2.${patch}`, 'HEAD']);
      const port = await closedPort();
      const result = runPolicy(['check', '--gate', 'ci'], {
        cwd: dir,
        env: { ...(isolatedEnv() as Record<string, string>), POLICY_OFFLINE: '0', CARGO_REGISTRIES_LOCAL_INDEX: `sparse+http://127.0.0.1:${port}/index/` },
      });
      expect(result.code).toBe(1);
      const url = `http://127.0.0.1:${port}/index/`;
      // One finding for the package, naming its 12 release tags; the registry's reason once.
      const lines = result.stdout.split('\n').filter((line) => line.includes('cannot be confirmed'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('12 release tags of demo-runtime cannot be confirmed (');
      for (const tag of ['v0.1.0', 'v0.2.0', ...Array.from({ length: 10 }, (_, i) => `v0.2.${i + 3}`)]) expect(lines[0]).toContain(tag);
      expect(lines[0]).toContain(`the registry local (${url}) gave no answer when asked for demo-runtime 0.2.2 (`);
      expect(result.stdout.match(/Cannot tell whether/g)).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
