import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT, runPolicy } from '../helpers/cli.js';

// The README's rule and test-table examples are run as written, so the docs cannot drift.
function yamlBlockStartingWith(readme: string, start: string): string {
  const at = readme.indexOf(`\`\`\`yaml\n${start}`);
  expect(at).toBeGreaterThan(-1);
  const body = at + '```yaml\n'.length;
  return readme.slice(body, readme.indexOf('```', body));
}

describe('README examples', () => {
  it('the example rule passes its example test table', () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'release-policy-readme-'));
    try {
      mkdirSync(join(dir, 'rules'));
      writeFileSync(join(dir, 'rules', 'no-zero-major.yml'), yamlBlockStartingWith(readme, 'id: no-zero-major'));
      writeFileSync(join(dir, 'rules', 'no-zero-major.test.yml'), yamlBlockStartingWith(readme, 'rule: no-zero-major'));
      const result = runPolicy(['test', 'rules'], { cwd: dir });
      expect([result.code, result.stderr]).toEqual([0, '']);
      expect(result.stdout).toContain('✔ no-zero-major (2 cases)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the example policy file is valid', () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'release-policy-readme-'));
    try {
      mkdirSync(join(dir, '.git'));
      mkdirSync(join(dir, 'policy-rules'));
      writeFileSync(join(dir, 'release-policy.yml'), yamlBlockStartingWith(readme, '# yaml-language-server'));
      const result = runPolicy(['rules'], { cwd: dir });
      expect([result.code, result.stderr]).toEqual([0, '']);
      expect(result.stdout).toMatch(/version-not-skipped\s+warn/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
