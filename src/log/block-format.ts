/**
 * The data object of an offloaded ledger, in Pulsar's BlobStore layout: a series of blocks, each
 * uploaded as one multipart part.
 *
 *   block  = header (128 bytes) + entry records + padding
 *   header = magic 0xFBDBABCB (int32), header length 128 (int64), block length (int64),
 *            first entry id (int64), zero padding
 *   entry  = [int32 length][int64 entry id][payload] (entry-record.ts); never split across blocks
 *   padding fills the rest of a block with the repeating bytes 0xFEDCDEAD, which read as a length
 *           are negative: that is how a reader knows the block's entries ended.
 *
 * Every block is `maxBlockSize` long except the last, which is min(maxBlockSize, what is left):
 * remaining payload + 12 × remaining entries + 128, so it carries no padding.
 */
import { TierfsError } from '../errors.js';
import { ENTRY_HEADER_SIZE, type EntryRecord } from './entry-record.js';

export const BLOCK_MAGIC = 0xfbdbabcb;
export const BLOCK_HEADER_SIZE = 128;
const PADDING = Buffer.from([0xfe, 0xdc, 0xde, 0xad]);

export interface BlockHeader {
  readonly blockLength: number;
  readonly firstEntryId: number;
}

export function encodeBlockHeader(header: BlockHeader): Buffer {
  const buffer = Buffer.alloc(BLOCK_HEADER_SIZE);
  buffer.writeUInt32BE(BLOCK_MAGIC, 0);
  buffer.writeBigInt64BE(BigInt(BLOCK_HEADER_SIZE), 4);
  buffer.writeBigInt64BE(BigInt(header.blockLength), 12);
  buffer.writeBigInt64BE(BigInt(header.firstEntryId), 20);
  return buffer;
}

export function decodeBlockHeader(buffer: Buffer, offset = 0): BlockHeader {
  const magic = buffer.readUInt32BE(offset);
  if (magic !== BLOCK_MAGIC) {
    throw new TierfsError(
      'INTERNAL',
      `not an offloaded data block: magic 0x${magic.toString(16)}, expected 0x${BLOCK_MAGIC.toString(16)}`,
    );
  }
  return {
    blockLength: Number(buffer.readBigInt64BE(offset + 12)),
    firstEntryId: Number(buffer.readBigInt64BE(offset + 20)),
  };
}

export interface DataBlock {
  readonly firstEntryId: number;
  /** Byte offset of the block in the data object. */
  readonly offset: number;
  readonly bytes: Buffer;
}

/** What is left to offload, to size the last block exactly. */
export interface LedgerTotals {
  readonly entries: number;
  readonly payloadBytes: number;
}

/** Cuts a ledger's records, in entry order, into blocks of the data object. */
export async function* dataBlocks(
  records: AsyncIterable<EntryRecord>,
  totals: LedgerTotals,
  maxBlockSize: number,
): AsyncGenerator<DataBlock> {
  let remainingEntries = totals.entries;
  let remainingPayload = totals.payloadBytes;
  let objectOffset = 0;
  let block: Buffer | undefined;
  let used = 0;
  let firstEntryId = 0;
  const finish = (): DataBlock => {
    const full = block!;
    for (let at = used; at < full.length; at += PADDING.length) PADDING.copy(full, at, 0, full.length - at);
    const done = { firstEntryId, offset: objectOffset, bytes: full };
    objectOffset += full.length;
    block = undefined;
    return done;
  };
  for await (const { entryId, record } of records) {
    if (block && used + record.length > block.length) yield finish();
    if (!block) {
      const size = Math.min(
        maxBlockSize,
        remainingPayload + ENTRY_HEADER_SIZE * remainingEntries + BLOCK_HEADER_SIZE,
      );
      if (BLOCK_HEADER_SIZE + record.length > size) {
        throw new TierfsError(
          'INVALID_ARGUMENT',
          `entry ${entryId} (${record.length - ENTRY_HEADER_SIZE} bytes) does not fit in a block of ${maxBlockSize} bytes ` +
            '(managedLedgerOffloadMaxBlockSizeInBytes)',
        );
      }
      block = Buffer.allocUnsafe(size);
      firstEntryId = entryId;
      encodeBlockHeader({ blockLength: size, firstEntryId }).copy(block, 0);
      used = BLOCK_HEADER_SIZE;
    }
    record.copy(block, used);
    used += record.length;
    remainingEntries -= 1;
    remainingPayload -= record.length - ENTRY_HEADER_SIZE;
  }
  if (block) yield finish();
}
