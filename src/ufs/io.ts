/** Small stream helpers over the contract that every caller otherwise writes again. */
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TierfsError } from '../errors.js';
import type { CreateOptions, OpenOptions, UnderStore } from './contract.js';

/** The range an `open` asks for, checked: INVALID_ARGUMENT for a negative or fractional offset or length. */
export function readRangeOf(options: OpenOptions): { offset: number; length: number | undefined } {
  const { offset = 0, length } = options;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new TierfsError('INVALID_ARGUMENT', `read offset must be a non-negative integer, got ${offset}`);
  }
  if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) {
    throw new TierfsError('INVALID_ARGUMENT', `read length must be a non-negative integer, got ${length}`);
  }
  return { offset, length };
}

/** The version an `open` is pinned to, checked: INVALID_ARGUMENT for an empty or non-string one. */
export function readVersionOf(options: OpenOptions): string | undefined {
  const { version } = options;
  if (version === undefined) return undefined;
  if (typeof version !== 'string' || version === '') {
    throw new TierfsError(
      'INVALID_ARGUMENT',
      `read version must be a non-empty fingerprint, got '${version}'`,
    );
  }
  return version;
}

/** The STALE error of a read pinned to `expected` that found `found` at `uri`. */
export function staleVersion(uri: string, expected: string, found: string, cause?: unknown): TierfsError {
  return new TierfsError(
    'STALE',
    `${uri} changed since its metadata was read: expected version ${expected}, found ${found}`,
    { cause, details: { expected, found } },
  );
}

/** Aborts a write in progress and waits until the store has cleaned up after it. */
export async function abortWrite(stream: Writable, reason?: Error): Promise<void> {
  if (stream.closed) return;
  const closed = once(stream, 'close').catch(() => undefined);
  stream.destroy(reason);
  await closed;
}

/** Reads a stream to the end into one Buffer (for small objects and tests). */
export async function readStream(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

export async function readFile(store: UnderStore, path: string, options?: OpenOptions): Promise<Buffer> {
  return readStream(await store.open(path, options));
}

/** Writes a whole buffer or string as a file and resolves once it is visible. */
export async function writeFile(
  store: UnderStore,
  path: string,
  data: Buffer | string,
  options?: CreateOptions,
): Promise<void> {
  const out = await store.create(path, options);
  await pipeline(async function* () {
    yield typeof data === 'string' ? Buffer.from(data) : data;
  }, out);
}
