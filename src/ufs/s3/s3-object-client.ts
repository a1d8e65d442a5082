/** The raw object operations on `@aws-sdk/client-s3`, for ObjectUnderStore. */
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { isTierfsError, TierfsError } from '../../errors.js';
import { COPY_LIMITS } from '../object/copy-limits.js';
import type {
  CompletedPart,
  CopiedObject,
  GetObjectOptions,
  ListMultipartUploadsResponse,
  ListObjectsRequest,
  ListObjectsResponse,
  ObjectBody,
  ObjectClient,
  ObjectInfo,
  PutOptions,
  RequestOptions,
} from '../object/object-client.js';
import { checkAnsweredEtag } from '../object/object-version.js';
import { type ParsedListV2, parseListObjectsV2, unquoteEtag } from './list-objects-v2-xml.js';
import { toS3Error } from './s3-errors.js';
import { SMALL_GET_MAX_BYTES, type SmallGet } from './s3-small-get.js';
import { STREAM_GET_MIN_BYTES, type StreamGet } from './s3-stream-get.js';

export interface S3ObjectClientOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Write objects with SSE-S3 (`x-amz-server-side-encryption: AES256`). */
  readonly serverSideEncryption: boolean;
  /** ListObjects (v1, marker) instead of ListObjectsV2. */
  readonly listObjectsV1: boolean;
  /** Serves ranged GETs of at most SMALL_GET_MAX_BYTES without the SDK (s3-small-get.ts). */
  readonly smallGet?: SmallGet;
  /** Serves ranged GETs of STREAM_GET_MIN_BYTES or more without the SDK, the body read into slabs (s3-stream-get.ts). */
  readonly streamGet?: StreamGet;
}

/**
 * `command` signed with its body's SHA-256 when the body is no in-memory buffer but can give its
 * hash (a range of a local file): the SDK signs a stream as UNSIGNED-PAYLOAD, and the store could
 * not tell bytes changed on the way. The signer takes an `x-amz-content-sha256` header already on
 * the request as the payload's hash.
 */
async function signedPayload<C extends PutObjectCommand | UploadPartCommand>(
  command: C,
  body: ObjectBody,
): Promise<C> {
  if (body.bytes || !body.sha256 || body.length === 0) return command;
  const sha256 = await body.sha256();
  // Both commands' stacks take the same build step; one of them names the type.
  (command.middlewareStack as PutObjectCommand['middlewareStack']).add(
    (next) => (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-amz-content-sha256'] = sha256;
      return next(args);
    },
    { step: 'build', name: 'tierfsPayloadSha256' },
  );
  return command;
}

export class S3ObjectClient implements ObjectClient {
  readonly bucket: string;
  private readonly s3: S3Client;
  private readonly sse: { ServerSideEncryption?: 'AES256' };

  constructor(private readonly options: S3ObjectClientOptions) {
    this.bucket = options.bucket;
    this.s3 = options.client;
    this.sse = options.serverSideEncryption ? { ServerSideEncryption: 'AES256' } : {};
  }

  private async call<T>(operation: string, key: string | undefined, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toS3Error(error, operation, this.bucket, key);
    }
  }

  async headObject(key: string, options: RequestOptions = {}): Promise<ObjectInfo | undefined> {
    try {
      const head = await this.call('HeadObject', key, () =>
        this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), {
          abortSignal: options.signal,
        }),
      );
      return {
        key,
        size: head.ContentLength ?? 0,
        mtimeMs: head.LastModified?.getTime() ?? 0,
        etag: unquote(head.ETag),
      };
    } catch (error) {
      if (isTierfsError(error, 'NOT_FOUND') && error.details.s3Code !== 'NoSuchBucket') return undefined;
      throw error;
    }
  }

  getObject(
    key: string,
    range?: { start: number; end: number },
    options: GetObjectOptions = {},
  ): Promise<Readable> {
    const small = this.options.smallGet;
    if (small?.enabled && options.wholeRead && range && range.end - range.start < SMALL_GET_MAX_BYTES) {
      return small
        .get({ key, range, ifMatch: options.ifMatch, signal: options.signal })
        .then((body) => body ?? this.getObject(key, range, options));
    }
    const stream = this.options.streamGet;
    if (stream?.enabled && range && range.end - range.start + 1 >= STREAM_GET_MIN_BYTES) {
      return stream
        .get({ key, range, ifMatch: options.ifMatch, signal: options.signal })
        .then((body) => body ?? this.sdkGetObject(key, range, options));
    }
    return this.sdkGetObject(key, range, options);
  }

  private sdkGetObject(
    key: string,
    range: { start: number; end: number } | undefined,
    options: GetObjectOptions,
  ): Promise<Readable> {
    return this.call('GetObject', key, async () => {
      const response = await this.s3.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
          IfMatch: options.ifMatch === undefined ? undefined : `"${options.ifMatch}"`,
        }),
        { abortSignal: options.signal },
      );
      const body = response.Body as Readable;
      try {
        // S3 answers a failed If-Match with 412; a server that ignores If-Match is caught here.
        checkAnsweredEtag(options.ifMatch, response.ETag, false, `GetObject s3://${this.bucket}/${key}`);
      } catch (error) {
        // Dropped unread: an abort error it may emit has no one to tell.
        body.on('error', () => undefined);
        body.destroy();
        throw error;
      }
      return body;
    });
  }

  async putObject(key: string, body: ObjectBody, options: PutOptions = {}): Promise<string | undefined> {
    const response = await this.call('PutObject', key, async () =>
      this.s3.send(
        await signedPayload(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: body.bytes ?? body.open(),
            ContentLength: body.length,
            ContentType: options.contentType,
            ...this.sse,
          }),
          body,
        ),
        { abortSignal: options.signal },
      ),
    );
    return unquote(response.ETag);
  }

  /** S3 copies at most 5 GiB in one CopyObject (copy-limits.ts). */
  get singleCopyLimit(): number {
    return COPY_LIMITS.s3;
  }

  async copyObject(source: string, destination: string, options: RequestOptions = {}): Promise<CopiedObject> {
    const response = await this.call('CopyObject', source, () =>
      this.s3.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: destination,
          CopySource: this.copySource(source),
          ...this.sse,
        }),
        { abortSignal: options.signal },
      ),
    );
    const result = response.CopyObjectResult;
    return { etag: unquote(result?.ETag), mtimeMs: result?.LastModified?.getTime() };
  }

  async uploadPartCopy(
    key: string,
    uploadId: string,
    partNumber: number,
    source: string,
    range: { start: number; end: number },
    options: RequestOptions = {},
  ): Promise<string> {
    const response = await this.call('UploadPartCopy', key, () =>
      this.s3.send(
        new UploadPartCopyCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          CopySource: this.copySource(source),
          CopySourceRange: `bytes=${range.start}-${range.end}`,
        }),
        { abortSignal: options.signal },
      ),
    );
    const etag = unquote(response.CopyPartResult?.ETag);
    if (!etag)
      throw new TierfsError('INTERNAL', `S3 returned no etag for copied part ${partNumber} of ${key}`);
    return etag;
  }

  /** `bucket/key` as x-amz-copy-source takes it (each segment URL-encoded). */
  private copySource(source: string): string {
    return `${this.bucket}/${source.split('/').map(encodeURIComponent).join('/')}`;
  }

  async deleteObject(key: string, options: RequestOptions = {}): Promise<void> {
    await this.call('DeleteObject', key, () =>
      this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), {
        abortSignal: options.signal,
      }),
    );
  }

  async deleteObjects(keys: readonly string[], options: RequestOptions = {}): Promise<void> {
    if (keys.length === 0) return;
    const response = await this.call('DeleteObjects', keys[0], () =>
      this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
        }),
        { abortSignal: options.signal },
      ),
    );
    const failed = (response.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
    if (failed.length > 0) {
      const first = failed[0]!;
      throw toS3Error(
        Object.assign(new Error(first.Message ?? 'delete failed'), { name: first.Code ?? 'InternalError' }),
        `DeleteObjects (${failed.length} of ${keys.length} keys failed)`,
        this.bucket,
        first.Key,
      );
    }
  }

  async listObjects(request: ListObjectsRequest, options: RequestOptions = {}): Promise<ListObjectsResponse> {
    const base = {
      Bucket: this.bucket,
      Prefix: request.prefix,
      Delimiter: request.delimiter,
      MaxKeys: request.maxKeys,
    };
    if (this.options.listObjectsV1) {
      const page = await this.call('ListObjects', request.prefix, () =>
        this.s3.send(new ListObjectsCommand({ ...base, Marker: request.token ?? request.startAfter }), {
          abortSignal: options.signal,
        }),
      );
      const objects = (page.Contents ?? []).map(toInfo);
      const prefixes = (page.CommonPrefixes ?? []).flatMap((p) => (p.Prefix ? [p.Prefix] : []));
      // Without a delimiter S3 sends no NextMarker: the last key is the marker.
      const last = [objects.at(-1)?.key, prefixes.at(-1)]
        .filter((k): k is string => k !== undefined)
        .sort()
        .at(-1);
      return { objects, prefixes, nextToken: page.IsTruncated ? (page.NextMarker ?? last) : undefined };
    }
    const command = new ListObjectsV2Command({
      ...base,
      ContinuationToken: request.token,
      StartAfter: request.token === undefined ? request.startAfter : undefined,
    });
    const parsed = parseOwnAnswer(command);
    const page = await this.call('ListObjectsV2', request.prefix, () =>
      this.s3.send(command, { abortSignal: options.signal }),
    );
    const own = parsed();
    if (own) {
      return {
        objects: own.objects,
        prefixes: own.prefixes,
        nextToken: own.truncated ? own.nextToken : undefined,
      };
    }
    return {
      objects: (page.Contents ?? []).map(toInfo),
      prefixes: (page.CommonPrefixes ?? []).flatMap((p) => (p.Prefix ? [p.Prefix] : [])),
      nextToken: page.IsTruncated ? page.NextContinuationToken : undefined,
    };
  }

  async initiateMultipartUpload(key: string, options: PutOptions = {}): Promise<string> {
    const response = await this.call('CreateMultipartUpload', key, () =>
      this.s3.send(
        new CreateMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          ContentType: options.contentType,
          ...this.sse,
        }),
        { abortSignal: options.signal },
      ),
    );
    if (!response.UploadId)
      throw new TierfsError('INTERNAL', `S3 returned no upload id for s3://${this.bucket}/${key}`);
    return response.UploadId;
  }

  async uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: ObjectBody,
    options: RequestOptions = {},
  ): Promise<string> {
    const response = await this.call('UploadPart', key, async () =>
      this.s3.send(
        await signedPayload(
          new UploadPartCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: body.bytes ?? body.open(),
            ContentLength: body.length,
          }),
          body,
        ),
        { abortSignal: options.signal },
      ),
    );
    if (!response.ETag)
      throw new TierfsError('INTERNAL', `S3 returned no etag for part ${partNumber} of ${key}`);
    return response.ETag;
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
    options: RequestOptions = {},
  ): Promise<string | undefined> {
    const response = await this.call('CompleteMultipartUpload', key, () =>
      this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
        }),
        { abortSignal: options.signal },
      ),
    );
    return unquote(response.ETag);
  }

  async abortMultipartUpload(key: string, uploadId: string, options: RequestOptions = {}): Promise<void> {
    await this.call('AbortMultipartUpload', key, () =>
      this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }), {
        abortSignal: options.signal,
      }),
    );
  }

  async listMultipartUploads(
    prefix: string,
    token?: string,
    options: RequestOptions = {},
  ): Promise<ListMultipartUploadsResponse> {
    const [keyMarker, uploadIdMarker] = token ? (JSON.parse(token) as [string, string]) : [];
    const page = await this.call('ListMultipartUploads', prefix, () =>
      this.s3.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: prefix === '' ? undefined : prefix,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
        { abortSignal: options.signal },
      ),
    );
    return {
      uploads: (page.Uploads ?? []).flatMap((u) =>
        u.Key && u.UploadId
          ? [{ key: u.Key, uploadId: u.UploadId, initiatedMs: u.Initiated?.getTime() ?? 0 }]
          : [],
      ),
      nextToken: page.IsTruncated
        ? JSON.stringify([page.NextKeyMarker ?? '', page.NextUploadIdMarker ?? ''])
        : undefined,
    };
  }

  async close(): Promise<void> {
    await this.options.smallGet?.close();
    await this.options.streamGet?.close();
    this.s3.destroy();
  }
}

const unquote = unquoteEtag;

/** What the SDK's parse of a ListObjectsV2 answer that tierfs parsed itself is given instead. */
const EMPTY_LIST = new TextEncoder().encode('<ListBucketResult></ListBucketResult>');

/**
 * Parses a successful ListObjectsV2 answer with parseListObjectsV2 instead of the SDK's generic
 * XML parse (its cost is on every listing page's path): a step of the command's own middleware,
 * inside the SDK's deserializer, takes the answer's body, and when it is a `<ListBucketResult>`
 * hands the SDK an empty one. Signing, retries and errors stay the SDK's: an error status, or a
 * body the parser does not take, reaches the SDK unchanged. The returned function gives the
 * parsed answer of the command's last attempt, if it was parsed here.
 */
function parseOwnAnswer(command: ListObjectsV2Command): () => ParsedListV2 | undefined {
  let parsed: ParsedListV2 | undefined;
  command.middlewareStack.add(
    (next) => async (args) => {
      parsed = undefined;
      const result = await next(args);
      const response = result.response as { statusCode?: number; body?: unknown };
      if (response.statusCode === 200 && response.body) {
        const bytes = await collectBody(response.body);
        parsed = parseListObjectsV2(new TextDecoder().decode(bytes));
        response.body = parsed ? EMPTY_LIST.slice() : bytes; // a copy: the SDK may adapt what it is given
      }
      return result;
    },
    { step: 'deserialize', priority: 'low', name: 'tierfsListObjectsV2Parser', override: true },
  );
  return () => parsed;
}

async function collectBody(body: unknown): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks);
}

function toInfo(object: { Key?: string; Size?: number; LastModified?: Date; ETag?: string }): ObjectInfo {
  return {
    key: object.Key ?? '',
    size: object.Size ?? 0,
    mtimeMs: object.LastModified?.getTime() ?? 0,
    etag: unquote(object.ETag),
  };
}
