/**
 * Copies a stream to a file descriptor (stdout for `fs cat`) the way `cat` does, only better:
 * chunks are gathered while the previous write is under way and written with one writev (no copy,
 * as many chunks as have arrived), on the thread pool, so reading the next bytes from the worker
 * and writing the last ones to the pipe happen at the same time. Node's own stdout on a pipe writes
 * synchronously, chunk by chunk, with the event loop stopped until the reader has taken each one.
 * At most `highWater` bytes wait; past that the source is not read (backpressure).
 */
import { writev as fsWritev, writeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

/** Chunks one writev takes at most (IOV_MAX on Linux is 1024). */
const MAX_IOV = 1024;
export const DEFAULT_HIGH_WATER = 8 * 2 ** 20;

export type Writev = (fd: number, buffers: Buffer[]) => Promise<number>;

const writevFd: Writev = (fd, buffers) =>
  new Promise((resolve, reject) =>
    fsWritev(fd, buffers, (error, written) => (error ? reject(error) : resolve(written))),
  );

/** What is left of `buffers` after the first `written` bytes. */
export function dropWritten(buffers: Buffer[], written: number): Buffer[] {
  let skip = written;
  let i = 0;
  while (i < buffers.length && skip >= buffers[i]!.length) skip -= buffers[i++]!.length;
  const rest = buffers.slice(i);
  if (skip > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(skip);
  return rest;
}

export interface FdPipeOptions {
  readonly highWater?: number;
  /** The write (tests give their own); defaults to fs.writev. */
  readonly writev?: Writev;
  /**
   * Where the bytes go when the descriptor is non-blocking and full (EAGAIN): the stream over the
   * same descriptor, which waits for room. Without it EAGAIN is an error.
   */
  readonly fallback?: Writable;
}

/** Streams that took over once: later pipes to them keep using them, so bytes stay in order. */
const takenOver = new WeakSet<Writable>();

export async function pipeToFd(source: Readable, fd: number, options: FdPipeOptions = {}): Promise<void> {
  const highWater = options.highWater ?? DEFAULT_HIGH_WATER;
  const writev = options.writev ?? writevFd;
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failure: unknown;
  let useFallback = options.fallback !== undefined && takenOver.has(options.fallback);
  let wakeWriter: (() => void) | undefined;
  const pokeWriter = () => {
    const wake = wakeWriter;
    wakeWriter = undefined;
    wake?.();
  };

  const writeAll = async (buffers: Buffer[]): Promise<void> => {
    let rest = buffers;
    while (rest.length > 0) {
      if (useFallback) {
        for (const b of rest) if (!options.fallback!.write(b)) await waitDrain(options.fallback!);
        return;
      }
      try {
        rest = dropWritten(rest, await writev(fd, rest));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || !options.fallback) throw error;
        useFallback = true;
        takenOver.add(options.fallback);
      }
    }
  };

  // 'data' events, not async iteration: that would concatenate (copy) whatever has piled up.
  const reading = new Promise<void>((resolve) => {
    source.on('data', (chunk: Buffer) => {
      if (chunk.length === 0) return;
      queue.push(chunk);
      queued += chunk.length;
      if (queued > highWater) source.pause();
      pokeWriter();
    });
    source.once('end', () => {
      ended = true;
      resolve();
    });
    source.once('error', (error) => {
      failure ??= error;
      resolve();
    });
    source.once('close', () => {
      if (!ended) failure ??= new Error('the source closed before its end');
      resolve();
    });
  }).finally(pokeWriter);

  const writer = (async () => {
    for (;;) {
      if (failure !== undefined) return;
      if (queue.length === 0) {
        if (ended) return;
        await new Promise<void>((resolve) => {
          wakeWriter = resolve;
        });
        continue;
      }
      const batch = queue.splice(0, MAX_IOV);
      await writeAll(batch);
      for (const b of batch) queued -= b.length;
      if (queued <= highWater && source.isPaused() && !ended) source.resume();
    }
  })().catch((error: unknown) => {
    failure ??= error;
    source.destroy();
  });

  await Promise.all([reading, writer]);
  if (failure !== undefined) {
    source.destroy();
    throw failure;
  }
}

function waitDrain(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      stream.off('drain', onDrain);
      stream.off('error', done);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    stream.once('drain', onDrain);
    stream.once('error', done);
  });
}

/**
 * Writes `chunk` to `fd` whole before returning, as `cat` does: write(2) straight from the buffer,
 * no stream and no copy, so the caller may reuse the buffer as soon as it settles. A non-blocking
 * descriptor that is full (EAGAIN) gets the rest through `fallback` (the stream over the same
 * descriptor, which waits for room); the promise then settles once that write is done.
 */
export function writeWhole(fd: number, chunk: Buffer, fallback?: Writable): void | Promise<void> {
  let done = 0;
  while (done < chunk.length) {
    try {
      done += writeSync(fd, chunk, done, chunk.length - done);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || !fallback) throw error;
      const rest = chunk.subarray(done);
      return new Promise((resolve, reject) =>
        fallback.write(rest, (failure) => (failure ? reject(failure) : resolve())),
      );
    }
  }
}
