/**
 * The two ways an object store takes a file (seed 002, "S3 streaming upload"):
 *
 * - buffered (default): the whole file goes to a local temp file, uploaded on end() with one PUT,
 *   or in parallel parts when it is larger than the multipart threshold (default: a partition).
 *   Safe, but end() takes as long as the upload and the temp directory must hold the whole file.
 * - streaming: the file is cut into partitions (temp files) that upload as multipart parts while
 *   data still arrives, at most `uploadThreads` at once. A writer waits for a free slot before it
 *   starts a new partition, so at most uploadThreads + 1 partitions exist at any time, on disk,
 *   not in memory. A file smaller than one partition goes up with one PUT.
 * - multipart (in memory): as streaming, but the partitions are buffers, so no temp file is ever
 *   written; memory per file is at most (uploadThreads + 1) * partitionSize.
 *
 * Either way the object appears only when end() completes ('finish' follows the commit), and
 * destroy() or any failure aborts everything in flight, aborts the multipart upload and removes the
 * temp files before 'close'. A write with a deferred key (a CACHE_THROUGH or THROUGH write the
 * master commits, CreateOptions.commitTo) that needs parts sends them to that key and leaves the
 * upload open when end() completes: `pendingUpload` names it, and the master's CompleteMultipartUpload
 * is the commit (no copy); after 'finish' the writer no longer aborts it.
 */
import { setMaxListeners } from 'node:events';
import { unlink } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { TierfsError, toTierfsError } from '../../errors.js';
import type { UfsStatus, UfsWriteStream } from '../contract.js';
import { forEachLimited } from './concurrency.js';
import { abortQuietly, EMPTY_BODY, fileBody, uploadPartWithin } from './multipart.js';
import type { CompletedPart, ObjectClient } from './object-client.js';
import { createPartition, type Partition, type PartitionStorage } from './partition.js';
import { appendAll, createTempFile, type TempFile } from './temp-file.js';

/** How a store uploads files: the same for every file of the store. */
export interface UploadSettings {
  readonly partitionSize: number;
  /** Buffered writes larger than this go up in parts (Kodo's resumable threshold); default: partitionSize. */
  readonly multipartThreshold?: number;
  readonly uploadThreads: number;
  readonly partTimeoutMs?: number;
  /** The property that set partTimeoutMs, for the message when a part misses it. */
  readonly partTimeoutKey?: string;
  readonly tmpDirs: readonly string[];
}

/** Where an upload goes, and how. */
export interface UploadTarget extends UploadSettings {
  readonly client: ObjectClient;
  readonly key: string;
  readonly contentType?: string;
}

export interface ObjectWriteTarget extends UploadTarget {
  /** For messages: the file's URI. */
  readonly uri: string;
  /**
   * Where a write too large for one PUT goes as a multipart upload left open (CreateOptions.commitTo):
   * the writer then completes nothing, and its `pendingUpload` names the upload. Without it parts
   * go to `key` and the upload is completed on end().
   */
  readonly deferredKey?: string;
  /**
   * Runs after the object is in place (e.g. writing parent directory markers) with the etag the
   * store answered (when it sent one) and the bytes written; resolves to the file's status.
   */
  readonly afterCommit: (etag: string | undefined, size: number) => Promise<UfsStatus | undefined>;
}

/** How a writer stages the file: see the comment at the top. */
export type ObjectUploadMode = 'buffered' | 'streaming' | 'multipart';

export async function createObjectWriter(
  target: ObjectWriteTarget,
  mode: ObjectUploadMode,
): Promise<UfsWriteStream> {
  switch (mode) {
    case 'streaming':
      return new StreamingObjectWriter(target, 'disk');
    case 'multipart':
      return new StreamingObjectWriter(target, 'memory');
    case 'buffered':
      return new BufferedObjectWriter(target, await createTempFile(target.tmpDirs));
  }
}

/**
 * Uploads `size` bytes of the local file at `path` as the object: one PUT up to the multipart
 * threshold, else parts read straight from ranges of the file, `uploadThreads` at once (a retried
 * part re-reads its range). Nothing is copied first. On failure the multipart upload is aborted,
 * so nothing appears at the key. Resolves to the etag the store answered, when it sent one.
 */
export async function uploadLocalFile(
  target: UploadTarget,
  path: string,
  size: number,
  signal: AbortSignal,
): Promise<string | undefined> {
  const { client, key, partitionSize, contentType } = target;
  if (size <= (target.multipartThreshold ?? partitionSize)) {
    return client.putObject(key, fileBody(path, 0, size), { contentType, signal });
  }
  const { uploadId, parts } = await uploadFileParts(target, key, path, size, signal);
  try {
    return await client.completeMultipartUpload(key, uploadId, parts, { signal });
  } catch (error) {
    await abortQuietly(client, key, uploadId);
    throw error;
  }
}

/** An open multipart upload with all its parts sent: what completing it takes. */
export interface OpenUpload {
  readonly uploadId: string;
  /** In part-number order. */
  readonly parts: readonly CompletedPart[];
}

/**
 * The parts of `size` bytes of the local file at `path`, uploaded to `key` as a multipart upload
 * left open (`uploadThreads` at once, each read from its range of the file). On failure the upload
 * is aborted.
 */
export async function uploadFileParts(
  target: UploadTarget,
  key: string,
  path: string,
  size: number,
  signal: AbortSignal,
): Promise<OpenUpload> {
  const { client, partitionSize, contentType } = target;
  const uploadId = await client.initiateMultipartUpload(key, { contentType });
  try {
    const count = Math.ceil(size / partitionSize);
    const parts: CompletedPart[] = [];
    await forEachLimited(
      Array.from({ length: count }, (_, i) => i),
      target.uploadThreads,
      async (i) => {
        const start = i * partitionSize;
        const body = fileBody(path, start, Math.min(partitionSize, size - start));
        const etag = await uploadPartWithin(
          client,
          key,
          uploadId,
          i + 1,
          body,
          signal,
          target.partTimeoutMs,
          target.partTimeoutKey,
        );
        parts.push({ partNumber: i + 1, etag });
      },
    );
    parts.sort((a, b) => a.partNumber - b.partNumber);
    return { uploadId, parts };
  } catch (error) {
    await abortQuietly(client, key, uploadId);
    throw error;
  }
}

/** The token a writer's `pendingUpload` holds: the upload id and its parts' etags in order. */
export function encodePendingUpload(upload: OpenUpload): string {
  return JSON.stringify({ uploadId: upload.uploadId, etags: upload.parts.map((part) => part.etag) });
}

/** The upload a `pendingUpload` token names; INVALID_ARGUMENT for anything else. */
export function decodePendingUpload(token: string): OpenUpload {
  try {
    const value = JSON.parse(token) as { uploadId?: unknown; etags?: unknown };
    if (
      typeof value.uploadId === 'string' &&
      value.uploadId !== '' &&
      Array.isArray(value.etags) &&
      value.etags.length > 0 &&
      value.etags.every((etag) => typeof etag === 'string')
    ) {
      const etags = value.etags as string[];
      return { uploadId: value.uploadId, parts: etags.map((etag, i) => ({ partNumber: i + 1, etag })) };
    }
  } catch {
    // refused below
  }
  throw new TierfsError(
    'INVALID_ARGUMENT',
    'not a pending upload: expected the pendingUpload of a write created with commitTo',
  );
}

abstract class ObjectWriter extends Writable implements UfsWriteStream {
  protected readonly abort = new AbortController();
  private committed = false;
  private bytes = 0;
  written: UfsStatus | undefined;
  pendingUpload: string | undefined;
  private finalizing: Promise<void> | undefined;
  /** The append of the chunk being written: destroy() waits for it, so what it opens is discarded too. */
  private appending: Promise<void> | undefined;

  constructor(protected readonly target: ObjectWriteTarget) {
    super({ highWaterMark: 256 * 1024 });
    // Every part in flight listens to this signal (upload.threads.max of them, and their retries).
    setMaxListeners(0, this.abort.signal);
  }

  protected abstract append(chunk: Buffer): Promise<void>;
  /**
   * Makes the object appear; resolves to the etag the store answered, when it sent one. With a
   * deferredKey, a multipart upload is left open instead: resolves to it.
   */
  protected abstract commit(): Promise<string | undefined | OpenUpload>;
  /** Stops everything in flight and removes what the write left (temp files, a multipart upload). */
  protected abstract discard(): Promise<void>;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.bytes += chunk.length;
    this.appending = this.append(chunk);
    this.appending.then(
      () => callback(),
      (error) => callback(toTierfsError(error, this.target.uri)),
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.finalizing = this.commit().then(async (result) => {
      this.committed = true;
      if (typeof result === 'object') this.pendingUpload = encodePendingUpload(result);
      else this.written = await this.target.afterCommit(result, this.bytes);
    });
    this.finalizing.then(
      () => callback(),
      (error) => callback(toTierfsError(error, this.target.uri)),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.committed) {
      callback(error);
      return;
    }
    this.abort.abort();
    // A chunk still being appended may be opening a partition (a temp file): discard after it.
    Promise.allSettled([this.appending, this.finalizing])
      .then(() => (this.committed ? undefined : this.discard()))
      .catch(() => undefined)
      .then(() => callback(error));
  }
}

class BufferedObjectWriter extends ObjectWriter {
  constructor(
    target: ObjectWriteTarget,
    private readonly file: TempFile,
  ) {
    super(target);
  }

  protected append(chunk: Buffer): Promise<void> {
    return appendAll(this.file, chunk);
  }

  protected async commit(): Promise<string | undefined | OpenUpload> {
    await this.file.handle.close();
    const { deferredKey, multipartThreshold, partitionSize } = this.target;
    const { path, size } = this.file;
    const result =
      deferredKey !== undefined && size > (multipartThreshold ?? partitionSize)
        ? await uploadFileParts(this.target, deferredKey, path, size, this.abort.signal)
        : await uploadLocalFile(this.target, path, size, this.abort.signal);
    await unlink(path).catch(() => undefined);
    return result;
  }

  protected async discard(): Promise<void> {
    await this.file.handle.close().catch(() => undefined);
    await unlink(this.file.path).catch(() => undefined);
  }
}

class StreamingObjectWriter extends ObjectWriter {
  private partition: Partition | undefined;
  private partNumber = 0;
  /** Started with the first full partition; never given the abort signal, so its id is always learnt. */
  private uploadId: Promise<string> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly parts: CompletedPart[] = [];
  private readonly partitions = new Set<Partition>();
  private failure: unknown;

  constructor(
    target: ObjectWriteTarget,
    private readonly storage: PartitionStorage,
  ) {
    super(target);
  }

  protected async append(chunk: Buffer): Promise<void> {
    const size = this.target.partitionSize;
    for (let at = 0; at < chunk.length; ) {
      this.throwIfFailed();
      this.partition ??= await this.newPartition();
      const piece = chunk.subarray(at, at + size - this.partition.size);
      await this.partition.append(piece);
      at += piece.length;
      if (this.partition.size === size) await this.submitPartition();
    }
  }

  protected async commit(): Promise<string | undefined | OpenUpload> {
    const { client, key, contentType } = this.target;
    if (this.uploadId === undefined) {
      const partition = this.partition;
      this.partition = undefined;
      const body = partition ? await partition.seal() : EMPTY_BODY;
      const etag = await client.putObject(key, body, { contentType, signal: this.abort.signal });
      if (partition) await this.release(partition);
      return etag;
    }
    if (this.partition && this.partition.size > 0) await this.submitPartition();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    this.throwIfFailed();
    const parts = [...this.parts].sort((a, b) => a.partNumber - b.partNumber);
    const uploadId = await this.uploadId;
    if (this.target.deferredKey !== undefined) return { uploadId, parts };
    return client.completeMultipartUpload(key, uploadId, parts, { signal: this.abort.signal });
  }

  /** Where the parts go: the deferred key when the upload is left open for someone else to complete. */
  private get partsKey(): string {
    return this.target.deferredKey ?? this.target.key;
  }

  protected async discard(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    const uploadId = await this.uploadId?.catch(() => undefined);
    if (uploadId !== undefined) await abortQuietly(this.target.client, this.partsKey, uploadId);
    await Promise.all([...this.partitions].map((partition) => this.release(partition)));
  }

  /** Waits for an upload slot (backpressure), then opens the next partition. */
  private async newPartition(): Promise<Partition> {
    while (this.inFlight.size >= this.target.uploadThreads) await Promise.race(this.inFlight);
    this.throwIfFailed();
    const partition = await createPartition(this.storage, this.target.partitionSize, this.target.tmpDirs);
    this.partitions.add(partition);
    return partition;
  }

  private async submitPartition(): Promise<void> {
    const partition = this.partition!;
    this.partition = undefined;
    const body = await partition.seal();
    const partNumber = ++this.partNumber;
    const { client, contentType } = this.target;
    const key = this.partsKey;
    this.uploadId ??= client.initiateMultipartUpload(key, { contentType });
    const task = (async () => {
      try {
        const uploadId = await this.uploadId!;
        const etag = await uploadPartWithin(
          client,
          key,
          uploadId,
          partNumber,
          body,
          this.abort.signal,
          this.target.partTimeoutMs,
          this.target.partTimeoutKey,
        );
        this.parts.push({ partNumber, etag });
        await this.release(partition, true);
      } catch (error) {
        this.failure ??= error;
        this.abort.abort();
        await this.release(partition);
      }
    })();
    this.inFlight.add(task);
    void task.then(() => this.inFlight.delete(task));
  }

  private async release(partition: Partition, reusable = false): Promise<void> {
    await partition.release(reusable);
    this.partitions.delete(partition);
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw toTierfsError(this.failure, this.target.uri);
  }
}
