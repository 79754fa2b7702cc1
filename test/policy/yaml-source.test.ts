import { describe, expect, test } from 'vitest';
import { parseYamlSource } from '../../src/policy/yaml-source.js';

const text = [
  'plain: a.b == 1', //                        1
  'double: "x == \\"y\\""', //                 2
  "single: 'x'", //                            3
  'block: |', //                               4
  '    first', //                              5
  '    second', //                             6
  'folded: >-', //                             7
  '  one', //                                  8
  '  two', //                                  9
  'list:', //                                 10
  '  - name: n', //                           11
  '    value: |2', //                         12
  '       indented', //                       13
  'empty:', //                                14
  'anchored: &a tagged', //                   15
  '',
].join('\n');

describe('parseYamlSource', () => {
  const source = parseYamlSource('f.yml', text);

  test('parses to plain values', () => {
    expect(source.errors).toEqual([]);
    expect(source.value).toMatchObject({ plain: 'a.b == 1', double: 'x == "y"', block: 'first\nsecond\n', folded: 'one two' });
  });

  test('textAt starts a plain scalar at its first character', () => {
    expect(source.textAt(['plain'])).toEqual({ text: 'a.b == 1', at: { file: 'f.yml', line: 1, col: 8 }, block: false });
  });

  test('textAt starts a quoted scalar after the opening quote', () => {
    expect(source.textAt(['double'])?.at).toEqual({ file: 'f.yml', line: 2, col: 10 });
    expect(source.textAt(['single'])?.at).toEqual({ file: 'f.yml', line: 3, col: 10 });
  });

  test('textAt starts a block scalar on its first content line, at the indentation', () => {
    expect(source.textAt(['block'])).toEqual({ text: 'first\nsecond\n', at: { file: 'f.yml', line: 5, col: 5 }, block: true });
    expect(source.textAt(['folded'])).toMatchObject({ at: { line: 8, col: 3 }, block: true });
  });

  test('an explicit indentation indicator sets the column', () => {
    const value = source.textAt(['list', 0, 'value']);
    expect(value?.text).toBe(' indented\n');
    expect(value?.at).toEqual({ file: 'f.yml', line: 13, col: 7 });
  });

  test('textAt is null for absent paths and non-strings', () => {
    expect(source.textAt(['missing'])).toBeNull();
    expect(source.textAt(['list'])).toBeNull();
    expect(source.textAt(['empty'])).toBeNull();
  });

  test('locate finds nodes, keys, and the nearest parent of an absent path', () => {
    expect(source.locate(['list', 0, 'name'])).toEqual({ file: 'f.yml', line: 11, col: 11 });
    expect(source.locateKey(['list', 0, 'name'])).toEqual({ file: 'f.yml', line: 11, col: 5 });
    expect(source.locate(['list', 0, 'nope', 'deeper'])).toEqual({ file: 'f.yml', line: 11, col: 5 });
    expect(source.locate(['list', 7])).toEqual({ file: 'f.yml', line: 11, col: 3 });
    // `empty:` has no value: point at the key rather than past the colon.
    expect(source.locate(['empty'])).toEqual({ file: 'f.yml', line: 14, col: 1 });
    expect(source.textAt(['anchored'])?.at).toEqual({ file: 'f.yml', line: 15, col: 14 });
  });

  test('syntax errors carry line and column and a hint', () => {
    const broken = parseYamlSource('b.yml', 'a: 1\nb: [1, 2\n');
    expect(broken.value).toBeNull();
    expect(broken.errors).toHaveLength(1);
    expect(broken.errors[0]).toMatchObject({ file: 'b.yml', line: 3, col: 1, key: 'yaml' });
    expect(broken.errors[0]?.message).toMatch(/flow sequence/i);
    expect(broken.errors[0]?.hint).not.toBe('');
  });

  test('a duplicate key is a syntax error at the second key', () => {
    const dup = parseYamlSource('d.yml', 'a: 1\na: 2\n');
    expect(dup.errors[0]).toMatchObject({ line: 2, col: 1, message: 'Map keys must be unique' });
    expect(dup.errors[0]?.hint).toMatch(/remove or rename/);
  });
});
