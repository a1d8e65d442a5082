/**
 * Who sent a request: SigV4 (header, presigned, streaming) or SigV2 (header, presigned) checked
 * against the configured users, or anonymous when that is allowed. Also says how the payload is
 * protected, so the body pipeline can verify it.
 */
import { createHmac } from 'node:crypto';
import { TierfsError } from '../../errors.js';
import { S3Error } from './errors.js';
import { header, type SignedRequest, signaturesEqual } from './signed-request.js';
import { isV2Header, isV2Presigned, parseV2, type V2Claims, verifyV2 } from './sigv2.js';
import {
  type ChunkSigning,
  isV4Header,
  isV4Presigned,
  parseAmzDate,
  parseV4Header,
  parseV4Presigned,
  STREAMING_PAYLOAD,
  STREAMING_PAYLOAD_TRAILER,
  STREAMING_UNSIGNED_TRAILER,
  signingKey,
  UNSIGNED_PAYLOAD,
  verifyV4,
} from './sigv4.js';

export interface S3User {
  readonly accessKey: string;
  readonly secretKey: string;
  /** The tierfs user the key acts as. */
  readonly user: string;
}

/** How the body is bound to the signature. */
export type PayloadCheck =
  | { readonly kind: 'none' }
  | { readonly kind: 'sha256'; readonly hex: string }
  | { readonly kind: 'chunked'; readonly signing: ChunkSigning | undefined; readonly trailer: boolean };

export interface Identity {
  /** The tierfs user; `anonymous` for unsigned requests. */
  readonly user: string;
  readonly accessKey: string | undefined;
  readonly payload: PayloadCheck;
}

const ANONYMOUS = 'anonymous';

/** Parses `accessKey:secretKey[:user]` entries; the error never echoes a secret. */
export function parseUsers(entries: readonly string[]): S3User[] {
  return entries.map((entry, index) => {
    const [accessKey, secretKey, user, ...rest] = entry.split(':');
    if (!accessKey || !secretKey || rest.length > 0) {
      throw new TierfsError(
        'CONFIG_INVALID',
        `tierfs.proxy.s3.users entry ${index + 1} must be accessKey:secretKey[:user]`,
      );
    }
    return { accessKey, secretKey, user: user || accessKey };
  });
}

export interface AuthenticatorOptions {
  readonly users: readonly S3User[];
  readonly allowAnonymous: boolean;
  readonly maxClockSkewMs: number;
  /** Current time; tests may move it. */
  readonly now?: () => number;
}

export class Authenticator {
  private readonly users: ReadonlyMap<string, S3User>;
  private readonly options: AuthenticatorOptions;

  constructor(options: AuthenticatorOptions) {
    this.options = options;
    this.users = new Map(options.users.map((u) => [u.accessKey, u]));
  }

  /** The tierfs users the configured access keys act as. */
  userNames(): Set<string> {
    return new Set([...this.users.values()].map((u) => u.user));
  }

  /** `resourcePath` is `/bucket/key` as sent, for SigV2. */
  authenticate(request: SignedRequest, resourcePath: string): Identity {
    const now = this.options.now?.() ?? Date.now();
    if (isV4Header(request) || isV4Presigned(request)) {
      const presigned = !isV4Header(request);
      const claims = presigned ? parseV4Presigned(request) : parseV4Header(request);
      const user = this.user(claims.accessKey);
      const signedAt = parseAmzDate(claims.amzDate);
      if (Number.isNaN(signedAt)) throw new S3Error('AccessDenied', 'X-Amz-Date is malformed');
      if (claims.date !== claims.amzDate.slice(0, 8)) {
        // A scope dated another day would let a signing key derived once serve for years.
        throw new S3Error(
          presigned ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed',
          `Invalid credential date "${claims.date}": it must be the date of X-Amz-Date (${claims.amzDate.slice(0, 8)})`,
        );
      }
      if (claims.expires !== undefined) {
        if (now > signedAt + claims.expires * 1000) throw new S3Error('AccessDenied', 'Request has expired');
        if (signedAt - now > this.options.maxClockSkewMs) this.skewed();
      } else if (Math.abs(now - signedAt) > this.options.maxClockSkewMs) {
        this.skewed();
      }
      const signing = verifyV4(request, claims, user.secretKey);
      return {
        user: user.user,
        accessKey: user.accessKey,
        payload: payloadCheck(claims.payloadHash, signing),
      };
    }
    if (isV2Header(request) || isV2Presigned(request)) {
      const claims = parseV2(request);
      const user = this.user(claims.accessKey);
      if (claims.expires !== undefined) {
        if (now > claims.expires * 1000) throw new S3Error('AccessDenied', 'Request has expired');
      } else {
        const date = Date.parse(header(request, 'x-amz-date') ?? header(request, 'date') ?? '');
        if (Number.isNaN(date)) throw new S3Error('AccessDenied', 'A Date or x-amz-date header is required');
        if (Math.abs(now - date) > this.options.maxClockSkewMs) this.skewed();
      }
      verifyV2Resource(request, claims, user.secretKey, resourcePath);
      return { user: user.user, accessKey: user.accessKey, payload: { kind: 'none' } };
    }
    if (header(request, 'authorization') !== undefined) {
      throw new S3Error('AccessDenied', 'Unsupported authorization type: use AWS Signature Version 4 or 2');
    }
    if (!this.options.allowAnonymous) {
      throw new S3Error('AccessDenied', 'Anonymous access is not allowed: sign the request');
    }
    return { user: ANONYMOUS, accessKey: undefined, payload: { kind: 'none' } };
  }

  /**
   * Who sent a browser form upload (POST object), from its fields (names lower case): the signer
   * of its policy, by SigV4 (`x-amz-algorithm`, `x-amz-credential`, `x-amz-date`,
   * `x-amz-signature`: hex HMAC-SHA256 of the base64 policy with the scope's signing key) or
   * SigV2 (`AWSAccessKeyId`, `signature`: base64 HMAC-SHA1 of it); anonymous when the form carries
   * neither policy nor credentials and that is allowed. The policy itself is checked by the caller.
   */
  authenticatePost(fields: ReadonlyMap<string, string>): Identity {
    const policy = fields.get('policy');
    const credential = fields.get('x-amz-credential');
    const accessKeyId = fields.get('awsaccesskeyid');
    const none = { kind: 'none' } as const;
    if (policy === undefined && credential === undefined && accessKeyId === undefined) {
      if (fields.has('signature') || fields.has('x-amz-signature')) {
        throw new S3Error(
          'InvalidArgument',
          'Bucket POST with a signature must contain a field named policy',
        );
      }
      if (!this.options.allowAnonymous) {
        throw new S3Error('AccessDenied', 'Anonymous access is not allowed: sign the form with a policy');
      }
      return { user: ANONYMOUS, accessKey: undefined, payload: none };
    }
    if (policy === undefined)
      throw new S3Error('InvalidArgument', 'Bucket POST must contain a field named policy');
    if (credential !== undefined || fields.has('x-amz-algorithm')) {
      const algorithm = fields.get('x-amz-algorithm');
      if (algorithm !== 'AWS4-HMAC-SHA256') {
        throw new S3Error(
          'InvalidArgument',
          `x-amz-algorithm must be AWS4-HMAC-SHA256, got "${algorithm ?? ''}"`,
        );
      }
      const parts = (credential ?? '').split('/');
      if (parts.length !== 5 || parts[4] !== 'aws4_request') {
        throw new S3Error(
          'InvalidArgument',
          'x-amz-credential must be <access key>/<yyyymmdd>/<region>/s3/aws4_request',
        );
      }
      const [accessKey, date, region, service] = parts as [string, string, string, string];
      const signature = fields.get('x-amz-signature');
      if (signature === undefined)
        throw new S3Error('InvalidArgument', 'Bucket POST must contain a field named x-amz-signature');
      const user = this.user(accessKey);
      const expected = createHmac('sha256', signingKey(user.secretKey, { date, region, service }))
        .update(policy)
        .digest('hex');
      if (!signaturesEqual(expected, signature.toLowerCase())) this.mismatch();
      return { user: user.user, accessKey, payload: none };
    }
    const signature = fields.get('signature');
    if (signature === undefined)
      throw new S3Error('InvalidArgument', 'Bucket POST must contain a field named signature');
    const user = this.user(accessKeyId!);
    const expected = createHmac('sha1', user.secretKey).update(policy).digest('base64');
    if (!signaturesEqual(expected, signature)) this.mismatch();
    return { user: user.user, accessKey: user.accessKey, payload: none };
  }

  private mismatch(): never {
    throw new S3Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }

  private user(accessKey: string): S3User {
    const user = this.users.get(accessKey);
    if (!user) {
      throw new S3Error(
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist in our records.',
      );
    }
    return user;
  }

  private skewed(): never {
    throw new S3Error(
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
    );
  }
}

function payloadCheck(payloadHash: string, signing: ChunkSigning): PayloadCheck {
  switch (payloadHash) {
    case UNSIGNED_PAYLOAD:
      return { kind: 'none' };
    case STREAMING_PAYLOAD:
      return { kind: 'chunked', signing, trailer: false };
    case STREAMING_PAYLOAD_TRAILER:
      return { kind: 'chunked', signing, trailer: true };
    case STREAMING_UNSIGNED_TRAILER:
      return { kind: 'chunked', signing: undefined, trailer: true };
    default:
      if (!/^[0-9a-f]{64}$/i.test(payloadHash)) {
        throw new S3Error(
          'InvalidArgument',
          'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* value or a SHA-256 hex digest',
        );
      }
      return { kind: 'sha256', hex: payloadHash.toLowerCase() };
  }
}

/**
 * SigV2 over the resource as sent; a bucket request may also have been signed as `/bucket/` when
 * sent as `/bucket` (or the other way round): botocore signs one and sends the other, and S3
 * takes both.
 */
function verifyV2Resource(
  request: SignedRequest,
  claims: V2Claims,
  secret: string,
  resourcePath: string,
): void {
  try {
    verifyV2(request, claims, secret, resourcePath);
  } catch (error) {
    const bucketOnly = /^\/[^/]+\/?$/.exec(resourcePath);
    if (!bucketOnly || !(error instanceof S3Error)) throw error;
    const other = resourcePath.endsWith('/') ? resourcePath.slice(0, -1) : `${resourcePath}/`;
    verifyV2(request, claims, secret, other);
  }
}
