/**
 * Many small reads in one request to a worker's data port: what a client reading a directory of
 * small files sends instead of one `GET /data` per file (the per-request cost of HTTP is most of a
 * small read). Each read carries its own capability, checked as `GET /data` checks it; one refused
 * or failed read is an error frame, the others are served.
 *
 *   POST /data/batch   {"reads": [{"capability", "contentId", "offset", "length", "readType"}, ...]}
 *   200, application/x-tierfs-frames: one frame per read, in the order they finish:
 *     u32 (big-endian) header length | header JSON {"i": index, "length": n} or {"i": index, "error": ErrorBody} | n bytes
 *
 * A read may name its capability as a file of a page capability instead (`"page": MAC, "index": i`,
 * from open-list with `pageCapability`): the batch that first names it carries the token in
 * `"pages"`, the worker checks it once and keeps it, and later batches name it by its MAC alone. A
 * read naming one the worker does not hold is refused (UNAUTHENTICATED, details.reason
 * "unknown-page"): the client sends the token again.
 *
 * Short-circuit (a client on the worker's host, `"shortCircuit": true`): a read whose pages are all
 * cached in page files is answered by where they are, `{"i", "pinned": {lease, leaseExpiresMs,
 * pageSize, files}}`, and the client reads them itself. The pages of a batch's pinned reads stay
 * pinned against eviction under one lease until the client names it in a later batch's `"release"`
 * (or `POST /data/short-circuit/release`), or the lease ends (the earliest end of those reads'
 * capabilities, at most a minute). The other reads are answered with their bytes, as without it.
 * A read marked `"ifCached": true` (a file the client reads ahead) is answered only when its pages
 * are pinned; otherwise by `{"i", "uncached": true}`, and nothing is fetched for it.
 *
 * `"fetchGroup": id, "fetchConcurrency": n`: the reads of all batches naming the group are served
 * (fetched or read from the cache) at most n at a time, first come first served (worker/fetch-groups.ts).
 */
import type { ErrorBody, ShortCircuitFile } from './wire.js';

export const BATCH_READ_PATH = '/data/batch';
export const FRAMES_CONTENT_TYPE = 'application/x-tierfs-frames';
/** Reads one batch may hold. */
export const BATCH_READ_MAX_READS = 256;
/** The longest read a batch may hold: bigger reads stream through `GET /data`. */
export const BATCH_READ_MAX_BYTES = 1024 * 1024;
/** details.reason of a worker's refusal of a read naming a page capability it does not hold. */
export const UNKNOWN_PAGE = 'unknown-page';

export interface BatchReadItem {
  /** The read's capability; or, instead, `page` and `index`. */
  readonly capability?: string;
  /** The MAC of a page capability (this batch's `pages`, or an earlier batch's) and the file's index in it. */
  readonly page?: string;
  readonly index?: number;
  readonly contentId: string;
  readonly offset: number;
  readonly length: number;
  readonly readType?: string;
  /** Answer this read only with pinned page files (short-circuit), never by fetching it. */
  readonly ifCached?: boolean;
}

export interface BatchReadRequest {
  readonly reads: readonly BatchReadItem[];
  /** Answer reads of cached pages by their page files (a client on the worker's host). */
  readonly shortCircuit?: boolean;
  /** Leases of earlier batches the client is done with: their pages are unpinned first. */
  readonly release?: readonly string[];
  /**
   * The reads of every batch naming this group (a client's random id) fetch at most
   * `fetchConcurrency` at a time together (both or neither): a client reading ahead of its readers
   * keeps its fetches at the concurrency its readers would have had.
   */
  readonly fetchGroup?: string;
  readonly fetchConcurrency?: number;
  /**
   * Page capabilities (cluster/capability.ts) the reads name by MAC and index: checked once and
   * kept by the worker for later batches, which name them without sending them again.
   */
  readonly pages?: readonly string[];
}

/** Where a short-circuit read's pages are, pinned under `lease` until `leaseExpiresMs` at the latest. */
export interface PinnedRead {
  readonly lease: string;
  readonly leaseExpiresMs: number;
  readonly pageSize: number;
  readonly files: readonly ShortCircuitFile[];
}

export type FrameHeader =
  | { readonly i: number; readonly length: number }
  | { readonly i: number; readonly error: ErrorBody }
  | { readonly i: number; readonly pinned: PinnedRead }
  | { readonly i: number; readonly uncached: true };

/** One frame: its header and, for a served read, its bytes. */
export function encodeFrame(header: FrameHeader, bytes?: Buffer): Buffer[] {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.allocUnsafe(4);
  prefix.writeUInt32BE(json.length, 0);
  return bytes && bytes.length > 0 ? [prefix, json, bytes] : [prefix, json];
}

/**
 * The frames of a batch's pinned reads, which share a lease: what they have in common is encoded
 * once, each frame's header is that and its files (the same JSON encodeFrame would make of
 * `{i, pinned: {...lease, files}}`), in one buffer with its length prefix.
 */
export function pinnedFrameEncoder(
  lease: Omit<PinnedRead, 'files'>,
): (i: number, files: readonly ShortCircuitFile[]) => Buffer {
  const common = `,"pinned":{"lease":${JSON.stringify(lease.lease)},"leaseExpiresMs":${JSON.stringify(lease.leaseExpiresMs)},"pageSize":${JSON.stringify(lease.pageSize)},"files":[`;
  return (i, files) => {
    let json = `{"i":${JSON.stringify(i)}${common}`;
    for (let k = 0; k < files.length; k++) {
      const { pageIndex, path, headerLength, size } = files[k]!;
      json += `${k > 0 ? ',' : ''}{"pageIndex":${pageIndex},"path":${JSON.stringify(path)},"headerLength":${headerLength},"size":${size}}`;
    }
    json += ']}}';
    const length = Buffer.byteLength(json, 'utf8');
    const frame = Buffer.allocUnsafe(4 + length);
    frame.writeUInt32BE(length, 0);
    frame.write(json, 4, 'utf8');
    return frame;
  };
}

/** The longest frame header a reader accepts (an error's message and details). */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * Splits a stream of frames as its chunks arrive: `push` each chunk; every complete frame is
 * handed to `onFrame` at once (several in one chunk are handed over in one go).
 */
export class FrameReader {
  private buffered: Buffer[] = [];
  private size = 0;
  private header: FrameHeader | undefined;

  constructor(private readonly onFrame: (header: FrameHeader, bytes: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buffered.push(chunk);
    this.size += chunk.length;
    for (;;) {
      if (!this.header) {
        if (this.size < 4) return;
        const length = this.peek(4).readUInt32BE(0);
        if (length > MAX_HEADER_BYTES)
          throw new Error(`a frame header of ${length} bytes is not a tierfs frame`);
        if (this.size < 4 + length) return;
        this.take(4);
        this.header = JSON.parse(this.take(length).toString('utf8')) as FrameHeader;
      }
      const bytes = 'length' in this.header ? this.header.length : 0;
      if (this.size < bytes) return;
      const header = this.header;
      this.header = undefined;
      this.onFrame(header, this.take(bytes));
    }
  }

  /** Whether the stream ended between frames. */
  get complete(): boolean {
    return this.size === 0 && this.header === undefined;
  }

  private peek(n: number): Buffer {
    if (this.buffered[0]!.length < n) this.buffered = [Buffer.concat(this.buffered)];
    return this.buffered[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.buffered[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.buffered.shift();
      else this.buffered[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.buffered);
      out = all.subarray(0, n);
      this.buffered = all.length > n ? [all.subarray(n)] : [];
    }
    this.size -= n;
    return out;
  }
}
