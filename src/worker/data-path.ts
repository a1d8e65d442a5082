/**
 * The worker's data path: ranged reads served from the page store and filled from the under store
 * (or the staging area), and writes split by write type into the under store, the page store and
 * the staging area.
 */
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { PageStore } from '../cache/page-store.js';
import { type RangeStream, type ReadType, streamRange, streamRangeWindows } from '../cache/range-reader.js';
import type { WriteType } from '../cluster/io-types.js';
import { TierfsError } from '../errors.js';
import type { CreateOptions, UfsStatus, UfsWriteStream, UnderStore } from '../ufs/contract.js';
import { abortWrite } from '../ufs/io.js';
import { takeWholeBytes } from '../ufs/whole-body.js';
import { PageFill } from './page-fill.js';
import type { StagingArea } from './staging.js';

/** Pages looked up together per step of a read (missing ones stream from one UFS fetch per run); the next window is prepared meanwhile. */
const READ_WINDOW_PAGES = 8;

export interface ReadPlan {
  readonly contentId: string;
  readonly size: number;
  readonly persisted: boolean;
  /** The under store version to read (a UfsStatus.fingerprint); fetches of another one fail STALE. */
  readonly version?: string;
  readonly offset: number;
  readonly length: number;
  readonly readType: ReadType;
  /** The under store and path of the file (when persisted). */
  readonly ufs: () => Promise<{ store: UnderStore; path: string }>;
}

export interface DataPath {
  readonly pages: PageStore;
  readonly staging: StagingArea;
  /** Told of every chunk a client writes, as it arrives (the worker's bytes-written counter). */
  readonly written?: (bytes: number) => void;
  /** Bytes of pages a CACHE_THROUGH write may have in flight before it stops caching (default WRITE_BEHIND_BYTES). */
  readonly writeBehindBytes?: number;
}

/** Streams a range of a file page by page, with one window of read-ahead. */
export function readFile(data: DataPath, plan: ReadPlan): Readable {
  return Readable.from(readFileChunks(data, plan), { objectMode: false });
}

/** The chunks of readFile without a stream around them (ending them early costs no AbortError). */
export function readFileChunks(data: DataPath, plan: ReadPlan): AsyncGenerator<Buffer> {
  return streamRange(data.pages, rangeOf(data, plan));
}

/** readFileChunks a window of pages at a time (see streamRangeWindows): what GET /data sends. */
export function readFileWindows(data: DataPath, plan: ReadPlan): AsyncGenerator<Buffer[]> {
  return streamRangeWindows(data.pages, rangeOf(data, plan));
}

function rangeOf(data: DataPath, plan: ReadPlan): RangeStream {
  const fetch = async (offset: number, length: number): Promise<Uint8Array | Readable> => {
    if (data.staging.has(plan.contentId)) return data.staging.open(plan.contentId, offset, length);
    if (!plan.persisted) {
      throw new TierfsError(
        'UNAVAILABLE',
        'the data of this file was only in the cache and has been evicted (it was written with MUST_CACHE)',
      );
    }
    const { store, path } = await plan.ufs();
    // With the version (and so the size) known, an object store sends the GET only: no HEAD.
    const body = await store.open(path, {
      offset,
      length,
      ...(plan.version === undefined ? {} : { version: plan.version, size: plan.size }),
    });
    // A small object's answer, received whole: its bytes, without reading them through the stream.
    return takeWholeBytes(body) ?? body;
  };
  return {
    fileKey: plan.contentId,
    fileSize: plan.size,
    offset: plan.offset,
    length: plan.length,
    readType: plan.readType,
    windowPages: READ_WINDOW_PAGES,
    fetch,
  };
}

export interface WritePlan {
  readonly contentId: string;
  readonly writeType: WriteType;
  /**
   * The under store and the path to write; `commitTo` when that path is a temporary object the
   * master moves over the file at `commitTo` once the write completes (CreateOptions.commitTo).
   */
  readonly ufs: () => Promise<{ store: UnderStore; path: string; commitTo?: string }>;
}

export interface WriteReceipt {
  readonly size: number;
  readonly ufsFingerprint?: string;
  /** The multipart upload left open at the file's key for the master to complete. */
  readonly pendingUpload?: string;
}

async function writeTo(stream: UfsWriteStream, chunk: Buffer): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

/**
 * Receives a file. MUST_CACHE: pages only. CACHE_THROUGH: the under store and pages. THROUGH: the
 * under store only. ASYNC_THROUGH: a durable staged copy and pages; the master persists it later.
 * Any failure undoes everything: no under store object, no staged copy, no pages.
 */
export async function writeFile(data: DataPath, plan: WritePlan, body: Readable): Promise<WriteReceipt> {
  const toUfs = plan.writeType === 'CACHE_THROUGH' || plan.writeType === 'THROUGH';
  const toCache = plan.writeType !== 'THROUGH';
  const ufs = toUfs ? await plan.ufs() : undefined;
  // A temporary object is the master's to move: no status of it is needed (no HEAD after its PUT).
  const commitLater = ufs?.commitTo === undefined ? {} : { commitTo: ufs.commitTo, noStatus: true };
  const out = ufs ? await ufs.store.create(ufs.path, { ...CREATE_OPTIONS, ...commitLater }) : undefined;
  let pendingUpload: string | undefined;
  const staged = plan.writeType === 'ASYNC_THROUGH' ? await data.staging.begin(plan.contentId) : undefined;
  // CACHE_THROUGH caches behind the upload (never waiting for the page store); MUST_CACHE, whose
  // pages are the only copy, and ASYNC_THROUGH wait for their pages.
  const pages = toCache
    ? new PageFill(data.pages, plan.contentId, {
        behind: plan.writeType === 'CACHE_THROUGH',
        required: plan.writeType === 'MUST_CACHE',
        ...(data.writeBehindBytes === undefined ? {} : { maxPendingBytes: data.writeBehindBytes }),
      })
    : undefined;
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      data.written?.(chunk.length);
      const cached = pages?.add(chunk);
      const pending: Promise<void>[] = [];
      if (out) pending.push(writeTo(out, chunk));
      if (staged) pending.push(staged.write(chunk));
      if (cached) pending.push(cached);
      if (pending.length === 1) await pending[0];
      else if (pending.length > 1) await Promise.all(pending);
    }
    await pages?.end();
    let ufsFingerprint: string | undefined;
    if (out && ufs) {
      out.end();
      await finished(out);
      pendingUpload = out.pendingUpload;
      // The fingerprint of a temporary object is no one's concern: the master's move gives the file's.
      if (ufs.commitTo === undefined) ufsFingerprint = (await writtenStatus(out, ufs)).fingerprint;
    }
    await staged?.commit();
    return {
      size,
      ...(ufsFingerprint === undefined ? {} : { ufsFingerprint }),
      ...(pendingUpload === undefined ? {} : { pendingUpload }),
    };
  } catch (error) {
    if (out) await abortWrite(out);
    // An upload left open for the master, when what followed it failed: no one will complete it.
    if (pendingUpload !== undefined && ufs?.commitTo !== undefined) {
      await ufs.store.abortUpload?.(ufs.commitTo, pendingUpload).catch(() => undefined);
    }
    await staged?.discard();
    pages?.abort();
    await data.pages.free(plan.contentId);
    throw error;
  }
}

/** What a persist wrote: the file's fingerprint, or (with `commitTo`) what the master moves over the file. */
export interface PersistReceipt {
  /** The fingerprint of the object written at the path (a temporary object's, with `commitTo`). */
  readonly ufsFingerprint?: string;
  /** The multipart upload left open at `commitTo`, for the master to complete (nothing at the path then). */
  readonly pendingUpload?: string;
}

/**
 * Writes a staged or cached file to the under store (persistence of ASYNC_THROUGH and `fs persist`).
 * A staged file goes up straight from its staged copy: with the store's `upload` (object stores: one
 * PUT or parts read from ranges of the file, no temp copy, nothing held in memory), else streamed
 * from the file into `create`. Only a file that is not staged (MUST_CACHE) is read from the pages.
 * With `commitTo` the path is a temporary object the master moves over the file at `commitTo`
 * (CreateOptions.commitTo): a file that needs parts is left as an open upload at `commitTo`
 * instead, and no status of what was written is asked for.
 */
export async function persistFile(
  data: DataPath,
  contentId: string,
  size: number,
  ufs: { store: UnderStore; path: string; commitTo?: string },
): Promise<PersistReceipt> {
  const options: CreateOptions =
    ufs.commitTo === undefined
      ? CREATE_OPTIONS
      : { ...CREATE_OPTIONS, commitTo: ufs.commitTo, noStatus: true };
  const staged = data.staging.has(contentId) ? data.staging.pathOf(contentId) : undefined;
  if (staged !== undefined && ufs.store.upload) {
    const { written, pendingUpload } = await ufs.store.upload(ufs.path, staged, size, options);
    if (pendingUpload !== undefined) return { pendingUpload };
    if (ufs.commitTo !== undefined) return {};
    return { ufsFingerprint: (written ?? (await ufs.store.getStatus(ufs.path))).fingerprint };
  }
  const source =
    staged !== undefined && size > 0
      ? data.staging.open(contentId, 0, size)
      : readFile(data, {
          contentId,
          size,
          persisted: false,
          offset: 0,
          length: size,
          readType: 'NO_CACHE',
          ufs: () => Promise.reject(new TierfsError('INTERNAL', 'not persisted yet')),
        });
  const out = await ufs.store.create(ufs.path, options);
  try {
    for await (const chunk of source) await writeTo(out, chunk as Buffer);
    out.end();
    await finished(out);
  } catch (error) {
    source.destroy();
    await abortWrite(out);
    throw error;
  }
  if (out.pendingUpload !== undefined) return { pendingUpload: out.pendingUpload };
  if (ufs.commitTo !== undefined) return {};
  return { ufsFingerprint: (await writtenStatus(out, ufs)).fingerprint };
}

/** How the worker creates a file in an under store: replacing what is there, below a parent the master's namespace holds. */
const CREATE_OPTIONS: CreateOptions = { overwrite: true, parentExists: true };

/** What a finished write produced: the store says so (no request); getStatus only for a store that does not. */
function writtenStatus(out: UfsWriteStream, ufs: { store: UnderStore; path: string }): Promise<UfsStatus> {
  return out.written ? Promise.resolve(out.written) : ufs.store.getStatus(ufs.path);
}
