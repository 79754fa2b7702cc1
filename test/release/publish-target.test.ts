import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/release/model.js';
import { choosePublishTarget, parsePublishArgs, recordedPublishCommand, type PublishArgs, type TargetInput } from '../../src/release/publish-target.js';
import { verificationVerdict } from '../../src/release/verification.js';

describe('parsePublishArgs', () => {
  it.each<[string, string[], PublishArgs | null]>([
    ['plain', ['cargo', 'publish'], {}],
    ['--registry NAME', ['cargo', 'publish', '--registry', 'local2'], { registry: 'local2' }],
    ['--registry=NAME', ['cargo', 'publish', '--registry=local2'], { registry: 'local2' }],
    ['--index URL', ['cargo', 'publish', '--index', 'sparse+https://r.example/index/'], { index: 'sparse+https://r.example/index/' }],
    ['-p NAME, --package=NAME, -pNAME', ['cargo', 'publish', '-p', 'a'], { package: 'a' }],
    ['--package=NAME', ['cargo', 'publish', '--package=oris-runtime'], { package: 'oris-runtime' }],
    ['-pNAME', ['cargo', 'publish', '-poris'], { package: 'oris' }],
    ['--manifest-path', ['cargo', 'publish', '--manifest-path', 'crates/x/Cargo.toml'], { manifestPath: 'crates/x/Cargo.toml' }],
    ['global options and a toolchain before publish', ['/usr/bin/cargo', '+1.80', '--locked', '--config', 'net.retry=5', 'publish', '-p', 'x', '--registry', 'r'], { package: 'x', registry: 'r' }],
    ['values of other options are not read as ours', ['cargo', 'publish', '--features', '-p', '--registry', 'r'], { registry: 'r' }],
    ['a redacted token is skipped', ['cargo', 'publish', '--token', '***', '--registry', 'r'], { registry: 'r' }],
    ['the last of a repeated option wins', ['cargo', 'publish', '--registry', 'a', '--registry', 'b'], { registry: 'b' }],
    ['not a publish', ['cargo', 'package', '--registry', 'r'], null],
    ['not cargo', ['npm', 'publish', '--registry', 'https://r.example/'], null],
  ])('%s', (_name, argv, expected) => {
    expect(parsePublishArgs(argv)).toEqual(expected);
  });
});

describe('choosePublishTarget', () => {
  const input = (over: Partial<TargetInput>): TargetInput => ({
    args: {},
    manifest: { name: 'demo-crate', publishRegistries: null },
    policy: { name: 'demo', registry: 'local' },
    cargoDefault: null,
    ...over,
  });
  it.each<[string, Partial<TargetInput>, { crate: string; registry: string; index?: string; from: RegExp }]>([
    ['no publish recorded: the policy\'s registry, the manifest\'s crate', { args: null }, { crate: 'demo-crate', registry: 'local', from: /the policy/ }],
    ['no publish recorded and no manifest: the policy\'s word', { args: null, manifest: null }, { crate: 'demo', registry: 'local', from: /the policy/ }],
    ['--index wins over --registry', { args: { index: 'sparse+http://h/i/', registry: 'x' } }, { crate: 'demo-crate', registry: 'sparse+http://h/i/', index: 'sparse+http://h/i/', from: /--index/ }],
    ['--registry wins over publish = [...]', { args: { registry: 'local2' }, manifest: { name: 'demo-crate', publishRegistries: ['other'] } }, { crate: 'demo-crate', registry: 'local2', from: /--registry local2/ }],
    ['publish = ["one"] when the command names none', { manifest: { name: 'demo-crate', publishRegistries: ['local2'] } }, { crate: 'demo-crate', registry: 'local2', from: /publish = \["local2"\]/ }],
    ['publish = ["one"] wins over registry.default', { manifest: { name: 'demo-crate', publishRegistries: ['local2'] }, cargoDefault: 'd' }, { crate: 'demo-crate', registry: 'local2', from: /publish/ }],
    ['cargo\'s registry.default', { cargoDefault: 'd' }, { crate: 'demo-crate', registry: 'd', from: /registry\.default/ }],
    ['nothing named: crates.io, as cargo', {}, { crate: 'demo-crate', registry: 'crates-io', from: /crates\.io/ }],
    ['-p names the crate', { args: { package: 'othercrate', registry: 'local' } }, { crate: 'othercrate', registry: 'local', from: /--registry local/ }],
    ['-p of another crate does not take this manifest\'s publish list', { args: { package: 'othercrate' }, manifest: { name: 'demo-crate', publishRegistries: ['local2'] } }, { crate: 'othercrate', registry: 'crates-io', from: /crates\.io/ }],
    ['several registries listed: the policy\'s', { manifest: { name: 'demo-crate', publishRegistries: ['a', 'b'] } }, { crate: 'demo-crate', registry: 'local', from: /several/ }],
  ])('%s', (_name, over, expected) => {
    const { from, ...rest } = expected;
    const target = choosePublishTarget(input(over));
    expect(target).toMatchObject(rest);
    if (expected.index === undefined) expect(target.index).toBeUndefined();
    expect(target.from).toMatch(from);
  });
});

describe('recordedPublishCommand', () => {
  const event = (over: Partial<JournalEvent>): JournalEvent => ({ v: 1, id: 'abcdef01', at: '2026-11-24T19:00:00Z', type: 'step-started', package: 'demo', version: '0.2.0', issue: 7, ...over });
  it('is the last publish of the package at the version, not a dry-run or another version or package', () => {
    const events = [
      event({ phase: 'publish', command: ['cargo', 'publish', '--registry', 'first'] }),
      event({ type: 'step-finished', phase: 'publish', command: ['cargo', 'publish', '--registry', 'second'] }),
      event({ phase: 'dry-run', command: ['cargo', 'publish', '--registry', 'dry', '--dry-run'] }),
      event({ phase: 'publish', version: '0.3.0', command: ['cargo', 'publish', '--registry', 'later'] }),
      event({ phase: 'publish', package: 'other', command: ['cargo', 'publish', '--registry', 'theirs'] }),
    ];
    expect(recordedPublishCommand(events, 'demo', '0.2.0')).toEqual(['cargo', 'publish', '--registry', 'second']);
    expect(recordedPublishCommand(events, 'demo', '0.1.0')).toBeNull();
  });
});

describe('verificationVerdict', () => {
  const answer = (published: 'yes' | 'no' | 'unknown', checksum = '', reason = '') => ({ version: '0.2.0', published, checksum, reason });
  it('yes with our checksum: published yes, ours', () => {
    expect(verificationVerdict(answer('yes', 'a'.repeat(64)), { checksum: 'a'.repeat(64) })).toMatchObject({ published: 'yes', content: 'ours', word: 'yes' });
  });
  it('yes with another checksum: taken (published yes, content other)', () => {
    const verdict = verificationVerdict(answer('yes', 'a'.repeat(64)), { checksum: 'b'.repeat(64) });
    expect(verdict).toMatchObject({ published: 'yes', content: 'other', word: 'taken' });
    expect(verdict.reason).toContain('taken by other content');
  });
  it('yes without a local package to compare: unknown, with the reason', () => {
    const verdict = verificationVerdict(answer('yes', 'a'.repeat(64)), { reason: 'cargo package failed' });
    expect(verdict).toMatchObject({ published: 'unknown', content: 'unknown', word: 'unknown' });
    expect(verdict.reason).toContain('cargo package failed');
  });
  it('no: published no, nothing compared', () => {
    expect(verificationVerdict(answer('no'), null)).toEqual({ published: 'no', compared: '', word: 'no', reason: 'the registry does not have 0.2.0' });
  });
  it('unknown keeps the registry\'s reason', () => {
    expect(verificationVerdict(answer('unknown', '', 'timed out'), null)).toMatchObject({ published: 'unknown', word: 'unknown', reason: 'timed out' });
  });
});
