/**
 * The raw object operations on Qiniu Kodo, for ObjectUnderStore:
 *
 * - management through the qiniu SDK's BucketManager (rs: stat, copy, move, delete, batch delete; rsf:
 *   list with marker and delimiter), its loosely typed answers narrowed here;
 * - small files through the SDK's FormUploader, with an upload token scoped to `bucket:key` (a
 *   bucket-wide token would refuse to overwrite);
 * - large files through resumable upload v2 (KodoResumableUpload), part by part;
 * - reads as Alluxio's KodoUnderFileSystem does them: a private download URL signed for the download
 *   host, sent as a ranged GET to the endpoint (io host) with `Host: <downloadhost>`.
 *
 * Kodo cannot list unfinished resumable uploads, so listMultipartUploads finds none: an upload the
 * writer could not abort expires on Kodo's side (after 7 days).
 */
import type { Readable } from 'node:stream';
import qiniu from 'qiniu';
import { compareKeys } from '../object/list-cursor.js';
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
import { type Fields, fields, numberOf, stringOf, stringsOf } from './kodo-answer.js';
import { kodoStatusError, kodoTransportError } from './kodo-errors.js';
import type { KodoHttp } from './kodo-http.js';
import { type KodoHosts, kodoUrl } from './kodo-regions.js';
import { KodoResumableUpload } from './kodo-resumable-upload.js';

/** Lifetime of upload tokens and signed download URLs. */
const TOKEN_LIFETIME_S = 3600;
/** putTime is in units of 100 ns. */
const PUT_TIME_UNITS_PER_MS = 10_000;

export interface KodoObjectClientOptions {
  readonly bucket: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly hosts: KodoHosts;
  /** The domain bound to the bucket: signed into download URLs and sent as Host. */
  readonly downloadHost: string;
  readonly http: KodoHttp;
}

/** What every SDK call resolves with, whatever its declared type. */
interface SdkAnswer {
  readonly data: unknown;
  readonly resp: { readonly statusCode?: number };
}

function toObjectInfo(key: string, entry: Fields): ObjectInfo {
  return {
    key,
    size: numberOf(entry.fsize),
    mtimeMs: Math.floor(numberOf(entry.putTime) / PUT_TIME_UNITS_PER_MS),
    etag: stringOf(entry.hash),
  };
}

export class KodoObjectClient implements ObjectClient {
  readonly bucket: string;
  private readonly mac: qiniu.auth.digest.Mac;
  private readonly manager: qiniu.rs.BucketManager;
  private readonly form: qiniu.form_up.FormUploader;
  private readonly resumable: KodoResumableUpload;
  /** MIME types of uploads in progress, given at init and sent at complete. */
  private readonly uploadTypes = new Map<string, string | undefined>();

  constructor(private readonly options: KodoObjectClientOptions) {
    this.bucket = options.bucket;
    const { up, rs, rsf, io } = options.hosts;
    this.mac = new qiniu.auth.digest.Mac(options.accessKey, options.secretKey);
    // The SDK takes one scheme for all its hosts; the store factory checks that they agree.
    const config = new qiniu.conf.Config({
      useHttpsDomain: up.scheme === 'https',
      zone: new qiniu.conf.Zone([up.host], [up.host], io.host, rs.host, rsf.host, rs.host),
    });
    this.manager = new qiniu.rs.BucketManager(this.mac, config);
    this.form = new qiniu.form_up.FormUploader(config);
    this.resumable = new KodoResumableUpload({
      http: options.http,
      up,
      bucket: options.bucket,
      uploadToken: (key) => this.uploadToken(key),
    });
  }

  private uploadToken(key: string): string {
    return new qiniu.rs.PutPolicy({ scope: `${this.bucket}:${key}`, expires: TOKEN_LIFETIME_S }).uploadToken(
      this.mac,
    );
  }

  /** Runs an SDK call; a transport failure or a non-2xx answer becomes a TierfsError. */
  private async sdk(
    operation: string,
    key: string | undefined,
    run: () => Promise<SdkAnswer>,
    accept: readonly number[] = [],
  ): Promise<{ status: number; data: unknown }> {
    let answer: SdkAnswer;
    try {
      answer = await run();
    } catch (error) {
      throw kodoTransportError(error, operation, this.bucket, key);
    }
    const status = answer.resp.statusCode ?? 0;
    if ((status >= 200 && status < 300) || accept.includes(status)) return { status, data: answer.data };
    throw kodoStatusError(status, answer.data, operation, this.bucket, key);
  }

  async headObject(key: string): Promise<ObjectInfo | undefined> {
    const { status, data } = await this.sdk('Stat', key, () => this.manager.stat(this.bucket, key), [612]);
    return status === 612 ? undefined : toObjectInfo(key, fields(data));
  }

  async getObject(
    key: string,
    range?: { start: number; end: number },
    options: GetObjectOptions = {},
  ): Promise<Readable> {
    const { downloadHost, hosts } = this.options;
    const domain = `${hosts.io.scheme}://${downloadHost}`;
    const deadline = Math.floor(Date.now() / 1000) + TOKEN_LIFETIME_S;
    // Encoded here, segment by segment: the SDK's encodeurl keeps a key's own `%2F` as it is.
    const path = key.split('/').map(encodeURIComponent).join('/');
    const signed = this.manager.privateDownloadUrl(domain, path, deadline);
    const headers: Record<string, string> = { host: downloadHost };
    if (range) headers.range = `bytes=${range.start}-${range.end}`;
    const response = await this.options.http.send(
      { operation: 'Get', bucket: this.bucket, key },
      { method: 'GET', url: kodoUrl(hosts.io, signed.slice(domain.length)), headers, signal: options.signal },
    );
    // Kodo downloads take no If-Match (Qiniu's own qshell compares the answer's ETag, `"<hash>"`,
    // with the hash it stat'ed): the answer's ETag is the proof of the version.
    try {
      checkAnsweredEtag(
        options.ifMatch,
        headerOf(response.headers.etag),
        options.requireProof ?? false,
        `Get kodo://${this.bucket}/${key}`,
      );
    } catch (error) {
      // Dropped unread: an abort error it may emit has no one to tell.
      response.body.on('error', () => undefined);
      response.body.destroy();
      throw error;
    }
    return response.body;
  }

  async putObject(key: string, body: ObjectBody, options: PutOptions = {}): Promise<string | undefined> {
    const extra = new qiniu.form_up.PutExtra();
    if (options.contentType) extra.mimeType = options.contentType;
    const { data } = await this.sdk('FormUpload', key, () =>
      this.form.putStream(this.uploadToken(key), key, body.open(), extra),
    );
    // Kodo answers `{ hash, key }`: the hash is the object's etag.
    return stringOf(fields(data).hash);
  }

  /** Kodo's copy answers nothing about the new object. */
  async copyObject(source: string, destination: string): Promise<CopiedObject> {
    await this.sdk('Copy', source, () =>
      this.manager.copy(this.bucket, source, this.bucket, destination, { force: true }),
    );
    return {};
  }

  async moveObject(source: string, destination: string): Promise<void> {
    await this.sdk('Move', source, () =>
      this.manager.move(this.bucket, source, this.bucket, destination, { force: true }),
    );
  }

  async deleteObject(key: string): Promise<void> {
    await this.sdk('Delete', key, () => this.manager.delete(this.bucket, key), [612]);
  }

  async deleteObjects(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const operations = keys.map((key) => qiniu.rs.deleteOp(this.bucket, key));
    const { data } = await this.sdk('BatchDelete', keys[0], () => this.manager.batch(operations), [298]);
    const results = Array.isArray(data) ? data : [];
    results.forEach((entry: unknown, i) => {
      const result = fields(entry);
      const code = numberOf(result.code);
      if (code !== 200 && code !== 612) {
        throw kodoStatusError(code, result.data, 'BatchDelete', this.bucket, keys[i]);
      }
    });
  }

  async listObjects(request: ListObjectsRequest): Promise<ListObjectsResponse> {
    // Kodo's marker is opaque: a listing that starts after a key skips up to it page by page.
    let marker = request.token;
    const after = marker === undefined ? request.startAfter : undefined;
    for (;;) {
      const { data } = await this.sdk('List', request.prefix, () =>
        this.manager.listPrefix(this.bucket, {
          prefix: request.prefix,
          marker,
          limit: request.maxKeys,
          delimiter: request.delimiter,
        }),
      );
      const page = fields(data);
      const beyond = (key: string) => after === undefined || compareKeys(key, after) > 0;
      const items = Array.isArray(page.items) ? page.items.map(fields) : [];
      const objects = items
        .filter((item): item is Fields & { key: string } => typeof item.key === 'string' && beyond(item.key))
        .map((item) => toObjectInfo(item.key, item));
      const prefixes = stringsOf(page.commonPrefixes).filter(beyond);
      const next = typeof page.marker === 'string' && page.marker !== '' ? page.marker : undefined;
      if (objects.length > 0 || prefixes.length > 0 || next === undefined || after === undefined) {
        return { objects, prefixes, nextToken: next };
      }
      marker = next;
    }
  }

  async initiateMultipartUpload(key: string, options: PutOptions = {}): Promise<string> {
    const uploadId = await this.resumable.init(key, options);
    this.uploadTypes.set(uploadId, options.contentType);
    return uploadId;
  }

  uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: ObjectBody,
    options?: RequestOptions,
  ): Promise<string> {
    return this.resumable.uploadPart(key, uploadId, partNumber, body, options);
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
    options?: RequestOptions,
  ): Promise<string | undefined> {
    const etag = await this.resumable.complete(key, uploadId, parts, this.uploadTypes.get(uploadId), options);
    this.uploadTypes.delete(uploadId);
    return etag;
  }

  async abortMultipartUpload(key: string, uploadId: string, options?: RequestOptions): Promise<void> {
    this.uploadTypes.delete(uploadId);
    await this.resumable.abort(key, uploadId, options);
  }

  async listMultipartUploads(): Promise<ListMultipartUploadsResponse> {
    return { uploads: [] };
  }

  close(): Promise<void> {
    return this.options.http.close();
  }
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
