// The action runs the committed action/index.cjs: it must be what the sources build today
// (as the official TypeScript action template checks its dist/), the same bytes on every
// build, and action.yml must run it with the inputs and outputs the README documents.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'policy-action-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const build = (out: string): Buffer => {
  execFileSync(process.execPath, [join(PROJECT_ROOT, 'scripts', 'build.mjs'), '--action', '--out', out], { stdio: 'ignore' });
  return readFileSync(out);
};

describe('the action bundle', () => {
  it('the committed action/index.cjs is what the sources build (else: run npm run build:action and commit)', () => {
    const fresh = build(join(dir, 'a.cjs'));
    const committed = readFileSync(join(PROJECT_ROOT, 'action', 'index.cjs'));
    expect(committed.equals(fresh), 'action/index.cjs is stale: run npm run build:action and commit').toBe(true);
    // Deterministic: a second build gives the same bytes; no source map to commit.
    expect(build(join(dir, 'b.cjs')).equals(fresh)).toBe(true);
    expect(fresh.toString('utf8')).not.toContain('sourceMappingURL');
  });

  it('action.yml runs it on node24 with the documented inputs and outputs', () => {
    const action = parse(readFileSync(join(PROJECT_ROOT, 'action.yml'), 'utf8')) as {
      runs: { using: string; main: string };
      inputs: Record<string, { default: string }>;
      outputs: Record<string, unknown>;
    };
    expect(action.runs).toEqual({ using: 'node24', main: 'action/index.cjs' });
    expect(Object.fromEntries(Object.entries(action.inputs).map(([name, input]) => [name, input.default]))).toEqual({
      gate: '', policy: '', sarif: '', 'fail-on': 'error', 'github-token': '${{ github.token }}', fetch: 'true',
    });
    expect(Object.keys(action.outputs)).toEqual(['verdict', 'errors', 'warnings', 'sarif']);
  });
});

describe("this repository's own workflow", () => {
  it('runs the action from the working tree on every event the action tells apart, with the whole history and read-only permissions', () => {
    const workflow = parse(readFileSync(join(PROJECT_ROOT, '.github', 'workflows', 'release-policy.yml'), 'utf8')) as {
      on: Record<string, unknown>;
      permissions: Record<string, string>;
      jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }>;
    };
    expect(Object.keys(workflow.on).sort()).toEqual(['issues', 'pull_request', 'push', 'schedule', 'workflow_dispatch']);
    expect(workflow.on.issues).toEqual({ types: ['closed', 'reopened'] });
    expect(workflow.permissions).toEqual({ contents: 'read', issues: 'read' });
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
    expect(steps.find((step) => step.uses?.startsWith('actions/checkout@'))?.with).toMatchObject({ 'fetch-depth': 0 });
    expect(steps.filter((step) => step.uses === './')).toHaveLength(1);
  });
});
