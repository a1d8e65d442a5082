import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { Configuration } from '../config/configuration.js';
import '../ufs/drivers.js';
import { FileSystem } from '../ufs/registry.js';
import { BLOCK_HEADER_SIZE, dataBlocks, decodeBlockHeader } from './block-format.js';
import { type EntryRecord, encodeEntryRecord } from './entry-record.js';
import { blockFor, decodeOffloadIndex, encodeOffloadIndex, type IndexRecord } from './offload-index.js';
import { OFFLOAD_FORMAT_VERSION, OffloadedLedger } from './offloaded-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'tierfs-blocks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const payloads = Array.from({ length: 200 }, (_, i) => Buffer.alloc(i % 37, i));

async function* records(): AsyncGenerator<EntryRecord> {
  for (const [entryId, payload] of payloads.entries())
    yield { entryId, record: encodeEntryRecord(entryId, payload) };
}

describe('data blocks and index', () => {
  it('cuts entries into padded blocks of the maximum size, the last one exact', async () => {
    const totals = { entries: payloads.length, payloadBytes: payloads.reduce((s, p) => s + p.length, 0) };
    const blocks = [];
    for await (const block of dataBlocks(records(), totals, 512))
      blocks.push({ ...block, bytes: Buffer.from(block.bytes) });
    expect(blocks.length).toBeGreaterThan(5);
    let offset = 0;
    for (const [i, block] of blocks.entries()) {
      expect(block.offset).toBe(offset);
      const header = decodeBlockHeader(block.bytes);
      expect(header).toEqual({ blockLength: block.bytes.length, firstEntryId: block.firstEntryId });
      expect(block.bytes.readBigInt64BE(4)).toBe(BigInt(BLOCK_HEADER_SIZE));
      if (i < blocks.length - 1) expect(block.bytes.length).toBe(512);
      offset += block.bytes.length;
    }
    const total = BLOCK_HEADER_SIZE * blocks.length + totals.payloadBytes + 12 * totals.entries;
    expect(
      blocks
        .at(-1)!
        .bytes.subarray(-4)
        .equals(Buffer.from([0xfe, 0xdc, 0xde, 0xad])),
    ).toBe(false);
    expect(offset).toBeGreaterThanOrEqual(total);

    // Written to a store with its index, every entry reads back, whatever the read buffer size.
    const store = await FileSystem.get(dir, Configuration.of());
    await pipeline(Readable.from(blocks.map((b) => b.bytes)), await store.create('data'));
    const index: IndexRecord[] = blocks.map((b, i) => ({
      entryId: b.firstEntryId,
      partId: i + 1,
      offset: b.offset,
    }));
    const metadata = {
      formatVersion: OFFLOAD_FORMAT_VERSION,
      topic: 't/n/x',
      ledgerId: 7,
      entries: payloads.length,
      lastEntryId: payloads.length - 1,
      length: totals.payloadBytes,
      createdMs: 1,
      closedMs: 2,
    };
    const encoded = encodeOffloadIndex({ dataObjectLength: offset, metadata, blocks: index });
    expect(decodeOffloadIndex(encoded)).toEqual({ dataObjectLength: offset, metadata, blocks: index });
    expect(blockFor(decodeOffloadIndex(encoded), index[3]!.entryId + 1)).toEqual(index[3]);
    await pipeline(Readable.from([encoded]), await store.create('index'));
    for (const bufferSize of [7, 100, 4096]) {
      const ledger = await OffloadedLedger.open(store, { data: 'data', index: 'index' }, bufferSize);
      const all = await ledger.read(0, 10_000);
      expect(all.map((e) => e.payload)).toEqual(payloads);
      expect((await ledger.read(150, 152)).map((e) => e.entryId)).toEqual([150, 151, 152]);
    }
    await store.close();
  });

  it('refuses an entry larger than a block', async () => {
    async function* big(): AsyncGenerator<EntryRecord> {
      yield { entryId: 0, record: encodeEntryRecord(0, Buffer.alloc(1000)) };
    }
    await expect(async () => {
      for await (const _ of dataBlocks(big(), { entries: 2, payloadBytes: 2000 }, 512)) {
        // consume
      }
    }).rejects.toThrow(/does not fit in a block of 512 bytes/);
  });
});
