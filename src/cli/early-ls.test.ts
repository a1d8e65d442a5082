import { describe, expect, it } from 'vitest';
import { plainFsLsFirstPath } from './early-ls.js';

describe('plainFsLsFirstPath', () => {
  it('finds the first path of a plain fs ls, its flags anywhere', () => {
    expect(plainFsLsFirstPath(['fs', 'ls', '/a'])).toBe('/a');
    expect(plainFsLsFirstPath(['fs', 'ls', '-R', '-h', 'kodo/x', '/b'])).toBe('kodo/x');
    expect(plainFsLsFirstPath(['fs', 'ls', '/a', '-Rh'])).toBe('/a');
    expect(plainFsLsFirstPath(['fs', 'ls', '--recursive', '--human', 'tierfs://h:1/p'])).toBe(
      'tierfs://h:1/p',
    );
  });

  it('leaves every other command line to commander', () => {
    for (const argv of [
      ['fs', 'ls'],
      ['fs', 'ls', '-R'],
      ['fs', 'ls', '--help', '/a'],
      ['fs', 'ls', '-x', '/a'],
      ['fs', 'ls', '--', '/a'],
      ['fs', 'ls', ''],
      ['fs', 'lsx', '/a'],
      ['fs', 'stat', '/a'],
      ['ls', '/a'],
      ['--help'],
      [],
    ]) {
      expect(plainFsLsFirstPath(argv)).toBeUndefined();
    }
  });
});
