/**
 * S3 errors: the code, HTTP status and message the S3 protocol expects, and the mapping from
 * TierfsError codes raised by the stores below.
 */
import type { ErrorCode } from '../../errors.js';
import { type ErrorTable, mapFailure } from '../common/error-reply.js';

const STATUS = {
  AccessDenied: 403,
  AccessControlListNotSupported: 400,
  AccessForbidden: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  BadDigest: 400,
  BadRequest: 400,
  BucketAlreadyExists: 409,
  BucketAlreadyOwnedByYou: 409,
  BucketNotEmpty: 409,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidAccessKeyId: 403,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidBucketState: 409,
  InvalidDigest: 400,
  InvalidPart: 400,
  InvalidPolicyDocument: 400,
  InvalidPartNumber: 416,
  InvalidPartOrder: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  InvalidRetentionPeriod: 400,
  InvalidTag: 400,
  MalformedACLError: 400,
  MalformedPolicy: 400,
  MalformedPOSTRequest: 400,
  MalformedTrailerError: 400,
  MalformedXML: 400,
  MetadataTooLarge: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  NoSuchBucket: 404,
  NoSuchBucketPolicy: 404,
  NoSuchCORSConfiguration: 404,
  NoSuchKey: 404,
  NoSuchObjectLockConfiguration: 404,
  NoSuchPublicAccessBlockConfiguration: 404,
  NoSuchTagSet: 404,
  NoSuchUpload: 404,
  NoSuchVersion: 404,
  ObjectLockConfigurationNotFoundError: 404,
  OwnershipControlsNotFoundError: 404,
  NotImplemented: 501,
  NotModified: 304,
  PreconditionFailed: 412,
  RequestTimeTooSkewed: 403,
  ServiceUnavailable: 503,
  SignatureDoesNotMatch: 403,
  UnresolvableGrantByEmailAddress: 400,
  XAmzContentSHA256Mismatch: 400,
} as const;

export type S3ErrorCode = keyof typeof STATUS;

export class S3Error extends Error {
  override readonly name = 'S3Error';
  readonly code: S3ErrorCode;
  readonly status: number;
  /** Headers the error response carries besides the usual ones (e.g. x-amz-delete-marker). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: S3ErrorCode,
    message: string,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options);
    this.code = code;
    this.status = STATUS[code];
    this.headers = options?.headers ?? {};
  }
}

const FROM_TIERFS: ErrorTable<S3ErrorCode> = {
  NOT_FOUND: 'NoSuchKey',
  PERMISSION_DENIED: 'AccessDenied',
  READ_ONLY: 'AccessDenied',
  UNAUTHENTICATED: 'AccessDenied',
  INVALID_ARGUMENT: 'InvalidArgument',
  // The key layout turns an object into a prefix (and back) as keys come and go; a write that
  // raced such a change left nothing and succeeds when sent again (SDKs retry a 503).
  ALREADY_EXISTS: 'ServiceUnavailable',
  NOT_A_DIRECTORY: 'ServiceUnavailable',
  IS_A_DIRECTORY: 'ServiceUnavailable',
  DIRECTORY_NOT_EMPTY: 'ServiceUnavailable',
  CONFLICT: 'ServiceUnavailable',
  RANGE_NOT_SATISFIABLE: 'InvalidRange',
  PRECONDITION_FAILED: 'PreconditionFailed',
  UNSUPPORTED: 'NotImplemented',
  RATE_LIMITED: 'ServiceUnavailable',
  UNAVAILABLE: 'ServiceUnavailable',
  TIMEOUT: 'ServiceUnavailable',
  // The object was replaced while the request was served: trying again sees the new one.
  STALE: 'ServiceUnavailable',
};

const KEY_CHANGED =
  ' (the key changed between an object and a prefix while it was written; please try again)';

/** What the client is told besides the store's message, by the store's code. */
const HINTS: Partial<Record<ErrorCode, string>> = {
  ALREADY_EXISTS: KEY_CHANGED,
  NOT_A_DIRECTORY: KEY_CHANGED,
  IS_A_DIRECTORY: KEY_CHANGED,
  DIRECTORY_NOT_EMPTY: KEY_CHANGED,
  CONFLICT: KEY_CHANGED,
  STALE: '; please try again',
};

/**
 * Any failure as an S3Error. `notFound` is the code a missing path means in the failed operation
 * (NoSuchKey for objects, NoSuchBucket for buckets).
 */
export function toS3Error(error: unknown, notFound: S3ErrorCode = 'NoSuchKey'): S3Error {
  if (error instanceof S3Error) return error;
  return mapFailure(error, FROM_TIERFS, 'InternalError', (code, source) => {
    if (code === 'InternalError' || source === undefined) {
      return new S3Error('InternalError', 'We encountered an internal error. Please try again.', {
        cause: error,
      });
    }
    const message = `${source.message}${HINTS[source.code] ?? ''}`;
    return new S3Error(source.code === 'NOT_FOUND' ? notFound : code, message, { cause: error });
  });
}
