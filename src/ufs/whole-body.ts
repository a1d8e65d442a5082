/**
 * A body received whole (a small GET's answer, read into memory before it is handed over): a
 * Readable of its one chunk, already told its end, that also holds the bytes themselves. A reader
 * that wants the bytes at once takes them (takeWholeBytes) instead of reading the stream: a small
 * cold read then runs no stream machinery (no pipe, no async iterator, no metering Transform) in
 * any layer between the store and the page cache.
 */
import { Readable } from 'node:stream';

export class WholeBody extends Readable {
  constructor(readonly bytes: Buffer) {
    super({ read() {} });
    // Told its end now: a reader that stops once it has every byte finds it finished, where a
    // stream still open would be destroyed with an AbortError (a stack trace per read).
    if (bytes.length > 0) this.push(bytes);
    this.push(null);
  }
}

/**
 * The bytes of a body received whole, the stream closed unread (its 'close' still tells the layers
 * that listen for it); undefined for any other stream, which is to be read as usual.
 */
export function takeWholeBytes(stream: Readable): Buffer | undefined {
  if (!(stream instanceof WholeBody)) return undefined;
  stream.destroy();
  return stream.bytes;
}
