/**
 * Long ranged GETs (a worker's cold read of a big object) without the AWS SDK and without Node's
 * HTTP client: the request signed by hand (sigv4-get.ts) on a connection kept alive between GETs,
 * whose socket reads land straight in 1 MiB slabs (net's `onread`), each read taking up to the
 * slab's free room.
 * The body is handed on as views of the slabs, in the order received, never copied; each view
 * carries a hold on its slab, which is used again once every holder released it (slab-pool.ts).
 *
 * Through the SDK a GiB arrives as 16,384 socket reads of 64 KiB, each a Buffer of its own, each
 * parsed by the HTTP client and pushed through two streams: most of the worker's CPU per GiB (its
 * garbage collection above all). Here a GiB is 1,024 slabs, mostly memory used before, and as few
 * reads as the socket allows.
 *
 * Only plain `http:` endpoints, signed v4, without a proxy (streamGetFor): anything else is the
 * SDK's. An answer this getter does not take as it is (a 2xx without content-length, or chunked)
 * turns it off for the mount, as a region redirect does: that GET and the ones after it are the
 * SDK's. Errors become the same TierfsErrors as the SDK's (toS3Error).
 */
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { Configuration } from '../../config/configuration.js';
import { isTierfsError, TierfsError } from '../../errors.js';
import { checkAnsweredEtag } from '../object/object-version.js';
import { holdChunk, releaseChunk, SLAB_BYTES, takeSlab } from '../slab-pool.js';
import { getterSettings } from './s3-getter-settings.js';
import { answerError, MAX_ERROR_BODY } from './s3-small-get.js';
import {
  encodeS3Path,
  GetSigner,
  type GetterOptions,
  type RangedGetRequest,
  s3Addressing,
} from './sigv4-get.js';

export { SLAB_BYTES } from '../slab-pool.js';

/**
 * Ranges shorter than this stay with the SDK: what this getter saves is per byte, and a short
 * range has few.
 */
export const STREAM_GET_MIN_BYTES = 8 * 1024 * 1024;

/** A response head larger than this is not an S3 answer. */
const MAX_HEAD_BYTES = 64 * 1024;

/** Connections kept open between GETs at most (more GETs at once open more, closed after them). */
const MAX_IDLE_CONNECTIONS = 4;

/**
 * A kept-alive connection unused this long is closed: before the store's own idle timeout (5 s for
 * Node servers), so that the store rarely closes one as a GET is sent on it.
 */
export const STREAM_GET_IDLE_MS = 4_000;

export class StreamGet {
  private readonly signer: GetSigner;
  private readonly host: string;
  private readonly hostname: string;
  private readonly port: number;
  private readonly base: string;
  private off = false;
  private closed = false;
  /** Connections whose last answer was read to its end, most recently used last. */
  private readonly idle: Connection[] = [];
  /** Connections with a GET on them (its answer awaited, or its body being read). */
  private readonly busy = new Set<Connection>();

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

  /** Connections open now: with a GET on them, and kept alive for the next one. */
  get connections(): { busy: number; idle: number } {
    return { busy: this.busy.size, idle: this.idle.length };
  }

  /**
   * The bytes of the range as a stream, once the store has answered; undefined when this getter
   * cannot take the answer (it is off from now on: ask the SDK).
   */
  async get(req: RangedGetRequest): Promise<Readable | undefined> {
    if (this.closed) throw closedError(req.key);
    const path = `${this.base}${encodeS3Path(req.key)}`;
    const headers: Record<string, string> = { range: `bytes=${req.range.start}-${req.range.end}` };
    if (req.ifMatch !== undefined) headers['if-match'] = `"${req.ifMatch}"`;
    const signed = this.signer.sign(this.host, path, headers, await this.options.credentials());
    if (this.options.userAgent) signed['user-agent'] = this.options.userAgent;
    let head = `GET ${path} HTTP/1.1\r\n`;
    for (const [name, value] of Object.entries(signed)) head += `${name}: ${value}\r\n`;
    const answer = await this.send(`${head}\r\n`, req);
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

  /**
   * The GET on a kept-alive connection, or a new one. A kept-alive connection the store closed
   * meanwhile fails before any byte of an answer: the GET goes once more, on a new connection.
   */
  private async send(head: string, req: RangedGetRequest): Promise<Answer> {
    for (;;) {
      const kept = this.idle.pop();
      const connection = kept ?? new Connection(this.hostname, this.port, this.settings.timeoutMs, this);
      this.busy.add(connection);
      try {
        return await connection.exchange(head, req);
      } catch (error) {
        const closedUnderIt = kept && !connection.answered && !isTierfsError(error, 'TIMEOUT');
        if (closedUnderIt && !this.closed && !req.signal?.aborted) continue;
        throw error;
      }
    }
  }

  /** A connection whose answer was read to its end: kept for the next GET. */
  release(connection: Connection): void {
    this.busy.delete(connection);
    if (this.closed || this.idle.length >= MAX_IDLE_CONNECTIONS) connection.destroy();
    else this.idle.push(connection);
  }

  /** A connection that closed. */
  gone(connection: Connection): void {
    this.busy.delete(connection);
    const at = this.idle.indexOf(connection);
    if (at >= 0) this.idle.splice(at, 1);
  }

  /**
   * Closes every connection: kept-alive ones, and those of GETs under way, whose readers get an
   * error (the mount's store is closed: nothing more comes from it).
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const connection of [...this.idle, ...this.busy]) connection.abandon();
  }
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

/** Where a connection goes back once its answer is read, or is forgotten once it closed. */
interface ConnectionPool {
  release(connection: Connection): void;
  gone(connection: Connection): void;
}

/**
 * A connection to the store carrying one GET at a time: the head parsed from the first reads, then
 * the body handed on as views of the slabs the socket reads into, paused while the reader is
 * behind. An answer read to its end leaves the connection to the pool for the next GET (HTTP/1.1
 * keep-alive); one cut off (its reader went away, an error, a timeout) closes it.
 */
class Connection {
  /** Whether any byte of the current GET's answer has arrived. */
  answered = false;
  private readonly socket: Socket;
  /** The slab the socket reads into, held by this connection until it is full or the connection closed. */
  private slab = takeSlab();
  /** Bytes of the slab filled. */
  private filled = 0;
  /** Where the bytes not handed on yet start in the slab (the head while it is read). */
  private from = 0;
  private phase: 'idle' | 'head' | 'body' | 'error' | 'closed' = 'idle';
  /** GETs sent on this connection so far: a body of an earlier one no longer owns it. */
  private exchanges = 0;
  private req: RangedGetRequest | undefined;
  private resolve: ((answer: Answer) => void) | undefined;
  private reject: ((error: unknown) => void) | undefined;
  private settled = true;
  private remaining = 0;
  private received = 0;
  private length = 0;
  private statusCode = 0;
  /** The store lets this connection carry another GET after this answer. */
  private keepAlive = false;
  private body: Readable | undefined;
  private errorChunks: Buffer[] = [];
  private errorBytes = 0;
  /** The socket's reads are stopped until the reader asks for more. */
  private paused = false;
  private onAbort: (() => void) | undefined;

  constructor(
    host: string,
    port: number,
    private readonly timeoutMs: number,
    private readonly pool: ConnectionPool,
  ) {
    this.socket = connect({
      host,
      port,
      noDelay: true,
      onread: { buffer: () => this.room(), callback: (n: number) => this.onRead(n) },
    });
    this.socket.on('timeout', () => this.onTimeout());
    this.socket.on('error', (error) => this.fail(transportError(error, this.req?.key ?? '')));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('close', () => this.onEnd());
  }

  /** Sends one GET (its head, ready to go) and answers what the store answered. */
  exchange(head: string, req: RangedGetRequest): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const exchange = ++this.exchanges;
      this.req = req;
      this.resolve = resolve;
      this.reject = reject;
      this.settled = false;
      this.phase = 'head';
      this.answered = false;
      this.remaining = 0;
      this.received = 0;
      this.length = 0;
      this.statusCode = 0;
      this.keepAlive = false;
      this.body = undefined;
      this.errorChunks = [];
      this.errorBytes = 0;
      this.paused = false;
      this.socket.ref();
      this.socket.setTimeout(this.timeoutMs);
      const signal = req.signal;
      if (signal) {
        this.onAbort = () => {
          if (this.exchanges === exchange && this.phase !== 'idle') this.fail(abortReason(signal));
        };
        if (signal.aborted) queueMicrotask(this.onAbort);
        else signal.addEventListener('abort', this.onAbort, { once: true });
      }
      this.socket.write(head);
    });
  }

  /** Closes the connection; the reader of a GET under way on it gets an error. */
  abandon(): void {
    this.fail(
      new TierfsError(
        'UNAVAILABLE',
        `GetObject ${this.req?.key ?? ''}: the mount's store was closed during the read`,
      ),
    );
  }

  /** Closes the connection as it is. */
  destroy(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.stopListening();
    this.socket.destroy();
    this.pool.gone(this);
    // Its views handed on hold it still; the socket reads into it no more.
    releaseChunk(this.slab);
  }

  /** Where the next socket read goes: the slab's free room (a new slab when it is full). */
  private room(): Buffer {
    if (this.filled === this.slab.length) {
      // While the head is read, its bytes move along (an S3 head is far smaller than a slab).
      const keep = this.phase === 'head' ? this.slab.subarray(this.from, this.filled) : undefined;
      const full = this.slab;
      this.slab = takeSlab();
      this.filled = keep ? keep.copy(this.slab) : 0;
      this.from = 0;
      releaseChunk(full);
    }
    return this.slab.subarray(this.filled);
  }

  private onRead(n: number): boolean {
    this.filled += n;
    if (this.phase === 'idle' || this.phase === 'closed') {
      // Bytes no GET asked for: this connection cannot carry another one.
      this.destroy();
      return false;
    }
    this.answered = true;
    if (this.phase === 'head') this.readHead();
    if (this.phase === 'error') return this.readErrorBody();
    if (this.phase === 'body') return this.handOn();
    return true;
  }

  private readHead(): void {
    const key = this.req!.key;
    const end = this.slab.indexOf('\r\n\r\n', this.from, 'latin1');
    if (end < 0 || end + 4 > this.filled) {
      if (this.filled - this.from > MAX_HEAD_BYTES) {
        this.fail(new TierfsError('UNAVAILABLE', `GetObject ${key}: the store's answer has no end of head`));
      }
      return;
    }
    const lines = this.slab.toString('latin1', this.from, end).split('\r\n');
    this.from = end + 4;
    const status = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
    if (!status) {
      this.fail(new TierfsError('UNAVAILABLE', `GetObject ${key}: not an HTTP answer: ${lines[0]}`));
      return;
    }
    this.statusCode = Number(status[2]);
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
    const connection = fields.get('connection')?.toLowerCase() ?? '';
    // HTTP/1.1 keeps a connection unless told otherwise; 1.0 only when told.
    this.keepAlive = status[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    const declared = fields.get('content-length');
    const length = declared === undefined ? undefined : Number(declared);
    const chunked = fields.has('transfer-encoding');
    if (this.statusCode >= 300) {
      this.phase = 'error';
      const known = length !== undefined && Number.isSafeInteger(length) && !chunked;
      if (!known) this.keepAlive = false;
      this.remaining = known ? length : Number.POSITIVE_INFINITY;
      return;
    }
    if (length === undefined || !Number.isSafeInteger(length) || chunked) {
      this.destroy();
      this.settle(() => this.resolve!({ kind: 'unsupported' }));
      return;
    }
    this.phase = 'body';
    this.remaining = length;
    this.length = length;
    const exchange = this.exchanges;
    const owns = () => this.exchanges === exchange && this.phase === 'body';
    this.body = new Readable({
      highWaterMark: 4 * SLAB_BYTES,
      read: () => {
        if (!owns() || !this.paused) return;
        this.paused = false;
        this.socket.resume();
      },
      destroy: (error, callback) => {
        // The reader went away before the end: the rest of the answer is not wanted.
        if (owns()) this.destroy();
        callback(error);
      },
    });
    const body = this.body;
    this.settle(() =>
      this.resolve!({ kind: 'body', statusCode: this.statusCode, etag: etagOf(fields.get('etag')), body }),
    );
  }

  /** The body bytes not handed on yet, as one view of the slab; false pauses the socket. */
  private handOn(): boolean {
    const body = this.body!;
    const n = Math.min(this.filled - this.from, this.remaining);
    let more = true;
    if (n > 0) {
      const chunk = this.slab.subarray(this.from, this.from + n);
      // The reader's hold: released by whoever is done with the chunk's bytes (slab-pool.ts).
      holdChunk(chunk);
      this.from += n;
      this.remaining -= n;
      this.received += n;
      more = body.push(chunk);
      // The reader may have gone away as it was handed the chunk.
      if (this.phase !== 'body') return false;
    }
    if (this.remaining === 0) {
      this.answeredWhole();
      body.push(null);
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
    const answer: Answer = {
      kind: 'error',
      statusCode: this.statusCode,
      body: Buffer.concat(this.errorChunks),
    };
    const resolve = this.resolve!;
    this.answeredWhole();
    this.settle(() => resolve(answer));
  }

  /**
   * The answer was read to its end: the connection goes back to the pool when the store keeps it
   * and nothing came after the answer, and is closed otherwise.
   */
  private answeredWhole(): void {
    this.stopListening();
    if (!this.keepAlive || this.filled !== this.from || this.socket.destroyed) {
      this.destroy();
      return;
    }
    this.phase = 'idle';
    this.req = undefined;
    this.body = undefined;
    this.errorChunks = [];
    this.socket.setTimeout(STREAM_GET_IDLE_MS);
    // An idle connection does not keep the process alive.
    this.socket.unref();
    this.pool.release(this);
  }

  /** The connection ended: the end of an error body without length, or a body cut short. */
  private onEnd(): void {
    if (this.phase === 'error') {
      this.keepAlive = false;
      this.answerError();
      return;
    }
    if (this.phase === 'closed') return;
    if (this.phase === 'idle') {
      this.destroy();
      return;
    }
    const key = this.req!.key;
    this.fail(
      new TierfsError(
        'UNAVAILABLE',
        this.phase === 'head'
          ? `GetObject ${key}: the store closed the connection before answering`
          : `GetObject ${key}: the store's answer ended after ${this.received} of ${this.length} bytes`,
        { retryable: true },
      ),
    );
  }

  private onTimeout(): void {
    // Idle while the reader is behind (the socket paused) is the reader's time, not the store's.
    if (this.phase === 'body' && this.paused) return;
    if (this.phase === 'idle' || this.phase === 'closed') {
      this.destroy();
      return;
    }
    this.fail(
      new TierfsError(
        'TIMEOUT',
        `GetObject ${this.req!.key}: no bytes from the store for ${this.timeoutMs} ms`,
        { retryable: true },
      ),
    );
  }

  /** Ends the connection with `error`: the GET's caller, or its body's reader, gets it. */
  private fail(error: Error): void {
    if (this.phase === 'closed') return;
    const { body, settled } = this;
    const idle = this.phase === 'idle';
    this.destroy();
    if (idle) return;
    if (!settled) this.settle(() => this.reject!(error));
    else body?.destroy(error);
  }

  private settle(then: () => void): void {
    if (this.settled) return;
    this.settled = true;
    then();
  }

  private stopListening(): void {
    if (this.onAbort) this.req?.signal?.removeEventListener('abort', this.onAbort);
    this.onAbort = undefined;
  }
}

function closedError(key: string): TierfsError {
  return new TierfsError('UNAVAILABLE', `GetObject ${key}: the mount's store was closed`);
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
