import { describe, expect, it } from 'vitest';
import { parseRange } from './object-handlers.js';

describe('parseRange', () => {
  it('reads the forms S3 accepts and ignores the rest', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ offset: 0, length: 10 });
    expect(parseRange('bytes=90-', 100)).toEqual({ offset: 90, length: 10 });
    expect(parseRange('bytes=-5', 100)).toEqual({ offset: 95, length: 5 });
    expect(parseRange('bytes=-500', 100)).toEqual({ offset: 0, length: 100 });
    expect(parseRange('bytes=50-500', 100)).toEqual({ offset: 50, length: 50 });
    expect(parseRange(undefined, 100)).toBeUndefined();
    expect(parseRange('bytes=0-1,5-6', 100)).toBeUndefined();
    expect(parseRange('bytes=9-3', 100)).toBeUndefined();
  });

  it('refuses a range that starts past the end with InvalidRange', () => {
    expect(() => parseRange('bytes=100-', 100)).toThrow(
      expect.objectContaining({ code: 'InvalidRange', status: 416 }),
    );
    expect(() => parseRange('bytes=0-', 0)).toThrow(expect.objectContaining({ code: 'InvalidRange' }));
  });
});
