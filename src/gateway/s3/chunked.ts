/**
 * Decoder of `Content-Encoding: aws-chunked` bodies:
 *   <hex size>;chunk-signature=<sig>\r\n<data>\r\n ... 0;chunk-signature=<sig>\r\n\r\n
 * (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), with trailing headers after the last chunk
 * (STREAMING-UNSIGNED-PAYLOAD-TRAILER), or both (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, whose
 * trailing headers end with `x-amz-trailer-signature`, chained on the final chunk's signature). Data
 * flows on as it arrives; a chunk or trailer whose signature does not match fails the stream when
 * its last byte has been seen, which aborts the write downstream before anything becomes visible.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from './errors.js';
import { signaturesEqual } from './signed-request.js';
import { type ChunkSigning, chunkSignature, trailerSignature } from './sigv4.js';

const MAX_LINE = 4096;
const CRLF = Buffer.from('\r\n');

export interface ChunkedOptions {
  /** Verify each chunk's signature against this material (signed streaming payloads). */
  readonly signing?: ChunkSigning;
  /** Trailing headers follow the final chunk. */
  readonly trailer: boolean;
}

type State = 'header' | 'data' | 'data-end' | 'final-end' | 'trailer' | 'done';

export class AwsChunkedDecoder extends Transform {
  private readonly options: ChunkedOptions;
  private state: State = 'header';
  private line = Buffer.alloc(0);
  private remaining = 0;
  private chunkSignatureGiven = '';
  private previousSignature: string;
  private chunkHash: Hash | undefined;
  private trailerSignatureGiven: string | undefined;
  /** Trailing headers (lower-case names), complete once the stream has ended. */
  readonly trailers = new Map<string, string>();

  constructor(options: ChunkedOptions) {
    super();
    this.options = options;
    this.previousSignature = options.signing?.seedSignature ?? '';
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (this.state !== 'done') {
      callback(new S3Error('IncompleteBody', 'The aws-chunked body ended before its final chunk'));
    } else {
      callback();
    }
  }

  private consume(input: Buffer): void {
    let buf = input;
    while (buf.length > 0) {
      switch (this.state) {
        case 'header':
        case 'trailer':
        case 'data-end':
        case 'final-end': {
          const line = this.takeLine(buf);
          if (line === undefined) return;
          buf = line.rest;
          this.onLine(line.text);
          break;
        }
        case 'data': {
          const n = Math.min(this.remaining, buf.length);
          const piece = buf.subarray(0, n);
          this.chunkHash?.update(piece);
          this.push(piece);
          this.remaining -= n;
          buf = buf.subarray(n);
          if (this.remaining === 0) {
            this.checkChunk();
            this.state = 'data-end';
          }
          break;
        }
        case 'done':
          if (buf.some((b) => b !== 0x0d && b !== 0x0a)) {
            throw new S3Error('InvalidRequest', 'Unexpected data after the final aws-chunked chunk');
          }
          return;
      }
    }
  }

  /** Accumulates up to CRLF; undefined when the line is not complete yet. */
  private takeLine(buf: Buffer): { text: string; rest: Buffer } | undefined {
    const joined = this.line.length > 0 ? Buffer.concat([this.line, buf]) : buf;
    const end = joined.indexOf(CRLF);
    if (end < 0) {
      if (joined.length > MAX_LINE) throw new S3Error('InvalidRequest', 'Malformed aws-chunked body');
      this.line = Buffer.from(joined);
      return undefined;
    }
    this.line = Buffer.alloc(0);
    return { text: joined.subarray(0, end).toString('latin1'), rest: joined.subarray(end + 2) };
  }

  private onLine(text: string): void {
    switch (this.state) {
      case 'header': {
        const [sizeText = '', ...extensions] = text.split(';');
        if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText))
          throw new S3Error('InvalidRequest', 'Malformed aws-chunked chunk size');
        const size = Number.parseInt(sizeText, 16);
        const signature = extensions
          .find((e) => e.startsWith('chunk-signature='))
          ?.slice('chunk-signature='.length);
        if (this.options.signing && signature === undefined) {
          throw new S3Error('SignatureDoesNotMatch', 'An aws-chunked chunk has no chunk-signature');
        }
        this.chunkSignatureGiven = signature ?? '';
        this.chunkHash = this.options.signing ? createHash('sha256') : undefined;
        this.remaining = size;
        if (size > 0) {
          this.state = 'data';
        } else {
          this.checkChunk();
          this.state = this.options.trailer ? 'trailer' : 'final-end';
        }
        return;
      }
      case 'data-end':
        if (text !== '')
          throw new S3Error('InvalidRequest', 'Malformed aws-chunked body: chunk longer than declared');
        this.state = 'header';
        return;
      case 'final-end':
        if (text !== '')
          throw new S3Error('InvalidRequest', 'Malformed aws-chunked body after the final chunk');
        this.state = 'done';
        return;
      case 'trailer':
        // Trailing headers (x-amz-checksum-*, checked by DigestCheck); an empty line ends them.
        if (text === '') {
          this.checkTrailer();
          this.state = 'done';
          return;
        }
        this.onTrailer(text);
        return;
      default:
        return;
    }
  }

  private onTrailer(text: string): void {
    const colon = text.indexOf(':');
    if (colon <= 0 || this.trailers.size >= 16) {
      throw new S3Error(
        'MalformedTrailerError',
        'The request contained trailing data that was not well-formed or did not conform to our published schema.',
      );
    }
    const name = text.slice(0, colon).trim().toLowerCase();
    const value = text.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') this.trailerSignatureGiven = value;
    else this.trailers.set(name, value);
  }

  /**
   * A signed trailer: its signature is over the trailing headers as `name:value\n` lines, sorted,
   * chained on the final (empty) chunk's signature — as S3 checks it.
   */
  private checkTrailer(): void {
    const signing = this.options.signing;
    if (!signing) return;
    if (this.trailerSignatureGiven === undefined) {
      throw new S3Error(
        'SignatureDoesNotMatch',
        'The trailing headers of an aws-chunked body signed with STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER have no x-amz-trailer-signature',
      );
    }
    const canonical = [...this.trailers.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => `${name}:${value}\n`)
      .join('');
    const expected = trailerSignature(signing, this.previousSignature, canonical);
    if (!signaturesEqual(expected, this.trailerSignatureGiven.toLowerCase())) {
      throw new S3Error(
        'SignatureDoesNotMatch',
        'The x-amz-trailer-signature of an aws-chunked body does not match its trailing headers',
      );
    }
  }

  private checkChunk(): void {
    const signing = this.options.signing;
    if (!signing) return;
    const expected = chunkSignature(signing, this.previousSignature, this.chunkHash!.digest('hex'));
    if (!signaturesEqual(expected, this.chunkSignatureGiven.toLowerCase())) {
      throw new S3Error('SignatureDoesNotMatch', 'The chunk signature of an aws-chunked body does not match');
    }
    this.previousSignature = expected;
  }
}
