/**
 * S3 failures as TierfsErrors. A 403 names the bucket and key and says what to check (seed 002,
 * "Why is 403 Access Denied Error Returned"); throttling becomes RATE_LIMITED, 5xx UNAVAILABLE and
 * timeouts TIMEOUT, all retryable; the HTTP status goes into details.httpStatus for request logs.
 */
import { type ErrorCode, TierfsError, toTierfsError } from '../../errors.js';

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const BY_NAME: Record<string, ErrorCode> = {
  NoSuchKey: 'NOT_FOUND',
  NotFound: 'NOT_FOUND',
  NoSuchBucket: 'NOT_FOUND',
  NoSuchUpload: 'NOT_FOUND',
  AccessDenied: 'PERMISSION_DENIED',
  InvalidAccessKeyId: 'PERMISSION_DENIED',
  SignatureDoesNotMatch: 'PERMISSION_DENIED',
  AllAccessDisabled: 'PERMISSION_DENIED',
  SlowDown: 'RATE_LIMITED',
  Throttling: 'RATE_LIMITED',
  ThrottlingException: 'RATE_LIMITED',
  TooManyRequests: 'RATE_LIMITED',
  RequestLimitExceeded: 'RATE_LIMITED',
  RequestTimeout: 'TIMEOUT',
  TimeoutError: 'TIMEOUT',
  RequestTimeTooSkewed: 'PERMISSION_DENIED',
  InvalidRange: 'RANGE_NOT_SATISFIABLE',
  NotImplemented: 'UNSUPPORTED',
  MethodNotAllowed: 'UNSUPPORTED',
  InternalError: 'UNAVAILABLE',
  ServiceUnavailable: 'UNAVAILABLE',
  PreconditionFailed: 'PRECONDITION_FAILED',
  InvalidArgument: 'INVALID_ARGUMENT',
};

function codeOf(name: string | undefined, status: number | undefined): ErrorCode | undefined {
  const byName = name ? BY_NAME[name] : undefined;
  if (byName) return byName;
  if (status === 403) return 'PERMISSION_DENIED';
  if (status === 404) return 'NOT_FOUND';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 503) return 'RATE_LIMITED';
  if (status !== undefined && status >= 500) return 'UNAVAILABLE';
  return undefined;
}

export function toS3Error(error: unknown, operation: string, bucket: string, key?: string): TierfsError {
  if (error instanceof TierfsError) return error;
  const sdk = (error ?? {}) as SdkError;
  const status = sdk.$metadata?.httpStatusCode;
  const where = `s3://${bucket}/${key ?? ''}`;
  // The SDK reports a broken connection (EPIPE, ECONNRESET) as a TimeoutError; the system code tells.
  if (status === undefined && typeof sdk.code === 'string' && /^E[A-Z]+$/.test(sdk.code)) {
    return toTierfsError(error, `${operation} ${where}`);
  }
  const code = codeOf(sdk.name, status);
  const details = { httpStatus: status, s3Code: sdk.name, bucket, key, operation };
  if (code === 'PERMISSION_DENIED') {
    return new TierfsError(
      'PERMISSION_DENIED',
      `S3 denied ${operation} on ${where} (${sdk.name && sdk.name !== 'Unknown' ? sdk.name : 'AccessDenied'}, ` +
        `HTTP ${status ?? 403}). Check that ` +
        'the credentials are right (aws.accessKeyId/aws.secretKey as mount options, -D, site properties, ' +
        'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ~/.aws/credentials or the instance profile) and that ' +
        `this AWS user may access bucket '${bucket}' and its objects.`,
      { cause: error, details },
    );
  }
  if (code === 'NOT_FOUND' && sdk.name === 'NoSuchBucket') {
    return new TierfsError('NOT_FOUND', `bucket '${bucket}' does not exist (${operation} ${where})`, {
      cause: error,
      details,
    });
  }
  if (code) {
    const retryable = code === 'UNAVAILABLE' || code === 'RATE_LIMITED' || code === 'TIMEOUT';
    return new TierfsError(
      code,
      `${operation} ${where}: ${sdk.name ?? `HTTP ${status}`}: ${sdk.message ?? ''}`,
      {
        cause: error,
        details,
        retryable,
      },
    );
  }
  const wrapped = toTierfsError(error, `${operation} ${where}`);
  // A network failure without a system code (a reset while reading a response, a closed socket).
  if (wrapped.code === 'INTERNAL' && /socket|ECONNRESET|premature close|aborted/i.test(wrapped.message)) {
    return new TierfsError('UNAVAILABLE', wrapped.message, { cause: error, retryable: true, details });
  }
  return wrapped;
}
