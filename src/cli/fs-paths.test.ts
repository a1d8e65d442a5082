import { describe, expect, it } from 'vitest';
import { isTierfsError } from '../errors.js';
import { joinPath, parseTierfsPath } from './fs-paths.js';

describe('parseTierfsPath', () => {
  it('takes absolute, root-relative and tierfs:// paths', () => {
    expect(parseTierfsPath('/data//x/')).toEqual({ path: '/data/x' });
    expect(parseTierfsPath('kodo/')).toEqual({ path: '/kodo' });
    expect(parseTierfsPath('tierfs://10.0.0.5:19998/a/b')).toEqual({
      path: '/a/b',
      master: 'http://10.0.0.5:19998',
    });
    expect(parseTierfsPath('tierfs:///a')).toEqual({ path: '/a' });
    expect(parseTierfsPath('tierfs://m:1')).toEqual({ path: '/', master: 'http://m:1' });
  });

  it('refuses other schemes and .. segments', () => {
    for (const raw of ['s3://bucket/x', '/a/../b']) {
      let error: unknown;
      try {
        parseTierfsPath(raw);
      } catch (e) {
        error = e;
      }
      expect(isTierfsError(error, 'INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('joins relative paths below a directory', () => {
    expect(joinPath('/', 'a/b')).toBe('/a/b');
    expect(joinPath('/x', '')).toBe('/x');
    expect(joinPath('/x', 'y')).toBe('/x/y');
  });
});
