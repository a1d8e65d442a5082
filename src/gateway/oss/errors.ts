/**
 * OSS error responses: the code, HTTP status and message of the OSS error table, plus the extra
 * elements some errors carry (`Key`, `BucketName`, `StringToSign`, `SignatureProvided`, ...).
 */
import { isTierfsError } from '../../errors.js';
import { type ErrorTable, mapFailure } from '../common/error-reply.js';

/** OSS error codes this gateway returns, with their HTTP status and default message. */
export const OSS_ERRORS = {
  AccessDenied: { status: 403, message: 'Access denied.' },
  SignatureDoesNotMatch: {
    status: 403,
    message: 'The request signature we calculated does not match the signature you provided.',
  },
  InvalidAccessKeyId: {
    status: 403,
    message: 'The OSS Access Key Id you provided does not exist in our records.',
  },
  RequestTimeTooSkewed: {
    status: 403,
    message: 'The difference between the request time and the current time is too large.',
  },
  InvalidArgument: { status: 400, message: 'Invalid argument.' },
  InvalidDigest: { status: 400, message: 'The Content-MD5 you specified is not valid.' },
  InvalidObjectName: { status: 400, message: 'The specified object is not valid.' },
  InvalidBucketName: { status: 400, message: 'The specified bucket is not valid.' },
  MalformedXML: { status: 400, message: 'The XML you provided was not well-formed.' },
  InvalidPart: { status: 400, message: 'One or more of the specified parts could not be found.' },
  InvalidPartOrder: { status: 400, message: 'The list of parts was not in ascending order.' },
  EntityTooSmall: { status: 400, message: 'Your proposed upload is smaller than the minimum allowed size.' },
  EntityTooLarge: { status: 400, message: 'Your proposed upload exceeds the maximum allowed size.' },
  NoSuchKey: { status: 404, message: 'The specified key does not exist.' },
  NoSuchBucket: { status: 404, message: 'The specified bucket does not exist.' },
  NoSuchUpload: {
    status: 404,
    message:
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
  },
  FileAlreadyExists: {
    status: 409,
    message: 'The object you specified already exists and can not be overwritten.',
  },
  BucketNotEmpty: { status: 409, message: 'The bucket you tried to delete is not empty.' },
  BucketAlreadyExists: { status: 409, message: 'The requested bucket name is not available.' },
  MethodNotAllowed: { status: 405, message: 'The specified method is not allowed against this resource.' },
  MissingContentLength: { status: 411, message: 'You must provide the Content-Length HTTP header.' },
  PreconditionFailed: {
    status: 412,
    message: 'At least one of the pre-conditions you specified did not hold.',
  },
  NotModified: { status: 304, message: 'Not Modified.' },
  InternalError: { status: 500, message: 'We encountered an internal error. Please try again.' },
  NotImplemented: {
    status: 501,
    message: 'A header or operation you provided implies functionality that is not implemented.',
  },
  ServiceUnavailable: { status: 503, message: 'Please reduce your request rate.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type OssErrorCode = keyof typeof OSS_ERRORS;

export class OssError extends Error {
  override readonly name = 'OssError';
  readonly code: OssErrorCode;
  readonly status: number;
  /** Extra elements of the `<Error>` body, in order. Never secrets. */
  readonly extra: Readonly<Record<string, string>>;

  constructor(code: OssErrorCode, message?: string, extra: Record<string, string> = {}, cause?: unknown) {
    super(message ?? OSS_ERRORS[code].message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.status = OSS_ERRORS[code].status;
    this.extra = extra;
  }
}

const FROM_TIERFS: ErrorTable<OssErrorCode> = {
  NOT_FOUND: 'NoSuchKey',
  IS_A_DIRECTORY: 'NoSuchKey',
  NOT_A_DIRECTORY: 'NoSuchKey',
  ALREADY_EXISTS: 'FileAlreadyExists',
  INVALID_ARGUMENT: 'InvalidArgument',
  PERMISSION_DENIED: 'AccessDenied',
  READ_ONLY: 'AccessDenied',
  UNSUPPORTED: 'NotImplemented',
  UNAVAILABLE: 'ServiceUnavailable',
  RATE_LIMITED: 'ServiceUnavailable',
  TIMEOUT: 'ServiceUnavailable',
  STALE: 'ServiceUnavailable', // replaced while the request was served: trying again sees the new object
};

const OWN_MESSAGE: ReadonlySet<string> = new Set(['InvalidBucketName']);

/** Maps a failure of the backend (a TierfsError or anything else) to the OSS error a client expects. */
export function toOssError(error: unknown, key?: string): OssError {
  if (error instanceof OssError) return error;
  const reason = isTierfsError(error) ? error.details.reason : undefined;
  if (isTierfsError(error) && typeof reason === 'string' && reason in OSS_ERRORS) {
    const extra: Record<string, string> = {};
    for (const [name, value] of Object.entries(error.details)) {
      if (name !== 'reason' && value !== undefined) extra[name] = String(value);
    }
    // The backend's own words where they say more than OSS's stock message (which directory).
    const message = OWN_MESSAGE.has(reason) ? error.message : undefined;
    return new OssError(reason as OssErrorCode, message, extra, error);
  }
  return mapFailure(error, FROM_TIERFS, 'InternalError', (code) => {
    const withKey = key !== undefined && (code === 'NoSuchKey' || code === 'FileAlreadyExists');
    const ownMessage = code === 'InvalidArgument' || code === 'AccessDenied';
    return new OssError(
      code,
      ownMessage ? (error as Error).message : undefined,
      withKey ? { Key: key } : {},
      error,
    );
  });
}
