import { describe, expect, it } from 'vitest';
import { isValidBucketName, objectPath } from './names.js';

describe('object keys and bucket names', () => {
  it('maps keys to paths and markers', () => {
    expect(objectPath('a/b.txt')).toEqual({ path: 'a/b.txt', isMarker: false });
    expect(objectPath('dir/sub/')).toEqual({ path: 'dir/sub', isMarker: true });
    expect(objectPath('...')).toEqual({ path: '...', isMarker: false });
  });

  it('refuses keys that could alias other keys or escape the root', () => {
    for (const key of ['', '/a', 'a//b', '../a', 'a/..', 'a/./b', 'a\0b', '/', 'x'.repeat(1025)]) {
      expect(() => objectPath(key), key).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    }
  });

  it('accepts S3 bucket names only', () => {
    expect(['abc', 'my-bucket.v2', 'a'.repeat(63)].every(isValidBucketName)).toBe(true);
    expect(
      ['ab', 'Abc', 'a_b', '-ab', 'ab-', 'a..b', '192.168.0.1', 'a'.repeat(64)].some(isValidBucketName),
    ).toBe(false);
  });
});
