/**
 * AWS Signature Version 4 for a body-less S3 GET, by hand: what the SDK's signer computes for the
 * same request (test: sigv4-get.test.ts checks it against `@smithy/signature-v4`), without its
 * request objects and middleware. The signing key is derived once per day, region and secret.
 */
import { createHash, createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import type { AwsCredentialIdentity } from '@smithy/types';

/** SHA-256 of an empty body: a GET sends none. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** A path (`/bucket/key` or `/key`) with every byte but unreserved characters and `/` percent-encoded (S3 encodes the key once). */
export function encodeS3Path(path: string): string {
  return path
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      ),
    )
    .join('/');
}

/** `20261207T091500Z` and `20261207` for a time. */
/** A ranged GET of an object, as tierfs's own getters (s3-small-get.ts, s3-stream-get.ts) send it. */
export interface RangedGetRequest {
  readonly key: string;
  readonly range: { readonly start: number; readonly end: number };
  /** The etag (without quotes) the object must have: sent as If-Match and checked in the answer. */
  readonly ifMatch?: string;
  readonly signal?: AbortSignal;
}

/** What a getter of a mount's bucket sends its GETs with. */
export interface GetterOptions {
  readonly bucket: string;
  /** The S3Client's credentials provider (it caches and refreshes them). */
  readonly credentials: () => Promise<AwsCredentialIdentity>;
  /** Sent as user-agent. */
  readonly userAgent?: string;
}

/** Where a bucket's GETs go: its host (with port), host name and the path before a key. */
export interface S3Addressing {
  readonly host: string;
  readonly hostname: string;
  /** `/<bucket>/` (path style) or `/`, under the endpoint's own path. */
  readonly base: string;
}

/**
 * As the SDK addresses a bucket: under the endpoint's host (virtual-hosted style) unless path style
 * is asked for, the endpoint is an IP address, the bucket is no host label, or it holds a dot on
 * https (the wildcard certificate would not cover it).
 */
export function s3Addressing(endpoint: URL, bucket: string, pathStyle: boolean): S3Addressing {
  const virtualHost =
    !pathStyle &&
    isIP(endpoint.hostname.replace(/^\[|\]$/g, '')) === 0 &&
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) &&
    !bucket.includes('..') &&
    !(endpoint.protocol === 'https:' && bucket.includes('.'));
  const prefix = endpoint.pathname.replace(/\/+$/, '');
  return virtualHost
    ? { host: `${bucket}.${endpoint.host}`, hostname: `${bucket}.${endpoint.hostname}`, base: `${prefix}/` }
    : { host: endpoint.host, hostname: endpoint.hostname, base: `${prefix}/${encodeS3Path(bucket)}/` };
}

export function amzDates(nowMs: number): { amzDate: string; day: string } {
  const amzDate = new Date(nowMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return { amzDate, day: amzDate.slice(0, 8) };
}

export class GetSigner {
  private key: { id: string; bytes: Buffer } | undefined;
  /** The dates of the second last signed in (formatting them is a good part of a signature's cost). */
  private dates: { second: number; amzDate: string; day: string } | undefined;

  constructor(private readonly region: string) {}

  /**
   * The headers that sign `GET <encodedPath>` to `host` (host[:port] as sent) with `headers`
   * (lower-case names: range, if-match): the given ones plus x-amz-date, x-amz-content-sha256,
   * x-amz-security-token (with a session token) and authorization.
   */
  sign(
    host: string,
    encodedPath: string,
    headers: Record<string, string>,
    credentials: SigningCredentials,
    nowMs = Date.now(),
  ): Record<string, string> {
    const second = Math.floor(nowMs / 1000);
    if (this.dates?.second !== second) this.dates = { second, ...amzDates(nowMs) };
    const { amzDate, day } = this.dates;
    const signed: Record<string, string> = {
      ...headers,
      host,
      'x-amz-content-sha256': EMPTY_SHA256,
      'x-amz-date': amzDate,
    };
    if (credentials.sessionToken) signed['x-amz-security-token'] = credentials.sessionToken;
    const names = Object.keys(signed).sort();
    const canonicalHeaders = names.map((name) => `${name}:${signed[name]!.trim()}\n`).join('');
    const signedHeaders = names.join(';');
    const canonicalRequest = `GET\n${encodedPath}\n\n${canonicalHeaders}\n${signedHeaders}\n${EMPTY_SHA256}`;
    const scope = `${day}/${this.region}/s3/aws4_request`;
    const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
    const signature = createHmac('sha256', this.signingKey(day, credentials.secretAccessKey))
      .update(stringToSign)
      .digest('hex');
    signed.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return signed;
  }

  private signingKey(day: string, secret: string): Buffer {
    const id = `${day}\n${secret}`;
    if (this.key?.id !== id) {
      const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
      const bytes = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), this.region), 's3'), 'aws4_request');
      this.key = { id, bytes };
    }
    return this.key.bytes;
  }
}
