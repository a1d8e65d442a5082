/**
 * AWS signature version 2 (`tierfs.underfs.s3.signer.algorithm=S3SignerType`), for S3 providers
 * that do not accept SigV4. The AWS SDK v3 has no v2 signer, so this one is plugged in as the
 * client's auth scheme signer. Reference: "Signing and Authenticating REST Requests" (S3 API, v2):
 *
 *   Authorization: AWS <AccessKeyId>:base64(HMAC-SHA1(secret, StringToSign))
 *   StringToSign = VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedAmzHeaders
 *                  CanonicalizedResource
 *
 * The time goes in `x-amz-date` (so the Date line is empty and x-amz-date is a signed amz header).
 */
import { createHmac } from 'node:crypto';
import type { AwsCredentialIdentity, HttpRequest, HttpSigner } from '@smithy/types';

/** Query parameters that are part of the resource being signed (the client here, the gateway's verifier). */
export const SIGV2_SUBRESOURCES: ReadonlySet<string> = new Set([
  'acl',
  'cors',
  'delete',
  'lifecycle',
  'location',
  'logging',
  'notification',
  'partNumber',
  'policy',
  'requestPayment',
  'restore',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
  'versionId',
  'versioning',
  'versions',
  'website',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
]);

export interface V2SignerOptions {
  readonly bucket: string;
  /** Path-style requests already carry the bucket in the path. */
  readonly pathStyle: boolean;
  readonly now?: () => Date;
}

export class S3V2Signer implements HttpSigner {
  constructor(private readonly options: V2SignerOptions) {}

  async sign(request: HttpRequest, identity: AwsCredentialIdentity): Promise<HttpRequest> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      // Drop what a SigV4 signer would have added; keep everything else.
      if (!/^(authorization|x-amz-content-sha256|x-amz-date|x-amz-security-token)$/i.test(name)) {
        headers[name] = value;
      }
    }
    headers['x-amz-date'] = (this.options.now?.() ?? new Date()).toUTCString();
    if (identity.sessionToken) headers['x-amz-security-token'] = identity.sessionToken;
    // A bucket request goes path-style as `/bucket`, not `/bucket/`: S3 takes both, and S3 clones
    // that build the signed resource from the bucket name (s3rver) only match the first.
    const bucketPath = `/${this.options.bucket}/`;
    const path =
      this.options.pathStyle && request.path === bucketPath ? bucketPath.slice(0, -1) : request.path;
    const signed = Object.assign(
      Object.create(Object.getPrototypeOf(request) as object) as HttpRequest,
      request,
      {
        headers,
        path,
      },
    );
    const stringToSign = this.stringToSign(signed, headers);
    const signature = createHmac('sha1', identity.secretAccessKey)
      .update(stringToSign, 'utf8')
      .digest('base64');
    headers.authorization = `AWS ${identity.accessKeyId}:${signature}`;
    return signed;
  }

  stringToSign(request: HttpRequest, headers: Record<string, string>): string {
    const header = (name: string) =>
      Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1] ?? '';
    const amzHeaders = Object.entries(headers)
      .map(([name, value]): [string, string] => [name.toLowerCase(), value])
      .filter(([name]) => name.startsWith('x-amz-'))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => `${name}:${value.trim().replace(/ +/g, ' ')}\n`)
      .join('');
    return [
      request.method.toUpperCase(),
      header('content-md5'),
      header('content-type'),
      '',
      `${amzHeaders}${this.canonicalResource(request)}`,
    ].join('\n');
  }

  private canonicalResource(request: HttpRequest): string {
    const path = this.options.pathStyle ? request.path : `/${this.options.bucket}${request.path}`;
    const resource = path
      .split('/')
      .map((segment) => encodeRfc3986(decodeURIComponent(segment)))
      .join('/');
    const sub = Object.entries(request.query ?? {})
      .filter(([name]) => SIGV2_SUBRESOURCES.has(name))
      .map(([name, value]) => {
        const text = Array.isArray(value) ? value.join(',') : value;
        return text === null || text === undefined || text === '' ? name : `${name}=${text}`;
      })
      .sort();
    return sub.length > 0 ? `${resource}?${sub.join('&')}` : resource;
  }
}

function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
