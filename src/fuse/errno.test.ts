import { describe, expect, it } from 'vitest';
import { TierfsError } from '../errors.js';
import { errnoOf, FuseError } from './errno.js';

describe('errnoOf', () => {
  it.each([
    ['NOT_FOUND', 'ENOENT', -2, false],
    ['PERMISSION_DENIED', 'EACCES', -13, false],
    ['ALREADY_EXISTS', 'EEXIST', -17, false],
    ['READ_ONLY', 'EROFS', -30, false],
    ['DIRECTORY_NOT_EMPTY', 'ENOTEMPTY', -39, false],
    ['NOT_A_DIRECTORY', 'ENOTDIR', -20, false],
    ['IS_A_DIRECTORY', 'EISDIR', -21, false],
    ['UNSUPPORTED', 'ENOTSUP', -95, false],
    ['UNAVAILABLE', 'EIO', -5, true],
    ['INTERNAL', 'EIO', -5, true],
    ['STALE', 'ESTALE', -116, true],
  ] as const)('maps %s to %s', (code, name, errno, logged) => {
    expect(errnoOf(new TierfsError(code, 'x'))).toEqual({ name, errno, logged });
  });

  it('answers EIO, logged, for anything that is not a tierfs error', () => {
    expect(errnoOf(new Error('bug'))).toEqual({ name: 'EIO', errno: -5, logged: true });
  });

  it("keeps a FuseError's own errno and whether it is logged", () => {
    expect(errnoOf(new FuseError('ENOTSUP', 'random write', true))).toEqual({
      name: 'ENOTSUP',
      errno: -95,
      logged: true,
    });
    expect(errnoOf(new FuseError('EBUSY', 'busy'))).toMatchObject({ errno: -16, logged: false });
  });
});
