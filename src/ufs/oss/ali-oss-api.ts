/**
 * The part of the ali-oss client the OSS driver uses, typed narrowly: the SDK's own typings are
 * loose (and miss the stream variants), so the driver talks to this interface and the one cast
 * from `new OSS(...)` happens in oss-store.ts.
 */
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';

/** `[connect, response]` timeouts in ms, as urllib takes them. */
export type AliOssTimeout = readonly [number, number];

export interface AliOssRequestOptions {
  readonly timeout?: AliOssTimeout;
  readonly headers?: Record<string, string>;
  readonly mime?: string;
}

export interface AliOssResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
}

export interface AliOssListedObject {
  readonly name: string;
  readonly size: number;
  readonly lastModified: string;
  readonly etag?: string;
}

export interface AliOssListResult {
  readonly objects?: readonly AliOssListedObject[] | null;
  readonly prefixes?: readonly string[] | null;
  readonly isTruncated: boolean;
  readonly nextMarker?: string | null;
  readonly nextContinuationToken?: string | null;
}

export interface AliOssApi {
  head(name: string, options?: AliOssRequestOptions): Promise<{ status: number; res: AliOssResponse }>;
  getStream(name: string, options?: AliOssRequestOptions): Promise<{ stream: IncomingMessage }>;
  putStream(
    name: string,
    stream: Readable,
    options?: AliOssRequestOptions & { contentLength?: number },
  ): Promise<unknown>;
  copy(
    name: string,
    sourceName: string,
    options?: AliOssRequestOptions,
  ): Promise<{ data?: { etag?: string; lastModified?: string } | null }>;
  uploadPartCopy(
    name: string,
    uploadId: string,
    partNo: number,
    range: string,
    sourceData: { sourceKey: string; sourceBucketName: string },
    options?: AliOssRequestOptions,
  ): Promise<{ etag?: string }>;
  delete(name: string, options?: AliOssRequestOptions): Promise<unknown>;
  deleteMulti(
    names: string[],
    options?: AliOssRequestOptions & { quiet?: boolean },
  ): Promise<{ deleted?: readonly (string | { Key?: string })[] | null }>;
  list(query: Record<string, string | number>, options: AliOssRequestOptions): Promise<AliOssListResult>;
  listV2(query: Record<string, string | number>, options: AliOssRequestOptions): Promise<AliOssListResult>;
  initMultipartUpload(name: string, options?: AliOssRequestOptions): Promise<{ uploadId: string }>;
  uploadPart(
    name: string,
    uploadId: string,
    partNo: number,
    file: Readable,
    start: number,
    end: number,
    options?: AliOssRequestOptions,
  ): Promise<{ etag?: string; res?: AliOssResponse }>;
  completeMultipartUpload(
    name: string,
    uploadId: string,
    parts: { number: number; etag: string }[],
    options?: AliOssRequestOptions,
  ): Promise<unknown>;
  abortMultipartUpload(name: string, uploadId: string, options?: AliOssRequestOptions): Promise<unknown>;
  listUploads(
    query: Record<string, string | number>,
    options?: AliOssRequestOptions,
  ): Promise<{
    uploads?: readonly { name?: string; uploadId?: string; initiated?: string }[] | null;
    isTruncated: boolean;
    nextKeyMarker?: string | null;
    nextUploadIdMarker?: string | null;
  }>;
}

/** The constructor options the driver passes. */
export interface AliOssOptions {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly stsToken?: string;
  readonly refreshSTSTokenInterval?: number;
  readonly bucket: string;
  readonly endpoint: string;
  readonly sldEnable: boolean;
  readonly secure: boolean;
  readonly timeout: number;
  readonly retryMax: 0;
  readonly agent: HttpAgent;
  readonly httpsAgent: HttpsAgent;
}
