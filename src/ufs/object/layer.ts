/**
 * Layers in the manner of OpenDAL: a layer sees every ObjectClient request as one call it may
 * time, retry, log or cut short, and wraps any client (S3 now, OSS and Kodo later) the same way.
 */
import type { Readable } from 'node:stream';
import type { ObjectClient, ObjectOperation, RequestOptions } from './object-client.js';

export interface ObjectCall {
  readonly operation: ObjectOperation;
  readonly bucket: string;
  /** The key, the source key of a copy, or the first key of a bulk delete. */
  readonly key?: string;
  /** Bytes sent (puts, parts) or asked for (ranged gets). */
  readonly bytes?: number;
  /** The caller's signal. */
  readonly signal?: AbortSignal;
}

/** Runs `next` (perhaps several times, perhaps with another signal) and returns its result. */
export type ObjectLayer = <T>(call: ObjectCall, next: (options: RequestOptions) => Promise<T>) => Promise<T>;

/** `client` with `layer` around each request. The first layer given is the outermost. */
export function layerObjectClient(client: ObjectClient, ...layers: ObjectLayer[]): ObjectClient {
  return layers.reduceRight<ObjectClient>((inner, layer) => new LayeredObjectClient(inner, layer), client);
}

class LayeredObjectClient implements ObjectClient {
  readonly bucket: string;
  /** Present when the inner client can move objects. */
  readonly moveObject: ObjectClient['moveObject'];
  /** Present when the inner client can copy parts of objects. */
  readonly uploadPartCopy: ObjectClient['uploadPartCopy'];

  constructor(
    private readonly inner: ObjectClient,
    private readonly layer: ObjectLayer,
  ) {
    this.bucket = inner.bucket;
    const move = inner.moveObject?.bind(inner);
    this.moveObject = move
      ? (source, destination, options) =>
          this.run('moveObject', source, options, (o) => move(source, destination, { ...options, ...o }))
      : undefined;
    const partCopy = inner.uploadPartCopy?.bind(inner);
    this.uploadPartCopy = partCopy
      ? (key, uploadId, partNumber, source, range, options) =>
          this.run(
            'uploadPartCopy',
            key,
            options,
            (o) => partCopy(key, uploadId, partNumber, source, range, { ...options, ...o }),
            range.end - range.start + 1,
          )
      : undefined;
  }

  get singleCopyLimit(): number | undefined {
    return this.inner.singleCopyLimit;
  }

  private run<T>(
    operation: ObjectOperation,
    key: string | undefined,
    options: RequestOptions | undefined,
    next: (options: RequestOptions) => Promise<T>,
    bytes?: number,
  ): Promise<T> {
    return this.layer({ operation, bucket: this.bucket, key, bytes, signal: options?.signal }, next);
  }

  headObject: ObjectClient['headObject'] = (key, options) =>
    this.run('headObject', key, options, (o) => this.inner.headObject(key, { ...options, ...o }));

  getObject: ObjectClient['getObject'] = (key, range, options): Promise<Readable> =>
    this.run(
      'getObject',
      key,
      options,
      (o) => this.inner.getObject(key, range, { ...options, ...o }),
      range ? range.end - range.start + 1 : undefined,
    );

  putObject: ObjectClient['putObject'] = (key, body, options) =>
    this.run(
      'putObject',
      key,
      options,
      (o) => this.inner.putObject(key, body, { ...options, ...o }),
      body.length,
    );

  copyObject: ObjectClient['copyObject'] = (source, destination, options) =>
    this.run('copyObject', source, options, (o) =>
      this.inner.copyObject(source, destination, { ...options, ...o }),
    );

  deleteObject: ObjectClient['deleteObject'] = (key, options) =>
    this.run('deleteObject', key, options, (o) => this.inner.deleteObject(key, { ...options, ...o }));

  deleteObjects: ObjectClient['deleteObjects'] = (keys, options) =>
    this.run('deleteObjects', keys[0], options, (o) => this.inner.deleteObjects(keys, { ...options, ...o }));

  listObjects: ObjectClient['listObjects'] = (request, options) =>
    this.run('listObjects', request.prefix, options, (o) =>
      this.inner.listObjects(request, { ...options, ...o }),
    );

  initiateMultipartUpload: ObjectClient['initiateMultipartUpload'] = (key, options) =>
    this.run('initiateMultipartUpload', key, options, (o) =>
      this.inner.initiateMultipartUpload(key, { ...options, ...o }),
    );

  uploadPart: ObjectClient['uploadPart'] = (key, uploadId, partNumber, body, options) =>
    this.run(
      'uploadPart',
      key,
      options,
      (o) => this.inner.uploadPart(key, uploadId, partNumber, body, { ...options, ...o }),
      body.length,
    );

  completeMultipartUpload: ObjectClient['completeMultipartUpload'] = (key, uploadId, parts, options) =>
    this.run('completeMultipartUpload', key, options, (o) =>
      this.inner.completeMultipartUpload(key, uploadId, parts, { ...options, ...o }),
    );

  abortMultipartUpload: ObjectClient['abortMultipartUpload'] = (key, uploadId, options) =>
    this.run('abortMultipartUpload', key, options, (o) =>
      this.inner.abortMultipartUpload(key, uploadId, { ...options, ...o }),
    );

  listMultipartUploads: ObjectClient['listMultipartUploads'] = (prefix, token, options) =>
    this.run('listMultipartUploads', prefix, options, (o) =>
      this.inner.listMultipartUploads(prefix, token, { ...options, ...o }),
    );

  close(): Promise<void> {
    return this.inner.close();
  }
}
