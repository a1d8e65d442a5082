/**
 * The index object of an offloaded ledger (Pulsar's OffloadIndexBlock, with JSON where Pulsar has
 * BookKeeper's protobuf ledger metadata):
 *
 *   header  = magic 0xDE47DE47 (int32), index length (int32), data object length (int64),
 *             data header length 128 (int64), block count (int32), metadata length (int32)
 *   metadata (UTF-8 JSON, LedgerMetadata below)
 *   one 20-byte record per block: first entry id (int64), part id (int32, from 1), offset (int64)
 *
 * A block's first entry starts at `offset + 128`; lookup takes the last block whose first entry
 * id is at most the wanted one.
 */
import { TierfsError } from '../errors.js';
import { BLOCK_HEADER_SIZE } from './block-format.js';

export const INDEX_MAGIC = 0xde47de47;
const HEADER_SIZE = 32;
const RECORD_SIZE = 20;

export interface LedgerMetadata {
  /** OFFLOAD_FORMAT_VERSION of the writer; readers refuse any other. */
  readonly formatVersion: number;
  readonly topic: string;
  readonly ledgerId: number;
  readonly entries: number;
  readonly lastEntryId: number;
  /** Payload bytes. */
  readonly length: number;
  readonly createdMs: number;
  readonly closedMs: number;
}

export interface IndexRecord {
  readonly entryId: number;
  readonly partId: number;
  readonly offset: number;
}

export interface OffloadIndex {
  readonly dataObjectLength: number;
  readonly metadata: LedgerMetadata;
  /** In entry order. */
  readonly blocks: readonly IndexRecord[];
}

export function encodeOffloadIndex(index: OffloadIndex): Buffer {
  const metadata = Buffer.from(JSON.stringify(index.metadata), 'utf8');
  const length = HEADER_SIZE + metadata.length + RECORD_SIZE * index.blocks.length;
  const buffer = Buffer.alloc(length);
  buffer.writeUInt32BE(INDEX_MAGIC, 0);
  buffer.writeInt32BE(length, 4);
  buffer.writeBigInt64BE(BigInt(index.dataObjectLength), 8);
  buffer.writeBigInt64BE(BigInt(BLOCK_HEADER_SIZE), 16);
  buffer.writeInt32BE(index.blocks.length, 24);
  buffer.writeInt32BE(metadata.length, 28);
  metadata.copy(buffer, HEADER_SIZE);
  let at = HEADER_SIZE + metadata.length;
  for (const block of index.blocks) {
    buffer.writeBigInt64BE(BigInt(block.entryId), at);
    buffer.writeInt32BE(block.partId, at + 8);
    buffer.writeBigInt64BE(BigInt(block.offset), at + 12);
    at += RECORD_SIZE;
  }
  return buffer;
}

export function decodeOffloadIndex(buffer: Buffer): OffloadIndex {
  const corrupt = (why: string) => new TierfsError('INTERNAL', `corrupt offload index: ${why}`);
  if (buffer.length < HEADER_SIZE) throw corrupt(`${buffer.length} bytes`);
  const magic = buffer.readUInt32BE(0);
  if (magic !== INDEX_MAGIC) throw corrupt(`magic 0x${magic.toString(16)}`);
  const length = buffer.readInt32BE(4);
  if (length !== buffer.length) throw corrupt(`length ${length}, object has ${buffer.length} bytes`);
  const dataObjectLength = Number(buffer.readBigInt64BE(8));
  const count = buffer.readInt32BE(24);
  const metadataLength = buffer.readInt32BE(28);
  if (HEADER_SIZE + metadataLength + count * RECORD_SIZE !== length) throw corrupt('inconsistent lengths');
  const metadata = JSON.parse(
    buffer.subarray(HEADER_SIZE, HEADER_SIZE + metadataLength).toString('utf8'),
  ) as LedgerMetadata;
  const blocks: IndexRecord[] = [];
  for (let i = 0, at = HEADER_SIZE + metadataLength; i < count; i++, at += RECORD_SIZE) {
    blocks.push({
      entryId: Number(buffer.readBigInt64BE(at)),
      partId: buffer.readInt32BE(at + 8),
      offset: Number(buffer.readBigInt64BE(at + 12)),
    });
  }
  return { dataObjectLength, metadata, blocks };
}

/** The block holding `entryId`: the last one starting at or before it. */
export function blockFor(index: OffloadIndex, entryId: number): IndexRecord {
  const { blocks } = index;
  let low = 0;
  let high = blocks.length - 1;
  if (high < 0 || entryId < blocks[0]!.entryId || entryId > index.metadata.lastEntryId) {
    throw new TierfsError(
      'NOT_FOUND',
      `entry ${entryId} is not in offloaded ledger ${index.metadata.ledgerId} of ${index.metadata.topic}`,
    );
  }
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (blocks[mid]!.entryId <= entryId) low = mid;
    else high = mid - 1;
  }
  return blocks[low]!;
}
