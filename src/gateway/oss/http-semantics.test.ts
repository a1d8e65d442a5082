import { describe, expect, it } from 'vitest';
import { evaluateConditions, parseRange } from './http-semantics.js';

describe('ranges', () => {
  it('parses one range and falls back to the whole object otherwise', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ offset: 0, length: 10 });
    expect(parseRange('bytes=90-', 100)).toEqual({ offset: 90, length: 10 });
    expect(parseRange('bytes=-5', 100)).toEqual({ offset: 95, length: 5 });
    expect(parseRange('bytes=95-200', 100)).toEqual({ offset: 95, length: 5 });
    expect(parseRange('bytes=100-', 100)).toBeUndefined();
    expect(parseRange('bytes=5-1', 100)).toBeUndefined();
    expect(parseRange('bytes=0-1,3-4', 100)).toBeUndefined();
    expect(parseRange(undefined, 100)).toBeUndefined();
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
