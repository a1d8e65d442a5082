/**
 * The upload host: form upload (`POST /`, multipart/form-data, the token as a field) and
 * resumable upload v2 (`/buckets/<bucket>/objects/<b64u key | ~>/uploads[/<uploadId>[/<part>]]`,
 * `Authorization: UpToken <token>`). Bytes stream from the request into the store; parts are staged
 * on disk and streamed in order into one object at Complete. Resumable v2 is S3-style multipart
 * (numbered parts, MD5 etags, one Complete), so it uses the shared PartStaging as it is; only the
 * part number range, the etag comparison and the expiry are Kodo's. Resumable v1 (mkblk, bput,
 * mkfile) is in routes-upload-v1.ts; it ends in putUpload as these do.
 */

import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, Transform } from 'node:stream';
import { crc32 } from 'node:zlib';
import busboy from 'busboy';
import {
  chooseParts,
  PartTooLargeError,
  type StagedPart,
  type StagedUpload,
} from '../common/part-staging.js';
import { type PutPolicy, parseUploadToken, resolveUploadKey, upTokenFromHeaders } from './auth.js';
import type { KodoObject } from './backend.js';
import type { KodoGatewayContext } from './context.js';
import { badRequest, KODO_STATUS, KodoError, noSuchFile, sendError, sendJson } from './errors.js';
import { decodePath, drain, readBody } from './http-body.js';
import { QetagHasher } from './qetag.js';
import { uploadResult } from './upload-result.js';
import { fromUrlSafeBase64 } from './url-safe-base64.js';

const MAX_FIELD_BYTES = 1024 * 1024;
const MAX_COMPLETE_BODY = 4 * 1024 * 1024;
const MAX_PART_NUMBER = 10_000;
export const META_PREFIX = 'x-qn-meta-';

/** `POST /` with multipart/form-data: token, key, file, then x:vars, x-qn-meta-*, crc32. */
export function handleFormUpload(ctx: KodoGatewayContext, req: IncomingMessage, res: ServerResponse): void {
  if (!req.headers['content-type']?.toLowerCase().startsWith('multipart/form-data')) {
    drain(req);
    sendError(res, badRequest('form upload must be multipart/form-data'));
    return;
  }
  const fields = new Map<string, string>();
  // Filled as fields arrive; read only after the form has ended, before the object is committed.
  const userMetadata: Record<string, string> = {};
  let upload: Promise<{ policy: PutPolicy; object: KodoObject; fname: string }> | undefined;
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, limits: { fieldSize: MAX_FIELD_BYTES, files: 1 } });
  } catch (error) {
    drain(req);
    sendError(res, badRequest(`malformed multipart form: ${(error as Error).message}`));
    return;
  }
  const formEnded = new Promise<void>((resolve, reject) => {
    parser.on('close', resolve);
    parser.on('error', reject);
  });
  formEnded.catch(() => undefined); // Observed through `upload` or below.
  parser.on('field', (name, value) => {
    fields.set(name, value);
    if (name.startsWith(META_PREFIX)) userMetadata[name.slice(META_PREFIX.length)] = value;
  });
  let fileStream: Readable | undefined;
  parser.on('file', (name, stream, info) => {
    if (name !== 'file' || upload) {
      stream.resume();
      return;
    }
    fileStream = stream;
    upload = (async () => {
      const policy = parseUploadToken(fields.get('token'), ctx.users);
      const key = resolveUploadKey(policy, policy.bucket, fields.get('key'));
      let crc = 0;
      async function* counted(): AsyncGenerator<Buffer> {
        for await (const chunk of stream) {
          crc = crc32(chunk as Buffer, crc);
          yield chunk as Buffer;
        }
      }
      const object = await putUpload(ctx, policy, key, counted(), {
        mimeType: info.mimeType,
        userMetadata,
        beforeCommit: async () => {
          await formEnded;
          const sent = fields.get('crc32');
          if (sent !== undefined && sent !== '' && Number(sent) !== crc) {
            throw new KodoError(KODO_STATUS.CRC32_MISMATCH, 'crc32 mismatch');
          }
        },
      });
      return { policy, object, fname: info.filename ?? '' };
    })();
    upload.catch(() => stream.resume());
  });
  // A client that goes away mid-body must abort the write: pipe() alone would leave it hanging.
  req.on('close', () => {
    if (req.complete) return;
    const aborted = new KodoError(KODO_STATUS.BAD_REQUEST, 'upload interrupted');
    fileStream?.destroy(aborted);
    parser.destroy(aborted);
  });
  req.pipe(parser);
  void (async () => {
    try {
      await formEnded;
      if (!upload) throw badRequest('file not specified');
      const { policy, object, fname } = await upload;
      sendJson(res, 200, uploadResult(policy, object, { fname, customVars: customVarsOf(fields) }));
    } catch (error) {
      req.unpipe(parser);
      drain(req);
      sendError(res, error);
    }
  })();
}

function customVarsOf(fields: ReadonlyMap<string, string>): Map<string, string> {
  return new Map([...fields].filter(([name]) => name.startsWith('x:')));
}

export interface UploadOptions {
  readonly mimeType?: string;
  readonly userMetadata?: Readonly<Record<string, string>>;
  readonly beforeCommit?: () => Promise<void>;
}

/**
 * Writes an upload under the policy's rules (insertOnly, fsizeLimit). With no key, the object is
 * named by its hash: the bytes are staged on disk first, since the name is known only at the end.
 */
export async function putUpload(
  ctx: KodoGatewayContext,
  policy: PutPolicy,
  key: string | undefined,
  source: AsyncIterable<Buffer>,
  options: UploadOptions,
): Promise<KodoObject> {
  const putOptions = {
    overwrite: !policy.insertOnly,
    mimeType: options.mimeType,
    userMetadata: options.userMetadata,
    sizeLimit: policy.fsizeLimit,
  };
  if (key !== undefined) {
    return ctx.backend.put(policy.bucket, key, source, { ...putOptions, beforeCommit: options.beforeCommit });
  }
  await ctx.backend.requireBucket(policy.bucket);
  const spool = await ctx.staging.create(policy.bucket, '', null);
  try {
    const hasher = new QetagHasher();
    async function* hashed(): AsyncGenerator<Buffer> {
      for await (const chunk of source) {
        hasher.update(chunk);
        yield chunk;
      }
    }
    await ctx.staging.putPart(spool.uploadId, 1, [Readable.from(hashed())], policy.fsizeLimit);
    await options.beforeCommit?.();
    return await ctx.backend.put(
      policy.bucket,
      hasher.digest(),
      ctx.staging.readParts(spool.uploadId, [1]),
      putOptions,
    );
  } catch (error) {
    throw error instanceof PartTooLargeError ? new KodoError(KODO_STATUS.TOO_LARGE, error.message) : error;
  } finally {
    await ctx.staging.remove(spool.uploadId);
  }
}

// --- Resumable upload v2 -----------------------------------------------------------------------

/** The parsed path of a resumable upload v2 call. */
export interface ResumablePath {
  readonly bucket: string;
  /** Undefined for `~` (no key given). */
  readonly key: string | undefined;
  readonly uploadId?: string;
  readonly partNumber?: number;
}

/** Parses `/buckets/<bucket>/objects/<encKey>/uploads[/<id>[/<n>]]`; undefined when it is not one. */
export function parseResumablePath(pathname: string): ResumablePath | undefined {
  const match = /^\/buckets\/([^/]+)\/objects\/([^/]+)\/uploads(?:\/([^/]+)(?:\/([^/]+))?)?\/?$/.exec(
    pathname,
  );
  if (!match) return undefined;
  const [, bucket, encodedKey, uploadId, part] = match;
  let key: string | undefined;
  if (encodedKey !== '~') {
    const decoded = fromUrlSafeBase64(decodePath(encodedKey!));
    if (!decoded) throw badRequest('invalid encoded object name');
    key = decoded.toString('utf8');
  }
  let partNumber: number | undefined;
  if (part !== undefined) {
    partNumber = Number(part);
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
      throw badRequest(`invalid part number '${part}' (1 to ${MAX_PART_NUMBER})`);
    }
  }
  return { bucket: decodePath(bucket!), key, uploadId, partNumber };
}

export async function handleResumable(
  ctx: KodoGatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: ResumablePath,
): Promise<void> {
  const policy = parseUploadToken(upTokenFromHeaders(req.headers), ctx.users);
  const key = resolveUploadKey(policy, path.bucket, path.key);
  if (key === undefined) throw badRequest('resumable uploads need a key (or a token whose scope names one)');
  const method = req.method ?? 'GET';
  if (path.uploadId === undefined) {
    if (method !== 'POST') throw new KodoError(KODO_STATUS.METHOD_NOT_ALLOWED, 'method not allowed');
    drain(req);
    await ctx.backend.requireBucket(path.bucket);
    const upload = await ctx.staging.create(path.bucket, key, null);
    sendJson(res, 200, { uploadId: upload.uploadId, expireAt: expireAt(upload) });
    return;
  }
  const upload = ctx.staging.get(path.uploadId);
  if (!upload || upload.bucket !== path.bucket || upload.key !== key) throw noSuchFile();
  const uploadId = upload.uploadId;
  if (path.partNumber !== undefined) {
    if (method !== 'PUT') throw new KodoError(KODO_STATUS.METHOD_NOT_ALLOWED, 'method not allowed');
    let part: StagedPart;
    try {
      part = await ctx.staging.putPart(
        uploadId,
        path.partNumber,
        [req, ...md5Checked(req.headers['content-md5'])],
        ctx.maxPartSize,
      );
    } catch (error) {
      drain(req);
      throw error instanceof PartTooLargeError ? new KodoError(KODO_STATUS.TOO_LARGE, error.message) : error;
    }
    sendJson(res, 200, { etag: part.md5, md5: part.md5 });
    return;
  }
  switch (method) {
    case 'GET': {
      drain(req);
      const parts = ctx.staging.listParts(uploadId);
      sendJson(res, 200, {
        uploadId,
        expireAt: expireAt(upload),
        partNumberMarker: 0,
        parts: parts.map((p) => ({
          size: p.size,
          etag: p.md5,
          partNumber: p.partNumber,
          putTime: Math.floor(p.mtimeMs / 1000),
        })),
      });
      return;
    }
    case 'DELETE':
      drain(req);
      await ctx.staging.remove(uploadId);
      sendJson(res, 200, {});
      return;
    case 'POST':
      await completeUpload(ctx, req, res, policy, key, uploadId);
      return;
    default:
      drain(req);
      throw new KodoError(KODO_STATUS.METHOD_NOT_ALLOWED, 'method not allowed');
  }
}

/** When an upload expires, s since the epoch (every Kodo upload expires). */
function expireAt(upload: StagedUpload<null>): number {
  return Math.floor((upload.expiresAtMs ?? 0) / 1000);
}

/** Both forms clients send: hex (the Node SDK) and base64 (RFC 1864). */
/**
 * A part's Content-MD5 (hex, or base64), checked once its last byte has passed and before it is
 * staged: Kodo refuses a part whose body does not match it and keeps nothing of it (upload part,
 * resumable upload v2: "Content-MD5 ... 服务端会校验").
 */
function md5Checked(sent: string | string[] | undefined): Transform[] {
  if (typeof sent !== 'string') return [];
  const hash = createHash('md5');
  return [
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
      flush(callback) {
        const hex = hash.digest('hex');
        callback(sameMd5(sent, hex) ? null : badRequest('Content-MD5 does not match the part received'));
      },
    }),
  ];
}

function sameMd5(sent: string, hex: string): boolean {
  return sent.toLowerCase() === hex || sent === Buffer.from(hex, 'hex').toString('base64');
}

interface CompleteBody {
  readonly parts: readonly { etag: string; partNumber: number }[];
  readonly fname: string;
  readonly mimeType: string | undefined;
  readonly customVars: Map<string, string>;
  readonly userMetadata: Record<string, string>;
}

function parseCompleteBody(body: Buffer): CompleteBody {
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('complete body must be JSON');
  }
  if (typeof raw !== 'object' || raw === null) throw badRequest('complete body must be a JSON object');
  const record = raw as Record<string, unknown>;
  if (!Array.isArray(record.parts) || record.parts.length === 0)
    throw badRequest('parts must be a non-empty array');
  const parts = record.parts.map((part: unknown) => {
    const p = (typeof part === 'object' && part !== null ? part : {}) as Record<string, unknown>;
    if (typeof p.etag !== 'string' || typeof p.partNumber !== 'number') {
      throw badRequest('each part needs an etag and a partNumber');
    }
    return { etag: p.etag, partNumber: p.partNumber };
  });
  const stringsOf = (value: unknown): [string, string][] =>
    typeof value === 'object' && value !== null
      ? Object.entries(value).flatMap(([k, v]) =>
          v === null || v === undefined ? [] : [[k, String(v)] as [string, string]],
        )
      : [];
  return {
    parts,
    fname: typeof record.fname === 'string' ? record.fname : '',
    mimeType: typeof record.mimeType === 'string' && record.mimeType !== '' ? record.mimeType : undefined,
    customVars: new Map(stringsOf(record.customVars).filter(([k]) => k.startsWith('x:'))),
    userMetadata: Object.fromEntries(
      stringsOf(record.metadata)
        .filter(([k]) => k.startsWith(META_PREFIX))
        .map(([k, v]) => [k.slice(META_PREFIX.length), v]),
    ),
  };
}

async function completeUpload(
  ctx: KodoGatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  policy: PutPolicy,
  key: string,
  uploadId: string,
): Promise<void> {
  const body = parseCompleteBody(await readBody(req, MAX_COMPLETE_BODY));
  const chosen = chooseParts(ctx.staging.listParts(uploadId), body.parts, {
    minPartSize: ctx.minPartSize,
    matches: (part, sent) => part.md5 === sent,
    noParts: () => badRequest('parts must be a non-empty array'),
    outOfOrder: () => badRequest('parts must be listed in ascending partNumber order'),
    notStaged: (partNumber) => badRequest(`part ${partNumber} was not uploaded with that etag`),
    tooSmall: (part) =>
      badRequest(`part ${part.partNumber} is smaller than ${ctx.minPartSize} bytes and is not the last part`),
  });
  const source = ctx.staging.readParts(
    uploadId,
    chosen.map((part) => part.partNumber),
  );
  const object = await putUpload(ctx, policy, key, source, {
    mimeType: body.mimeType,
    userMetadata: body.userMetadata,
  });
  await ctx.staging.remove(uploadId);
  sendJson(res, 200, uploadResult(policy, object, { fname: body.fname, customVars: body.customVars }));
}
