/**
 * Kodo resumable upload v2 (`/buckets/<bucket>/objects/<b64u key>/uploads[/<id>[/<n>]]` on the up
 * host, `Authorization: UpToken <token>`), called directly: the qiniu SDK keeps these calls
 * internal to its whole-file ResumeUploader, while the object-store base drives init, parts,
 * complete and abort itself (parts of a temp file, several at once, each retried on its own).
 *
 * A part carries `Content-MD5` (hex, as the SDK sends it) and Kodo answers with the MD5 it
 * computed; a mismatch fails the part (retryably) before Complete could assemble damaged bytes.
 */
import { createHash } from 'node:crypto';
import type { CompletedPart, ObjectBody, RequestOptions } from '../object/object-client.js';
import { fields, stringOf } from './kodo-answer.js';
import { kodoStatusError } from './kodo-errors.js';
import type { KodoHttp } from './kodo-http.js';
import { type KodoHost, kodoUrl } from './kodo-regions.js';

export interface KodoResumableOptions {
  readonly http: KodoHttp;
  readonly up: KodoHost;
  readonly bucket: string;
  /** A fresh upload token whose scope is `bucket:key`. */
  readonly uploadToken: (key: string) => string;
}

/** URL-safe base64 with padding, as Kodo encodes keys and entries. */
export function urlSafeBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

async function md5Hex(body: ObjectBody): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of body.open()) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class KodoResumableUpload {
  constructor(private readonly options: KodoResumableOptions) {}

  private url(key: string, rest = ''): string {
    const { up, bucket } = this.options;
    return kodoUrl(up, `/buckets/${encodeURIComponent(bucket)}/objects/${urlSafeBase64(key)}/uploads${rest}`);
  }

  private auth(key: string): Record<string, string> {
    return { authorization: `UpToken ${this.options.uploadToken(key)}` };
  }

  private target(operation: string, key: string) {
    return { operation, bucket: this.options.bucket, key };
  }

  /** Starts an upload and returns its id. */
  async init(key: string, options: RequestOptions = {}): Promise<string> {
    const target = this.target('InitParts', key);
    const data = await this.options.http.json(target, {
      method: 'POST',
      url: this.url(key),
      headers: { ...this.auth(key), 'content-type': 'application/json' },
      body: '',
      signal: options.signal,
    });
    const uploadId = stringOf(fields(data).uploadId);
    if (!uploadId)
      throw kodoStatusError(599, 'init answered without an uploadId', 'InitParts', target.bucket, key);
    return uploadId;
  }

  /** Uploads part `partNumber` (1..10000) and returns its etag. */
  async uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: ObjectBody,
    options: RequestOptions = {},
  ): Promise<string> {
    const target = this.target(`UploadPart ${partNumber}`, key);
    const md5 = await md5Hex(body);
    const data = await this.options.http.json(target, {
      method: 'PUT',
      url: this.url(key, `/${encodeURIComponent(uploadId)}/${partNumber}`),
      headers: {
        ...this.auth(key),
        'content-type': 'application/octet-stream',
        'content-length': String(body.length),
        'content-md5': md5,
      },
      body: body.open(),
      signal: options.signal,
    });
    const { etag: rawEtag, md5: rawMd5 } = fields(data);
    const etag = stringOf(rawEtag);
    const answered = stringOf(rawMd5);
    if (!etag)
      throw kodoStatusError(599, 'part answered without an etag', target.operation, target.bucket, key);
    if (answered !== undefined && answered.toLowerCase() !== md5) {
      throw kodoStatusError(
        406,
        `part MD5 mismatch: sent ${md5}, Kodo computed ${answered}`,
        target.operation,
        target.bucket,
        key,
      );
    }
    return etag;
  }

  async complete(
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
    mimeType: string | undefined,
    options: RequestOptions = {},
  ): Promise<string | undefined> {
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    const data = await this.options.http.json(this.target('CompleteParts', key), {
      method: 'POST',
      url: this.url(key, `/${encodeURIComponent(uploadId)}`),
      headers: { ...this.auth(key), 'content-type': 'application/json' },
      body: JSON.stringify({
        parts: sorted.map((p) => ({ etag: p.etag, partNumber: p.partNumber })),
        ...(mimeType ? { mimeType } : {}),
      }),
      signal: options.signal,
    });
    // Kodo answers `{ hash, key }`: the hash is the object's etag.
    return stringOf(fields(data).hash);
  }

  async abort(key: string, uploadId: string, options: RequestOptions = {}): Promise<void> {
    const response = await this.options.http.send(this.target('AbortParts', key), {
      method: 'DELETE',
      url: this.url(key, `/${encodeURIComponent(uploadId)}`),
      headers: this.auth(key),
      signal: options.signal,
    });
    await response.body.dump();
  }
}
