import { describe, expect, it } from 'vitest';
import { encodeFrame, type FrameHeader, FrameReader, pinnedFrameEncoder } from './batch-read.js';

describe('pinnedFrameEncoder', () => {
  const lease = { lease: 'a1'.repeat(16), leaseExpiresMs: 1_765_000_000_123, pageSize: 1 << 20 };
  const files = [
    { pageIndex: 0, path: '/dev/shm/tierfs/mem/b1/0a"b\\c\u00e9\u0001.0', headerLength: 71, size: 4096 },
    { pageIndex: 3, path: '/dev/shm/tierfs/mem/b1/0a/3', headerLength: 71, size: 1 },
  ];

  it('makes the same bytes as encodeFrame of {i, pinned: {...lease, files}}, any path', () => {
    const encode = pinnedFrameEncoder(lease);
    for (const [i, of] of [
      [0, files],
      [255, files.slice(0, 1)],
      [7, []],
    ] as const) {
      const expected = Buffer.concat(encodeFrame({ i, pinned: { ...lease, files: of } }));
      expect(encode(i, of).equals(expected), `frame ${i}`).toBe(true);
    }
  });

  it('frames that a FrameReader reads back as their headers', () => {
    const encode = pinnedFrameEncoder(lease);
    const read: FrameHeader[] = [];
    const reader = new FrameReader((header) => read.push(header));
    reader.push(Buffer.concat([encode(1, files), encode(2, files.slice(1))]));
    expect(read).toEqual([
      { i: 1, pinned: { ...lease, files } },
      { i: 2, pinned: { ...lease, files: files.slice(1) } },
    ]);
    expect(reader.complete).toBe(true);
  });
});
