/**
 * One ledger on local disk: an append-only file of entry records (entry-record.ts), entry ids from
 * 0. The record offsets are rebuilt by scanning the file when it is opened; a torn record at the
 * end (a crash mid-append) is cut off, so what survives is exactly what was fsync'd.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { TierfsError } from '../errors.js';
import { ENTRY_HEADER_SIZE, type Entry, type EntryRecord, encodeEntryRecord } from './entry-record.js';

const SCAN_BUFFER = 1024 * 1024;

export class LedgerFile {
  /** Offset of each entry's record. */
  private readonly offsets: number[] = [];
  private size = 0;
  private payload = 0;

  private constructor(
    readonly ledgerId: number,
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /** Opens (creating when `create`) a ledger file and indexes its records. */
  static async open(ledgerId: number, path: string, options: { create?: boolean } = {}): Promise<LedgerFile> {
    const handle = await open(path, options.create ? 'a+' : 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT')
        throw new TierfsError('NOT_FOUND', `ledger ${ledgerId} has no local copy (${path})`);
      throw error;
    });
    const file = new LedgerFile(ledgerId, path, handle);
    try {
      await file.index();
    } catch (error) {
      await handle.close();
      throw error;
    }
    return file;
  }

  get entries(): number {
    return this.offsets.length;
  }

  /** Payload bytes, without record headers. */
  get payloadBytes(): number {
    return this.payload;
  }

  /** Appends entries with the next ids and fsyncs once; returns the first id. */
  async append(payloads: readonly Buffer[]): Promise<number> {
    const first = this.offsets.length;
    const records = payloads.map((payload, i) => encodeEntryRecord(first + i, payload));
    const batch = Buffer.concat(records);
    let written = 0;
    while (written < batch.length) {
      const { bytesWritten } = await this.handle.write(
        batch,
        written,
        batch.length - written,
        this.size + written,
      );
      written += bytesWritten;
    }
    await this.handle.datasync();
    for (const record of records) {
      this.offsets.push(this.size);
      this.size += record.length;
      this.payload += record.length - ENTRY_HEADER_SIZE;
    }
    return first;
  }

  /** Entries first..last (inclusive, clipped to what the ledger has). */
  async read(first: number, last: number): Promise<Entry[]> {
    const end = Math.min(last, this.offsets.length - 1);
    if (first > end) return [];
    const start = this.offsets[first]!;
    const stop = end + 1 < this.offsets.length ? this.offsets[end + 1]! : this.size;
    const buffer = Buffer.allocUnsafe(stop - start);
    await this.readFully(buffer, start);
    const entries: Entry[] = [];
    for (let id = first; id <= end; id++) {
      const at = this.offsets[id]! - start;
      const length = buffer.readInt32BE(at);
      entries.push({
        ledgerId: this.ledgerId,
        entryId: id,
        payload: Buffer.from(buffer.subarray(at + ENTRY_HEADER_SIZE, at + ENTRY_HEADER_SIZE + length)),
      });
    }
    return entries;
  }

  /** Every record in entry order, read a megabyte at a time (what the offloader uploads). */
  async *records(): AsyncGenerator<EntryRecord> {
    for await (const { entryId, record } of this.scan(this.size)) yield { entryId, record };
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  private async index(): Promise<void> {
    const { size } = await this.handle.stat();
    let end = 0;
    for await (const { offset, record } of this.scan(size)) {
      this.offsets.push(offset);
      this.payload += record.length - ENTRY_HEADER_SIZE;
      end = offset + record.length;
    }
    this.size = end;
    if (end < size) await this.handle.truncate(end).catch(() => undefined);
  }

  private async *scan(size: number): AsyncGenerator<EntryRecord & { offset: number }> {
    let buffer = Buffer.alloc(0);
    let bufferStart = 0;
    let offset = 0;
    const ensure = async (bytes: number): Promise<boolean> => {
      if (offset + bytes > size) return false;
      if (offset + bytes <= bufferStart + buffer.length) return true;
      bufferStart = offset;
      buffer = Buffer.allocUnsafe(Math.min(size - offset, Math.max(bytes, SCAN_BUFFER)));
      await this.readFully(buffer, offset);
      return true;
    };
    while (await ensure(ENTRY_HEADER_SIZE)) {
      const length = buffer.readInt32BE(offset - bufferStart);
      if (length < 0 || !(await ensure(ENTRY_HEADER_SIZE + length))) return;
      const at = offset - bufferStart;
      const entryId = Number(buffer.readBigInt64BE(at + 4));
      const record = buffer.subarray(at, at + ENTRY_HEADER_SIZE + length);
      yield { offset, entryId, record };
      offset += record.length;
    }
  }

  private async readFully(buffer: Buffer, position: number): Promise<void> {
    let done = 0;
    while (done < buffer.length) {
      const { bytesRead } = await this.handle.read(buffer, done, buffer.length - done, position + done);
      if (bytesRead === 0)
        throw new TierfsError('INTERNAL', `ledger file ${this.path} is shorter than indexed`);
      done += bytesRead;
    }
  }
}
