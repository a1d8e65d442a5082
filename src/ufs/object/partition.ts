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
  /** Frees the storage (idempotent, never throws). */
  release(): Promise<void>;
}

export type PartitionStorage = 'disk' | 'memory';

let allocated = 0;

/** Bytes held by the in-memory partitions of every writer of this process, now. */
export function memoryPartitionBytes(): number {
  return allocated;
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
      this.buffer = Buffer.allocUnsafe(this.capacity);
      allocated += this.capacity;
    }
    chunk.copy(this.buffer, this.size);
    this.size += chunk.length;
  }

  async seal(): Promise<ObjectBody> {
    const bytes = this.buffer?.subarray(0, this.size) ?? Buffer.alloc(0);
    return { length: bytes.length, bytes, open: () => Readable.from([bytes], { objectMode: false }) };
  }

  async release(): Promise<void> {
    if (this.buffer !== undefined) allocated -= this.capacity;
    this.buffer = undefined;
  }
}
