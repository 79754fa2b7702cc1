import { describe, expect, it } from 'vitest';
import { createdTagName } from '../../src/release/classify.js';

describe('createdTagName', () => {
  it.each<[string[], string]>([
    [['git', 'tag', 'v0.2.0'], 'v0.2.0'],
    [['git', 'tag', '-a', 'v0.2.0', '-m', 'msg'], 'v0.2.0'],
    [['git', 'tag', '-m', 'msg', 'v0.2.0', 'HEAD~1'], 'v0.2.0'],
    [['git', 'tag', '-m', 'release v0.2.0', 'v0.2.0'], 'v0.2.0'],
    [['git', '-C', 'dir', 'tag', '-s', 'v1'], 'v1'],
    [['git', '-c', 'user.name=x', 'tag', 'v1'], 'v1'],
    [['git', '--no-pager', 'tag', 'v1'], 'v1'],
    [['git', 'tag', '--', 'v1'], 'v1'],
    [['git', 'tag', '-m', 'msg', '--', 'v1'], 'v1'],
    [['git', 'tag', '-a', '-m', 'msg', '--', 'v1', 'HEAD'], 'v1'],
    [['git', 'tag', '-f', 'v1'], 'v1'],
    [['git', 'tag', '--force', 'v1', 'abc123'], 'v1'],
    [['git', 'tag', '-F', 'notes.md', 'v1'], 'v1'],
    [['git', 'tag', '--file', 'notes.md', 'v1'], 'v1'],
    [['git', 'tag', '--message=msg', 'v1'], 'v1'],
    [['git', 'tag', '--message', 'msg', 'v1'], 'v1'],
    [['git', 'tag', '-u', 'KEYID', 'v1'], 'v1'],
    [['git', 'tag', '--local-user', 'KEYID', 'v1'], 'v1'],
    [['git', 'tag', '--cleanup', 'verbatim', 'v1'], 'v1'],
    [['git', 'tag', '--trailer', 'Signed-off-by: a', 'v1'], 'v1'],
    [['git', 'tag', '-fa', 'v1', '-m', 'x'], 'v1'],
    [['git', 'tag', 'v1', '-m', 'msg'], 'v1'],
    [['git', 'tag', 'sdks/go/v0.4.0'], 'sdks/go/v0.4.0'],
    [['/usr/bin/git', 'tag', 'v1'], 'v1'],
    [['C:\\Program Files\\Git\\cmd\\git.exe', 'tag', 'v1'], 'v1'],
    [['GIT', 'tag', 'v1'], 'v1'],
  ])('%j creates %s', (argv, expected) => {
    expect(createdTagName(argv)).toBe(expected);
  });

  it.each<[string[]]>([
    [['git', 'tag', '-d', 'v1']],
    [['git', 'tag', '--delete', 'v1']],
    [['git', 'tag', '-d', '--', 'v1']],
    [['git', 'tag']],
    [['git', 'tag', '-l', 'v*']],
    [['git', 'tag', '--list', 'v*']],
    [['git', 'tag', '-l']],
    [['git', 'tag', '-v', 'v1']],
    [['git', 'tag', '--verify', 'v1']],
    [['git', 'tag', '-n']],
    [['git', 'tag', '-n5', 'v*']],
    [['git', 'tag', '--contains', 'HEAD']],
    [['git', 'tag', '--points-at', 'HEAD']],
    [['git', 'tag', '--merged', 'main']],
    [['git', 'tag', '--sort=-version:refname']],
    [['git', 'tag', '--sort', '-version:refname']],
    [['git', 'tag', '-m', 'msg']],
    [['git', 'tag', '-ln']],
    [['cargo', 'publish']],
    [['cargo', 'tag', 'v1']],
    [['git', 'push', 'origin', 'v1']],
    [['git', 'log', 'tag']],
    [['git', '-C', 'tag', 'status']],
    [['git', '--', 'tag', 'v1']],
    [['gitx', 'tag', 'v1']],
    [['git']],
    [[]],
  ])('%j creates no tag', (argv) => {
    expect(createdTagName(argv)).toBeNull();
  });

  it('reads a message value bundled with other short options (`-am MSG`)', () => {
    // `git tag -am "Release" v1` is `-a -m Release v1`: the message is not the tag name.
    expect(createdTagName(['git', 'tag', '-am', 'Release', 'v0.2.0'])).toBe('v0.2.0');
    expect(createdTagName(['git', 'tag', '-sm', 'Release', 'v0.2.0'])).toBe('v0.2.0');
  });

  it('reads a message attached to -m (`-mMSG`) as the message, whatever its letters', () => {
    expect(createdTagName(['git', 'tag', '-mRC', 'v0.2.0'])).toBe('v0.2.0');
    // A message with a d, l or v in it is no bundle of -d/-l/-v: git creates tag v0.2.0 here.
    expect(createdTagName(['git', 'tag', '-mrelease', 'v0.2.0'])).toBe('v0.2.0');
    expect(createdTagName(['git', 'tag', '-mdone', 'v0.2.0'])).toBe('v0.2.0');
  });
});
