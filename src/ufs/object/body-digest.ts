/**
 * Digests of a request body read from where it lives (the bytes in memory, or its range of a local
 * file read once more — the page cache's, just written), for stores that check what they receive:
 * the MD5 for `Content-MD5` (OSS, Kodo's parts) and the CRC-64/ECMA-182 OSS answers with
 * (`x-oss-hash-crc64ecma`), which the client compares with its own.
 */
import { createHash } from 'node:crypto';
import type { ObjectBody } from './object-client.js';

/** CRC-64/ECMA-182 as OSS computes it (the reflected "CRC-64/XZ": init and final XOR all ones). */
export class Crc64Ecma {
  private hi = 0xffffffff;
  private lo = 0xffffffff;

  update(data: Uint8Array): this {
    let { hi, lo } = this;
    for (let i = 0; i < data.length; i++) {
      const index = (lo ^ data[i]!) & 0xff;
      lo = (((lo >>> 8) | (hi << 24)) ^ TABLE.lo[index]!) >>> 0;
      hi = ((hi >>> 8) ^ TABLE.hi[index]!) >>> 0;
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

/** The reflected table of polynomial 0x42F0E1EBA9EA3693, as high and low 32-bit halves. */
const TABLE = (() => {
  const hi = new Uint32Array(256);
  const lo = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ 0xc96c5795d7870f42n : c >> 1n;
    hi[i] = Number(c >> 32n);
    lo[i] = Number(c & 0xffffffffn);
  }
  return { hi, lo };
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
