/** One request in flight and the ways to answer it (XML, empty, error) with the headers OSS sends. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendFailure } from '../common/error-reply.js';
import { declaredLength, OSS_LIMITS, userMetadataBytes } from '../common/limits.js';
import type { OssBackend } from './backend.js';
import { OssError, toOssError } from './errors.js';
import { toXml, type XmlElement } from './xml.js';

export interface OssContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  readonly method: string;
  /** Lower-case header names, repeated values joined with `,`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly bucket: string | undefined;
  readonly key: string;
  readonly backend: OssBackend;
  /** Shown as Owner ID/DisplayName in listings and ACLs. */
  readonly owner: string;
  /** `HostId` of error bodies: the Host the client used. */
  readonly hostId: string;
  /** The region buckets report (`oss-cn-hangzhou` unless configured). */
  readonly region: string;
}

export function sendXml(
  ctx: OssContext,
  status: number,
  root: string,
  body: XmlElement,
  headers: Record<string, string> = {},
): void {
  const text = toXml(root, body);
  ctx.res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/xml',
    'Content-Length': Buffer.byteLength(text),
  });
  ctx.res.end(text);
}

export function sendEmpty(ctx: OssContext, status: number, headers: Record<string, string> = {}): void {
  ctx.res.writeHead(status, { ...headers, 'Content-Length': 0 });
  ctx.res.end();
}

/** The `<Error>` body; on HEAD (which has no body) it goes base64-encoded in `x-oss-err`. */
export function sendError(ctx: OssContext, failure: unknown): void {
  sendFailure(ctx.res, toOssError(failure, ctx.key || undefined), (error) => sendErrorDocument(ctx, error));
}

function sendErrorDocument(ctx: OssContext, error: OssError): void {
  const body: XmlElement = {
    Code: error.code,
    Message: error.message,
    RequestId: ctx.requestId,
    HostId: ctx.hostId,
    ...error.extra,
  };
  if (error.status === 304) {
    sendEmpty(ctx, 304);
    return;
  }
  if (ctx.method === 'HEAD') {
    ctx.res.writeHead(error.status, { 'x-oss-err': Buffer.from(toXml('Error', body)).toString('base64') });
    ctx.res.end();
    return;
  }
  sendXml(ctx, error.status, 'Error', body);
}

/** Reads a small request body (XML documents) up to `limit` bytes. */
export async function readSmallBody(ctx: OssContext, limit = 2 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) throw new OssError('EntityTooLarge', 'The request body is too large.');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** `x-oss-meta-*` request headers as user metadata (names without the prefix); at most 8 KB. */
export function userMetaFrom(headers: Readonly<Record<string, string>>): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-oss-meta-')) meta[name.slice('x-oss-meta-'.length)] = value;
  }
  if (userMetadataBytes(meta) > OSS_LIMITS.maxUserMetadataBytes) {
    throw new OssError('InvalidArgument', 'The user metadata (x-oss-meta-*) exceeds 8 KB.', {
      ArgumentName: 'x-oss-meta-*',
    });
  }
  return meta;
}

/** EntityTooLarge, before any byte is read, for a body longer than OSS takes in one request. */
export function checkBodySize(ctx: OssContext): void {
  const length = declaredLength(ctx.headers);
  if (length !== undefined && length > OSS_LIMITS.maxSinglePutBytes) throw new OssError('EntityTooLarge');
}
