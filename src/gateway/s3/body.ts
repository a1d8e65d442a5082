/**
 * Request bodies: decodes aws-chunked payloads, computes the MD5 (the ETag) as bytes pass, and
 * checks Content-MD5, a signed x-amz-content-sha256, a flexible checksum (x-amz-checksum-* header
 * or trailer) and the declared length before the stream ends. A failed check errors the stream, so the write it feeds is aborted and nothing appears.
 */
import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type Readable, Transform, type TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PayloadCheck } from './auth.js';
import {
  type Checksum,
  type ChecksumAlgorithm,
  checksumHeaderName,
  checksumMismatch,
  type DeclaredChecksum,
  declaredChecksum,
  newChecksum,
  validChecksumValue,
} from './checksums.js';
import { AwsChunkedDecoder } from './chunked.js';
import { S3Error } from './errors.js';

export class DigestCheck extends Transform {
  private readonly md5: Hash = createHash('md5');
  private readonly sha256: Hash | undefined;
  private readonly expectedSha256: string | undefined;
  private readonly expectedMd5: string | undefined;
  private readonly expectedLength: number | undefined;
  private readonly checksum:
    | { algorithm: ChecksumAlgorithm; sum: Checksum; expected: () => string | undefined }
    | undefined;
  /** Bytes seen so far. */
  size = 0;
  /** MD5 hex of the whole body, set once it has ended. */
  md5Hex = '';
  /** The flexible checksum (header name and base64 value) once the body has ended and matched. */
  checksumHeader: Record<string, string> = {};
  /** The same as an algorithm and base64 value. */
  found: { algorithm: ChecksumAlgorithm; value: string } | undefined;

  constructor(options: {
    md5Base64?: string;
    sha256Hex?: string;
    length?: number;
    /** The declared algorithm; `expected` gives its base64 value at the end (undefined: only computed). */
    checksum?: { algorithm: ChecksumAlgorithm; expected: () => string | undefined };
  }) {
    super();
    this.checksum = options.checksum && { ...options.checksum, sum: newChecksum(options.checksum.algorithm) };
    this.expectedMd5 = options.md5Base64;
    this.expectedSha256 = options.sha256Hex;
    this.sha256 = options.sha256Hex ? createHash('sha256') : undefined;
    this.expectedLength = options.length;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.expectedLength !== undefined && this.size > this.expectedLength) {
      callback(new S3Error('InvalidRequest', 'The body is longer than its declared length'));
      return;
    }
    this.md5.update(chunk);
    this.sha256?.update(chunk);
    this.checksum?.sum.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.expectedLength !== undefined && this.size !== this.expectedLength) {
      callback(
        new S3Error(
          'IncompleteBody',
          'You did not provide the number of bytes specified by the Content-Length header',
        ),
      );
      return;
    }
    const md5 = this.md5.digest();
    this.md5Hex = md5.toString('hex');
    if (this.expectedMd5 !== undefined && md5.toString('base64') !== this.expectedMd5) {
      callback(new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.'));
      return;
    }
    if (this.sha256 && this.sha256.digest('hex') !== this.expectedSha256) {
      callback(
        new S3Error(
          'XAmzContentSHA256Mismatch',
          "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ),
      );
      return;
    }
    if (this.checksum) {
      const { algorithm, sum, expected } = this.checksum;
      const actual = sum.digest().toString('base64');
      let wanted: string | undefined;
      try {
        wanted = expected();
      } catch (error) {
        callback(error as Error);
        return;
      }
      if (wanted !== undefined && wanted !== actual) {
        callback(checksumMismatch(algorithm));
        return;
      }
      this.checksumHeader = { [checksumHeaderName(algorithm)]: actual };
      this.found = { algorithm, value: actual };
    }
    callback();
  }
}

/** The expected value of a declared checksum, read when the body has ended (trailers come last). */
function expectedChecksum(
  declared: DeclaredChecksum,
  chunked: AwsChunkedDecoder | undefined,
): () => string | undefined {
  if (declared.source !== 'trailer') return () => declared.value;
  return () => {
    const name = checksumHeaderName(declared.algorithm);
    const value = chunked?.trailers.get(name);
    if (value === undefined) {
      throw new S3Error(
        'MalformedTrailerError',
        `The ${name} trailing header declared by x-amz-trailer was not sent`,
      );
    }
    if (!validChecksumValue(declared.algorithm, value)) {
      throw new S3Error('InvalidRequest', `Value for ${name} trailing header is invalid.`);
    }
    return value;
  };
}

export interface BodyStages {
  /** Transforms to put between the request and its destination, in order. */
  readonly stages: Transform[];
  /** The last stage: size and MD5 once the body has ended. */
  readonly digest: DigestCheck;
  /** The decoded length the client declared, when it did. */
  readonly declaredLength: number | undefined;
}

function contentMd5(req: IncomingMessage): string | undefined {
  const raw = req.headers['content-md5'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return undefined;
  if (Buffer.from(value, 'base64').length !== 16) {
    throw new S3Error('InvalidDigest', 'The Content-MD5 you specified is not valid.');
  }
  return value;
}

function lengthHeader(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new S3Error('InvalidArgument', `Invalid length header '${value}'`);
  return n;
}

/**
 * The stages of a request body. `algorithm`: the checksum the body must have (a multipart upload
 * created with one): another declared is InvalidRequest, none declared is computed; null: the
 * request's x-amz-checksum-* headers are not about its body (CompleteMultipartUpload's are the
 * object's).
 */
export function bodyStages(
  req: IncomingMessage,
  payload: PayloadCheck,
  algorithm?: ChecksumAlgorithm | null,
): BodyStages {
  const chunked =
    payload.kind === 'chunked'
      ? new AwsChunkedDecoder({ signing: payload.signing, trailer: payload.trailer })
      : undefined;
  const decoded = req.headers['x-amz-decoded-content-length'];
  const declaredLength = lengthHeader(
    chunked ? (Array.isArray(decoded) ? decoded[0] : decoded) : req.headers['content-length'],
  );
  let declared =
    algorithm === null
      ? undefined
      : declaredChecksum(req.headers, payload.kind === 'chunked' && payload.trailer);
  if (algorithm !== undefined && algorithm !== null) {
    if (declared !== undefined && declared.algorithm !== algorithm) {
      throw new S3Error(
        'InvalidRequest',
        `Checksum Type mismatch occurred, expected checksum Type: ${algorithm}, actual checksum Type: ${declared.algorithm}`,
      );
    }
    declared ??= { algorithm, source: 'computed' };
  }
  const digest = new DigestCheck({
    md5Base64: contentMd5(req),
    sha256Hex: payload.kind === 'sha256' ? payload.hex : undefined,
    length: declaredLength,
    checksum: declared && { algorithm: declared.algorithm, expected: expectedChecksum(declared, chunked) },
  });
  return { stages: chunked ? [chunked, digest] : [digest], digest, declaredLength };
}

/** Reads a small request body (XML documents) whole, with the same checks; larger is refused. */
export async function readSmallBody(
  req: IncomingMessage,
  payload: PayloadCheck,
  limit = 4 * 1024 * 1024,
  checksumHeaders: 'of-body' | 'of-object' = 'of-body',
): Promise<Buffer> {
  const { stages } = bodyStages(req, payload, checksumHeaders === 'of-object' ? null : undefined);
  const chunks: Buffer[] = [];
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > limit)
        callback(new S3Error('EntityTooLarge', `The request body is larger than ${limit} bytes`));
      else {
        chunks.push(chunk);
        callback();
      }
    },
  });
  await pipeline([req as Readable, ...stages, sink]);
  return Buffer.concat(chunks);
}
