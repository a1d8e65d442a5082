/**
 * The raw object operations on the official ali-oss SDK, for ObjectUnderStore. ali-oss makes one
 * attempt per call (retryMax 0): retries and deadlines are the object-store layers'. It takes no
 * AbortSignal, so an aborted call rejects at once and its request body (if any) is destroyed, which
 * ends the upload; a GET's response stream is destroyed when the signal aborts while it is read.
 */
import type { Readable } from 'node:stream';
import { TierfsError } from '../../errors.js';
import { type BodyDigests, bodyDigests } from '../object/body-digest.js';
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
import type { AliOssApi, AliOssListedObject, AliOssTimeout } from './ali-oss-api.js';
import { toOssError } from './oss-errors.js';

export interface OssObjectClientOptions {
  readonly oss: AliOssApi;
  readonly bucket: string;
  /** ListObjects (v1, marker) or ListObjectsV2 (continuation token). */
  readonly listVersion: 1 | 2;
  /** Connect and response timeouts of every request. */
  readonly timeout: AliOssTimeout;
  /** Releases the connection pools. */
  readonly close?: () => void;
}

export class OssObjectClient implements ObjectClient {
  readonly bucket: string;
  private readonly oss: AliOssApi;
  private readonly timeout: AliOssTimeout;

  constructor(private readonly options: OssObjectClientOptions) {
    this.bucket = options.bucket;
    this.oss = options.oss;
    this.timeout = options.timeout;
  }

  /** Runs one SDK call, mapping its failure; rejects as soon as `signal` aborts. */
  private async call<T>(
    operation: string,
    key: string | undefined,
    signal: AbortSignal | undefined,
    run: () => Promise<T>,
    onAbort?: (reason: unknown) => void,
  ): Promise<T> {
    signal?.throwIfAborted();
    let stop: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      if (!signal) return;
      const listener = () => {
        onAbort?.(signal.reason);
        reject(signal.reason);
      };
      signal.addEventListener('abort', listener, { once: true });
      stop = () => signal.removeEventListener('abort', listener);
    });
    const running = run();
    try {
      return await Promise.race([running, aborted]);
    } catch (error) {
      if (signal?.aborted) {
        running.catch(() => undefined);
        throw error;
      }
      throw toOssError(error, operation, this.bucket, key);
    } finally {
      stop?.();
    }
  }

  async headObject(key: string, options: RequestOptions = {}): Promise<ObjectInfo | undefined> {
    try {
      const head = await this.call('HeadObject', key, options.signal, () =>
        this.oss.head(key, { timeout: this.timeout }),
      );
      const headers = head.res.headers;
      return {
        key,
        size: Number(header(headers['content-length']) ?? 0),
        mtimeMs: Date.parse(header(headers['last-modified']) ?? '') || 0,
        etag: unquote(header(headers.etag)),
      };
    } catch (error) {
      if (
        error instanceof TierfsError &&
        error.code === 'NOT_FOUND' &&
        error.details.ossCode !== 'NoSuchBucket'
      ) {
        return undefined;
      }
      throw error;
    }
  }

  async getObject(
    key: string,
    range?: { start: number; end: number },
    options: GetObjectOptions = {},
  ): Promise<Readable> {
    const headers: Record<string, string> = range ? { Range: `bytes=${range.start}-${range.end}` } : {};
    if (options.ifMatch !== undefined) headers['If-Match'] = `"${options.ifMatch}"`;
    const { stream } = await this.call('GetObject', key, options.signal, () =>
      this.oss.getStream(key, { timeout: this.timeout, headers }),
    );
    try {
      // OSS answers a failed If-Match with 412 PreconditionFailed; anything that ignores it is caught here.
      checkAnsweredEtag(
        options.ifMatch,
        header(stream.headers.etag),
        false,
        `GetObject oss://${this.bucket}/${key}`,
      );
    } catch (error) {
      // Dropped unread: an abort error it may emit has no one to tell.
      stream.on('error', () => undefined);
      stream.destroy();
      throw error;
    }
    const signal = options.signal;
    if (signal) {
      const destroy = () => stream.destroy(signal.reason instanceof Error ? signal.reason : undefined);
      signal.addEventListener('abort', destroy, { once: true });
      stream.once('close', () => signal.removeEventListener('abort', destroy));
    }
    return stream;
  }

  async putObject(key: string, body: ObjectBody, options: PutOptions = {}): Promise<string | undefined> {
    const digests = await bodyDigests(body);
    const stream = body.open();
    const answer = await this.call(
      'PutObject',
      key,
      options.signal,
      () =>
        this.oss.putStream(key, stream, {
          timeout: this.timeout,
          contentLength: body.length,
          mime: options.contentType,
          headers: { 'Content-MD5': digests.md5Base64 },
        }),
      (reason) => stream.destroy(reason instanceof Error ? reason : undefined),
    );
    this.checkCrc64('PutObject', key, answer, digests);
    return answeredEtag(answer);
  }

  /**
   * OSS answers a write with the CRC-64/ECMA of what it stored (x-oss-hash-crc64ecma): one that
   * is not the CRC of the bytes sent fails the write (retryably), as Alibaba's SDKs check it.
   */
  private checkCrc64(operation: string, key: string, answer: unknown, digests: BodyDigests): void {
    const headers = (answer as { res?: { headers?: Record<string, unknown> } } | undefined)?.res?.headers;
    const stored = headers?.['x-oss-hash-crc64ecma'];
    if (typeof stored !== 'string' || stored === digests.crc64ecma) return;
    throw new TierfsError(
      'UNAVAILABLE',
      `OSS ${operation} oss://${this.bucket}/${key}: OSS stored bytes whose CRC-64 is ${stored}, not ${digests.crc64ecma} of those sent`,
      { retryable: true },
    );
  }

  /** OSS copies at most 1 GiB in one CopyObject (copy-limits.ts). */
  get singleCopyLimit(): number {
    return COPY_LIMITS.oss;
  }

  async copyObject(source: string, destination: string, options: RequestOptions = {}): Promise<CopiedObject> {
    const answer = await this.call('CopyObject', source, options.signal, () =>
      this.oss.copy(destination, source, { timeout: this.timeout }),
    );
    const mtimeMs = answer.data?.lastModified ? Date.parse(answer.data.lastModified) : Number.NaN;
    return {
      etag: unquote(answer.data?.etag),
      mtimeMs: Number.isFinite(mtimeMs) ? mtimeMs : undefined,
    };
  }

  async uploadPartCopy(
    key: string,
    uploadId: string,
    partNumber: number,
    source: string,
    range: { start: number; end: number },
    options: RequestOptions = {},
  ): Promise<string> {
    const { etag } = await this.call('UploadPartCopy', key, options.signal, () =>
      this.oss.uploadPartCopy(
        key,
        uploadId,
        partNumber,
        `${range.start}-${range.end}`,
        { sourceKey: source, sourceBucketName: this.bucket },
        { timeout: this.timeout },
      ),
    );
    const unquoted = unquote(etag);
    if (!unquoted)
      throw new TierfsError('INTERNAL', `OSS returned no etag for copied part ${partNumber} of ${key}`);
    return unquoted;
  }

  async deleteObject(key: string, options: RequestOptions = {}): Promise<void> {
    await this.call('DeleteObject', key, options.signal, () =>
      this.oss.delete(key, { timeout: this.timeout }),
    );
  }

  /** DeleteMultipleObjects in verbose mode: a key OSS does not report as deleted is a failure. */
  async deleteObjects(keys: readonly string[], options: RequestOptions = {}): Promise<void> {
    if (keys.length === 0) return;
    const result = await this.call('DeleteMultipleObjects', keys[0], options.signal, () =>
      this.oss.deleteMulti([...keys], { timeout: this.timeout, quiet: false }),
    );
    const deleted = new Set((result.deleted ?? []).map((d) => (typeof d === 'string' ? d : (d.Key ?? ''))));
    const missing = keys.filter((k) => !deleted.has(k));
    if (missing.length > 0) {
      throw new TierfsError(
        'UNAVAILABLE',
        `DeleteMultipleObjects oss://${this.bucket}/: ${missing.length} of ${keys.length} keys were not deleted ` +
          `(first: ${missing[0]})`,
        {
          retryable: true,
          details: { bucket: this.bucket, key: missing[0], operation: 'DeleteMultipleObjects' },
        },
      );
    }
  }

  async listObjects(request: ListObjectsRequest, options: RequestOptions = {}): Promise<ListObjectsResponse> {
    const query: Record<string, string | number> = { prefix: request.prefix, 'max-keys': request.maxKeys };
    if (request.delimiter) query.delimiter = request.delimiter;
    if (this.options.listVersion === 1) {
      const marker = request.token ?? request.startAfter;
      if (marker !== undefined) query.marker = marker;
      const page = await this.call('ListObjects', request.prefix, options.signal, () =>
        this.oss.list(query, { timeout: this.timeout }),
      );
      const objects = (page.objects ?? []).map(toInfo);
      const prefixes = [...(page.prefixes ?? [])];
      const last = [objects.at(-1)?.key, prefixes.at(-1)]
        .filter((k): k is string => k !== undefined)
        .sort()
        .at(-1);
      return { objects, prefixes, nextToken: page.isTruncated ? (page.nextMarker ?? last) : undefined };
    }
    if (request.token !== undefined) query['continuation-token'] = request.token;
    else if (request.startAfter !== undefined) query['start-after'] = request.startAfter;
    const page = await this.call('ListObjectsV2', request.prefix, options.signal, () =>
      this.oss.listV2(query, { timeout: this.timeout }),
    );
    return {
      objects: (page.objects ?? []).map(toInfo),
      prefixes: [...(page.prefixes ?? [])],
      nextToken: page.isTruncated ? (page.nextContinuationToken ?? undefined) : undefined,
    };
  }

  async initiateMultipartUpload(key: string, options: PutOptions = {}): Promise<string> {
    const { uploadId } = await this.call('InitiateMultipartUpload', key, options.signal, () =>
      this.oss.initMultipartUpload(key, { timeout: this.timeout, mime: options.contentType }),
    );
    if (!uploadId)
      throw new TierfsError('INTERNAL', `OSS returned no upload id for oss://${this.bucket}/${key}`);
    return uploadId;
  }

  async uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: ObjectBody,
    options: RequestOptions = {},
  ): Promise<string> {
    const digests = await bodyDigests(body);
    const stream = body.open();
    const answer = await this.call(
      'UploadPart',
      key,
      options.signal,
      () =>
        this.oss.uploadPart(key, uploadId, partNumber, stream, 0, body.length, {
          timeout: this.timeout,
          headers: { 'Content-MD5': digests.md5Base64 },
        }),
      (reason) => stream.destroy(reason instanceof Error ? reason : undefined),
    );
    this.checkCrc64(`UploadPart ${partNumber}`, key, answer, digests);
    const { etag } = answer;
    if (!etag) throw new TierfsError('INTERNAL', `OSS returned no etag for part ${partNumber} of ${key}`);
    return etag;
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
    options: RequestOptions = {},
  ): Promise<string | undefined> {
    const answer = await this.call('CompleteMultipartUpload', key, options.signal, () =>
      this.oss.completeMultipartUpload(
        key,
        uploadId,
        parts.map((p) => ({ number: p.partNumber, etag: p.etag })),
        { timeout: this.timeout },
      ),
    );
    return answeredEtag(answer);
  }

  async abortMultipartUpload(key: string, uploadId: string, options: RequestOptions = {}): Promise<void> {
    await this.call('AbortMultipartUpload', key, options.signal, () =>
      this.oss.abortMultipartUpload(key, uploadId, { timeout: this.timeout }),
    );
  }

  async listMultipartUploads(
    prefix: string,
    token?: string,
    options: RequestOptions = {},
  ): Promise<ListMultipartUploadsResponse> {
    const query: Record<string, string | number> = { 'max-uploads': 1000 };
    if (prefix !== '') query.prefix = prefix;
    if (token) {
      const [keyMarker, uploadIdMarker] = JSON.parse(token) as [string, string];
      query['key-marker'] = keyMarker;
      query['upload-id-marker'] = uploadIdMarker;
    }
    const page = await this.call('ListMultipartUploads', prefix, options.signal, () =>
      this.oss.listUploads(query, { timeout: this.timeout }),
    );
    return {
      uploads: (page.uploads ?? []).flatMap((u) =>
        u.name && u.uploadId
          ? [{ key: u.name, uploadId: u.uploadId, initiatedMs: Date.parse(u.initiated ?? '') || 0 }]
          : [],
      ),
      nextToken: page.isTruncated
        ? JSON.stringify([page.nextKeyMarker ?? '', page.nextUploadIdMarker ?? ''])
        : undefined,
    };
  }

  async close(): Promise<void> {
    this.options.close?.();
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function unquote(etag: string | undefined): string | undefined {
  return etag?.replace(/"/g, '') || undefined;
}

function toInfo(object: AliOssListedObject): ObjectInfo {
  return {
    key: object.name,
    size: Number(object.size) || 0,
    mtimeMs: Date.parse(object.lastModified) || 0,
    etag: unquote(object.etag),
  };
}

/** The ETag header (without quotes) of an ali-oss answer (`{ res: { headers } }`), when it has one. */
function answeredEtag(answer: unknown): string | undefined {
  const headers = (answer as { res?: { headers?: Record<string, unknown> } } | undefined)?.res?.headers;
  const etag = headers?.etag;
  return typeof etag === 'string' ? etag.replace(/"/g, '') || undefined : undefined;
}
