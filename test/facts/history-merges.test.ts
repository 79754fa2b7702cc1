// Version history as git has it, on small real repositories: merged branches are judged at
// their own commits, rebased copies once, untagged pre-release placeholders against the last
// release before them. Each case asserts the exact history findings of `policy audit`.
import { afterEach, describe, expect, it } from 'vitest';
import { collectFacts } from '../../src/facts/collect.js';
import type { PackageConfig } from '../../src/policy/model.js';
import { runPolicyAsync } from '../helpers/cli.js';
import { hermeticGitEnv, makeRepo, type TempRepo } from '../helpers/git-repo.js';

Object.assign(process.env, hermeticGitEnv);

const demo: PackageConfig = {
  name: 'demo',
  ecosystem: 'cargo',
  manifest: 'Cargo.toml',
  registry: 'crates-io',
  tag: 'v{version}',
  releaseNotes: 'RELEASE_v{version}.md',
};

const POLICY = `version: 1
extends: [recommended]
packages:
  - name: demo
    ecosystem: cargo
    manifest: Cargo.toml
    registry: crates-io
    tag: "v{version}"
    releaseNotes: "RELEASE_v{version}.md"
`;

const manifest = (version: string): string => `[package]\nname = "demo"\nversion = "${version}"\nedition = "2021"\n`;
const short = (commit: string): string => commit.slice(0, 12);

interface Finding {
  rule: string;
  message: string;
  subject: { name: string };
}

let repo: TempRepo | null = null;
afterEach(() => {
  repo?.remove();
  repo = null;
});

function start(version: string): TempRepo {
  repo = makeRepo({ files: { 'release-policy.yml': POLICY, 'Cargo.toml': manifest(version) } });
  return repo;
}

const bump = (at: TempRepo, version: string, message = `demo ${version}`): string =>
  at.commit(message, { 'Cargo.toml': manifest(version) });

/** The version-not-lowered and version-not-skipped findings of `policy audit`, in report order. */
async function historyFindings(at: TempRepo): Promise<Finding[]> {
  const result = await runPolicyAsync(['audit', '--offline', '--format', 'json'], { cwd: at.dir });
  expect(result.stderr).toBe('');
  const report = JSON.parse(result.stdout) as { findings: Finding[] };
  return report.findings.filter((f) => f.rule === 'version-not-lowered' || f.rule === 'version-not-skipped');
}

async function changes(at: TempRepo) {
  const { facts, unavailable } = await collectFacts({
    cwd: at.dir,
    env: process.env,
    packages: [demo],
    defaultBranch: '',
    needs: ['history'],
    gate: { name: 'audit', arg: '' },
  });
  expect(unavailable).toEqual({});
  return (facts.history?.changes ?? []).map(({ from, to, commit, via, since }) => ({ from, to, commit, via, since }));
}

describe('merges', () => {
  it("judges a pull merge's upstream bumps along the upstream's own chain (local work is the first parent)", async () => {
    const at = start('1.0.0');
    at.git('checkout', '-q', '-b', 'upstream');
    const u1 = bump(at, '1.1.0');
    const u2 = bump(at, '1.2.0');
    at.git('checkout', '-q', 'main');
    at.commit('local work', { 'src/lib.rs': 'pub fn f() {}\n' });
    at.git('merge', '-q', '--no-ff', '-m', "Merge branch 'main' of https://example.com/demo", 'upstream');
    const merge = at.git('rev-parse', 'HEAD');
    expect(await changes(at)).toEqual([
      { from: '1.0.0', to: '1.1.0', commit: u1, via: merge, since: '1.0.0' },
      { from: '1.1.0', to: '1.2.0', commit: u2, via: merge, since: '1.1.0' },
    ]);
    expect(await historyFindings(at)).toEqual([]);
  });

  it('finds nothing at a merge that brought in a release branch of one-step bumps', async () => {
    const at = start('1.0.0');
    at.git('checkout', '-q', '-b', 'release');
    for (const version of ['1.1.0', '1.2.0', '1.2.1', '1.3.0']) bump(at, version);
    at.git('checkout', '-q', 'main');
    at.commit('main work', { 'src/lib.rs': 'pub fn f() {}\n' });
    at.git('merge', '-q', '--no-ff', '-m', 'Merge branch release', 'release');
    expect(await historyFindings(at)).toEqual([]);
    expect((await changes(at)).map((c) => `${c.from}->${c.to}`)).toEqual(['1.0.0->1.1.0', '1.1.0->1.2.0', '1.2.0->1.2.1', '1.2.1->1.3.0']);
  });

  it('finds a jump hidden inside a merged branch at its own commit, naming the merge', async () => {
    const at = start('1.0.0');
    at.git('checkout', '-q', '-b', 'release');
    for (const version of ['1.1.0', '1.2.0', '1.3.0', '1.4.0']) bump(at, version);
    const jump = bump(at, '1.6.0', 'go to 1.6');
    bump(at, '1.6.1');
    at.git('checkout', '-q', 'main');
    at.commit('main work', { 'src/lib.rs': 'pub fn f() {}\n' });
    at.git('merge', '-q', '--no-ff', '-m', 'Merge branch release', 'release');
    const merge = at.git('rev-parse', 'HEAD');
    const findings = await historyFindings(at);
    expect(findings.map((f) => [f.rule, f.subject.name])).toEqual([['version-not-skipped', 'demo 1.4.0 -> 1.6.0']]);
    expect(findings[0]?.message).toBe(
      `demo went from 1.4.0 to 1.6.0 in commit ${short(jump)} ("go to 1.6"), brought in by merge ${short(merge)}, ` +
        'jumping over the versions between 1.4.0 and 1.6.0; expected 1.4.1, 1.5.0, 2.0.0 or a pre-release of one',
    );
  });

  it('does not call a branch that merged the default branch back in a jump', async () => {
    const at = start('1.0.0');
    at.git('checkout', '-q', '-b', 'feature');
    at.commit('feature work', { 'src/lib.rs': 'pub fn f() {}\n' });
    at.git('checkout', '-q', 'main');
    const m1 = bump(at, '1.1.0');
    const m2 = bump(at, '1.2.0');
    at.git('checkout', '-q', 'feature');
    // The feature branch (at 1.0.0) takes main's 1.2.0 in one merge: judged on main already.
    at.git('merge', '-q', '--no-ff', '-m', "Merge branch 'main' into feature", 'main');
    const f2 = bump(at, '1.3.0');
    at.git('checkout', '-q', 'main');
    at.git('merge', '-q', '--no-ff', '-m', 'Merge branch feature', 'feature');
    const merge = at.git('rev-parse', 'HEAD');
    expect(await changes(at)).toEqual([
      { from: '1.0.0', to: '1.1.0', commit: m1, via: '', since: '1.0.0' },
      { from: '1.1.0', to: '1.2.0', commit: m2, via: '', since: '1.1.0' },
      { from: '1.2.0', to: '1.3.0', commit: f2, via: merge, since: '1.2.0' },
    ]);
    expect(await historyFindings(at)).toEqual([]);
  });

  it('judges a merge that set a version of its own against the highest version it merged', async () => {
    const at = start('1.0.0');
    at.git('checkout', '-q', '-b', 'side');
    bump(at, '1.1.0');
    at.git('checkout', '-q', 'main');
    at.git('merge', '-q', '--no-ff', '--no-commit', 'side');
    const merge = at.commit('merge side as 1.3.0', { 'Cargo.toml': manifest('1.3.0') });
    const findings = await historyFindings(at);
    expect(findings.map((f) => [f.rule, f.subject.name])).toEqual([['version-not-skipped', 'demo 1.1.0 -> 1.3.0']]);
    expect(findings[0]?.message).toContain(`in commit ${short(merge)} ("merge side as 1.3.0"), jumping over`);
  });

  it('reports a change brought twice by a rebased copy once', async () => {
    const at = start('1.0.0');
    at.git('checkout', '-q', '-b', 'feature');
    const original = bump(at, '1.2.0', 'bump to 1.2.0');
    at.git('checkout', '-q', 'main');
    at.git('cherry-pick', original);
    const copy = at.git('rev-parse', 'HEAD');
    at.git('checkout', '-q', 'feature');
    const f2 = bump(at, '1.2.1');
    at.git('checkout', '-q', 'main');
    // Both sides changed the version line: the merge takes the branch's.
    at.git('merge', '-q', '--no-ff', '-X', 'theirs', '-m', 'Merge branch feature', 'feature');
    const merge = at.git('rev-parse', 'HEAD');
    expect(await changes(at)).toEqual([
      { from: '1.0.0', to: '1.2.0', commit: copy, via: '', since: '1.0.0' },
      { from: '1.2.0', to: '1.2.1', commit: f2, via: merge, since: '1.2.0' },
    ]);
    const findings = await historyFindings(at);
    expect(findings.map((f) => [f.rule, f.subject.name])).toEqual([['version-not-skipped', 'demo 1.0.0 -> 1.2.0']]);
    expect(findings[0]?.message).toContain(`in commit ${short(copy)} ("bump to 1.2.0")`);
  });
});

describe('pre-release placeholders', () => {
  it('judges a bump from an untagged placeholder against the last release before it', async () => {
    const at = start('0.1.4');
    at.tag('v0.1.4');
    bump(at, '0.1.5-dev');
    const release = bump(at, '0.1.5');
    at.tag('v0.1.5');
    bump(at, '0.1.6-pre');
    const minor = bump(at, '0.2.0');
    expect(await historyFindings(at)).toEqual([]);
    const found = await changes(at);
    expect(found.find((c) => c.commit === release)?.since).toBe('0.1.4');
    expect(found.find((c) => c.commit === minor)?.since).toBe('0.1.5');
  });

  it('still finds a jump from a placeholder, naming the release it was judged against', async () => {
    const at = start('0.1.4');
    bump(at, '0.1.5-dev');
    const jump = bump(at, '0.3.0');
    const findings = await historyFindings(at);
    expect(findings.map((f) => [f.rule, f.subject.name])).toEqual([['version-not-skipped', 'demo 0.1.5-dev -> 0.3.0']]);
    expect(findings[0]?.message).toContain(`in commit ${short(jump)}`);
    expect(findings[0]?.message).toContain('between 0.1.4 and 0.3.0 (judged against 0.1.4, the last release before it: 0.1.5-dev was never released then');
  });

  it('takes a relabel of an untagged placeholder (dev -> beta.1) for no lowering', async () => {
    const at = start('0.6.0');
    bump(at, '0.7.0-dev');
    bump(at, '0.7.0-beta.1');
    expect(await historyFindings(at)).toEqual([]);
  });

  it("finds the same relabel a lowering once dev was tagged, saying it rests on SemVer's label order", async () => {
    const at = start('0.6.0');
    bump(at, '0.7.0-dev');
    at.tag('v0.7.0-dev');
    const relabel = bump(at, '0.7.0-beta.1');
    const findings = await historyFindings(at);
    expect(findings.map((f) => [f.rule, f.subject.name])).toEqual([['version-not-lowered', 'demo 0.7.0-dev -> 0.7.0-beta.1']]);
    expect(findings[0]?.message).toContain(`in commit ${short(relabel)}`);
    expect(findings[0]?.message).toContain("rests on SemVer's ordering of pre-release labels (0.7.0-beta.1 ranks at or below 0.7.0-dev)");
  });

  it('takes a version released from a branch that never merged as filling the gap', async () => {
    const at = start('0.9.4');
    at.git('checkout', '-q', '-b', '0.10.x');
    bump(at, '0.10.0');
    at.tag('v0.10.0');
    at.git('checkout', '-q', 'main');
    bump(at, '0.10.0-a.0');
    const relabel = bump(at, '0.11.0-a.0');
    bump(at, '0.11.0');
    expect(await historyFindings(at)).toEqual([]);
    expect((await changes(at)).find((c) => c.commit === relabel)?.since).toBe('0.10.0');
    // Without the branch's tag, 0.10.0 was never released: both bumps past it jump from 0.9.4.
    at.git('tag', '-d', 'v0.10.0');
    const findings = await historyFindings(at);
    expect(findings.map((f) => [f.rule, f.subject.name])).toEqual([
      ['version-not-skipped', 'demo 0.10.0-a.0 -> 0.11.0-a.0'],
      ['version-not-skipped', 'demo 0.11.0-a.0 -> 0.11.0'],
    ]);
  });

  it('takes a release version carried before its tag was made for a placeholder', async () => {
    const at = start('0.8.5');
    bump(at, '0.9.0');
    const alpha = bump(at, '0.9.0-alpha.0');
    bump(at, '0.9.0');
    at.tag('v0.9.0');
    expect(await historyFindings(at)).toEqual([]);
    expect((await changes(at)).find((c) => c.commit === alpha)?.since).toBe('0.8.5');
    // Tagged before the relabel, 0.9.0 was released: going to its alpha is a lowering, and
    // coming back to 0.9.0 after it carries a taken version again.
    at.git('tag', '-f', 'v0.9.0', `${alpha}~1`);
    const findings = await historyFindings(at);
    expect(findings.map((f) => [f.rule, f.subject.name])).toEqual([
      ['version-not-lowered', 'demo 0.9.0 -> 0.9.0-alpha.0'],
      ['version-not-lowered', 'demo 0.9.0-alpha.0 -> 0.9.0'],
    ]);
  });
});

describe('versions no tag names, in a package whose releases are tagged', () => {
  it('a release-shaped placeholder relabelled as its pre-releases is no lowering (0.2.0 -> 0.2.0-alpha.1 ... -> 0.2.0)', async () => {
    const at = start('0.1.0');
    at.tag('v0.1.0');
    bump(at, '0.2.0', 'start 0.2 work');
    bump(at, '0.2.0-alpha.1');
    bump(at, '0.2.0-alpha.2');
    bump(at, '0.2.0');
    at.tag('v0.2.0');
    expect(await historyFindings(at)).toEqual([]);
  });

  it('an unreleased bump reverted to the last release is no lowering; below that release it is', async () => {
    const at = start('1.0.0');
    at.tag('v1.0.0');
    bump(at, '1.0.1', 'bump to 1.0.1');
    bump(at, '1.0.0', 'Revert "bump to 1.0.1"');
    expect(await historyFindings(at)).toEqual([]);
    bump(at, '1.1.0');
    const down = bump(at, '0.9.0', 'go below the release');
    const findings = await historyFindings(at);
    expect(findings.map((f) => [f.rule, f.subject.name])).toEqual([['version-not-lowered', 'demo 1.1.0 -> 0.9.0']]);
    expect(findings[0]?.message).toContain(`commit ${short(down)}`);
    expect(findings[0]?.message).toContain('judged against 1.0.0');
  });

  it('a release tag on the commit that carried a version released it, whatever the tag names', async () => {
    const at = start('0.1.1');
    at.tag('v0.1.0');
    bump(at, '0.1.0', 'go back to 0.1.0');
    expect((await historyFindings(at)).map((f) => [f.rule, f.subject.name])).toEqual([['version-not-lowered', 'demo 0.1.1 -> 0.1.0']]);
  });

  it('without any release tag, every release-shaped version counts: a revert is a lowering', async () => {
    const at = start('1.0.0');
    bump(at, '1.0.1');
    bump(at, '1.0.0', 'Revert "demo 1.0.1"');
    expect((await historyFindings(at)).map((f) => [f.rule, f.subject.name])).toEqual([['version-not-lowered', 'demo 1.0.1 -> 1.0.0']]);
  });
});

describe('the package wherever it was', () => {
  const movedPolicy = (manifest: string) => POLICY.replace('manifest: Cargo.toml', `manifest: ${manifest}`);

  it('judges the versions a crate had at the root before its move to crates/demo/', async () => {
    const at = makeRepo({ files: { 'release-policy.yml': movedPolicy('crates/demo/Cargo.toml'), 'Cargo.toml': manifest('0.1.0') } });
    repo = at;
    const jump = bump(at, '0.3.0', 'jump at the root');
    at.git('rm', '-q', 'Cargo.toml');
    at.commit('move the crate', { 'Cargo.toml': '[workspace]\nmembers = ["crates/*"]\n', 'crates/demo/Cargo.toml': manifest('0.3.0') });
    at.commit('demo 0.3.1', { 'crates/demo/Cargo.toml': manifest('0.3.1') });
    const findings = await historyFindings(at);
    expect(findings.map((f) => [f.rule, f.subject.name])).toEqual([['version-not-skipped', 'demo 0.1.0 -> 0.3.0']]);
    expect(findings[0]?.message).toContain(`commit ${short(jump)}`);
  });

  it('follows foo/ to crates/foo/: the move itself is no change', async () => {
    const at = makeRepo({ files: { 'release-policy.yml': movedPolicy('crates/demo/Cargo.toml'), 'demo/Cargo.toml': manifest('1.0.0') } });
    repo = at;
    at.commit('demo 1.1.0', { 'demo/Cargo.toml': manifest('1.1.0') });
    at.git('mv', 'demo', 'crates');
    at.commit('move to crates/', {});
    const down = at.commit('demo 1.0.5', { 'crates/demo/Cargo.toml': manifest('1.0.5') });
    const findings = await historyFindings(at);
    expect(findings.map((f) => [f.rule, f.subject.name])).toEqual([['version-not-lowered', 'demo 1.1.0 -> 1.0.5']]);
    expect(findings[0]?.message).toContain(`commit ${short(down)}`);
  });
});
