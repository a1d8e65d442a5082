/**
 * Long ranged GETs (a worker's cold read of a big object) without the AWS SDK and without Node's
 * HTTP client: the request signed by hand (sigv4-get.ts) on a connection of its own, whose socket
 * reads land straight in 1 MiB slabs (net's `onread`), each read taking up to the slab's free room.
 * The body is handed on as views of the slabs, in the order received, never copied.
 *
 * Through the SDK a GiB arrives as 16,384 socket reads of 64 KiB, each a Buffer of its own, each
 * parsed by the HTTP client and pushed through two streams: most of the worker's CPU per GiB (its
 * garbage collection above all). Here a GiB is 1,024 slabs and as few reads as the socket allows.
 *
 * Only plain `http:` endpoints, signed v4, without a proxy (streamGetFor): anything else is the
 * SDK's. An answer this getter does not take as it is (a 2xx without content-length, or chunked)
 * turns it off for the mount, as a region redirect does: that GET and the ones after it are the
 * SDK's. Errors become the same TierfsErrors as the SDK's (toS3Error).
 */
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { Configuration } from '../../config/configuration.js';
import { TierfsError } from '../../errors.js';
import { checkAnsweredEtag } from '../object/object-version.js';
import { getterSettings } from './s3-getter-settings.js';
import { answerError, MAX_ERROR_BODY } from './s3-small-get.js';
import {
  encodeS3Path,
  GetSigner,
  type GetterOptions,
  type RangedGetRequest,
  s3Addressing,
} from './sigv4-get.js';

/** What one socket read may fill at most, and the unit the body is kept in. */
export const SLAB_BYTES = 1024 * 1024;

/**
 * Ranges shorter than this stay with the SDK: each GET here is a connection of its own (a round
 * trip to open it), which a long read does not feel and a short one, on the SDK's kept-alive
 * connections, would.
 */
export const STREAM_GET_MIN_BYTES = 8 * 1024 * 1024;

/** A response head larger than this is not an S3 answer. */
const MAX_HEAD_BYTES = 64 * 1024;

export class StreamGet {
  private readonly signer: GetSigner;
  private readonly host: string;
  private readonly hostname: string;
  private readonly port: number;
  private readonly base: string;
  private off = false;

  constructor(
    private readonly options: GetterOptions,
    private readonly settings: { endpoint: URL; pathStyle: boolean; region: string; timeoutMs: number },
  ) {
    const { endpoint } = settings;
    ({
      host: this.host,
      hostname: this.hostname,
      base: this.base,
    } = s3Addressing(endpoint, options.bucket, settings.pathStyle));
    this.port = endpoint.port === '' ? 80 : Number(endpoint.port);
    this.signer = new GetSigner(settings.region);
  }

  /** Whether this getter serves GETs of this mount (not after an answer it leaves to the SDK). */
  get enabled(): boolean {
    return !this.off;
  }

  /**
   * The bytes of the range as a stream, once the store has answered; undefined when this getter
   * cannot take the answer (it is off from now on: ask the SDK).
   */
  async get(req: RangedGetRequest): Promise<Readable | undefined> {
    const path = `${this.base}${encodeS3Path(req.key)}`;
    const headers: Record<string, string> = { range: `bytes=${req.range.start}-${req.range.end}` };
    if (req.ifMatch !== undefined) headers['if-match'] = `"${req.ifMatch}"`;
    const signed = this.signer.sign(this.host, path, headers, await this.options.credentials());
    if (this.options.userAgent) signed['user-agent'] = this.options.userAgent;
    signed.connection = 'close';
    let head = `GET ${path} HTTP/1.1\r\n`;
    for (const [name, value] of Object.entries(signed)) head += `${name}: ${value}\r\n`;
    const answer = await new Promise<Answer>((resolve, reject) => {
      new Exchange(this.hostname, this.port, this.settings.timeoutMs, req, resolve, reject).send(
        `${head}\r\n`,
      );
    });
    const where = `GetObject s3://${this.options.bucket}/${req.key}`;
    if (answer.kind === 'error') {
      const error = answerError(answer.statusCode, answer.body, this.options.bucket, req.key);
      if (error !== 'redirect') throw error;
      this.off = true;
      return undefined;
    }
    if (answer.kind === 'unsupported') {
      this.off = true;
      return undefined;
    }
    try {
      checkAnsweredEtag(req.ifMatch, answer.etag, false, where);
      // A 200 is the whole object: only right for a range from its start.
      if (answer.statusCode === 200 && req.range.start !== 0) {
        throw new TierfsError(
          'UNAVAILABLE',
          `${where}: the store answered a ranged GET with the whole object`,
        );
      }
    } catch (error) {
      answer.body.destroy();
      throw error;
    }
    return answer.body;
  }

  async close(): Promise<void> {}
}

/** A StreamGet for a mount, or undefined when its GETs are the SDK's (https, a proxy, the v2 signer). */
export function streamGetFor(conf: Configuration, options: GetterOptions): StreamGet | undefined {
  const settings = getterSettings(conf);
  // Amazon's own endpoints, and any other https one, are the SDK's.
  if (!settings?.configured || settings.endpoint.protocol !== 'http:') return undefined;
  return new StreamGet(options, settings);
}

type Answer =
  | { kind: 'body'; statusCode: number; etag: string | undefined; body: Readable }
  | { kind: 'error'; statusCode: number; body: Buffer }
  | { kind: 'unsupported' };

/**
 * One GET on a connection of its own: the head parsed from the first reads, then the body handed
 * on as views of the slabs the socket reads into, paused while the reader is behind.
 */
class Exchange {
  private readonly socket: Socket;
  private slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  /** Bytes of the slab filled. */
  private filled = 0;
  /** Where the bytes not handed on yet start in the slab (the head while it is read). */
  private from = 0;
  private phase: 'head' | 'body' | 'error' | 'done' = 'head';
  private remaining = 0;
  private received = 0;
  private length = 0;
  private statusCode = 0;
  private body: Readable | undefined;
  private errorChunks: Buffer[] = [];
  private errorBytes = 0;
  private settled = false;
  /** The socket's reads are stopped until the reader asks for more. */
  private paused = false;
  private readonly onAbort: (() => void) | undefined;

  constructor(
    host: string,
    port: number,
    timeoutMs: number,
    private readonly req: RangedGetRequest,
    private readonly resolve: (answer: Answer) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.socket = connect({
      host,
      port,
      noDelay: true,
      onread: { buffer: () => this.room(), callback: (n: number) => this.onRead(n) },
    });
    // Idle while the reader is behind (the socket paused) is the reader's time, not the store's.
    this.socket.setTimeout(timeoutMs, () => {
      if (this.phase === 'body' && this.paused) return;
      this.fail(
        new TierfsError('TIMEOUT', `GetObject ${req.key}: no bytes from the store for ${timeoutMs} ms`, {
          retryable: true,
        }),
      );
    });
    this.socket.on('error', (error) => this.fail(transportError(error, req.key)));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('close', () => this.onEnd());
    const signal = req.signal;
    if (signal) {
      this.onAbort = () => this.fail(abortReason(signal));
      if (signal.aborted) queueMicrotask(this.onAbort);
      else signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  send(head: string): void {
    this.socket.write(head);
  }

  /** Where the next socket read goes: the slab's free room (a new slab when it is full). */
  private room(): Buffer {
    if (this.filled === this.slab.length) {
      // While the head is read, its bytes move along (an S3 head is far smaller than a slab).
      const keep = this.phase === 'head' ? this.slab.subarray(this.from, this.filled) : undefined;
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.filled = keep ? keep.copy(this.slab) : 0;
      this.from = 0;
    }
    return this.slab.subarray(this.filled);
  }

  private onRead(n: number): boolean {
    this.filled += n;
    if (this.phase === 'head') this.readHead();
    if (this.phase === 'error') return this.readErrorBody();
    if (this.phase === 'body') return this.handOn();
    return true;
  }

  private readHead(): void {
    const end = this.slab.indexOf('\r\n\r\n', this.from, 'latin1');
    if (end < 0 || end + 4 > this.filled) {
      if (this.filled - this.from > MAX_HEAD_BYTES) {
        this.fail(
          new TierfsError('UNAVAILABLE', `GetObject ${this.req.key}: the store's answer has no end of head`),
        );
      }
      return;
    }
    const lines = this.slab.toString('latin1', this.from, end).split('\r\n');
    this.from = end + 4;
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!status) {
      this.fail(new TierfsError('UNAVAILABLE', `GetObject ${this.req.key}: not an HTTP answer: ${lines[0]}`));
      return;
    }
    this.statusCode = Number(status[1]);
    if (this.statusCode < 200) {
      // 1xx: the answer is still to come.
      this.readHead();
      return;
    }
    const fields = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const declared = fields.get('content-length');
    const length = declared === undefined ? undefined : Number(declared);
    const chunked = fields.has('transfer-encoding');
    if (this.statusCode >= 300) {
      this.phase = 'error';
      this.remaining = length !== undefined && !chunked ? length : Number.POSITIVE_INFINITY;
      return;
    }
    if (length === undefined || !Number.isSafeInteger(length) || chunked) {
      this.finish();
      this.settle(() => this.resolve({ kind: 'unsupported' }));
      return;
    }
    this.phase = 'body';
    this.remaining = length;
    this.length = length;
    this.body = new Readable({
      highWaterMark: 4 * SLAB_BYTES,
      read: () => {
        if (!this.paused) return;
        this.paused = false;
        this.socket.resume();
      },
      destroy: (error, callback) => {
        this.finish();
        callback(error);
      },
    });
    this.settle(() =>
      this.resolve({
        kind: 'body',
        statusCode: this.statusCode,
        etag: etagOf(fields.get('etag')),
        body: this.body!,
      }),
    );
  }

  /** The body bytes not handed on yet, as one view of the slab; false pauses the socket. */
  private handOn(): boolean {
    const n = Math.min(this.filled - this.from, this.remaining);
    let more = true;
    if (n > 0) {
      const chunk = this.slab.subarray(this.from, this.from + n);
      this.from += n;
      this.remaining -= n;
      this.received += n;
      more = this.body!.push(chunk);
    }
    if (this.remaining === 0) {
      this.finish();
      this.body!.push(null);
      return true;
    }
    // false stops the socket's reads (not a pause() that isPaused() would show): read() resumes them.
    this.paused = !more;
    return more;
  }

  private readErrorBody(): boolean {
    const n = Math.min(this.filled - this.from, this.remaining);
    if (n > 0 && this.errorBytes < MAX_ERROR_BODY)
      this.errorChunks.push(Buffer.from(this.slab.subarray(this.from, this.from + n)));
    this.errorBytes += n;
    this.from += n;
    this.remaining -= n;
    if (this.remaining === 0) this.answerError();
    return true;
  }

  private answerError(): void {
    if (this.phase !== 'error') return;
    this.phase = 'done';
    this.finish();
    const body = Buffer.concat(this.errorChunks);
    this.settle(() => this.resolve({ kind: 'error', statusCode: this.statusCode, body }));
  }

  /** The connection ended: the end of an error body without length, or a body cut short. */
  private onEnd(): void {
    if (this.phase === 'error') {
      this.answerError();
      return;
    }
    if (this.phase === 'done') return;
    this.fail(
      new TierfsError(
        'UNAVAILABLE',
        this.phase === 'head'
          ? `GetObject ${this.req.key}: the store closed the connection before answering`
          : `GetObject ${this.req.key}: the store's answer ended after ${this.received} of ${this.length} bytes`,
        { retryable: true },
      ),
    );
  }

  private fail(error: Error): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.finish();
    if (this.settled) this.body?.destroy(error);
    else this.settle(() => this.reject(error));
  }

  private settle(then: () => void): void {
    if (this.settled) return;
    this.settled = true;
    then();
  }

  /** Closes the connection (it was asked for with `connection: close`) and stops listening to the signal. */
  private finish(): void {
    this.phase = 'done';
    if (this.onAbort) this.req.signal?.removeEventListener('abort', this.onAbort);
    if (!this.socket.destroyed) this.socket.destroy();
  }
}

function etagOf(header: string | undefined): string | undefined {
  return header?.replace(/^(W\/)?"|"$/g, '') || undefined;
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new TierfsError('ABORTED', 'the GET was aborted');
}

/** A broken or refused connection: retryable, as the SDK's are. */
function transportError(error: Error, key: string): TierfsError {
  const code = (error as { code?: unknown }).code;
  return new TierfsError('UNAVAILABLE', `GetObject ${key}: ${error.message}`, {
    cause: error,
    retryable: true,
    details: { operation: 'GetObject', key, ...(typeof code === 'string' ? { code } : {}) },
  });
}
