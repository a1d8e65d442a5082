import { describe, expect, it } from 'vitest';
import { parseByteRange } from './byte-range.js';

describe('parseByteRange', () => {
  it('reads first-last, first- and -suffix, clipped to the object', () => {
    expect(parseByteRange('bytes=0-9', 100)).toEqual({ offset: 0, length: 10 });
    expect(parseByteRange('bytes=90-', 100)).toEqual({ offset: 90, length: 10 });
    expect(parseByteRange('bytes=-5', 100)).toEqual({ offset: 95, length: 5 });
    expect(parseByteRange('bytes=-500', 100)).toEqual({ offset: 0, length: 100 });
    expect(parseByteRange('bytes=50-500', 100)).toEqual({ offset: 50, length: 50 });
    expect(parseByteRange(' bytes = 2 - 4 ', 100)).toEqual({ offset: 2, length: 3 });
  });

  it('ignores what is not one valid range (the whole object is served)', () => {
    expect(parseByteRange(undefined, 100)).toBeUndefined();
    expect(parseByteRange('bytes=0-1,5-6', 100)).toBeUndefined();
    expect(parseByteRange('bytes=9-3', 100)).toBeUndefined();
    expect(parseByteRange('bytes=-', 100)).toBeUndefined();
    expect(parseByteRange('items=0-9', 100)).toBeUndefined();
  });

  it('says unsatisfiable for a valid range that selects no byte', () => {
    expect(parseByteRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=100-200', 100)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=-0', 100)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=0-', 0)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=-5', 0)).toBe('unsatisfiable');
  });
});
