import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { TierfsClient } from '../client/client.js';
import type { FileStatus } from '../cluster/wire.js';
import { ReadHandle } from './read-handle.js';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
const data = randomBytes(SIZE);
const status = { path: '/big.bin', size: SIZE, contentId: 'v1', isDirectory: false } as FileStatus;

/** A client whose worker streams ranges of `data` in 64 KiB chunks, and notes each range asked for. */
function fakeClient(ranges: { offset: number; length: number }[]): TierfsClient {
  return {
    openFile: async (_path: string, range: { offset: number; length: number }) => {
      ranges.push({ offset: range.offset, length: range.length });
      const bytes = data.subarray(range.offset, range.offset + range.length);
      return Readable.from(
        (function* () {
          for (let at = 0; at < bytes.length; at += 64 * 1024) yield bytes.subarray(at, at + 64 * 1024);
        })(),
      );
    },
  } as unknown as TierfsClient;
}

async function read(handle: ReadHandle, offset: number, length: number): Promise<Buffer> {
  const into = Buffer.alloc(length);
  const n = await handle.read(offset, into);
  return into.subarray(0, n);
}

const options = { readType: 'CACHE' as const, readAheadBytes: 8 * MiB };

describe('ReadHandle', () => {
  it('reads the holes of a warm pass (a few KiB each, far apart) with a ranged read of at most 1 MiB each', async () => {
    const ranges: { offset: number; length: number }[] = [];
    const handle = ReadHandle.open(fakeClient(ranges), { status }, options, async () => status);
    const holes = [5 * MiB + 4096, 9 * MiB + 123 * 4096, 12 * MiB, 40 * MiB + 8192, 63 * MiB];
    for (const at of holes) {
      expect((await read(handle, at, 16 * 1024)).equals(data.subarray(at, at + 16 * 1024))).toBe(true);
    }
    handle.close();
    expect(ranges.map((r) => r.offset)).toEqual(holes);
    expect(Math.max(...ranges.map((r) => r.length))).toBeLessThanOrEqual(MiB);
    // Before: 8 MiB at the first hole, then the rest of the file from the first read past it.
    expect(ranges.reduce((sum, r) => sum + r.length, 0)).toBeLessThanOrEqual(holes.length * MiB);
  });

  it('streams a sequential read from the start in one request, and after a seek continues to the end in one more', async () => {
    const ranges: { offset: number; length: number }[] = [];
    const handle = ReadHandle.open(fakeClient(ranges), { status }, options, async () => status);
    for (let at = 0; at < 4 * MiB; at += 128 * 1024) {
      expect((await read(handle, at, 128 * 1024)).equals(data.subarray(at, at + 128 * 1024))).toBe(true);
    }
    expect(ranges).toEqual([{ offset: 0, length: SIZE }]);
    const seek = 32 * MiB;
    for (let at = seek; at < SIZE; at += 128 * 1024) {
      expect((await read(handle, at, 128 * 1024)).equals(data.subarray(at, at + 128 * 1024))).toBe(true);
    }
    handle.close();
    expect(ranges.slice(1)).toEqual([
      { offset: seek, length: MiB },
      { offset: seek + MiB, length: SIZE - seek - MiB },
    ]);
  });

  it('serves reads a little out of order after a seek, every byte right', async () => {
    const ranges: { offset: number; length: number }[] = [];
    const handle = ReadHandle.open(fakeClient(ranges), { status }, options, async () => status);
    const order = [20, 21, 23, 22, 24, 26, 25, 27, 28, 30, 29, 31].map((i) => i * 128 * 1024);
    for (const at of order) {
      expect((await read(handle, at, 128 * 1024)).equals(data.subarray(at, at + 128 * 1024))).toBe(true);
    }
    handle.close();
    expect(ranges.length).toBeLessThanOrEqual(3);
  });
});

describe('ReadHandle with the file pinned at a worker on this host', () => {
  it('serves the holes of a warm pass from the pinned page files: one pin, no read of the worker', async () => {
    const ranges: { offset: number; length: number }[] = [];
    const pieces: { offset: number; length: number }[] = [];
    let pins = 0;
    let released = 0;
    const client = Object.assign(fakeClient(ranges), {
      pinFile: async (file: { status: FileStatus }) => {
        pins++;
        expect(file.status.contentId).toBe('v1');
        return {
          read: async (offset: number, length: number) => {
            pieces.push({ offset, length });
            return Buffer.from(data.subarray(offset, offset + length));
          },
          release: () => {
            released++;
          },
        };
      },
    }) as unknown as TierfsClient;
    const handle = ReadHandle.open(client, { status }, options, async () => status);
    const holes = [5 * MiB + 4096, 9 * MiB + 123 * 4096, 12 * MiB, 40 * MiB + 8192, SIZE - 8192];
    for (const at of holes) {
      const want = data.subarray(at, Math.min(at + 16 * 1024, SIZE));
      expect((await read(handle, at, 16 * 1024)).equals(want)).toBe(true);
    }
    handle.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(pins).toBe(1);
    expect(ranges).toEqual([]);
    expect(pieces).toEqual(holes.map((at) => ({ offset: at, length: Math.min(16 * 1024, SIZE - at) })));
    expect(released).toBe(1);
  });

  it('reads from the worker once the pinned files cannot serve a read, and a read from the start streams as before', async () => {
    const ranges: { offset: number; length: number }[] = [];
    let released = 0;
    const client = Object.assign(fakeClient(ranges), {
      pinFile: async () => ({
        read: async () => undefined, // the lease about to end, say
        release: () => {
          released++;
        },
      }),
    }) as unknown as TierfsClient;
    const handle = ReadHandle.open(client, { status }, options, async () => status);
    expect((await read(handle, 7 * MiB, 4096)).equals(data.subarray(7 * MiB, 7 * MiB + 4096))).toBe(true);
    expect(released).toBe(1);
    expect(ranges).toEqual([{ offset: 7 * MiB, length: MiB }]);
    const plain = ReadHandle.open(client, { status }, options, async () => status);
    expect((await read(plain, 0, 128 * 1024)).equals(data.subarray(0, 128 * 1024))).toBe(true);
    plain.close();
    handle.close();
    expect(ranges[1]).toEqual({ offset: 0, length: SIZE });
  });
});
