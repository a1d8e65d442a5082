/**
 * One entry as stored, both in a local ledger file and in an offloaded data block (Pulsar's
 * layout): `[int32 payload length][int64 entry id][payload]`, big-endian.
 */
export const ENTRY_HEADER_SIZE = 12;

export interface Entry {
  readonly ledgerId: number;
  readonly entryId: number;
  readonly payload: Buffer;
}

/** An entry's full record (header and payload), as read from a ledger file. */
export interface EntryRecord {
  readonly entryId: number;
  readonly record: Buffer;
}

export function encodeEntryRecord(entryId: number, payload: Buffer): Buffer {
  const record = Buffer.allocUnsafe(ENTRY_HEADER_SIZE + payload.length);
  record.writeInt32BE(payload.length, 0);
  record.writeBigInt64BE(BigInt(entryId), 4);
  payload.copy(record, ENTRY_HEADER_SIZE);
  return record;
}

/** Length and id of the record starting at `offset`; a negative length marks block padding. */
export function readEntryHeader(buffer: Buffer, offset: number): { length: number; entryId: number } {
  return {
    length: buffer.readInt32BE(offset),
    entryId: Number(buffer.readBigInt64BE(offset + 4)),
  };
}
