import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_GIT } from '../helpers/tools.js';
import { buildSampleRepo, git } from '../../scripts/sample-repo.mjs';
import { runPolicy } from '../helpers/cli.js';

interface JsonFinding {
  rule: string;
  severity: string;
  message: string;
  subject: { kind: string; name: string };
}

describe.skipIf(!HAS_GIT)('policy audit on the sample history', () => {
  let dir: string;
  beforeAll(() => {
    dir = buildSampleRepo();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports exactly the tag, lowered, skipped and missing-notes findings', () => {
    const result = runPolicy(['audit', '--format', 'json'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { gate: string; findings: JsonFinding[]; verdict: { allowed: boolean; errors: number } };
    expect(report.gate).toBe('audit');
    expect(report.verdict.allowed).toBe(false);
    const found = report.findings.map((f) => [f.rule, f.subject.name]).sort();
    expect(found).toEqual(
      [
        ['release-notes-present', 'demo-runtime 0.2.2'],
        ['tag-matches-manifest', 'v0.1.0'],
        ['version-not-lowered', 'demo-runtime 0.1.1 -> 0.1.0'],
        ['version-not-skipped', 'demo-runtime 0.2.0 -> 0.2.2'],
        // Offline (as every test runs): the registry rules are not evaluated, said once as a warning naming them.
        ['facts-unavailable', 'registry'],
      ].sort(),
    );
    expect(report.findings.every((f) => f.subject.name !== 'v0.2.0')).toBe(true);
    expect(report.findings.find((f) => f.rule === 'tag-matches-manifest')?.message).toContain('carries 0.1.1');
  });

  it('prints findings grouped by subject with a fix and a summary line in text', () => {
    const result = runPolicy(['audit'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('tag-matches-manifest');
    expect(result.stdout).toContain('fix:');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toMatch(/4 errors.*refused/);
  });

  it('replays saved facts to the same verdict', () => {
    const facts = runPolicy(['facts'], { cwd: dir });
    expect(facts.code).toBe(0);
    const file = join(dir, '..', `facts-${process.pid}.json`);
    writeFileSync(file, facts.stdout);
    const live = runPolicy(['audit', '--format', 'json'], { cwd: dir });
    const replay = runPolicy(['audit', '--format', 'json', '--facts', file], { cwd: dir });
    rmSync(file);
    expect([replay.code, replay.stdout]).toEqual([live.code, live.stdout]);
  });

  it("replays the facts saved for one gate, waivers included, to that gate's verdict", () => {
    const policy = join(dir, '..', `gate-policy-${process.pid}.yml`);
    writeFileSync(
      policy,
      `version: 1
packages:
  - name: demo-runtime
    manifest: crates/demo-runtime/Cargo.toml
rules:
  release-notes-present: error
  # No release is recorded in this sample: the release-state rules of the gate are not the subject here.
  publish-requires-dry-run: off
  publish-no-blind-retry: off
  blocked-no-version-change: off
  abandoned-not-published: off
waivers:
  - rule: release-notes-present
    when: 'repo.branch == "main" && finding.subject.name == "demo-runtime 0.2.2"'
    reason: notes are written in the release pull request
    owner: "@maintainers"
    expires: 2999-12-31
`,
    );
    const file = join(dir, '..', `gate-facts-${process.pid}.json`);
    const facts = runPolicy(['facts', '--gate', 'publish', '--policy', policy], { cwd: dir });
    writeFileSync(file, facts.stdout);
    expect(Object.keys((JSON.parse(facts.stdout) as { facts: object }).facts).sort()).toEqual(['gate', 'packages', 'repo']);
    const live = runPolicy(['check', '--gate', 'publish', '--format', 'json', '--policy', policy], { cwd: dir });
    const replay = runPolicy(['check', '--gate', 'publish', '--format', 'json', '--policy', policy, '--facts', file], { cwd: dir });
    rmSync(file);
    rmSync(policy);
    expect(live.code).toBe(0);
    expect((JSON.parse(live.stdout) as { waived: unknown[] }).waived).toHaveLength(1);
    expect([replay.code, replay.stdout]).toEqual([live.code, live.stdout]);
  });

  it('waives a historic tag with an accountable waiver and reports unused and expired ones', () => {
    const policy = join(dir, 'waived-policy.yml');
    writeFileSync(
      policy,
      `version: 1
extends: [recommended]
packages:
  - name: demo-runtime
    manifest: crates/demo-runtime/Cargo.toml
waivers:
  - rule: tag-matches-manifest
    when: 'finding.subject.name == "v0.1.0"'
    reason: historic tag made before this policy
    owner: "@maintainers"
    expires: 2999-12-31
  - rule: version-not-lowered
    when: 'finding.subject.name.contains("9.9.9")'
    reason: matches nothing
    owner: "@maintainers"
    expires: 2999-12-31
  - rule: version-not-skipped
    when: 'true'
    reason: expired long ago
    owner: "@release-captains"
    expires: 2020-01-01
`,
    );
    const result = runPolicy(['audit', '--format', 'json', '--policy', policy], { cwd: dir });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { findings: JsonFinding[]; waived: (JsonFinding & { waiver: { owner: string } })[] };
    expect(report.waived.map((f) => [f.rule, f.subject.name, f.waiver.owner])).toEqual([['tag-matches-manifest', 'v0.1.0', '@maintainers']]);
    const rules = report.findings.map((f) => `${f.rule}:${f.severity}`).sort();
    expect(rules).toEqual(
      [
        'release-notes-present:error', 'version-not-lowered:error', 'version-not-skipped:error', 'waiver-expired:error', 'waiver-unused:warn',
        'facts-unavailable:warn',
      ].sort(),
    );
  });

  it('reports a shallow clone as incomplete history with exit 3, never a pass', () => {
    const clone = `${dir}-shallow`;
    git(dir, ['clone', '-q', '--depth', '1', `file://${dir}`, clone]);
    try {
      const result = runPolicy(['audit', '--format', 'json'], { cwd: clone });
      expect(result.code).toBe(3);
      const report = JSON.parse(result.stdout) as { unavailable: Record<string, string>; findings: JsonFinding[] };
      expect(report.unavailable.history).toMatch(/shallow/);
      // Said once for the cause, naming the rules left unjudged.
      const unjudged = report.findings.filter((f) => f.rule === 'facts-unavailable' && f.subject.name === 'history');
      expect(unjudged.map((f) => [f.severity, f.message])).toEqual([
        ['error', '2 rules could not be judged without the history fact (reason under "unavailable"): version-not-lowered, version-not-skipped'],
      ]);
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  });
});
