/**
 * Hands the chunks a Writable receives to a consumer that pulls them (an HTTP request body), one
 * at a time and without copying or buffering them again: a chunk's write completes when the
 * consumer takes the next one, so the Writable's own buffer is the only one.
 */
interface Handed {
  readonly chunk: Buffer;
  readonly done: () => void;
}

export class ChunkHandoff implements AsyncIterable<Buffer> {
  private queued: Handed | undefined;
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  /** Queues a chunk; `done` runs once the consumer has taken it. One chunk at a time (Writable.write). */
  push(chunk: Buffer, done: () => void): void {
    this.queued = { chunk, done };
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  /** The consumer's iteration throws `error` (the writer gave up). */
  fail(error: Error): void {
    this.failure = error;
    this.notify();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      while (!this.queued && !this.ended && !this.failure) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
      if (this.failure) throw this.failure;
      const handed = this.queued;
      if (!handed) return;
      this.queued = undefined;
      yield handed.chunk;
      handed.done();
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
