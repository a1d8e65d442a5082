import { describe, expect, it } from 'vitest';
import { toS3Error } from './s3-errors.js';

const sdkError = (name: string, status: number) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });

describe('S3 errors', () => {
  it('maps S3 codes and statuses to tierfs codes, retryable where retrying helps', () => {
    const cases: [string, number, string, boolean][] = [
      ['NoSuchKey', 404, 'NOT_FOUND', false],
      ['NoSuchBucket', 404, 'NOT_FOUND', false],
      ['SlowDown', 503, 'RATE_LIMITED', true],
      ['InternalError', 500, 'UNAVAILABLE', true],
      ['Whatever', 502, 'UNAVAILABLE', true],
      ['AccessDenied', 403, 'PERMISSION_DENIED', false],
      ['RequestTimeout', 400, 'TIMEOUT', true],
      ['NotImplemented', 501, 'UNSUPPORTED', false],
    ];
    for (const [name, status, code, retryable] of cases) {
      const error = toS3Error(sdkError(name, status), 'GetObject', 'bucket', 'key');
      expect([name, error.code, error.retryable]).toEqual([name, code, retryable]);
      expect(error.details.httpStatus).toBe(status);
    }
  });

  it('a 403 names the bucket and key and says what to check', () => {
    const error = toS3Error(sdkError('AccessDenied', 403), 'HeadObject', 'my-bucket', 'dir/file');
    expect(error.message).toContain('s3://my-bucket/dir/file');
    expect(error.message).toContain('credentials');
    expect(error.message).toContain("bucket 'my-bucket'");
  });

  it('a missing bucket says so; a reset connection is a retryable UNAVAILABLE', () => {
    expect(toS3Error(sdkError('NoSuchBucket', 404), 'ListObjectsV2', 'gone').message).toContain(
      "bucket 'gone' does not exist",
    );
    const reset = toS3Error(
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', name: 'TimeoutError' }),
      'PutObject',
      'b',
      'k',
    );
    expect([reset.code, reset.retryable]).toEqual(['UNAVAILABLE', true]);
  });
});
