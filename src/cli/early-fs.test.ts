import { describe, expect, it } from 'vitest';
import { plainFsCat, plainFsLs } from './early-fs.js';

describe('plainFsLs', () => {
  it('reads a plain fs ls as commander does, its flags anywhere', () => {
    expect(plainFsLs(['fs', 'ls', '/a'])).toEqual({ paths: ['/a'], recursive: false, human: false });
    expect(plainFsLs(['fs', 'ls', '-R', '-h', 'kodo/x', '/b'])).toEqual({
      paths: ['kodo/x', '/b'],
      recursive: true,
      human: true,
    });
    expect(plainFsLs(['fs', 'ls', '/a', '-hR'])).toEqual({ paths: ['/a'], recursive: true, human: true });
    expect(plainFsLs(['fs', 'ls', '-hh', '/a'])).toEqual({ paths: ['/a'], recursive: false, human: true });
    expect(plainFsLs(['fs', 'ls', '--recursive', 'tierfs://h:1/p'])).toEqual({
      paths: ['tierfs://h:1/p'],
      recursive: true,
      human: false,
    });
    expect(plainFsLs(['fs', 'ls', '--human', '/a'])).toEqual({
      paths: ['/a'],
      recursive: false,
      human: true,
    });
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
      expect(plainFsLs(argv)).toBeUndefined();
    }
  });
});

describe('plainFsCat', () => {
  it('reads a plain fs cat: its paths, no option', () => {
    expect(plainFsCat(['fs', 'cat', '/a'])).toEqual({ paths: ['/a'] });
    expect(plainFsCat(['fs', 'cat', 'kodo/x', 'tierfs://h:1/p'])).toEqual({
      paths: ['kodo/x', 'tierfs://h:1/p'],
    });
  });

  it('leaves every other command line to commander', () => {
    for (const argv of [
      ['fs', 'cat'],
      ['fs', 'cat', '--readtype', 'NO_CACHE', '/a'],
      ['fs', 'cat', '/a', '--help'],
      ['fs', 'cat', '--', '/a'],
      ['fs', 'cat', ''],
      ['fs', 'head', '/a'],
      ['cat', '/a'],
    ]) {
      expect(plainFsCat(argv)).toBeUndefined();
    }
  });
});
