/**
 * Reading an offloaded ledger back: the index object is fetched whole when the ledger is opened;
 * entries are then read from the data object by ranged GETs of `readBufferSize` bytes, starting at
 * the block the index names, with the next range fetched while the current one is parsed
 * (read-ahead). Buffers live only for one read call, so idle handles hold no memory but the index.
 */
import { isTierfsError, TierfsError } from '../errors.js';
import type { UnderStore } from '../ufs/contract.js';
import { BLOCK_HEADER_SIZE, decodeBlockHeader } from './block-format.js';
import { ENTRY_HEADER_SIZE, type Entry, readEntryHeader } from './entry-record.js';
import { blockFor, decodeOffloadIndex, type OffloadIndex } from './offload-index.js';

/** Bumped when the data or index layout changes; anything else is refused on read. */
export const OFFLOAD_FORMAT_VERSION = 1;

export interface OffloadedKeys {
  readonly data: string;
  readonly index: string;
}

export async function readObject(
  store: UnderStore,
  key: string,
  range?: { offset: number; length: number },
): Promise<Buffer> {
  const stream = await store.open(key, range);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** Where the entry after the last one read starts, so a sequential reader never rescans a block. */
interface ReadHint {
  readonly entryId: number;
  readonly offset: number;
  readonly blockEnd: number;
}

export class OffloadedLedger {
  private hint: ReadHint | undefined;

  private constructor(
    private readonly store: UnderStore,
    private readonly keys: OffloadedKeys,
    readonly index: OffloadIndex,
    private readonly readBufferSize: number,
  ) {}

  static async open(
    store: UnderStore,
    keys: OffloadedKeys,
    readBufferSize: number,
  ): Promise<OffloadedLedger> {
    let bytes: Buffer;
    try {
      bytes = await readObject(store, keys.index);
    } catch (error) {
      if (isTierfsError(error, 'NOT_FOUND')) {
        throw new TierfsError(
          'NOT_FOUND',
          `offloaded ledger index ${store.uri}${keys.index} does not exist`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
    const index = decodeOffloadIndex(bytes);
    const version = index.metadata.formatVersion;
    if (version !== OFFLOAD_FORMAT_VERSION) {
      throw new TierfsError(
        'UNSUPPORTED',
        `offloaded ledger ${store.uri}${keys.index} has format version ${version}; this tierfs reads ${OFFLOAD_FORMAT_VERSION}`,
      );
    }
    return new OffloadedLedger(store, keys, index, readBufferSize);
  }

  /** Entries first..last (inclusive, clipped to the ledger). */
  async read(first: number, last: number): Promise<Entry[]> {
    const { metadata, dataObjectLength } = this.index;
    const end = Math.min(last, metadata.lastEntryId);
    if (first > end) return [];
    const reader = new RangeReader(this.store, this.keys.data, dataObjectLength, this.readBufferSize);
    const entries: Entry[] = [];
    const hint = this.hint?.entryId === first ? this.hint : undefined;
    let blockStart = hint ? hint.offset : blockFor(this.index, first).offset;
    while (blockStart < dataObjectLength) {
      // A hint starts inside a block whose end is known; otherwise read the block's header.
      const blockEnd =
        hint && blockStart === hint.offset
          ? hint.blockEnd
          : blockStart + decodeBlockHeader(await reader.bytes(blockStart, BLOCK_HEADER_SIZE)).blockLength;
      let at = hint && blockStart === hint.offset ? blockStart : blockStart + BLOCK_HEADER_SIZE;
      while (at + ENTRY_HEADER_SIZE <= blockEnd) {
        const { length, entryId } = readEntryHeader(await reader.bytes(at, ENTRY_HEADER_SIZE), 0);
        if (length < 0) break; // padding: the block's entries ended
        const next = at + ENTRY_HEADER_SIZE + length;
        if (entryId >= first) {
          const payload = Buffer.from(await reader.bytes(at + ENTRY_HEADER_SIZE, length));
          entries.push({ ledgerId: metadata.ledgerId, entryId, payload });
          if (entryId >= end) {
            this.hint = { entryId: entryId + 1, offset: next, blockEnd };
            return entries;
          }
        }
        at = next;
      }
      blockStart = blockEnd;
    }
    if (entries.length !== end - first + 1) {
      throw new TierfsError(
        'INTERNAL',
        `offloaded ledger ${metadata.ledgerId} of ${metadata.topic} ended after ${entries.length} of ${end - first + 1} entries`,
      );
    }
    return entries;
  }
}

interface Range {
  readonly start: number;
  readonly data: Buffer;
}

/** Sequential ranged reads of one object: one buffer at a time plus the next one in flight. */
class RangeReader {
  private current: Range | undefined;
  private ahead: { start: number; promise: Promise<Range> } | undefined;

  constructor(
    private readonly store: UnderStore,
    private readonly key: string,
    private readonly length: number,
    private readonly bufferSize: number,
  ) {}

  async bytes(offset: number, length: number): Promise<Buffer> {
    if (offset + length > this.length) {
      throw new TierfsError(
        'INTERNAL',
        `read past the end of ${this.store.uri}${this.key} (${offset}+${length} > ${this.length})`,
      );
    }
    const parts: Buffer[] = [];
    for (let at = offset, left = length; left > 0; ) {
      const range = await this.rangeAt(at);
      const from = at - range.start;
      const take = Math.min(left, range.data.length - from);
      parts.push(range.data.subarray(from, from + take));
      at += take;
      left -= take;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  private async rangeAt(at: number): Promise<Range> {
    const current = this.current;
    if (current && at >= current.start && at < current.start + current.data.length) return current;
    const ahead = this.ahead;
    this.ahead = undefined;
    this.current = ahead?.start === at ? await ahead.promise : await this.fetch(at);
    const next = this.current.start + this.current.data.length;
    if (next < this.length) {
      const promise = this.fetch(next);
      promise.catch(() => undefined); // surfaced when (if) the range is used
      this.ahead = { start: next, promise };
    }
    return this.current;
  }

  private async fetch(start: number): Promise<Range> {
    const length = Math.min(this.bufferSize, this.length - start);
    return { start, data: await readObject(this.store, this.key, { offset: start, length }) };
  }
}
