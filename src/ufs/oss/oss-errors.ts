/**
 * ali-oss failures as TierfsErrors. ali-oss reports a server error as `err.code` (the OSS code,
 * e.g. NoSuchKey) and `err.status`; a failure without a response has status -1 (network) or -2
 * (timeout) and a name such as ConnectionTimeoutError or ResponseTimeoutError. A 403 names the
 * bucket and key and says which keys hold the credentials; 5xx, throttling, network failures and
 * timeouts are retryable, so the retry layer tries again.
 */
import { type ErrorCode, TierfsError, toTierfsError } from '../../errors.js';

/** The fields of an ali-oss error this mapping reads. */
interface AliOssError {
  name?: unknown;
  code?: unknown;
  status?: unknown;
  message?: unknown;
  requestId?: unknown;
}

const BY_CODE: Record<string, ErrorCode> = {
  NoSuchKey: 'NOT_FOUND',
  NoSuchBucket: 'NOT_FOUND',
  NoSuchUpload: 'NOT_FOUND',
  AccessDenied: 'PERMISSION_DENIED',
  InvalidAccessKeyId: 'PERMISSION_DENIED',
  SignatureDoesNotMatch: 'PERMISSION_DENIED',
  RequestTimeTooSkewed: 'PERMISSION_DENIED',
  SecurityTokenExpired: 'PERMISSION_DENIED',
  InvalidSecurityToken: 'PERMISSION_DENIED',
  FileAlreadyExists: 'ALREADY_EXISTS',
  PreconditionFailed: 'PRECONDITION_FAILED',
  InvalidArgument: 'INVALID_ARGUMENT',
  EntityTooSmall: 'INVALID_ARGUMENT',
  EntityTooLarge: 'INVALID_ARGUMENT',
  InvalidPart: 'INVALID_ARGUMENT',
  InvalidPartOrder: 'INVALID_ARGUMENT',
  InvalidObjectName: 'INVALID_ARGUMENT',
  InvalidBucketName: 'INVALID_ARGUMENT',
  MalformedXML: 'INVALID_ARGUMENT',
  InvalidDigest: 'INVALID_ARGUMENT',
  MethodNotAllowed: 'UNSUPPORTED',
  NotImplemented: 'UNSUPPORTED',
  RequestTimeout: 'TIMEOUT',
  InternalError: 'UNAVAILABLE',
  ServiceUnavailable: 'UNAVAILABLE',
  TooManyRequests: 'RATE_LIMITED',
  SlowDown: 'RATE_LIMITED',
  QpsLimitExceeded: 'RATE_LIMITED',
};

const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['UNAVAILABLE', 'RATE_LIMITED', 'TIMEOUT']);

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function codeOf(ossCode: string | undefined, name: string | undefined, status: number | undefined) {
  const byCode = ossCode ? BY_CODE[ossCode] : undefined;
  if (byCode) return byCode;
  if (status === -2 || (name !== undefined && /Timeout/.test(name))) return 'TIMEOUT';
  if (status === -1) return 'UNAVAILABLE';
  if (status === 403) return 'PERMISSION_DENIED';
  if (status === 404) return 'NOT_FOUND';
  if (status === 429 || status === 503) return 'RATE_LIMITED';
  if (status !== undefined && status >= 500) return 'UNAVAILABLE';
  return undefined;
}

export function toOssError(error: unknown, operation: string, bucket: string, key?: string): TierfsError {
  if (error instanceof TierfsError) return error;
  const raw: AliOssError = typeof error === 'object' && error !== null ? error : {};
  const status = typeof raw.status === 'number' ? raw.status : undefined;
  const ossCode = str(raw.code);
  const name = str(raw.name);
  const where = `oss://${bucket}/${key ?? ''}`;
  const code = codeOf(ossCode, name, status);
  const details = {
    httpStatus: status !== undefined && status > 0 ? status : undefined,
    ossCode,
    requestId: str(raw.requestId),
    bucket,
    key,
    operation,
  };
  if (code === 'PERMISSION_DENIED') {
    return new TierfsError(
      'PERMISSION_DENIED',
      `OSS denied ${operation} on ${where} (${ossCode ?? 'AccessDenied'}, HTTP ${status ?? 403}). Check ` +
        'fs.oss.accessKeyId and fs.oss.accessKeySecret (or ALIYUN_OSS_ACCESS_KEY_ID/ALIYUN_OSS_ACCESS_KEY_SECRET, ' +
        `and fs.oss.securityToken for STS credentials) and that this AccessKey may access bucket '${bucket}' ` +
        'and its objects.',
      { cause: error, details },
    );
  }
  if (code === 'NOT_FOUND' && ossCode === 'NoSuchBucket') {
    return new TierfsError(
      'NOT_FOUND',
      `bucket '${bucket}' does not exist at this fs.oss.endpoint (${operation} ${where})`,
      { cause: error, details },
    );
  }
  const message = `${operation} ${where}: ${ossCode ?? name ?? `HTTP ${status}`}: ${str(raw.message) ?? ''}`;
  if (code) {
    return new TierfsError(code, message, { cause: error, details, retryable: RETRYABLE.has(code) });
  }
  const wrapped = toTierfsError(error, `${operation} ${where}`);
  if (wrapped.code === 'INTERNAL' && /socket|ECONNRESET|premature close|aborted/i.test(wrapped.message)) {
    return new TierfsError('UNAVAILABLE', wrapped.message, { cause: error, retryable: true, details });
  }
  return wrapped;
}
