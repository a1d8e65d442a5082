/**
 * One part of a streamed multipart upload while it fills and uploads: a temp file (streaming
 * upload) or a buffer (in-memory multipart upload, which writes no temp files). Sealed, it is a
 * re-openable ObjectBody, so a retried part sends its bytes again (a buffer's body is the buffer
 * itself, sent without a stream); released, its storage is freed.
 */
import { unlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { fileBody } from './multipart.js';
import type { ObjectBody } from './object-client.js';
import { appendAll, createTempFile, type TempFile } from './temp-file.js';

export interface Partition {
  readonly size: number;
  append(chunk: Buffer): Promise<void>;
  /** No more appends; the bytes as a request body. */
  seal(): Promise<ObjectBody>;
  /**
   * Frees the storage (idempotent, never throws). `reusable`: the bytes were sent and nothing can
   * still be reading them (the part's request completed), so a buffer may serve another partition.
   */
  release(reusable?: boolean): Promise<void>;
}

export type PartitionStorage = 'disk' | 'memory';

let allocated = 0;

/** Bytes held by the in-memory partitions of every writer of this process, now. */
export function memoryPartitionBytes(): number {
  return allocated;
}

/**
 * Buffers of partitions whose part went up, kept for the next partitions of the same capacity:
 * a 1 GiB write would otherwise allocate 128 buffers of 8 MiB, each outside V8's heap, and every
 * such allocation counts towards V8's next full garbage collection. At most POOL_MAX are kept
 * (one file's uploadThreads + 1 by default), and they are dropped after POOL_IDLE_MS unused.
 */
const POOL_MAX = 5;
const POOL_IDLE_MS = 10_000;
const pool: Buffer[] = [];
let poolTimer: NodeJS.Timeout | undefined;
/** Partition buffers allocated since the process started (not taken from the pool). */
let allocations = 0;

function takePooled(capacity: number): Buffer {
  const i = pool.findIndex((buffer) => buffer.length === capacity);
  if (i >= 0) return pool.splice(i, 1)[0]!;
  allocations++;
  return Buffer.allocUnsafe(capacity);
}

function givePooled(buffer: Buffer): void {
  if (pool.length >= POOL_MAX) pool.shift();
  pool.push(buffer);
  poolTimer?.refresh();
  poolTimer ??= setTimeout(() => {
    pool.length = 0;
    poolTimer = undefined;
  }, POOL_IDLE_MS).unref();
}

/** Partition buffers allocated so far, and how many the pool holds now. */
export function partitionBuffers(): { allocated: number; pooled: number } {
  return { allocated: allocations, pooled: pool.length };
}

export async function createPartition(
  storage: PartitionStorage,
  capacity: number,
  tmpDirs: readonly string[],
): Promise<Partition> {
  return storage === 'memory'
    ? new MemoryPartition(capacity)
    : new DiskPartition(await createTempFile(tmpDirs));
}

class DiskPartition implements Partition {
  constructor(private readonly file: TempFile) {}

  get size(): number {
    return this.file.size;
  }

  append(chunk: Buffer): Promise<void> {
    return appendAll(this.file, chunk);
  }

  async seal(): Promise<ObjectBody> {
    await this.file.handle.close();
    return fileBody(this.file.path, 0, this.file.size);
  }

  async release(): Promise<void> {
    await this.file.handle.close().catch(() => undefined);
    await unlink(this.file.path).catch(() => undefined);
  }
}

class MemoryPartition implements Partition {
  private buffer: Buffer | undefined;
  size = 0;

  constructor(private readonly capacity: number) {}

  async append(chunk: Buffer): Promise<void> {
    // Allocated on the first byte and copied into: the writer's caller may reuse its chunks.
    if (this.buffer === undefined) {
      this.buffer = takePooled(this.capacity);
      allocated += this.capacity;
    }
    chunk.copy(this.buffer, this.size);
    this.size += chunk.length;
  }

  async seal(): Promise<ObjectBody> {
    const bytes = this.buffer?.subarray(0, this.size) ?? Buffer.alloc(0);
    return { length: bytes.length, bytes, open: () => Readable.from([bytes], { objectMode: false }) };
  }

  async release(reusable = false): Promise<void> {
    if (this.buffer === undefined) return;
    allocated -= this.capacity;
    // A failed or aborted part's request may not be done with its bytes: that buffer is dropped.
    if (reusable) givePooled(this.buffer);
    this.buffer = undefined;
  }
}
