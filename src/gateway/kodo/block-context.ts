/**
 * The `ctx` of resumable upload v1: what the gateway tells a client about a block it is receiving
 * (mkblk, then bput for each further chunk), and what the client sends back to continue the block
 * or to assemble the file (mkfile). A ctx names the staged block, the bucket and the access key of
 * the upload token it was made under, how many bytes and chunks the block holds so far and their
 * running CRC32; it is signed (HMAC-SHA1) with that user's secret key, so a client can neither
 * forge one nor take another user's or bucket's block, nor claim bytes that were never received.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { KodoUsers } from './auth.js';
import { KODO_STATUS, KodoError } from './errors.js';
import { fromUrlSafeBase64, toUrlSafeBase64 } from './url-safe-base64.js';

export interface BlockContext {
  /** The staged upload holding the block's chunks (parts 1..chunks). */
  readonly uploadId: string;
  readonly bucket: string;
  readonly accessKey: string;
  /** The block's size as declared by mkblk. */
  readonly blockSize: number;
  /** Bytes received so far (the next chunk's offset). */
  readonly offset: number;
  readonly chunks: number;
  /** CRC32 of the bytes received so far. */
  readonly crc32: number;
  /** When the staged block is swept, s since the epoch. */
  readonly expiresAt: number;
}

const SEPARATOR = '.';

function mac(secretKey: string, payload: string): Buffer {
  return createHmac('sha1', secretKey).update(`tierfs-kodo-v1-ctx\n${payload}`).digest();
}

export const ctxInvalid = (why: string): KodoError =>
  new KodoError(KODO_STATUS.CTX_INVALID, `invalid or expired ctx: ${why}`);

export function encodeBlockContext(context: BlockContext, secretKey: string): string {
  const payload = toUrlSafeBase64(
    JSON.stringify([
      context.uploadId,
      context.bucket,
      context.accessKey,
      context.blockSize,
      context.offset,
      context.chunks,
      context.crc32,
      context.expiresAt,
    ]),
  );
  return `${payload}${SEPARATOR}${toUrlSafeBase64(mac(secretKey, payload))}`;
}

/**
 * The context a ctx string names, once its signature is proven with the secret key of
 * `accessKey` (the upload token's) and it names `bucket` (the token's): 701 otherwise.
 */
export function decodeBlockContext(
  text: string,
  users: KodoUsers,
  accessKey: string,
  bucket: string,
  nowMs = Date.now(),
): BlockContext {
  const at = text.indexOf(SEPARATOR);
  const secretKey = users.get(accessKey);
  if (at <= 0 || secretKey === undefined) throw ctxInvalid('malformed');
  const payload = text.slice(0, at);
  const sent = fromUrlSafeBase64(text.slice(at + 1));
  const expected = mac(secretKey, payload);
  if (!sent || sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
    throw ctxInvalid('not issued by this gateway for this upload token');
  }
  let fields: unknown;
  try {
    fields = JSON.parse(fromUrlSafeBase64(payload)?.toString('utf8') ?? '');
  } catch {
    throw ctxInvalid('malformed');
  }
  if (!Array.isArray(fields) || fields.length !== 8) throw ctxInvalid('malformed');
  const [uploadId, ctxBucket, ctxAccessKey, blockSize, offset, chunks, crc32, expiresAt] = fields as [
    string,
    string,
    string,
    number,
    number,
    number,
    number,
    number,
  ];
  if (ctxAccessKey !== accessKey || ctxBucket !== bucket) {
    throw ctxInvalid("made under another upload token's bucket or user");
  }
  if (expiresAt * 1000 < nowMs) throw ctxInvalid('expired');
  return {
    uploadId,
    bucket: ctxBucket,
    accessKey: ctxAccessKey,
    blockSize,
    offset,
    chunks,
    crc32,
    expiresAt,
  };
}
