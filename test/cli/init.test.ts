import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLI, runPolicy, type CliResult } from '../helpers/cli.js';
import { gitSync, hermeticGitEnv, makeRepo, type Files, type TempRepo } from '../helpers/git-repo.js';
import { HAS_CARGO, HAS_GIT } from '../helpers/tools.js';

interface WrittenPolicy {
  version: number;
  extends: string[];
  packages: { name: string; ecosystem: string; manifest: string; registry?: string; tag: string; releaseNotes: string }[];
  issues: { branch: string };
  github?: Record<string, string>;
}

interface Workflow {
  name: string;
  on: Record<string, { branches?: string[]; tags?: string[]; types?: string[] } | { cron: string }[] | null> & {
    push: { branches: string[]; tags: string[] };
    schedule?: { cron: string }[];
  };
  permissions: Record<string, string>;
  jobs: Record<string, { steps: { id?: string; uses?: string; with?: Record<string, unknown>; if?: string; run?: string }[] }>;
}

const crate = (name: string, extra = ''): string => `[package]\nname = "${name}"\nversion = "0.1.0"\n${extra}`;

/** A Cargo workspace like the maintainer loop's: one crate inherits its version, one is never published. */
const CARGO_WORKSPACE: Files = {
  'Cargo.toml': '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n\n[workspace.package]\nversion = "0.3.0"\n',
  'crates/oris-runtime/Cargo.toml': crate('oris-runtime'),
  'crates/oris-runtime/src/lib.rs': '',
  'crates/oris-macros/Cargo.toml': '[package]\nname = "oris-macros"\nversion.workspace = true\n',
  'crates/oris-macros/src/lib.rs': '',
  'crates/oris-bench/Cargo.toml': crate('oris-bench', 'publish = false\n'),
  'crates/oris-bench/src/lib.rs': '',
};

function init(repo: TempRepo, args: string[]): CliResult {
  return runPolicy(['init', ...args], { cwd: repo.dir, env: hermeticGitEnv });
}

function writtenPolicy(repo: TempRepo): WrittenPolicy {
  return parse(readFileSync(join(repo.dir, 'release-policy.yml'), 'utf8')) as WrittenPolicy;
}

/** Every file under the work tree but .git, to show that nothing was written. */
function listFiles(dir: string, base = ''): string[] {
  return readdirSync(join(dir, base), { withFileTypes: true }).flatMap((entry) => {
    const path = base ? `${base}/${entry.name}` : entry.name;
    if (entry.name === '.git') return [];
    return entry.isDirectory() ? listFiles(dir, path) : [path];
  });
}

describe.skipIf(!HAS_GIT)('policy init', () => {
  let repo: TempRepo | undefined;
  afterEach(() => repo?.remove());

  it('lists the publishable crates of a Cargo workspace, and the policy loads', () => {
    repo = makeRepo({ files: CARGO_WORKSPACE });
    const result = init(repo, ['--no-hooks']);
    expect([result.code, result.stderr]).toEqual([0, '']);
    const policy = writtenPolicy(repo);
    expect(policy.packages).toEqual([
      { name: 'oris-macros', ecosystem: 'cargo', manifest: 'crates/oris-macros/Cargo.toml', tag: 'oris-macros-v{version}', releaseNotes: 'RELEASE_oris-macros_v{version}.md' },
      { name: 'oris-runtime', ecosystem: 'cargo', manifest: 'crates/oris-runtime/Cargo.toml', tag: 'oris-runtime-v{version}', releaseNotes: 'RELEASE_oris-runtime_v{version}.md' },
    ]);
    expect([policy.version, policy.extends, policy.issues]).toEqual([1, ['recommended'], { branch: '*issue-{issue}-*' }]);
    expect(result.stdout).toContain('Left out crates/oris-bench/Cargo.toml: publish = false');
    // Loads as every command loads it: findings about the repository (missing release
    // notes) may refuse (1), a problem with the file itself would be 2.
    const check = runPolicy(['check', '--gate', 'ci', '--format', 'json'], { cwd: repo.dir, env: hermeticGitEnv });
    expect(check.stderr).toBe('');
    expect([0, 1]).toContain(check.code);
    const verdict = JSON.parse(check.stdout) as { findings: { rule: string }[] };
    expect(verdict.findings.map((f) => f.rule)).not.toContain('manifest-valid');
  });

  it.skipIf(!HAS_CARGO)('agrees with cargo metadata about which workspace members publish', () => {
    repo = makeRepo({
      files: {
        ...CARGO_WORKSPACE,
        'Cargo.toml': '[workspace]\nmembers = ["crates/*", "tools/*"]\nexclude = ["tools/old"]\nresolver = "2"\n\n[workspace.package]\nversion = "0.3.0"\n',
        'crates/oris-empty/Cargo.toml': crate('oris-empty', 'publish = []\n'),
        'crates/oris-empty/src/lib.rs': '',
        'tools/new/Cargo.toml': crate('oris-tool'),
        'tools/new/src/lib.rs': '',
        'tools/old/Cargo.toml': crate('oris-old'),
        'tools/old/src/lib.rs': '',
      },
    });
    const metadata = JSON.parse(
      execFileSync('cargo', ['metadata', '--no-deps', '--offline', '--format-version', '1'], { cwd: repo.dir, encoding: 'utf8' }),
    ) as { packages: { name: string; publish: string[] | null }[] };
    const cargoSays = metadata.packages.filter((p) => p.publish === null || p.publish.length > 0).map((p) => p.name).sort();
    expect(cargoSays).toEqual(['oris-macros', 'oris-runtime', 'oris-tool']);
    expect(init(repo, ['--no-hooks']).code).toBe(0);
    expect(writtenPolicy(repo).packages.map((p) => p.name).sort()).toEqual(cargoSays);
  });

  it('takes a root [package] with v{version} tags, and names the registry a manifest gives', () => {
    repo = makeRepo({ files: { 'Cargo.toml': crate('demo', 'publish = ["my-registry"]\n'), 'src/lib.rs': '' } });
    expect(init(repo, ['--no-hooks', '--no-workflow']).code).toBe(0);
    expect(writtenPolicy(repo).packages).toEqual([
      { name: 'demo', ecosystem: 'cargo', manifest: 'Cargo.toml', registry: 'my-registry', tag: 'v{version}', releaseNotes: 'RELEASE_v{version}.md' },
    ]);
    expect(existsSync(join(repo.dir, '.github'))).toBe(false);
  });

  it('lists the public packages of npm workspaces, not the private ones nor node_modules', () => {
    const pkg = (fields: Record<string, unknown>): string => `${JSON.stringify(fields, null, 2)}\n`;
    repo = makeRepo({
      files: {
        'package.json': pkg({ name: 'monorepo', private: true, workspaces: ['packages/**'] }),
        'packages/web-sdk/package.json': pkg({ name: '@oris/web-sdk', version: '1.2.0' }),
        'packages/site/package.json': pkg({ name: 'site', version: '0.0.1', private: true }),
        'packages/web-sdk/node_modules/left-pad/package.json': pkg({ name: 'left-pad', version: '1.3.0' }),
      },
    });
    const result = init(repo, ['--no-hooks']);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(writtenPolicy(repo).packages).toEqual([
      { name: '@oris/web-sdk', ecosystem: 'npm', manifest: 'packages/web-sdk/package.json', tag: 'v{version}', releaseNotes: 'RELEASE_v{version}.md' },
    ]);
    expect(result.stdout).toContain('Left out package.json: "private": true');
    expect(result.stdout).toContain('Left out packages/site/package.json: "private": true');
    const check = runPolicy(['check', '--gate', 'ci'], { cwd: repo.dir, env: hermeticGitEnv });
    expect([0, 1]).toContain(check.code);
  });

  it('--dry-run prints the policy and writes nothing', () => {
    repo = makeRepo({ files: CARGO_WORKSPACE });
    const before = listFiles(repo.dir);
    const hooksDir = join(repo.dir, gitSync(repo.dir, ['rev-parse', '--git-path', 'hooks']));
    const hooksBefore = readdirSync(hooksDir).sort();
    const result = init(repo, ['--dry-run']);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toContain('Would write release-policy.yml:');
    expect(result.stdout).toContain('  - name: oris-runtime');
    expect(result.stdout).toContain('Would write .github/workflows/release-policy.yml:');
    expect(result.stdout).toContain('Would install the hooks (--manager git).');
    expect(listFiles(repo.dir)).toEqual(before);
    expect(readdirSync(hooksDir).sort()).toEqual(hooksBefore);
  });

  it('refuses to overwrite a policy file without --force, and keeps its schema line with it', () => {
    const mine = '# yaml-language-server: $schema=./tools/release-policy.schema.json\nversion: 1\npackages:\n  - name: mine\n';
    repo = makeRepo({ files: { ...CARGO_WORKSPACE, 'release-policy.yml': mine } });
    const refused = init(repo, ['--no-hooks']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('release-policy.yml exists already');
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(join(repo.dir, 'release-policy.yml'), 'utf8')).toBe(mine);
    expect(existsSync(join(repo.dir, '.github'))).toBe(false);

    const forced = init(repo, ['--no-hooks', '--force']);
    expect([forced.code, forced.stderr]).toEqual([0, '']);
    const text = readFileSync(join(repo.dir, 'release-policy.yml'), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./tools/release-policy.schema.json');
    expect(writtenPolicy(repo).packages.map((p) => p.name)).toEqual(['oris-macros', 'oris-runtime']);
  });

  it('points the schema comment at node_modules when the project installs release-policy', () => {
    repo = makeRepo({ files: { 'package.json': JSON.stringify({ name: 'app', version: '1.0.0', devDependencies: { 'release-policy': '^0.1.0' } }) } });
    expect(init(repo, ['--no-hooks', '--no-workflow']).code).toBe(0);
    const first = readFileSync(join(repo.dir, 'release-policy.yml'), 'utf8').split('\n')[0];
    expect(first).toBe('# yaml-language-server: $schema=./node_modules/release-policy/schema/release-policy.schema.json');
  });

  it('exits 2 and says what it searched when nothing is publishable', () => {
    repo = makeRepo({
      files: {
        'Cargo.toml': crate('internal', 'publish = false\n'),
        'package.json': JSON.stringify({ name: 'tooling', private: true }),
      },
    });
    const result = init(repo, ['--no-hooks']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no publishable package found');
    expect(result.stderr).toMatch(/searched: Cargo\.toml .*; package\.json/);
    expect(result.stderr).toContain('left out: Cargo.toml (publish = false)');
    expect(result.stderr).toContain('write release-policy.yml by hand');
    expect(existsSync(join(repo.dir, 'release-policy.yml'))).toBe(false);
    expect(existsSync(join(repo.dir, '.github'))).toBe(false);
  });

  it('writes a workflow whose only reference to the tool is the action, on every event the action handles', () => {
    repo = makeRepo({ files: { 'Cargo.toml': crate('demo'), 'src/lib.rs': '' } });
    expect(init(repo, ['--no-hooks']).code).toBe(0);
    const text = readFileSync(join(repo.dir, '.github/workflows/release-policy.yml'), 'utf8');
    expect(text).toMatch(/more than three tags/);
    const workflow = parse(text) as Workflow;
    expect(workflow.name).toBe('release-policy');
    expect(Object.keys(workflow.on)).toEqual(['push', 'pull_request', 'issues', 'schedule', 'workflow_dispatch']);
    expect(workflow.on.push).toEqual({ branches: ['**'], tags: ['v*'] });
    expect(workflow.on.issues).toEqual({ types: ['closed', 'reopened'] });
    expect(workflow.on.schedule?.[0]?.cron).toMatch(/^\d+ \d+ \* \* \*$/);
    expect(workflow.permissions).toEqual({ contents: 'read', issues: 'read' });
    const steps = Object.values(workflow.jobs)[0]?.steps ?? [];
    expect(steps.map((s) => s.uses)).toEqual(['actions/checkout@v4', expect.stringMatching(/^release-policy\/release-policy@v\d+\.\d+\.\d+/)]);
    expect(steps[0]?.with).toEqual({ 'fetch-depth': 0 });
    expect(steps[1]?.with).toBeUndefined();
    // No npx, no setup-node, no run step: the action is the tool.
    expect(steps.filter((s) => s.run !== undefined)).toEqual([]);
    expect(text).not.toMatch(/npx|setup-node/);
    expect(text.match(/release-policy\/release-policy/g)).toHaveLength(1);
  });

  it('asks for issues: write only with --enforce-reopen, and uploads SARIF only with --sarif', () => {
    repo = makeRepo({ files: { 'Cargo.toml': crate('demo'), 'src/lib.rs': '' } });
    expect(init(repo, ['--no-hooks', '--sarif', '--enforce-reopen', '--action-ref', 'acme/checks/release-policy@main']).code).toBe(0);
    const workflow = parse(readFileSync(join(repo.dir, '.github/workflows/release-policy.yml'), 'utf8')) as Workflow;
    expect(workflow.permissions).toEqual({ contents: 'read', issues: 'write', 'security-events': 'write' });
    const steps = Object.values(workflow.jobs)[0]?.steps ?? [];
    expect(steps.map((s) => s.uses)).toEqual(['actions/checkout@v4', 'acme/checks/release-policy@main', 'github/codeql-action/upload-sarif@v3']);
    expect(steps[1]?.with).toEqual({ sarif: 'release-policy.sarif' });
    expect(steps[2]?.if).toContain('always()');
    expect(steps[1]?.id).toBe('policy');
    expect(steps[2]?.with).toEqual({ sarif_file: '${{ steps.policy.outputs.sarif }}' });
    expect(writtenPolicy(repo).github).toEqual({ enforce: 'reopen' });
    // The policy check then loads it: github.enforce is a key it knows.
    expect(runPolicy(['check', '--gate', 'ci', '--format', 'json'], { cwd: repo.dir, env: hermeticGitEnv }).code).not.toBe(2);

    expect(init(repo, ['--no-hooks', '--force', '--sarif', '--action-ref', './']).code).toBe(0);
    const local = parse(readFileSync(join(repo.dir, '.github/workflows/release-policy.yml'), 'utf8')) as Workflow;
    expect(local.permissions).toEqual({ contents: 'read', issues: 'read', 'security-events': 'write' });
    expect(Object.values(local.jobs)[0]?.steps.map((s) => s.uses)).toContain('./');
    expect(writtenPolicy(repo).github).toBeUndefined();
  });

  it('passes a policy file that is not at the root to the action', () => {
    repo = makeRepo({ files: { 'Cargo.toml': crate('demo'), 'src/lib.rs': '' } });
    expect(init(repo, ['--no-hooks', '--policy', 'ci/policy.yml']).code).toBe(0);
    const workflow = parse(readFileSync(join(repo.dir, '.github/workflows/release-policy.yml'), 'utf8')) as Workflow;
    expect(Object.values(workflow.jobs)[0]?.steps[1]?.with).toEqual({ policy: 'ci/policy.yml' });
  });

  it('exits 2 for an --action-ref that is not owner/repo[/path]@ref or ./path, and writes nothing', () => {
    repo = makeRepo({ files: { 'Cargo.toml': crate('demo') } });
    for (const ref of ['acme/checks', 'acme@v1', 'https://github.com/acme/checks@v1', 'acme/checks@v1 extra', '../checks', 'acme/../x@v1', '']) {
      const result = init(repo, ['--no-hooks', '--action-ref', ref]);
      expect([ref, result.code]).toEqual([ref, 2]);
      expect(result.stderr).toContain('is not an action reference');
      expect(result.stderr).toContain('owner/repo@ref');
    }
    expect(existsSync(join(repo.dir, 'release-policy.yml'))).toBe(false);
    expect(existsSync(join(repo.dir, '.github'))).toBe(false);
  });

  it('keeps an existing workflow unless --force', () => {
    repo = makeRepo({ files: { 'Cargo.toml': crate('demo'), '.github/workflows/release-policy.yml': 'name: mine\n' } });
    const kept = init(repo, ['--no-hooks']);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain('Kept .github/workflows/release-policy.yml');
    expect(readFileSync(join(repo.dir, '.github/workflows/release-policy.yml'), 'utf8')).toBe('name: mine\n');
    expect(init(repo, ['--no-hooks', '--force']).code).toBe(0);
    expect(readFileSync(join(repo.dir, '.github/workflows/release-policy.yml'), 'utf8')).toContain('fetch-depth: 0');
  });

  it('installs the git hooks and lists them', () => {
    repo = makeRepo({ files: { 'Cargo.toml': crate('demo') } });
    const result = init(repo, ['--no-workflow']);
    expect([result.code, result.stderr]).toEqual([0, '']);
    const hooksDir = join(repo.dir, gitSync(repo.dir, ['rev-parse', '--git-path', 'hooks']));
    for (const hook of ['pre-push', 'pre-commit', 'commit-msg']) {
      expect(readFileSync(join(hooksDir, hook), 'utf8')).toContain('release-policy');
      expect(result.stdout).toContain(`.git/hooks/${hook}`);
    }
    expect(result.stdout).toContain('policy hooks doctor');
  });

  it('leaves hooks that find the command: the settings record it, and doctor passes', () => {
    repo = makeRepo({ files: { 'Cargo.toml': crate('demo') } });
    expect(init(repo, ['--no-workflow']).code).toBe(0);
    const settings = readFileSync(join(repo.dir, '.git', 'release-policy', 'hooks.conf'), 'utf8');
    expect(settings).toContain(`rp_cli='${realpathSync(CLI)}'`);
    expect(settings).toContain(`rp_policy='${join(repo.dir, 'release-policy.yml')}'`);
    expect(runPolicy(['hooks', 'doctor'], { cwd: repo.dir }).code).toBe(0);
  });

  it('exits 1 when the hooks cannot be installed, with the files written and the way on', () => {
    repo = makeRepo({ files: { 'Cargo.toml': crate('demo'), 'not-a-folder': 'x\n' } });
    // git looks for hooks below a file, where no hook can be written.
    repo.git('config', 'core.hooksPath', 'not-a-folder/hooks');
    const result = init(repo, []);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('policy: the hooks were not installed');
    expect(result.stderr).toContain('policy hooks install');
    expect(writtenPolicy(repo).packages.map((p) => p.name)).toEqual(['demo']);
    expect(existsSync(join(repo.dir, '.github/workflows/release-policy.yml'))).toBe(true);
    expect(result.stdout).toContain('3. policy hooks install');
  });

  it('explains its options, and refuses unknown managers and contradictory flags', () => {
    repo = makeRepo({ files: { 'Cargo.toml': crate('demo') } });
    const help = init(repo, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.startsWith('Usage: policy init')).toBe(true);
    for (const option of ['--force', '--dry-run', '--manager', '--no-hooks', '--no-workflow', '--action-ref', '--sarif', '--enforce-reopen', 'Exit codes: 0 written']) {
      expect(help.stdout).toContain(option);
    }
    const manager = init(repo, ['--manager', 'lefthook']);
    expect([manager.code, manager.stderr]).toEqual([2, expect.stringContaining('--manager must be one of git, husky')]);
    expect(init(repo, ['--no-hooks', '--manager', 'git']).code).toBe(2);
    const contradiction = init(repo, ['--no-hooks', '--no-workflow', '--sarif']);
    expect([contradiction.code, contradiction.stderr]).toEqual([2, expect.stringContaining('--no-workflow leaves out')]);
    expect(existsSync(join(repo.dir, 'release-policy.yml'))).toBe(false);
  });
});
