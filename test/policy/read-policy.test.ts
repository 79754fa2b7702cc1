import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatDiagnostic } from '../../src/policy/diagnostics.js';
import type { Diagnostic } from '../../src/policy/model.js';
import { readPolicy } from '../../src/policy/read-policy.js';

const FILE = '/repo/release-policy.yml';

function lines(...rows: string[]): string {
  return `${rows.join('\n')}\n`;
}

/** A policy must list a package: appended last, so the line numbers of `rows` stay as written. */
const PACKAGE = 'packages: [{ name: demo }]';

function only(text: string): Diagnostic {
  const { diagnostics } = readPolicy(FILE, text);
  expect(diagnostics.map(formatDiagnostic)).toHaveLength(1);
  return diagnostics[0]!;
}

describe('readPolicy: errors', () => {
  test('a YAML syntax error gives no policy and a located diagnostic', () => {
    const { policy, diagnostics } = readPolicy(FILE, lines('version: 1', 'packages:', '  - name: "demo', 'rules: {}'));
    expect(policy).toBeNull();
    expect(diagnostics[0]).toMatchObject({ file: FILE, line: 3, col: 11, key: 'yaml' });
    expect(diagnostics[0]?.message).toMatch(/quote/i);
  });

  test('an unknown top-level key suggests the closest key', () => {
    const { diagnostics } = readPolicy(FILE, lines('version: 1', 'pakages:', '  - name: demo'));
    // The misspelled key leaves the policy without packages: both are said, in file order.
    expect(diagnostics).toHaveLength(2);
    expect(diagnostics[0]).toMatchObject({ line: 1, col: 1, key: 'packages', message: 'missing required key "packages"' });
    const d = diagnostics[1]!;
    expect(d).toMatchObject({ line: 2, col: 1, key: 'pakages', message: 'unknown key "pakages"', hint: 'did you mean "packages"?' });
    expect(formatDiagnostic(d)).toBe('/repo/release-policy.yml:2:1 pakages: unknown key "pakages"\n  hint: did you mean "packages"?');
  });

  test('an unknown package key is reported at the key', () => {
    const d = only(lines('version: 1', 'packages:', '  - name: demo', '    release_notes: NOTES.md'));
    expect(d).toMatchObject({ line: 4, col: 5, key: 'packages[0].release_notes', message: 'unknown key "release_notes"' });
    expect(d.hint).toBe('did you mean "releaseNotes"?');
  });

  test('an invalid severity lists the allowed values once, without anyOf noise', () => {
    const d = only(lines('version: 1', 'rules:', '  version-valid: fatal', PACKAGE));
    expect(d).toMatchObject({ line: 3, col: 18, key: 'rules.version-valid' });
    expect(d.message).toBe('must be one of "off", "warn", "error", got "fatal"');
    expect(d.message).not.toMatch(/anyOf|object Object/);
    expect(d.hint).toMatch(/off disables/);
  });

  test('a bad severity inside a tuple points at the tuple item', () => {
    const d = only(lines('version: 1', 'rules:', '  version-valid: [warning, { a: 1 }]', PACKAGE));
    expect(d).toMatchObject({ line: 3, col: 19, key: 'rules.version-valid[0]' });
    expect(d.message).toMatch(/must be one of "off", "warn", "error", got "warning"/);
    expect(d.hint).toBe('did you mean "warn"?');
  });

  test('a waiver without expires names the missing key and what it holds', () => {
    const d = only(lines('version: 1', 'waivers:', '  - rule: tag-matches-manifest', '    when: "true"', '    reason: historic', '    owner: "@me"', PACKAGE));
    expect(d).toMatchObject({ line: 3, col: 5, key: 'waivers[0].expires', message: 'missing required key "expires"' });
    expect(d.hint).toMatch(/^add expires: .*YYYY-MM-DD/);
  });

  test('a malformed expires date is reported at the value', () => {
    const waiver = ['version: 1', 'waivers:', '  - rule: r', '    when: "true"', '    reason: x', '    owner: o'];
    const d = only(lines(...waiver, '    expires: 2027/06/30', PACKAGE));
    expect(d).toMatchObject({ line: 7, col: 14, key: 'waivers[0].expires' });
    expect(d.message).toBe('must be a date written YYYY-MM-DD, got "2027/06/30"');
    const impossible = only(lines(...waiver, '    expires: 2027-02-30', PACKAGE));
    expect(impossible).toMatchObject({ line: 7, col: 14, message: '"2027-02-30" is not a calendar date' });
  });

  test('type errors say what was expected and what was written', () => {
    const d = only(lines('version: 1', 'issues:', '  branch: 42', PACKAGE));
    expect(d).toMatchObject({ line: 3, col: 11, key: 'issues.branch', message: 'expected a string or a list, got 42 (a number)' });
    const pattern = only(lines('version: 1', 'issues:', '  branch: [feature-*]', PACKAGE));
    expect(pattern).toMatchObject({ line: 3, col: 12, key: 'issues.branch[0]' });
    expect(pattern.message).toMatch(/must contain \{issue\}/);
  });

  test('an empty file and a missing version are explained', () => {
    expect(readPolicy(FILE, '# nothing\n').diagnostics[0]).toMatchObject({ line: 1, col: 1, message: 'the policy file is empty' });
    expect(only(lines('extends: [recommended]', PACKAGE))).toMatchObject({ line: 1, col: 1, key: 'version', message: 'missing required key "version"' });
  });

  test('every problem is reported at once, in file order, each with a hint', () => {
    const { policy, diagnostics } = readPolicy(
      FILE,
      lines(
        'version: 2', //                                   1
        'extends: [recomended]', //                         2
        'packages:', //                                     3
        '  - name: demo', //                                4
        '    ecosystem: pip', //                            5
        '    tag: release', //                              6
        '  - name: demo', //                                7
        'onUnavailable: ignore', //                         8
        'waivers:', //                                      9
        '  - { rule: r, when: "true", reason: x, owner: o, expires: 2027-1-1 }', // 10
      ),
    );
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.key}`)).toEqual([
      '1:10 version',
      '2:11 extends[0]',
      '5:16 packages[0].ecosystem',
      '6:10 packages[0].tag',
      '7:11 packages[1].name',
      '8:16 onUnavailable',
      '10:60 waivers[0].expires',
    ]);
    expect(diagnostics[1]?.hint).toBe('did you mean "recommended"?');
    expect(diagnostics[4]?.message).toBe('package "demo" is listed twice');
    for (const d of diagnostics) {
      expect(d.hint).not.toBe('');
      expect(formatDiagnostic(d)).not.toMatch(/object Object/);
    }
    // Still normalized, so rule-setting problems can be reported in the same run.
    expect(policy?.packages.map((p) => p.name)).toEqual(['demo', 'demo']);
  });
});

describe('readPolicy: packages', () => {
  test('a policy without packages, or with an empty list, is refused with a hint', () => {
    const missing = only(lines('version: 1', 'extends: [recommended]'));
    expect(missing).toMatchObject({ line: 1, col: 1, key: 'packages', message: 'missing required key "packages"' });
    expect(missing.hint).toMatch(/^add packages: .*list the crate to release, e\.g\. `- name: my-crate`/);
    const empty = only(lines('version: 1', 'packages: []'));
    expect(empty).toMatchObject({ line: 2, col: 11, key: 'packages', message: 'must not be empty' });
    expect(empty.hint).toMatch(/list the crate to release/);
  });

  test('manifest paths and release-notes templates are normalized as git reports paths', () => {
    const { policy, diagnostics } = readPolicy(
      FILE,
      lines(
        'version: 1',
        'packages:',
        '  - name: a',
        '    manifest: ./crates/a/Cargo.toml',
        '    releaseNotes: ./docs//notes/./RELEASE_v{version}.md',
        '  - name: b',
        '    manifest: crates/b/Cargo.toml',
      ),
    );
    expect(diagnostics).toEqual([]);
    expect(policy?.packages.map((p) => [p.manifest, p.releaseNotes])).toEqual([
      ['crates/a/Cargo.toml', 'docs/notes/RELEASE_v{version}.md'],
      ['crates/b/Cargo.toml', 'RELEASE_v{version}.md'],
    ]);
  });

  test('absolute paths, ".." segments and backslashes are refused at the value', () => {
    const { diagnostics } = readPolicy(
      FILE,
      lines(
        'version: 1', //                                          1
        'packages:', //                                           2
        '  - name: a', //                                         3
        '    manifest: ../x/Cargo.toml', //                       4
        '  - name: b', //                                         5
        '    manifest: /abs/Cargo.toml', //                       6
        '    releaseNotes: notes\\RELEASE_v{version}.md', //    7
        '  - name: c', //                                         8
        '    manifest: crates/c/../../Cargo.toml', //             9
        '    releaseNotes: "C:/notes/v{version}.md"', //         10
        '  - name: d', //                                        11
        '    manifest: ./', //                                   12
      ),
    );
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.key}: ${d.message} | ${d.hint}`)).toEqual([
      '4:15 packages[0].manifest: "../x/Cargo.toml" contains "..": paths must stay inside the repository | write the path from the repository root without "..", e.g. crates/my-crate/Cargo.toml',
      '6:15 packages[1].manifest: "/abs/Cargo.toml" is an absolute path | write the path relative to the repository root, e.g. crates/my-crate/Cargo.toml',
      '7:19 packages[1].releaseNotes: "notes\\RELEASE_v{version}.md" contains a backslash | write the path with forward slashes: notes/RELEASE_v{version}.md',
      '9:15 packages[2].manifest: "crates/c/../../Cargo.toml" contains "..": paths must stay inside the repository | write the path from the repository root without "..", e.g. crates/my-crate/Cargo.toml',
      '10:19 packages[2].releaseNotes: "C:/notes/v{version}.md" is an absolute path | write the path relative to the repository root, e.g. docs/RELEASE_v{version}.md',
      '12:15 packages[3].manifest: "./" names a folder, not a file | name the file itself, e.g. crates/my-crate/Cargo.toml',
    ]);
  });
});

describe('readPolicy: normalization', () => {
  test('applies defaults', () => {
    const { policy, diagnostics } = readPolicy(FILE, lines('version: 1', 'packages:', '  - name: demo', '  - name: web', '    ecosystem: npm'));
    expect(diagnostics).toEqual([]);
    expect(policy).toMatchObject({
      file: FILE,
      version: 1,
      extends: ['recommended'],
      issues: { branch: ['*issue-{issue}-*'] },
      defaultBranch: '',
      rulesDirs: [],
      rules: {},
      waivers: [],
      onUnavailable: 'error',
    });
    expect(policy?.packages).toEqual([
      { name: 'demo', ecosystem: 'cargo', manifest: 'Cargo.toml', registry: 'crates-io', tag: 'v{version}', tags: ['v{version}'], releaseNotes: 'RELEASE_v{version}.md', location: { file: FILE, line: 3, col: 11 } },
      { name: 'web', ecosystem: 'npm', manifest: 'package.json', registry: 'npmjs', tag: 'v{version}', tags: ['v{version}'], releaseNotes: 'RELEASE_v{version}.md', location: { file: FILE, line: 4, col: 11 } },
    ]);
  });

  test('github: defaults, given values, and each wrong value at its place', () => {
    const none = readPolicy(FILE, lines('version: 1', 'packages:', '  - name: demo'));
    expect(none.policy?.github).toEqual({ repository: '', graphqlUrl: '', comment: 'auto', enforce: 'off', trusted: ['OWNER', 'MEMBER', 'COLLABORATOR'] });
    const given = readPolicy(FILE, lines(
      'version: 1', 'packages:', '  - name: demo', 'github:', '  repository: acme/demo', '  graphqlUrl: https://ghe.example.com/api/graphql',
      '  comment: "off"', '  enforce: reopen', '  trusted: [OWNER]',
    ));
    expect(given.diagnostics).toEqual([]);
    expect(given.policy?.github).toEqual({ repository: 'acme/demo', graphqlUrl: 'https://ghe.example.com/api/graphql', comment: 'off', enforce: 'reopen', trusted: ['OWNER'] });
    const wrong = readPolicy(FILE, lines(
      'version: 1', 'packages:', '  - name: demo', 'github:', '  repository: acme', '  comment: always', '  trusted: [EVERYONE]', '  token: abc',
    ));
    expect(wrong.diagnostics.map((d) => `${d.line}:${d.col} ${d.key}`)).toEqual([
      '5:15 github.repository', '6:12 github.comment', '7:13 github.trusted[0]', '8:3 github.token',
    ]);
  });

  test('normalizes severity shortcuts, rule folders and waivers with their locations', () => {
    const { policy, diagnostics } = readPolicy(
      FILE,
      lines(
        'version: 1',
        'extends: []',
        'rulesDir: [policy/rules, /abs/rules]',
        'issues: { branch: "codex/issue-{issue}-*" }',
        'rules:',
        '  a-rule: warn',
        '  b-rule: [error]',
        '  c-rule: [off, { limit: 3 }]',
        'waivers:',
        '  - rule: a-rule',
        '    when: |',
        '      finding.subject.name == "v0.1.0"',
        '    reason: historic tag',
        '    owner: "@maintainers"',
        '    expires: 2027-06-30',
        PACKAGE,
      ),
    );
    expect(diagnostics).toEqual([]);
    expect(policy?.extends).toEqual([]);
    expect(policy?.rulesDirs).toEqual([resolve('/repo/policy/rules'), resolve('/abs/rules')]);
    expect(policy?.issues.branch).toEqual(['codex/issue-{issue}-*']);
    expect(policy?.rules).toEqual({
      'a-rule': { severity: 'warn', options: {}, location: { file: FILE, line: 6, col: 3 } },
      'b-rule': { severity: 'error', options: {}, location: { file: FILE, line: 7, col: 3 } },
      'c-rule': { severity: 'off', options: { limit: 3 }, location: { file: FILE, line: 8, col: 3 } },
    });
    expect(policy?.waivers).toEqual([
      {
        rule: 'a-rule',
        when: { text: 'finding.subject.name == "v0.1.0"\n', at: { file: FILE, line: 12, col: 7 }, block: true },
        reason: 'historic tag',
        owner: '@maintainers',
        expires: '2027-06-30',
        index: 0,
        location: { file: FILE, line: 10, col: 5 },
        ruleLocation: { file: FILE, line: 10, col: 11 },
      },
    ]);
  });
});

describe('readPolicy: tag templates', () => {
  test('a list of templates keeps its order; the first is the one new tags use', () => {
    const { policy, diagnostics } = readPolicy(
      FILE,
      lines('version: 1', 'packages:', '  - { name: a, tag: ["v{version}", "a-{version}"] }', '  - { name: b, tag: "v{version}" }', '  - { name: c }'),
    );
    expect(diagnostics).toEqual([]);
    expect(policy?.packages.map((p) => [p.tag, p.tags])).toEqual([
      ['v{version}', ['v{version}', 'a-{version}']],
      ['v{version}', ['v{version}']],
      ['v{version}', ['v{version}']],
    ]);
  });

  test('an empty list, a template without {version} and a repeated template are each reported where written', () => {
    const { diagnostics } = readPolicy(
      FILE,
      lines(
        'version: 1', //                                           1
        'packages:', //                                            2
        '  - { name: a, tag: [] }', //                             3
        '  - { name: b, tag: ["v{version}", release] }', //        4
        '  - { name: c, tag: ["c-{version}", "c-{version}"] }', // 5
        '  - { name: d, tag: "" }', //                             6
      ),
    );
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.key}: ${d.message}`)).toEqual([
      '3:21 packages[0].tag: must not be empty',
      '4:36 packages[1].tag[1]: must contain {version}, where the version stands in the tag name, got "release"',
      '5:37 packages[2].tag[1]: lists "c-{version}" twice',
      '6:21 packages[3].tag: must contain {version}, where the version stands in the tag name, got ""',
    ]);
  });
});
