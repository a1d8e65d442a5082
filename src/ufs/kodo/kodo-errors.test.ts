import { describe, expect, it } from 'vitest';
import { kodoStatusError } from './kodo-errors.js';

describe('Kodo errors', () => {
  it.each([
    [401, 'PERMISSION_DENIED', false],
    [612, 'NOT_FOUND', false],
    [614, 'ALREADY_EXISTS', false],
    [631, 'NOT_FOUND', false],
    [573, 'RATE_LIMITED', true],
    [599, 'UNAVAILABLE', true],
    [502, 'UNAVAILABLE', true],
  ] as const)('HTTP %i is %s (retryable %s)', (status, code, retryable) => {
    const error = kodoStatusError(status, '{"error":"x"}', 'Stat', 'b', 'k');
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
    expect(error.details.httpStatus).toBe(status);
  });

  it('a bad token names the bucket, the key and the properties to check', () => {
    const error = kodoStatusError(401, { error: 'bad token' }, 'Stat', 'photos', 'dir/a.txt');
    expect(error.message).toContain('kodo://photos/dir/a.txt');
    expect(error.message).toContain('bad token');
    expect(error.message).toContain('fs.kodo.accesskey and fs.kodo.secretkey');
  });

  it('a missing bucket says so', () => {
    expect(kodoStatusError(631, '{"error":"no such bucket"}', 'List', 'nope').message).toMatch(
      /bucket 'nope' does not exist/,
    );
  });
});
