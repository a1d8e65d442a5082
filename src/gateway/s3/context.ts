/** One S3 request as the handlers see it, and the ways to answer it. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendFailure } from '../common/error-reply.js';
import type { Identity } from './auth.js';
import type { S3Error } from './errors.js';
import { buildXml, type XmlNode } from './xml.js';

export interface S3Context {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  /** From the path (path style) or the Host header (virtual-hosted style). */
  readonly bucket: string | undefined;
  /** The object key, decoded; undefined when the request addresses a bucket or the service. */
  readonly key: string | undefined;
  /** Query parameters, decoded; the first value wins. */
  readonly query: ReadonlyMap<string, string>;
  readonly identity: Identity;
  readonly requestId: string;
}

export function headerOf(ctx: S3Context, name: string): string | undefined {
  const value = ctx.req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function sendXml(
  ctx: S3Context,
  root: string,
  body: XmlNode,
  status = 200,
  headers: Record<string, string> = {},
): void {
  const text = buildXml(root, body);
  ctx.res.writeHead(status, {
    ...headers,
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(text),
  });
  ctx.res.end(text);
}

export function sendEmpty(ctx: S3Context, status = 200, headers: Record<string, string | number> = {}): void {
  ctx.res.writeHead(status, { ...headers, 'content-length': 0 });
  ctx.res.end();
}

/** An S3 error document (headers only for HEAD and 304). */
export function sendError(
  res: ServerResponse,
  error: S3Error,
  context: { method: string; resource: string; requestId: string },
): void {
  sendFailure(res, error, () => sendErrorDocument(res, error, context));
}

function sendErrorDocument(
  res: ServerResponse,
  error: S3Error,
  context: { method: string; resource: string; requestId: string },
): void {
  if (context.method === 'HEAD' || error.status === 304) {
    res.writeHead(error.status, {
      ...error.headers,
      'content-length': 0,
      'x-amz-request-id': context.requestId,
    });
    res.end();
    return;
  }
  const text = buildXml(
    'Error',
    { Code: error.code, Message: error.message, Resource: context.resource, RequestId: context.requestId },
    null,
  );
  res.writeHead(error.status, {
    ...error.headers,
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(text),
    'x-amz-request-id': context.requestId,
  });
  res.end(text);
}

/** `2009-10-12T17:50:30.000Z` */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}
