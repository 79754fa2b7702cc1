// The shims' settings file: what renderSettings writes, readSettings (doctor) reads back,
// and sh sources to the same values.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSettings, writeSettings, type HookSettings } from '../../src/hooks/settings.js';

describe('hook settings', () => {
  it('round-trip through the file, quotes and newlines included, and sh reads the same values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'release-policy-settings-'));
    const file = join(dir, 'release-policy', 'hooks.conf');
    const settings: HookSettings = {
      policy: "/work/it's here/release-policy.yml",
      cli: '/opt/release-policy/dist/cli.cjs',
      node: '/usr/bin/node',
      tags: ['v[0-9]*', 'sdks/go/v[0-9]*'],
      paths: ['Cargo.toml', 'RELEASE_v*.md'],
    };
    writeSettings(file, settings);
    expect(readSettings(file)).toEqual(settings);
    const shell = execFileSync('sh', ['-c', `. '${file}'; printf '%s|%s' "$rp_policy" "$rp_tags"`], { encoding: 'utf8' });
    expect(shell).toBe("/work/it's here/release-policy.yml|v[0-9]*\nsdks/go/v[0-9]*");
    expect(readSettings(join(dir, 'missing.conf'))).toBeNull();
    rmSync(dir, { recursive: true, force: true });
  });
});
