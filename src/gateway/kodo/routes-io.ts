/**
 * The io / download host: `GET|HEAD /<key>` with `Host: <bucket domain>`, or path-style
 * `GET /<bucket>/<key>` on the gateway's own address, checked against the signed-URL token
 * (`?e=<deadline>&token=AK:sign`) unless public reads are on. Range requests get 206.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { verifyDownloadUrl } from './auth.js';
import type { KodoObject, ObjectRange } from './backend.js';
import type { KodoGatewayContext } from './context.js';
import { KODO_STATUS, KodoError } from './errors.js';

/** Parses one `bytes=` range against the size; undefined for none (or several: served whole). */
export function parseRange(header: string | undefined, size: number): ObjectRange | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, first, last] = match as unknown as [string, string, string];
  let start: number;
  let end: number;
  if (first === '') {
    if (last === '') return undefined;
    start = Math.max(0, size - Number(last));
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  }
  if (start >= size || end < start) {
    throw new KodoError(KODO_STATUS.RANGE_NOT_SATISFIABLE, 'requested range not satisfiable');
  }
  return { offset: start, length: end - start + 1 };
}

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
  let range: ObjectRange | undefined;
  try {
    range = parseRange(req.headers.range, object.size);
  } catch (error) {
    res.setHeader('Content-Range', `bytes */${object.size}`);
    throw error;
  }
  const headers: Record<string, string | number> = {
    'Content-Type': object.mimeType,
    'Accept-Ranges': 'bytes',
    ETag: `"${object.hash}"`,
    'Last-Modified': new Date(object.putTimeMs).toUTCString(),
    'Content-Length': range ? range.length : object.size,
  };
  if (range)
    headers['Content-Range'] = `bytes ${range.offset}-${range.offset + range.length - 1}/${object.size}`;
  if (req.method === 'HEAD') {
    res.writeHead(range ? 206 : 200, headers);
    res.end();
    return;
  }
  const { body } = await ctx.backend.open(bucket, key, range);
  res.writeHead(range ? 206 : 200, headers);
  await pipeline(body, res);
}
