/**
 * Short-circuit reads (Alluxio's `alluxio.user.short.circuit.enabled`): a client on a worker's host
 * asks the worker, with its read capability, where the cached page files of a range are; the
 * worker pins them for a lease; the client reads the files itself and closes the lease. Whatever
 * it cannot read that way (a page file gone, not readable by this user, not whole) it reads from
 * the data port instead, from that byte on.
 *
 * Each page file's header is checked against the page the worker named (file key, page index,
 * length), so a reader never serves another page's bytes; the CRC-32 of the page is not checked
 * here (the worker checks it on its own reads), which is what makes this path as fast as `cat`.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { Readable } from 'node:stream';
import { decodeHeader } from '../cache/page-file.js';
import type { PinnedRead } from './batch-read.js';
import { closeShortCircuit, openShortCircuit, type RangeRequest, type WorkerAddress } from './data-client.js';
import { beforeEarlyExit, exitingEarly } from './early-exit.js';
import type { ShortCircuitFile } from './wire.js';

/** Lease closes under way: a process that ends early (the CLI on a broken pipe) waits for them. */
const closes = new Set<Promise<void>>();
beforeEarlyExit(() => Promise.allSettled([...closes]));

/**
 * Reads shorter than this go through the data port: one GET answers them, where a short-circuit
 * read costs an open and a close request to the worker besides the file reads.
 */
export const MIN_SHORT_CIRCUIT_BYTES = 256 * 1024;

/** Whether a worker address names this host (loopback, this host's name, or one of its addresses). */
export function isOnThisHost(address: string): boolean {
  let host: string;
  try {
    host = new URL(address).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  if (host === 'localhost' || host === '::1' || host.startsWith('127.') || host === hostname()) return true;
  return Object.values(networkInterfaces()).some((addresses) =>
    (addresses ?? []).some((a) => a.address === host),
  );
}

/** Throws unless `head` is the header of page `file` of `contentId` and the read got all it asked (`whole`). */
function checkPage(contentId: string, file: ShortCircuitFile, head: Buffer, whole: boolean): void {
  const header = decodeHeader(head);
  if (
    !header ||
    header.fileKey !== contentId ||
    header.pageIndex !== file.pageIndex ||
    header.length !== file.size ||
    header.headerLength !== file.headerLength ||
    !whole
  ) {
    throw new Error(`${file.path} is not page ${file.pageIndex} of ${contentId}`);
  }
}

/** Reads `file`'s bytes `from` to `to` (page offsets), after checking its header names this page. */
export async function readPage(
  contentId: string,
  file: ShortCircuitFile,
  from: number,
  to: number,
): Promise<Buffer> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file.path, 'r');
    // The header, then the bytes wanted: one read from the start of the file when they follow it.
    const buffer = Buffer.allocUnsafe(file.headerLength + (from === 0 ? to : 0));
    const head = await handle.read(buffer, 0, buffer.length, 0);
    checkPage(contentId, file, buffer.subarray(0, head.bytesRead), head.bytesRead === buffer.length);
    if (from === 0) return buffer.subarray(file.headerLength);
    const data = Buffer.allocUnsafe(to - from);
    const body = await handle.read(data, 0, data.length, file.headerLength + from);
    if (body.bytesRead !== data.length) throw new Error(`${file.path} is shorter than its header says`);
    return data;
  } finally {
    await handle?.close();
  }
}

/**
 * The range read from the worker's page files, or undefined when the worker cannot offer them
 * (another host, pages not all cached in files), the range is short (MIN_SHORT_CIRCUIT_BYTES) or the first of them cannot be read here: the
 * caller then reads from the data port. `fallback` reads the rest of the range from the data port
 * when a later page cannot be read.
 */
export async function readShortCircuit(
  worker: WorkerAddress,
  capability: string,
  range: RangeRequest,
  fallback: (offset: number, length: number) => Promise<Readable>,
): Promise<Readable | undefined> {
  if (range.length < MIN_SHORT_CIRCUIT_BYTES || !isOnThisHost(worker.address) || exitingEarly())
    return undefined;
  let answer: Awaited<ReturnType<typeof openShortCircuit>>;
  try {
    answer = await openShortCircuit(worker, capability, range);
  } catch {
    return undefined; // the data port gives the real answer, with its retries
  }
  if (!answer.available) return undefined;
  const { files, pageSize, lease } = answer;
  const release = () => {
    const closing = closeShortCircuit(worker, capability, range.contentId, lease).catch(() => undefined);
    closes.add(closing);
    void closing.then(() => closes.delete(closing));
  };
  const end = range.offset + range.length;
  const readAt = (index: number, position: number): Promise<Buffer> => {
    const file = files[index]!;
    const start = file.pageIndex * pageSize;
    return readPage(range.contentId, file, position - start, Math.min(end, start + file.size) - start);
  };
  let first: Buffer;
  try {
    first = await readAt(0, range.offset);
  } catch {
    release();
    return undefined;
  }
  // The stream and copyPages (below) are two ways to consume one lease: the first to start wins.
  let claimed = false;
  async function* bytes(): AsyncGenerator<Buffer> {
    if (claimed) throw new Error('this short-circuit read is already being consumed by copyPages');
    claimed = true;
    let position = range.offset;
    try {
      let current: Promise<Buffer> = Promise.resolve(first);
      for (let index = 0; index < files.length; index++) {
        const next =
          index + 1 < files.length ? readAt(index + 1, files[index + 1]!.pageIndex * pageSize) : undefined;
        next?.catch(() => undefined); // awaited below, or abandoned with the read
        let chunk: Buffer;
        try {
          chunk = await current;
        } catch {
          break; // this page cannot be read here any more: the rest comes from the data port
        }
        yield chunk;
        position += chunk.length;
        if (!next) break;
        current = next;
      }
    } finally {
      release();
    }
    if (position < end) yield* await fallback(position, end - position);
  }
  const stream = Readable.from(bytes(), { objectMode: false });
  pageCopies.set(stream, async (write) => {
    if (claimed) throw new Error('this short-circuit read is already being consumed as a stream');
    claimed = true;
    let position = range.offset;
    // One buffer for every page: header and bytes read into it, handed to `write`, read over.
    const buffer = Buffer.allocUnsafe(Math.max(...files.map((f) => f.headerLength)) + pageSize);
    try {
      await write(first);
      position += first.length;
      for (let index = 1; index < files.length; index++) {
        const file = files[index]!;
        const start = file.pageIndex * pageSize;
        let chunk: Buffer;
        try {
          chunk = readPageSync(range.contentId, file, buffer, Math.min(end, start + file.size) - start);
        } catch {
          break; // this page cannot be read here any more: the rest comes from the data port
        }
        await write(chunk);
        position += chunk.length;
        // Timers and sockets (the lease's close, a signal) get a turn now and then.
        if (index % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      release();
    }
    return position < end ? fallback(position, end - position) : undefined;
  });
  return stream;
}

/**
 * Reads page `file` from its start to page offset `to` into `buffer` (header first, one read) and
 * checks the header names this page; the bytes, a view of `buffer`.
 */
function readPageSync(contentId: string, file: ShortCircuitFile, buffer: Buffer, to: number): Buffer {
  const fd = openSync(file.path, 'r');
  try {
    const want = file.headerLength + to;
    let got = 0;
    while (got < want) {
      const n = readSync(fd, buffer, got, want - got, got);
      if (n === 0) break;
      got += n;
    }
    checkPage(contentId, file, buffer.subarray(0, Math.min(got, file.headerLength)), got === want);
    return buffer.subarray(file.headerLength, want);
  } finally {
    closeSync(fd);
  }
}

/** Small files' pages are read into one of these at a time, and handed out as views of it. */
const SLAB_BYTES = 256 * 1024;
let slab = Buffer.allocUnsafe(0);
let slabUsed = 0;

/** Bytes before the wanted bytes of a page read into `scratch` (header, and the page's earlier bytes). */
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * The bytes `offset` to `offset + length` of a file from its pinned page files (a short-circuit
 * batch answer, batch-read.ts), read here and now, each page's header checked against the page the
 * worker named. Throws when a page file cannot be read whole or is not that page (removed, replaced),
 * or when the lease has ended: the caller then reads the range through the data port.
 */
export function readPinnedRange(
  contentId: string,
  pinned: PinnedRead,
  offset: number,
  length: number,
): Buffer {
  if (!(Date.now() < pinned.leaseExpiresMs))
    throw new Error(`the lease on the pages of ${contentId} has ended`);
  const only = pinned.files.length === 1 ? pinned.files[0]! : undefined;
  if (only && offset === 0 && only.pageIndex === 0 && length <= only.size && length <= SLAB_BYTES / 4) {
    // A small file (one page, read from its start): header and bytes read into a slab shared with
    // the other small files read here, the bytes handed out as a view of it, neither allocated
    // nor copied on their own.
    const want = only.headerLength + length;
    if (slab.length - slabUsed < want) {
      slab = Buffer.allocUnsafe(SLAB_BYTES);
      slabUsed = 0;
    }
    const page = readPageSync(contentId, only, slab.subarray(slabUsed, slabUsed + want), length);
    slabUsed += want;
    return page;
  }
  const out = Buffer.allocUnsafe(length);
  const end = offset + length;
  let filled = 0;
  for (const file of pinned.files) {
    const start = file.pageIndex * pinned.pageSize;
    const from = Math.max(offset, start) - start;
    const to = Math.min(end, start + file.size) - start;
    if (to <= from) continue;
    const want = file.headerLength + to;
    if (scratch.length < want) scratch = Buffer.allocUnsafe(Math.max(want, scratch.length * 2));
    const page = readPageSync(contentId, file, scratch, to);
    filled += page.copy(out, filled, from, to);
  }
  if (filled !== length)
    throw new Error(`the pinned pages of ${contentId} hold ${filled} of ${length} bytes`);
  return out;
}

/** Hands each chunk over; the chunk's memory is reused once the returned promise (if any) settles. */
export type BorrowedWrite = (chunk: Buffer) => void | Promise<void>;

const pageCopies = new WeakMap<Readable, (write: BorrowedWrite) => Promise<Readable | undefined>>();

/**
 * For a stream readShortCircuit returned that nobody has read yet: copies its pages to `write`
 * without a stream or a new buffer per page (each page is read, synchronously, into one reused
 * buffer: `write` must be done with a chunk when it returns or its promise settles), closes the
 * lease, and resolves to what is left of the range when a page could not be read here (a stream
 * from the data port), else undefined. Returns undefined for any other stream: read that one.
 */
export function copyPages(stream: Readable, write: BorrowedWrite): Promise<Readable | undefined> | undefined {
  const copy = pageCopies.get(stream);
  if (!copy || stream.readableDidRead) return undefined;
  pageCopies.delete(stream);
  return copy(write);
}
