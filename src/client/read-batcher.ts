/**
 * Small reads to one worker, sent together: the reads a client asks a worker for in the same turn
 * of the event loop (a directory read by many lanes at once) go as one `POST /data/batch`, each
 * with its own capability, instead of one `GET /data` each. A read is answered as soon as its frame
 * arrives; a failure of the whole request fails the reads it had not answered yet.
 */
import { BATCH_READ_MAX_READS, type BatchReadItem } from '../cluster/batch-read.js';
import { readBatchFromWorker, readFromWorker, type WorkerAddress } from '../cluster/data-client.js';
import type { ReadType } from '../cluster/io-types.js';
import { TierfsError } from '../errors.js';

/** Reads up to this long are batched; longer ones stream through `GET /data`. */
export const BATCHED_READ_MAX_BYTES = 256 * 1024;

interface Pending {
  readonly read: BatchReadItem & { readonly readType: ReadType };
  readonly resolve: (bytes: Buffer) => void;
  readonly reject: (error: unknown) => void;
}

export class ReadBatcher {
  private readonly queues = new Map<string, { worker: WorkerAddress; reads: Pending[] }>();

  /** The bytes of one small read, sent with the other reads of this turn to the same worker. */
  read(worker: WorkerAddress, read: Pending['read']): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      let queue = this.queues.get(worker.address);
      if (!queue) {
        queue = { worker, reads: [] };
        this.queues.set(worker.address, queue);
        const sent = queue;
        setImmediate(() => {
          if (this.queues.get(worker.address) === sent) this.queues.delete(worker.address);
          if (sent.reads.length > 0) void this.send(sent.worker, sent.reads);
        });
      }
      queue.reads.push({ read, resolve, reject });
      if (queue.reads.length >= BATCH_READ_MAX_READS) {
        this.queues.delete(worker.address);
        const full = queue.reads.splice(0);
        void this.send(worker, full);
      }
    });
  }

  private async send(worker: WorkerAddress, batch: Pending[]): Promise<void> {
    const answered = new Array<boolean>(batch.length).fill(false);
    try {
      const served = await readBatchFromWorker(
        worker,
        batch.map((p) => p.read),
        (i, result) => {
          const pending = batch[i];
          if (!pending || answered[i]) return;
          answered[i] = true;
          if (result instanceof Error) pending.reject(result);
          else pending.resolve(result);
        },
      );
      if (!served) return await this.oneByOne(worker, batch);
      batch.forEach((pending, i) => {
        if (!answered[i]) {
          pending.reject(new TierfsError('INTERNAL', `${worker.address} answered no frame for read ${i}`));
        }
      });
    } catch (error) {
      batch.forEach((pending, i) => {
        if (!answered[i]) pending.reject(error);
      });
    }
  }

  /** A worker without the batch endpoint: each read on its own. */
  private async oneByOne(worker: WorkerAddress, batch: Pending[]): Promise<void> {
    await Promise.all(
      batch.map(async ({ read, resolve, reject }) => {
        try {
          const body = await readFromWorker(worker, read.capability, read);
          const chunks: Buffer[] = [];
          for await (const chunk of body) chunks.push(chunk as Buffer);
          resolve(Buffer.concat(chunks));
        } catch (error) {
          reject(error);
        }
      }),
    );
  }
}
