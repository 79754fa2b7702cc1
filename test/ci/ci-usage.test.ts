// `policy ci` called wrongly: a clear message and exit 2, never a stack trace.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPolicy } from '../helpers/cli.js';
import { makeRepo, type TempRepo } from '../helpers/git-repo.js';
import { HAS_GIT } from '../helpers/tools.js';

let repo: TempRepo;
let files: string;
beforeAll(() => {
  files = mkdtempSync(join(tmpdir(), 'policy-ci-usage-'));
  if (HAS_GIT) repo = makeRepo({ files: { 'release-policy.yml': 'version: 1\npackages:\n  - name: demo\n', 'Cargo.toml': '[package]\nname = "demo"\nversion = "0.1.0"\n' } });
});
afterAll(() => {
  rmSync(files, { recursive: true, force: true });
  if (HAS_GIT) repo.remove();
});

describe.skipIf(!HAS_GIT)('policy ci usage', () => {
  it('--help', () => {
    const result = runPolicy(['ci', '--help'], { cwd: repo.dir });
    expect([result.code, result.stdout.startsWith('Usage: policy ci')]).toEqual([0, true]);
  });

  it('outside an Actions run (no GITHUB_EVENT_NAME): exit 2 saying what to set', () => {
    const result = runPolicy(['ci'], { cwd: repo.dir, env: { GITHUB_EVENT_NAME: '' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('policy ci: GITHUB_EVENT_NAME is not set');
  });

  it('an event file that is not JSON, or missing: exit 2 naming the file', () => {
    const bad = join(files, 'event.json');
    writeFileSync(bad, '{ not json');
    const garbled = runPolicy(['ci'], { cwd: repo.dir, env: { GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: bad } });
    expect(garbled.code).toBe(2);
    expect(garbled.stderr).toContain(`cannot read the event GITHUB_EVENT_PATH=${bad}: not JSON`);
    const missing = runPolicy(['ci'], { cwd: repo.dir, env: { GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: join(files, 'nope.json') } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read the event GITHUB_EVENT_PATH=');
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });

  it('a fail-on or gate that does not exist: exit 2 listing the choices', () => {
    const env = { GITHUB_EVENT_NAME: 'workflow_dispatch', GITHUB_EVENT_PATH: '' };
    const failOn = runPolicy(['ci', '--fail-on', 'sometimes'], { cwd: repo.dir, env });
    expect([failOn.code, failOn.stderr]).toEqual([2, expect.stringContaining('--fail-on must be one of error, warning, never')]);
    const gate = runPolicy(['ci', '--gate', 'reveiw'], { cwd: repo.dir, env });
    expect([gate.code, gate.stderr]).toEqual([2, expect.stringContaining('did you mean "review"')]);
  });
});
