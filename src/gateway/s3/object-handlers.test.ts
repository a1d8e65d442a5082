import { describe, expect, it } from 'vitest';
import { parseRange } from './object-handlers.js';

// The forms a Range header takes are common/byte-range.test.ts's; here only what S3 makes of them.
describe('parseRange', () => {
  it('serves a valid range and ignores what is not one', () => {
    expect(parseRange('bytes=50-500', 100)).toEqual({ offset: 50, length: 50 });
    expect(parseRange('bytes=9-3', 100)).toBeUndefined();
  });

  it('refuses a range that selects no byte with InvalidRange', () => {
    expect(() => parseRange('bytes=100-', 100)).toThrow(
      expect.objectContaining({ code: 'InvalidRange', status: 416 }),
    );
    expect(() => parseRange('bytes=0-', 0)).toThrow(expect.objectContaining({ code: 'InvalidRange' }));
  });
});
