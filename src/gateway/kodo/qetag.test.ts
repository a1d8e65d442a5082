import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { QETAG_BLOCK_SIZE, QetagHasher, QetagStream, qetag } from './qetag.js';
import { toUrlSafeBase64 } from './url-safe-base64.js';

/** The definition, computed the obvious way over whole buffers. */
function reference(data: Buffer): string {
  const blocks: Buffer[] = [];
  for (let at = 0; at < Math.max(1, data.length); at += QETAG_BLOCK_SIZE) {
    blocks.push(
      createHash('sha1')
        .update(data.subarray(at, at + QETAG_BLOCK_SIZE))
        .digest(),
    );
  }
  if (blocks.length === 1) return toUrlSafeBase64(Buffer.concat([Buffer.from([0x16]), blocks[0]!]));
  const outer = createHash('sha1').update(Buffer.concat(blocks)).digest();
  return toUrlSafeBase64(Buffer.concat([Buffer.from([0x96]), outer]));
}

describe('qetag', () => {
  it("gives the empty file's documented etag", () => {
    expect(qetag(Buffer.alloc(0))).toBe('Fto5o-5ea0sNMlW_75VgGJCv2AcJ');
  });

  it('uses the 0x16 prefix up to one block and 0x96 beyond', () => {
    expect(qetag(Buffer.from('hello')).startsWith('F')).toBe(true); // 0x16 → 'F'
    const twoBlocks = Buffer.alloc(QETAG_BLOCK_SIZE + 1, 7);
    expect(qetag(twoBlocks).startsWith('l')).toBe(true); // 0x96 → 'l'
  });

  it.each([
    0,
    1,
    QETAG_BLOCK_SIZE - 1,
    QETAG_BLOCK_SIZE,
    QETAG_BLOCK_SIZE + 1,
    2 * QETAG_BLOCK_SIZE,
    9 * 1024 * 1024,
  ])('matches the definition for %i bytes however the data is chunked', (size) => {
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4093) data[i] = i % 251;
    const chunked = new QetagHasher();
    for (let at = 0; at < size; at += 1_000_003) chunked.update(data.subarray(at, at + 1_000_003));
    expect(chunked.digest()).toBe(reference(data));
    expect(qetag(data)).toBe(reference(data));
  });

  it('hashes a stream passing through, and digest() is stable', async () => {
    const data = Buffer.alloc(QETAG_BLOCK_SIZE + 12345, 3);
    const hashing = new QetagStream();
    let seen = 0;
    await pipeline(
      Readable.from([data.subarray(0, 100), data.subarray(100)]),
      hashing,
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          seen += chunk.length;
          callback();
        },
      }),
    );
    expect(seen).toBe(data.length);
    expect(hashing.hasher.digest()).toBe(reference(data));
    expect(hashing.hasher.digest()).toBe(reference(data));
    expect(hashing.hasher.size).toBe(data.length);
  });
});
