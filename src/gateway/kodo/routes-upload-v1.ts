/**
 * Resumable upload v1, as Qiniu's SDKs use it by default for files over one block (4 MiB):
 *
 *   POST /mkblk/<blockSize>        body: the block's first chunk      → {ctx, checksum, crc32, offset, host, expired_at}
 *   POST /bput/<ctx>/<offset>      body: the block's next chunk       → the same, for the block so far
 *   POST /mkfile/<fsize>[/key/<b64>][/mimeType/<b64>][/fname/<b64>][/x:<var>/<b64>][/x-qn-meta-<m>/<b64>]
 *                                  body: each block's last ctx, comma-joined, in file order → {hash, key}
 *
 * every call with `Authorization: UpToken <token>`. Each block is a staged upload (chunk n is its
 * part n) with the gateway's resumable-upload expiry, so an abandoned upload is swept like any
 * other; nothing is visible before mkfile, which streams the blocks in order into one write and
 * checks each block against its ctx (size, CRC32) on the way: a mismatch aborts the write. A ctx is
 * signed by the gateway and bound to the token's user and bucket (block-context.ts).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import { crc32 } from 'node:zlib';
import { PartTooLargeError } from '../common/part-staging.js';
import { type PutPolicy, parseUploadToken, resolveUploadKey, upTokenFromHeaders } from './auth.js';
import { type BlockContext, ctxInvalid, decodeBlockContext, encodeBlockContext } from './block-context.js';
import type { KodoGatewayContext } from './context.js';
import { badRequest, KODO_STATUS, KodoError, sendJson } from './errors.js';
import { decodePath, drain, readBody } from './http-body.js';
import { META_PREFIX, putUpload } from './routes-upload.js';
import { uploadResult } from './upload-result.js';
import { fromUrlSafeBase64, toUrlSafeBase64 } from './url-safe-base64.js';

/** Every block but the last is exactly this size; none is larger. */
export const BLOCK_SIZE = 4 * 1024 * 1024;
/** A mkfile body: about 200 bytes a ctx, so some 80,000 blocks (320 GiB). */
const MAX_CTX_LIST_BYTES = 16 * 1024 * 1024;

function uploadPolicy(ctx: KodoGatewayContext, req: IncomingMessage): PutPolicy {
  return parseUploadToken(upTokenFromHeaders(req.headers), ctx.users);
}

function parseCount(text: string | undefined, what: string, min: number, max: number): number {
  const value = text !== undefined && /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw badRequest(`invalid ${what} '${text ?? ''}' (${min} to ${max})`);
  }
  return value;
}

interface Chunk {
  readonly size: number;
  readonly crc32: number;
  /** CRC32 of the block so far, this chunk included. */
  readonly runningCrc32: number;
  /** URL-safe base64 SHA-1 of the chunk. */
  readonly checksum: string;
}

/** Streams the request body to disk as part `chunkNumber` of the block's upload. */
async function receiveChunk(
  ctx: KodoGatewayContext,
  req: IncomingMessage,
  uploadId: string,
  chunkNumber: number,
  room: number,
  crcBefore: number,
): Promise<Chunk> {
  let crc = 0;
  let running = crcBefore;
  const sha1 = createHash('sha1');
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      crc = crc32(chunk, crc);
      running = crc32(chunk, running);
      sha1.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    const part = await ctx.staging.putPart(uploadId, chunkNumber, [req, meter], room);
    if (part.size === 0) throw badRequest('a chunk must not be empty');
    return { size: part.size, crc32: crc, runningCrc32: running, checksum: toUrlSafeBase64(sha1.digest()) };
  } catch (error) {
    drain(req);
    if (error instanceof PartTooLargeError) {
      throw badRequest(`chunk larger than the ${room} bytes left in the block`);
    }
    throw error;
  }
}

function sendBlock(
  ctx: KodoGatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  policy: PutPolicy,
  block: BlockContext,
  chunk: Chunk,
): void {
  const secretKey = ctx.users.get(policy.accessKey)!;
  sendJson(res, 200, {
    ctx: encodeBlockContext(block, secretKey),
    checksum: chunk.checksum,
    crc32: chunk.crc32,
    offset: block.offset,
    host: `http://${req.headers.host ?? ''}`,
    expired_at: block.expiresAt,
  });
}

/** `POST /mkblk/<blockSize>`: starts a block with its first chunk. */
export async function handleMkblk(
  ctx: KodoGatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  blockSizeText: string | undefined,
): Promise<void> {
  const policy = uploadPolicy(ctx, req);
  const blockSize = parseCount(blockSizeText, 'block size', 1, BLOCK_SIZE);
  await ctx.backend.requireBucket(policy.bucket);
  const upload = await ctx.staging.create(policy.bucket, '', null);
  let chunk: Chunk;
  try {
    chunk = await receiveChunk(ctx, req, upload.uploadId, 1, blockSize, 0);
  } catch (error) {
    await ctx.staging.remove(upload.uploadId);
    throw error;
  }
  const block: BlockContext = {
    uploadId: upload.uploadId,
    bucket: policy.bucket,
    accessKey: policy.accessKey,
    blockSize,
    offset: chunk.size,
    chunks: 1,
    crc32: chunk.runningCrc32,
    expiresAt: Math.floor((upload.expiresAtMs ?? 0) / 1000),
  };
  sendBlock(ctx, req, res, policy, block, chunk);
}

/** The block a ctx names, while its staged upload is still there (701 once swept or assembled). */
function stagedBlock(ctx: KodoGatewayContext, policy: PutPolicy, text: string): BlockContext {
  const block = decodeBlockContext(text, ctx.users, policy.accessKey, policy.bucket);
  const upload = ctx.staging.get(block.uploadId);
  if (!upload || upload.bucket !== policy.bucket)
    throw ctxInvalid('its block is gone (expired or assembled)');
  return block;
}

/** `POST /bput/<ctx>/<offset>`: the block's next chunk, at the offset the ctx says it reached. */
export async function handleBput(
  ctx: KodoGatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  ctxText: string | undefined,
  offsetText: string | undefined,
): Promise<void> {
  const policy = uploadPolicy(ctx, req);
  const block = stagedBlock(ctx, policy, decodePath(ctxText ?? ''));
  const offset = parseCount(offsetText, 'offset', 0, BLOCK_SIZE);
  if (offset !== block.offset) {
    throw ctxInvalid(`offset ${offset} does not follow the ctx, whose block holds ${block.offset} bytes`);
  }
  if (block.offset >= block.blockSize) throw badRequest(`the block is complete (${block.blockSize} bytes)`);
  const room = block.blockSize - offset;
  const chunk = await receiveChunk(ctx, req, block.uploadId, block.chunks + 1, room, block.crc32);
  sendBlock(
    ctx,
    req,
    res,
    policy,
    { ...block, offset: offset + chunk.size, chunks: block.chunks + 1, crc32: chunk.runningCrc32 },
    chunk,
  );
}

interface MkfileParams {
  readonly fsize: number;
  readonly key: string | undefined;
  readonly mimeType: string | undefined;
  readonly fname: string;
  readonly customVars: Map<string, string>;
  readonly userMetadata: Record<string, string>;
}

/** `/mkfile/<fsize>/<name>/<b64 value>/...` */
export function parseMkfilePath(segments: readonly string[]): MkfileParams {
  const fsize = parseCount(segments[0], 'file size', 0, Number.MAX_SAFE_INTEGER);
  const rest = segments.slice(1);
  if (rest.length % 2 !== 0)
    throw badRequest('mkfile parameters come in pairs: /<name>/<url-safe base64 value>');
  const params = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 2) {
    const name = decodePath(rest[i]!);
    const value = fromUrlSafeBase64(decodePath(rest[i + 1]!));
    if (!value) throw badRequest(`mkfile parameter '${name}' is not URL-safe base64`);
    params.set(name, value.toString('utf8'));
  }
  const mimeType = params.get('mimeType');
  return {
    fsize,
    key: params.get('key'),
    mimeType: mimeType === '' ? undefined : mimeType,
    fname: params.get('fname') ?? '',
    customVars: new Map([...params].filter(([name]) => name.startsWith('x:'))),
    userMetadata: Object.fromEntries(
      [...params]
        .filter(([name]) => name.startsWith(META_PREFIX))
        .map(([name, value]) => [name.slice(META_PREFIX.length), value]),
    ),
  };
}

/** The blocks a ctx list names, in order, checked: complete, 4 MiB but the last, summing to fsize. */
function chooseBlocks(
  ctx: KodoGatewayContext,
  policy: PutPolicy,
  list: string,
  fsize: number,
): BlockContext[] {
  const texts = list
    .split(',')
    .map((text) => text.trim())
    .filter((text) => text !== '');
  const blocks = texts.map((text) => stagedBlock(ctx, policy, text));
  let total = 0;
  blocks.forEach((block, index) => {
    if (block.offset !== block.blockSize) {
      throw badRequest(`block ${index} is incomplete: ${block.offset} of ${block.blockSize} bytes`);
    }
    if (index < blocks.length - 1 && block.blockSize !== BLOCK_SIZE) {
      throw badRequest(
        `block ${index} is ${block.blockSize} bytes; every block but the last must be ${BLOCK_SIZE}`,
      );
    }
    total += block.blockSize;
  });
  if (total !== fsize) throw badRequest(`file size ${fsize} does not match the blocks' ${total} bytes`);
  return blocks;
}

/** The blocks' bytes in order, each checked against its ctx's size and CRC32 as it streams. */
async function* blockBytes(ctx: KodoGatewayContext, blocks: readonly BlockContext[]): AsyncGenerator<Buffer> {
  for (const [index, block] of blocks.entries()) {
    let crc = 0;
    let size = 0;
    const chunks = Array.from({ length: block.chunks }, (_, i) => i + 1);
    for await (const data of ctx.staging.readParts(block.uploadId, chunks)) {
      const buffer = data as Buffer;
      crc = crc32(buffer, crc);
      size += buffer.length;
      yield buffer;
    }
    if (size !== block.offset || crc !== block.crc32) {
      throw ctxInvalid(`block ${index} changed since its ctx was issued`);
    }
  }
}

/** `POST /mkfile/<fsize>/...`: assembles the blocks the ctx list names into the object. */
export async function handleMkfile(
  ctx: KodoGatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  segments: readonly string[],
): Promise<void> {
  const policy = uploadPolicy(ctx, req);
  const params = parseMkfilePath(segments);
  const key = resolveUploadKey(policy, policy.bucket, params.key);
  const list = (await readBody(req, MAX_CTX_LIST_BYTES)).toString('utf8');
  const blocks = chooseBlocks(ctx, policy, list, params.fsize);
  if (blocks.length === 0 && params.fsize !== 0) throw badRequest('no ctx given');
  const object = await putUpload(ctx, policy, key, blockBytes(ctx, blocks), {
    mimeType: params.mimeType,
    userMetadata: params.userMetadata,
  });
  for (const block of blocks) await ctx.staging.remove(block.uploadId);
  sendJson(res, 200, uploadResult(policy, object, { fname: params.fname, customVars: params.customVars }));
}

export function refuseMethod(): KodoError {
  return new KodoError(KODO_STATUS.METHOD_NOT_ALLOWED, 'resumable upload v1 calls are POST');
}
