/**
 * The io / download host: `GET|HEAD /<key>` with `Host: <bucket domain>`, or path-style
 * `GET /<bucket>/<key>` on the gateway's own address, checked against the signed-URL token
 * (`?e=<deadline>&token=AK:sign`) unless public reads are on. Range requests get 206.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { isTierfsError, TierfsError } from '../../errors.js';
import { type ByteRange, parseByteRange } from '../common/byte-range.js';
import { verifyDownloadUrl } from './auth.js';
import type { KodoObject } from './backend.js';
import type { KodoGatewayContext } from './context.js';
import { KODO_STATUS, KodoError } from './errors.js';

/** One `bytes=` range of the object; undefined for none (or several: served whole); 416 past the end. */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  const range = parseByteRange(header, size);
  if (range === 'unsatisfiable') {
    throw new KodoError(KODO_STATUS.RANGE_NOT_SATISFIABLE, 'requested range not satisfiable');
  }
  return range;
}

/** Times a download stats and opens an object that keeps being replaced in between. */
const DOWNLOAD_ATTEMPTS = 3;

export async function handleDownload(
  ctx: KodoGatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  bucket: string,
  key: string,
): Promise<void> {
  const rawUrl = req.url ?? '/';
  if (!ctx.publicRead || rawUrl.includes('token=')) {
    verifyDownloadUrl(req.headers.host ?? '', rawUrl, ctx.users);
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await download(ctx, req, res, bucket, key);
      return;
    } catch (error) {
      // Replaced between the stat and the read: answer again about the new object.
      if (!isTierfsError(error, 'STALE') || attempt >= DOWNLOAD_ATTEMPTS || res.headersSent) throw error;
    }
  }
}

/**
 * One attempt: the size (for the range) from a stat, then the bytes with the object they belong
 * to; the ETag (`"<hash>"`, what the Kodo driver checks a pinned read against) is that object's.
 */
async function download(
  ctx: KodoGatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  bucket: string,
  key: string,
): Promise<void> {
  let object: KodoObject;
  try {
    object = await ctx.backend.stat(bucket, key);
  } catch (error) {
    // Downloads speak plain HTTP: a missing object is 404, not rs's 612.
    if (
      error instanceof KodoError &&
      (error.status === KODO_STATUS.NO_SUCH_FILE || error.status === KODO_STATUS.NO_SUCH_BUCKET)
    ) {
      throw new KodoError(KODO_STATUS.NOT_FOUND, 'Document not found');
    }
    throw error;
  }
  let range: ByteRange | undefined;
  try {
    range = parseRange(req.headers.range, object.size);
  } catch (error) {
    res.setHeader('Content-Range', `bytes */${object.size}`);
    throw error;
  }
  if (req.method === 'HEAD') {
    res.writeHead(range ? 206 : 200, downloadHeaders(object, range));
    res.end();
    return;
  }
  const opened = await ctx.backend.open(bucket, key, range);
  if (opened.object.hash !== object.hash || opened.object.size !== object.size) {
    opened.body.destroy();
    throw new TierfsError('STALE', `kodo://${bucket}/${key} was replaced during the download`);
  }
  res.writeHead(range ? 206 : 200, downloadHeaders(opened.object, range));
  await pipeline(opened.body, res);
}

function downloadHeaders(object: KodoObject, range: ByteRange | undefined): Record<string, string | number> {
  const headers: Record<string, string | number> = {
    'Content-Type': object.mimeType,
    'Accept-Ranges': 'bytes',
    ETag: `"${object.hash}"`,
    'Last-Modified': new Date(object.putTimeMs).toUTCString(),
    'Content-Length': range ? range.length : object.size,
  };
  if (range)
    headers['Content-Range'] = `bytes ${range.offset}-${range.offset + range.length - 1}/${object.size}`;
  return headers;
}
