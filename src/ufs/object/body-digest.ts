/**
 * Digests of a request body read from where it lives (the bytes in memory, or its range of a local
 * file read once more — the page cache's, just written), for stores that check what they receive:
 * the MD5 for `Content-MD5` (OSS, Kodo's parts) and the CRC-64/ECMA-182 OSS answers with
 * (`x-oss-hash-crc64ecma`), which the client compares with its own.
 */
import { createHash } from 'node:crypto';
import type { ObjectBody } from './object-client.js';

/**
 * CRC-64/ECMA-182 as OSS computes it (the reflected "CRC-64/XZ": init and final XOR all ones),
 * eight bytes at a time ("slicing-by-8") over 32-bit halves.
 */
export class Crc64Ecma {
  private hi = 0xffffffff;
  private lo = 0xffffffff;

  update(data: Uint8Array): this {
    let { hi, lo } = this;
    const { his, los } = TABLES;
    const [h0, h1, h2, h3, h4, h5, h6, h7] = his as Tables8;
    const [l0, l1, l2, l3, l4, l5, l6, l7] = los as Tables8;
    let i = 0;
    const whole = data.length - (data.length % 8);
    for (; i < whole; i += 8) {
      const a = (lo ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
      const b =
        (hi ^ (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24))) >>> 0;
      const x7 = a & 0xff;
      const x6 = (a >>> 8) & 0xff;
      const x5 = (a >>> 16) & 0xff;
      const x4 = a >>> 24;
      const x3 = b & 0xff;
      const x2 = (b >>> 8) & 0xff;
      const x1 = (b >>> 16) & 0xff;
      const x0 = b >>> 24;
      lo = (l7[x7]! ^ l6[x6]! ^ l5[x5]! ^ l4[x4]! ^ l3[x3]! ^ l2[x2]! ^ l1[x1]! ^ l0[x0]!) >>> 0;
      hi = (h7[x7]! ^ h6[x6]! ^ h5[x5]! ^ h4[x4]! ^ h3[x3]! ^ h2[x2]! ^ h1[x1]! ^ h0[x0]!) >>> 0;
    }
    for (; i < data.length; i++) {
      const index = (lo ^ data[i]!) & 0xff;
      lo = (((lo >>> 8) | (hi << 24)) ^ l0[index]!) >>> 0;
      hi = ((hi >>> 8) ^ h0[index]!) >>> 0;
    }
    this.hi = hi;
    this.lo = lo;
    return this;
  }

  /** The CRC as OSS writes it: an unsigned decimal integer. */
  decimal(): string {
    const value = (BigInt((this.hi ^ 0xffffffff) >>> 0) << 32n) | BigInt((this.lo ^ 0xffffffff) >>> 0);
    return value.toString(10);
  }
}

/**
 * The reflected tables of polynomial 0x42F0E1EBA9EA3693 as high and low 32-bit halves: [0] of a
 * byte, [k] of a byte followed by k zero bytes.
 */
/** Eight tables, one per byte of a 64-bit step. */
type Tables8 = [
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
];

const TABLES = (() => {
  const his: Uint32Array[] = [];
  const los: Uint32Array[] = [];
  const values: bigint[][] = [];
  const first: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ 0xc96c5795d7870f42n : c >> 1n;
    first.push(c);
  }
  values.push(first);
  for (let k = 1; k < 8; k++) {
    const previous = values[k - 1]!;
    values.push(previous.map((v) => (v >> 8n) ^ first[Number(v & 0xffn)]!));
  }
  for (const table of values) {
    his.push(Uint32Array.from(table, (v) => Number(v >> 32n)));
    los.push(Uint32Array.from(table, (v) => Number(v & 0xffffffffn)));
  }
  return { his, los };
})();

export interface BodyDigests {
  /** base64, as Content-MD5 takes it. */
  readonly md5Base64: string;
  readonly md5Hex: string;
  /** Unsigned decimal, as x-oss-hash-crc64ecma carries it. */
  readonly crc64ecma: string;
}

/** The MD5 and CRC-64/ECMA of a body, in one read of it. */
export async function bodyDigests(body: ObjectBody): Promise<BodyDigests> {
  const md5 = createHash('md5');
  const crc = new Crc64Ecma();
  if (body.bytes) {
    md5.update(body.bytes);
    crc.update(body.bytes);
  } else if (body.length > 0) {
    for await (const chunk of body.open()) {
      md5.update(chunk as Buffer);
      crc.update(chunk as Buffer);
    }
  }
  const digest = md5.digest();
  return { md5Base64: digest.toString('base64'), md5Hex: digest.toString('hex'), crc64ecma: crc.decimal() };
}
