import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { findingFingerprint } from '../../src/engine/fingerprint.js';
import { WAIVER_EXPIRED, WAIVER_INVALID, WAIVER_UNUSED } from '../../src/engine/gate.js';
import type { Finding, RuleDefinition } from '../../src/engine/model.js';
import { builtInRulesDir, loadRuleDirs } from '../../src/policy/read-rules.js';
import { PROJECT_URL } from '../../src/report/help-uri.js';
import { renderVerdict } from '../../src/report/index.js';
import { PROJECT_ROOT } from '../helpers/cli.js';
import { finding, options, rule, verdict, waived } from './verdict-builder.js';

const located = (parts: Parameters<typeof finding>[0], location: Finding['location']): Finding => ({ ...finding(parts), location });

describe('locations in github annotations', () => {
  test('file, line and col (col only when known) before the title', () => {
    const out = renderVerdict('github', verdict({
      findings: [
        located({ rule: 'version-not-lowered', subject: 'version demo 0.2.0 -> 0.1.0', message: 'went down', fix: '' }, { file: 'crates/demo/Cargo.toml', line: 3, column: 1 }),
        located({ rule: 'release-notes-present', severity: 'warn', subject: 'version demo 0.2.0', message: 'no notes', fix: '' }, { file: 'RELEASE_v0.2.0.md', line: 1, column: 0 }),
        finding({ rule: 'tag-matches-manifest', subject: 'tag v0.1.0', message: 'drift', fix: '' }),
      ],
      waived: [{ ...waived({ rule: 'r', message: 'm', subject: 'version demo 1', reason: 'why', owner: '@o', expires: '2026-11-01' }), location: { file: 'Cargo.toml', line: 2, column: 5 } }],
    }), options());
    expect(out.split('\n').slice(0, 4)).toEqual([
      '::error file=crates/demo/Cargo.toml,line=3,col=1,title=version-not-lowered::went down%0Asubject: version demo 0.2.0 -> 0.1.0',
      '::warning file=RELEASE_v0.2.0.md,line=1,title=release-notes-present::no notes%0Asubject: version demo 0.2.0',
      '::error title=tag-matches-manifest::drift%0Asubject: tag v0.1.0',
      '::notice file=Cargo.toml,line=2,col=5,title=r (waived)::m%0Asubject: version demo 1%0Awaived by @o (expires 2026-11-01): why',
    ]);
  });

  test('repository text in a file name, a subject and a message cannot add a property or a command', () => {
    const hostile = 'v1,line=99,title=x::%0A\n::error file=evil::y';
    const out = renderVerdict('github', verdict({
      findings: [
        located({ rule: 'r', subject: `tag ${hostile}`, message: `tag ${hostile}`, fix: '' }, { file: `notes/${hostile}.md`, line: 1, column: 1 }),
        finding({ rule: 'r', subject: `commit ${hostile}`, message: hostile, fix: '' }),
      ],
    }), options());
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      '::error file=notes/v1%2Cline=99%2Ctitle=x%3A%3A%250A%0A%3A%3Aerror file=evil%3A%3Ay.md,line=1,col=1,title=r::'
        + 'tag v1,line=99,title=x::%250A%0A::error file=evil::y%0Asubject: tag v1,line=99,title=x::%250A%0A::error file=evil::y',
    );
    expect(lines[1]?.startsWith('::error title=r::v1,line=99')).toBe(true);
    // Exactly one `::` separates the properties from the message on each command line.
    const properties = (line: string) => line.slice(2, line.indexOf('::', 2)).split(',').map((p) => p.split('=')[0]);
    expect(lines.slice(0, 2).map(properties)).toEqual([['error file', 'line', 'col', 'title'], ['error title']]);
  });
});

describe('locations in SARIF', () => {
  const catalogue = [rule('version-not-lowered'), rule('tag-matches-manifest')];

  test('a located finding has a physicalLocation under %SRCROOT%; a tag keeps its logical location and falls back to the policy file', () => {
    const results = JSON.parse(renderVerdict('sarif', verdict({
      findings: [
        located({ rule: 'version-not-lowered', subject: 'version demo 0.2.0 -> 0.1.0' }, { file: 'crates/my crate/Cargo#1%.toml', line: 6, column: 1 }),
        located({ rule: 'version-not-lowered', subject: 'version demo 0.3.0 -> 0.1.0' }, { file: 'Cargo.toml', line: 6, column: 0 }),
        finding({ rule: 'tag-matches-manifest', subject: 'tag v0.1.0' }),
      ],
    }), options({ rules: catalogue, policyFile: 'release-policy.yml' }))).runs[0].results;
    expect(results[0].locations).toEqual([{
      physicalLocation: { artifactLocation: { uri: 'crates/my%20crate/Cargo%231%25.toml', uriBaseId: '%SRCROOT%' }, region: { startLine: 6, startColumn: 1 } },
      logicalLocations: [{ name: 'demo 0.2.0 -> 0.1.0', kind: 'version', fullyQualifiedName: 'version demo 0.2.0 -> 0.1.0' }],
    }]);
    expect(results[1].locations[0].physicalLocation.region).toEqual({ startLine: 6 });
    expect(results[2].locations).toEqual([{
      physicalLocation: { artifactLocation: { uri: 'release-policy.yml', uriBaseId: '%SRCROOT%' }, region: { startLine: 1 } },
      logicalLocations: [{ name: 'v0.1.0', kind: 'tag', fullyQualifiedName: 'tag v0.1.0' }],
    }]);
  });

  test('partialFingerprints are the finding fingerprint: the same whatever the message or line, distinct per subject', () => {
    const render = (message: string, line: number) => JSON.parse(renderVerdict('sarif', verdict({
      findings: [
        located({ rule: 'version-not-lowered', subject: 'version demo 0.2.0 -> 0.1.0', message }, { file: 'Cargo.toml', line, column: 1 }),
        finding({ rule: 'version-not-lowered', subject: 'version demo 0.3.0 -> 0.1.0', message }),
      ],
    }), options({ rules: catalogue }))).runs[0].results.map((r: { partialFingerprints: Record<string, string> }) => r.partialFingerprints);
    const first = render('went down to 0.1.0', 6);
    expect(first[0]).toEqual({ 'releasePolicyFinding/v1': findingFingerprint({ rule: 'version-not-lowered', subject: { kind: 'version', name: 'demo 0.2.0 -> 0.1.0' } }) });
    expect(render('another message', 40)).toEqual(first);
    expect(first[0]).not.toEqual(first[1]);
  });
});

/** The anchor GitHub gives a README heading: lower case, punctuation dropped, spaces to hyphens. */
function githubSlug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

describe('rule help in the README', () => {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const lines = readme.split('\n');
  /** The text under the heading whose slug is `anchor`, up to the next heading. */
  const section = (anchor: string): string | null => {
    const start = lines.findIndex((line) => /^#{1,6} /.test(line) && githubSlug(line.replace(/^#+ /, '')) === anchor);
    if (start === -1) return null;
    const end = lines.findIndex((line, at) => at > start && /^#{1,6} /.test(line));
    return lines.slice(start + 1, end === -1 ? undefined : end).join('\n');
  };
  const helpUris = (rules: RuleDefinition[], findings: Finding[]) =>
    JSON.parse(renderVerdict('sarif', verdict({ findings }), options({ rules }))).runs[0].tool.driver.rules as { id: string; helpUri?: string }[];

  test('every built-in rule links to the README section whose table lists it', () => {
    const { rules } = loadRuleDirs([], builtInRulesDir());
    expect(rules.length).toBeGreaterThan(15);
    const described = helpUris(rules, rules.map((r) => finding({ rule: r.id })));
    for (const { id, helpUri } of described) {
      expect(helpUri?.startsWith(`${PROJECT_URL}#`), id).toBe(true);
      const text = section(helpUri?.slice(PROJECT_URL.length + 1) ?? '');
      expect(text, `${id}: ${helpUri}`).not.toBeNull();
      expect(text, `${id}: ${helpUri}`).toMatch(new RegExp(`^\\| \`${id}\` \\|`, 'm'));
    }
  });

  test("the engine's waiver findings link to Waivers; a project's own rule has no helpUri", () => {
    const described = helpUris([rule('own', { builtIn: false })], [WAIVER_EXPIRED, WAIVER_UNUSED, WAIVER_INVALID, 'own'].map((id) => finding({ rule: id })));
    expect(described.map((d) => d.helpUri)).toEqual([`${PROJECT_URL}#waivers`, `${PROJECT_URL}#waivers`, `${PROJECT_URL}#waivers`, undefined]);
    expect(section('waivers')).toMatch(/waiver/i);
  });

  test("package.json names the project URL the help links use", () => {
    const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { homepage: string; repository: { url: string } };
    expect(manifest.homepage).toBe(`${PROJECT_URL}#readme`);
    expect(manifest.repository.url).toBe(`git+${PROJECT_URL}.git`);
  });
});
