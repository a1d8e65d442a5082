/**
 * Bucket CORS over HTTP: Put/Get/DeleteBucketCors, the preflight (OPTIONS, never signed) and the
 * Access-Control-* headers of actual requests from an allowed Origin.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readSmallBody } from './body.js';
import { type S3Context, sendEmpty, sendXml } from './context.js';
import {
  corsConfigurationXml,
  corsHeaders,
  matchCorsRule,
  parseCorsConfiguration,
  requestedHeaders,
} from './cors.js';
import { S3Error } from './errors.js';
import type { MetadataStore } from './metadata-store.js';
import type { GatewayServices } from './services.js';
import { parseXml } from './xml.js';

export async function putBucketCors(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  await layer.bucket(ctx.bucket!);
  const body = await readSmallBody(ctx.req, ctx.identity.payload, 64 * 1024);
  const rules = parseCorsConfiguration(parseXml(body.toString('utf8'), 'CORSConfiguration'));
  layer.metadata.putCors(ctx.bucket!, rules);
  sendEmpty(ctx);
}

export async function getBucketCors(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  await layer.bucket(ctx.bucket!);
  const rules = layer.metadata.getCors(ctx.bucket!);
  if (!rules) throw new S3Error('NoSuchCORSConfiguration', 'The CORS configuration does not exist');
  sendXml(ctx, 'CORSConfiguration', corsConfigurationXml(rules));
}

export async function deleteBucketCors(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  await layer.bucket(ctx.bucket!);
  layer.metadata.deleteCors(ctx.bucket!);
  sendEmpty(ctx, 204);
}

function one(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Answers a preflight: 400 without Origin and Access-Control-Request-Method, 403 when the bucket
 * has no CORS configuration or no rule allows the origin, method and requested headers, else 200
 * with the rule's Access-Control-* headers.
 */
export function answerPreflight(
  req: IncomingMessage,
  res: ServerResponse,
  bucket: string | undefined,
  metadata: MetadataStore,
): void {
  const origin = one(req, 'origin');
  const method = one(req, 'access-control-request-method');
  if (origin === undefined || method === undefined) {
    throw new S3Error('BadRequest', 'Insufficient information. Origin request header needed.');
  }
  const rules = bucket === undefined ? undefined : metadata.getCors(bucket);
  if (!rules) throw new S3Error('AccessForbidden', 'CORSResponse: CORS is not enabled for this bucket.');
  const headers = requestedHeaders(one(req, 'access-control-request-headers'));
  const rule = matchCorsRule(rules, origin, method, headers);
  if (!rule) {
    throw new S3Error(
      'AccessForbidden',
      "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
    );
  }
  res.writeHead(200, {
    ...corsHeaders(rule, origin, { preflight: true, requestHeaders: headers }),
    'content-length': 0,
  });
  res.end();
}

/**
 * Sets the Access-Control-* headers of an actual request from an Origin the bucket's CORS rules
 * allow (for the method, or the Access-Control-Request-Method a client sent along), before the
 * request is authenticated, so error responses carry them too.
 */
export function applyCorsHeaders(
  req: IncomingMessage,
  res: ServerResponse,
  bucket: string | undefined,
  metadata: MetadataStore,
): void {
  const origin = one(req, 'origin');
  if (origin === undefined || bucket === undefined) return;
  const rules = metadata.getCors(bucket);
  if (!rules) return;
  const method = one(req, 'access-control-request-method') ?? req.method ?? 'GET';
  const rule = matchCorsRule(rules, origin, method);
  if (!rule) return;
  for (const [name, value] of Object.entries(corsHeaders(rule, origin, { preflight: false }))) {
    res.setHeader(name, value);
  }
}
