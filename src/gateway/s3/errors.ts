/**
 * S3 errors: the code, HTTP status and message the S3 protocol expects, and the mapping from
 * TierfsError codes raised by the stores below.
 */
import { isTierfsError } from '../../errors.js';

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
  InvalidDigest: 400,
  InvalidPart: 400,
  InvalidPolicyDocument: 400,
  InvalidPartNumber: 416,
  InvalidPartOrder: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  KeyConflict: 409,
  MalformedACLError: 400,
  MalformedPolicy: 400,
  MalformedPOSTRequest: 400,
  MalformedXML: 400,
  MetadataTooLarge: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  NoSuchBucket: 404,
  NoSuchBucketPolicy: 404,
  NoSuchCORSConfiguration: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NoSuchVersion: 404,
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

/**
 * Any failure as an S3Error. `notFound` is the code a missing path means in the failed operation
 * (NoSuchKey for objects, NoSuchBucket for buckets).
 */
export function toS3Error(error: unknown, notFound: S3ErrorCode = 'NoSuchKey'): S3Error {
  if (error instanceof S3Error) return error;
  if (isTierfsError(error)) {
    switch (error.code) {
      case 'NOT_FOUND':
        return new S3Error(notFound, error.message, { cause: error });
      case 'PERMISSION_DENIED':
      case 'READ_ONLY':
      case 'UNAUTHENTICATED':
        return new S3Error('AccessDenied', error.message, { cause: error });
      case 'INVALID_ARGUMENT':
        return new S3Error('InvalidArgument', error.message, { cause: error });
      case 'ALREADY_EXISTS':
      case 'NOT_A_DIRECTORY':
      case 'IS_A_DIRECTORY':
      case 'DIRECTORY_NOT_EMPTY':
      case 'CONFLICT':
        // The key layout turns an object into a prefix (and back) as keys come and go; a write that
        // raced such a change left nothing and succeeds when sent again (SDKs retry a 503).
        return new S3Error(
          'ServiceUnavailable',
          `${error.message} (the key changed between an object and a prefix while it was written; please try again)`,
          { cause: error },
        );
      case 'RANGE_NOT_SATISFIABLE':
        return new S3Error('InvalidRange', error.message, { cause: error });
      case 'PRECONDITION_FAILED':
        return new S3Error('PreconditionFailed', error.message, { cause: error });
      case 'UNSUPPORTED':
        return new S3Error('NotImplemented', error.message, { cause: error });
      case 'RATE_LIMITED':
      case 'UNAVAILABLE':
      case 'TIMEOUT':
        return new S3Error('ServiceUnavailable', error.message, { cause: error });
      case 'STALE':
        // The object was replaced while the request was served: trying again sees the new one.
        return new S3Error('ServiceUnavailable', `${error.message}; please try again`, { cause: error });
      default:
        return new S3Error('InternalError', 'We encountered an internal error. Please try again.', {
          cause: error,
        });
    }
  }
  return new S3Error('InternalError', 'We encountered an internal error. Please try again.', {
    cause: error,
  });
}
