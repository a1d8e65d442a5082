/**
 * Multipart upload helpers shared by both writers: uploading one part from a local file range
 * (re-openable, so a retried part resends its bytes), the part deadline, and aborting an upload
 * without hiding the error that made us abort it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { isTierfsError, TierfsError, toTierfsError } from '../../errors.js';
import { ufsLog } from '../log.js';
import type { CompletedPart, ObjectBody, ObjectClient } from './object-client.js';

export function fileBody(path: string, start: number, length: number): ObjectBody {
  const range = () => createReadStream(path, { start, end: start + length - 1, highWaterMark: 256 * 1024 });
  return {
    length,
    open: () => {
      if (length === 0) return Readable.from([]);
      const stream = range();
      // A request aborted before it read its body leaves the stream to open a file that the
      // aborted write has since deleted: that error belongs to nobody.
      stream.on('error', () => undefined);
      return stream;
    },
    // One more read of the range (just written: the page cache's) for a hash the store checks.
    sha256: async () => {
      const hash = createHash('sha256');
      if (length > 0) for await (const chunk of range()) hash.update(chunk as Buffer);
      return hash.digest('hex');
    },
  };
}

/** A zero-byte body: directory markers and empty files. */
export const EMPTY_BODY: ObjectBody = { length: 0, open: () => Readable.from([]) };

/**
 * Uploads part `partNumber` within `timeoutMs` (undefined: no deadline) unless `signal` aborts
 * first; a missed deadline is a TIMEOUT naming the part.
 */
export async function uploadPartWithin(
  client: ObjectClient,
  key: string,
  uploadId: string,
  partNumber: number,
  body: ObjectBody,
  signal: AbortSignal,
  timeoutMs: number | undefined,
  timeoutKey = 'tierfs.underfs.object.store.streaming.upload.part.timeout',
): Promise<string> {
  const deadline = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
  try {
    return await client.uploadPart(key, uploadId, partNumber, body, {
      signal: deadline ? AbortSignal.any([signal, deadline]) : signal,
    });
  } catch (error) {
    if (deadline?.aborted && !signal.aborted) {
      throw new TierfsError(
        'TIMEOUT',
        `part ${partNumber} of ${client.bucket}/${key} was not uploaded within ${timeoutMs} ms ` +
          `(${timeoutKey})`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Aborts a multipart upload; a failure is logged (cleanup will find the upload), never thrown. */
export async function abortQuietly(client: ObjectClient, key: string, uploadId: string): Promise<void> {
  try {
    await client.abortMultipartUpload(key, uploadId);
  } catch (error) {
    if (isTierfsError(error, 'NOT_FOUND')) return;
    ufsLog.warn(
      'could not abort a multipart upload; enable tierfs.underfs.cleanup.enabled so that cleanup removes it',
      { bucket: client.bucket, key, uploadId, error: toTierfsError(error).message },
    );
  }
}

/**
 * The entity tag completing a multipart upload makes on S3 and the stores that follow it (OSS,
 * MinIO): the MD5 of the parts' MD5s (hex, quotes allowed), then `-` and the number of parts.
 * Undefined when a part's tag is no MD5 (Kodo's are not).
 */
export function multipartEtagOf(partMd5s: readonly string[]): string | undefined {
  const digests = createHash('md5');
  for (const tag of partMd5s) {
    const hex = tag.replace(/"/g, '');
    if (!/^[0-9a-f]{32}$/i.test(hex)) return undefined;
    digests.update(Buffer.from(hex, 'hex'));
  }
  return `${digests.digest('hex')}-${partMd5s.length}`;
}

/** Whether `etag` is the entity tag completing an upload of `parts` makes (see `multipartEtagOf`). */
export function isCompletionOf(etag: string | undefined, parts: readonly CompletedPart[]): boolean {
  if (etag === undefined) return false;
  const expected = multipartEtagOf(parts.map((part) => part.etag));
  return expected !== undefined && etag.replace(/"/g, '').toLowerCase() === expected;
}
