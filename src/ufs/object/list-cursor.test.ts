import { describe, expect, it } from 'vitest';
import { isTierfsError } from '../../errors.js';
import { compareKeys, decodeCursor, encodeCursor } from './list-cursor.js';

describe('object listing cursor', () => {
  it('round-trips the listing it belongs to', () => {
    const cursor = { dir: 'a/b', recursive: true, after: 'c/d/' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it('refuses foreign and malformed tokens with INVALID_ARGUMENT', () => {
    const local = Buffer.from(JSON.stringify(['a', false, 'x'])).toString('base64url');
    for (const token of [
      local,
      'obj1.',
      'obj1.!!',
      `obj1.${Buffer.from('[1,2,3]').toString('base64url')}`,
      '',
    ]) {
      let caught: unknown;
      try {
        decodeCursor(token);
      } catch (error) {
        caught = error;
      }
      expect(isTierfsError(caught, 'INVALID_ARGUMENT'), token).toBe(true);
    }
  });

  it('orders keys by UTF-8 bytes as object stores do, not by UTF-16 units', () => {
    // U+FF5E is one UTF-16 unit above the surrogate of U+1F600, but below it in UTF-8.
    expect(compareKeys('\uff5e', '\u{1f600}')).toBeLessThan(0);
    expect('\uff5e' < '\u{1f600}').toBe(false);
    expect(compareKeys('a/', 'a/b')).toBeLessThan(0);
    expect(compareKeys('a-', 'a/')).toBeLessThan(0);
  });
});
