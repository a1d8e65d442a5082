import { describe, expect, it } from 'vitest';
import { evaluateConditions, parseRange } from './http-semantics.js';

// The forms a Range header takes are common/byte-range.test.ts's; here only what OSS makes of them.
describe('ranges', () => {
  it('serves a valid range and the whole object for one that cannot be satisfied', () => {
    expect(parseRange('bytes=95-200', 100)).toEqual({ offset: 95, length: 5 });
    expect(parseRange('bytes=100-', 100)).toBeUndefined();
    expect(parseRange('bytes=5-1', 100)).toBeUndefined();
  });
});

describe('conditions', () => {
  const when = new Date('2024-01-01T00:00:00Z');
  it('gives 412 and 304 as RFC 9110 orders them', () => {
    expect(evaluateConditions({ ifMatch: '"ABC"' }, 'ABC', when)).toBeUndefined();
    expect(evaluateConditions({ ifMatch: '"XYZ"' }, 'ABC', when)).toBe(412);
    expect(evaluateConditions({ ifNoneMatch: '"abc"' }, 'ABC', when)).toBe(304);
    expect(evaluateConditions({ ifModifiedSince: when.toUTCString() }, 'ABC', when)).toBe(304);
    expect(evaluateConditions({ ifUnmodifiedSince: 'Sun, 31 Dec 2023 00:00:00 GMT' }, 'ABC', when)).toBe(412);
  });
});
