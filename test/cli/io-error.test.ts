// File system errors said in words: real errors from real calls, never "internal error".
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeIoError, errnoWords, ioErrorHint } from '../../src/cli/io-error.js';

const dir = mkdtempSync(join(tmpdir(), 'io-error-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

describe('describeIoError', () => {
  it('names the operation, the path and the errno in words', () => {
    const file = join(dir, 'missing.txt');
    const error = thrown(() => readFileSync(file));
    expect(describeIoError(error)).toBe(`cannot open ${file}: no such file or directory (ENOENT)`);
    expect(errnoWords(error)).toBe('no such file or directory');
  });

  it('says "not a directory" for a folder that is a file', () => {
    const file = join(dir, 'plain');
    writeFileSync(file, '');
    const error = thrown(() => mkdirSync(join(file, 'sub')));
    expect(describeIoError(error)).toBe(`cannot create the folder ${join(file, 'sub')}: not a directory (ENOTDIR)`);
    expect(ioErrorHint(error)).toBe('Fix the file or folder named above, then run the command again.');
  });

  it('says which program could not start', async () => {
    const error = await new Promise((resolve) => spawn('no-such-program-xyz').on('error', resolve));
    expect(describeIoError(error)).toBe('cannot run no-such-program-xyz: no such file or directory (ENOENT)');
  });

  it('is null for an error that is not a file system error (a real internal error)', () => {
    expect(describeIoError(new TypeError('x is not a function'))).toBeNull();
    expect(describeIoError(Object.assign(new Error('odd'), { code: 'ERR_SOMETHING' }))).toBeNull();
  });

  it('the hint fits the errno and what to do next', () => {
    const full = Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
    expect(ioErrorHint(full)).toBe('Free some space on that file system, then run the command again.');
    expect(ioErrorHint(full, 'append the line below')).toBe('Free some space on that file system, then append the line below.');
  });
});

describe('describeIoError with a destination', () => {
  it('names both files of a copy', () => {
    const source = join(dir, 'source.txt');
    writeFileSync(source, 'x');
    const target = join(dir, 'no-such-folder', 'target.txt');
    const error = thrown(() => copyFileSync(source, target));
    expect(describeIoError(error)).toBe(`cannot copy ${source} to ${target}: no such file or directory (ENOENT)`);
  });
});
