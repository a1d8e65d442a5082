/**
 * The format of one page file: a small header, then the page bytes.
 *
 *   0  'TFPG'              magic
 *   4  u8 version (1), 3 reserved bytes
 *   8  u32 CRC-32 of the page bytes
 *  12  u32 length of the page bytes
 *  16  u32 page index
 *  20  u16 length of the file key, then the file key (UTF-8)
 *      the page bytes
 *
 * All numbers little-endian. The header lets a restart rebuild the index from the files alone
 * and lets a read tell a torn, truncated or rotted file from a good one.
 */
const MAGIC = 0x47504654; // 'TFPG' read as little-endian u32
const VERSION = 1;
const FIXED = 22;
export const MAX_FILE_KEY_BYTES = 0xffff;
export const MAX_PAGE_INDEX = 0xffffffff;

export interface PageHeader {
  readonly crc: number;
  readonly length: number;
  readonly pageIndex: number;
  readonly fileKey: string;
  /** Bytes before the page bytes. */
  readonly headerLength: number;
}

export function encodeHeader(fileKey: string, pageIndex: number, length: number, crc: number): Buffer {
  const key = Buffer.from(fileKey, 'utf8');
  const header = Buffer.alloc(FIXED + key.length);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt8(VERSION, 4);
  header.writeUInt32LE(crc >>> 0, 8);
  header.writeUInt32LE(length, 12);
  header.writeUInt32LE(pageIndex, 16);
  header.writeUInt16LE(key.length, 20);
  key.copy(header, FIXED);
  return header;
}

/** Bytes before the page bytes in the file of a page of `fileKey`. */
export function headerLength(fileKey: string): number {
  return FIXED + Buffer.byteLength(fileKey, 'utf8');
}

/** The header length a file starting with `prefix` declares, once its fixed part is there. */
export function declaredHeaderLength(prefix: Buffer): number | undefined {
  if (prefix.length < FIXED || prefix.readUInt32LE(0) !== MAGIC) return undefined;
  return FIXED + prefix.readUInt16LE(20);
}

/** The header at the start of `bytes`, or undefined when it is not a page file header. */
export function decodeHeader(bytes: Buffer): PageHeader | undefined {
  if (bytes.length < FIXED || bytes.readUInt32LE(0) !== MAGIC || bytes.readUInt8(4) !== VERSION) {
    return undefined;
  }
  const keyLength = bytes.readUInt16LE(20);
  if (bytes.length < FIXED + keyLength) return undefined;
  return {
    crc: bytes.readUInt32LE(8),
    length: bytes.readUInt32LE(12),
    pageIndex: bytes.readUInt32LE(16),
    fileKey: bytes.toString('utf8', FIXED, FIXED + keyLength),
    headerLength: FIXED + keyLength,
  };
}
