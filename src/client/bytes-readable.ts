/**
 * A stream of bytes already in memory (a small file read in a batch, or read ahead): a Readable
 * like any other, whose async iterator, when it is the first to read it (`for await` over the
 * stream, what most readers of a small file do), hands the bytes over as they are and destroys the
 * stream when done, as a Readable's own iterator does, without the stream machinery in between
 * (its end-of-stream listeners, a promise and events per chunk: a good part of a warm small read).
 */
import { Readable } from 'node:stream';

export class BytesReadable extends Readable {
  private pending: Buffer | undefined;

  constructor(bytes: Buffer) {
    super();
    this.pending = bytes;
  }

  override _read(): void {
    const bytes = this.pending;
    this.pending = undefined;
    if (bytes && bytes.length > 0) this.push(bytes);
    if (!this.readableEnded) this.push(null);
  }

  override [Symbol.asyncIterator](): NodeJS.AsyncIterator<Buffer> {
    const bytes = this.pending;
    if (bytes === undefined || this.readableDidRead || this.destroyed || this.readableFlowing !== null)
      return super[Symbol.asyncIterator]();
    this.pending = undefined;
    return handOver(this, bytes);
  }
}

/** The bytes, then the stream's end (and so its close); destroyed when the loop is left early. */
async function* handOver(stream: Readable, bytes: Buffer): AsyncGenerator<Buffer, undefined> {
  let read = false;
  try {
    if (bytes.length > 0) yield bytes;
    read = true;
  } finally {
    if (read) {
      stream.push(null);
      stream.resume();
    } else stream.destroy();
  }
  return undefined;
}
