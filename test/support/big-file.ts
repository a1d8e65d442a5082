/**
 * Large files for tests without holding them in memory: deterministic pseudo-random bytes (AES-256-CTR
 * over zeros with a key derived from a seed), written in chunks, with their SHA-256 taken on the way;
 * and the SHA-256 of any stream, taken as it flows.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const CHUNK = 4 * 1024 * 1024;

/** `size` deterministic bytes for `seed`, as a stream of chunks. */
export function deterministicBytes(seed: string, size: number): Readable {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK);
  let left = size;
  return Readable.from(
    (function* () {
      while (left > 0) {
        const n = Math.min(CHUNK, left);
        left -= n;
        yield cipher.update(zeros.subarray(0, n));
      }
    })(),
  );
}

/** The SHA-256 (hex) and byte count of everything the stream yields; rejects when the stream errors. */
export async function streamedSha256(
  stream: AsyncIterable<Uint8Array>,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Writes `size` deterministic bytes for `seed` to `path`; resolves their SHA-256. */
export async function writeDeterministicFile(path: string, seed: string, size: number): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const hash = createHash('sha256');
  await pipeline(
    deterministicBytes(seed, size),
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        yield chunk;
      }
    },
    createWriteStream(path),
  );
  return hash.digest('hex');
}
