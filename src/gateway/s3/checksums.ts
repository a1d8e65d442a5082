/**
 * S3's flexible checksums (x-amz-checksum-crc32|crc32c|crc64nvme|sha1|sha256): the algorithms,
 * and which one a request declares — by a header carrying the value, by `x-amz-trailer` naming
 * a trailing header of an aws-chunked body, or by `x-amz-sdk-checksum-algorithm` alone — with
 * S3's InvalidRequest answers for a malformed value or more than one algorithm.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { crc32 } from 'node:zlib';
import { S3Error } from './errors.js';

export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = {
  crc32: 4,
  crc32c: 4,
  crc64nvme: 8,
  sha1: 20,
  sha256: 32,
};

export interface Checksum {
  update(data: Buffer): void;
  /** The digest, big-endian for the CRCs, as S3 base64-encodes it. */
  digest(): Buffer;
}

function crc32Table(polynomial: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ polynomial : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
}

const CRC32C_TABLE = crc32Table(0x82f63b78);

/** CRC-32C (Castagnoli, reflected), byte at a time. */
class Crc32c implements Checksum {
  private crc = 0xffffffff;
  update(data: Buffer): void {
    let c = this.crc;
    for (let i = 0; i < data.length; i++) c = CRC32C_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
    this.crc = c;
  }
  digest(): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32BE((this.crc ^ 0xffffffff) >>> 0);
    return out;
  }
}

/** The reflected CRC-64/NVME table, as high and low 32-bit halves. */
const CRC64_TABLE = (() => {
  const hi = new Uint32Array(256);
  const lo = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ 0x9a6c9329ac4bc9b5n : c >> 1n;
    hi[i] = Number(c >> 32n);
    lo[i] = Number(c & 0xffffffffn);
  }
  return { hi, lo };
})();

/** CRC-64/NVME (reflected, init and final XOR all ones), byte at a time over two 32-bit halves. */
class Crc64Nvme implements Checksum {
  private hi = 0xffffffff;
  private lo = 0xffffffff;
  update(data: Buffer): void {
    let { hi, lo } = this;
    for (let i = 0; i < data.length; i++) {
      const index = (lo ^ data[i]!) & 0xff;
      lo = (((lo >>> 8) | (hi << 24)) ^ CRC64_TABLE.lo[index]!) >>> 0;
      hi = ((hi >>> 8) ^ CRC64_TABLE.hi[index]!) >>> 0;
    }
    this.hi = hi;
    this.lo = lo;
  }
  digest(): Buffer {
    const out = Buffer.alloc(8);
    out.writeUInt32BE((this.hi ^ 0xffffffff) >>> 0, 0);
    out.writeUInt32BE((this.lo ^ 0xffffffff) >>> 0, 4);
    return out;
  }
}

class Crc32 implements Checksum {
  private crc = 0;
  update(data: Buffer): void {
    this.crc = crc32(data, this.crc);
  }
  digest(): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.crc >>> 0);
    return out;
  }
}

export function newChecksum(algorithm: ChecksumAlgorithm): Checksum {
  switch (algorithm) {
    case 'crc32':
      return new Crc32();
    case 'crc32c':
      return new Crc32c();
    case 'crc64nvme':
      return new Crc64Nvme();
    case 'sha1':
    case 'sha256': {
      const hash = createHash(algorithm);
      return { update: (data) => hash.update(data), digest: () => hash.digest() };
    }
  }
}

export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm}`;
}

function algorithmOf(name: string): ChecksumAlgorithm | undefined {
  const lower = name.trim().toLowerCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(lower)
    ? (lower as ChecksumAlgorithm)
    : undefined;
}

/** Whether `value` is the canonical base64 of a digest of this algorithm's width. */
export function validChecksumValue(algorithm: ChecksumAlgorithm, value: string): boolean {
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === DIGEST_BYTES[algorithm] && bytes.toString('base64') === value;
}

/** The checksum a request declares: its value now (a header), at the end (a trailer), or none (computed only). */
export interface DeclaredChecksum {
  readonly algorithm: ChecksumAlgorithm;
  readonly source: 'header' | 'trailer' | 'computed';
  /** The base64 value, when it came in a header. */
  readonly value?: string;
}

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers[name];
  return Array.isArray(raw) ? raw[0] : raw;
}

function invalidRequest(message: string): S3Error {
  return new S3Error('InvalidRequest', message);
}

export function declaredChecksum(
  headers: IncomingHttpHeaders,
  trailerAllowed: boolean,
): DeclaredChecksum | undefined {
  const given: { algorithm: ChecksumAlgorithm; value: string }[] = [];
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = single(headers, checksumHeaderName(algorithm));
    if (value !== undefined) given.push({ algorithm, value: value.trim() });
  }
  let trailer: ChecksumAlgorithm | undefined;
  const trailerHeader = single(headers, 'x-amz-trailer');
  if (trailerHeader !== undefined && trailerAllowed) {
    for (const name of trailerHeader.split(',').map((n) => n.trim().toLowerCase())) {
      if (!name.startsWith('x-amz-checksum-')) continue;
      const algorithm = algorithmOf(name.slice('x-amz-checksum-'.length));
      if (algorithm === undefined) throw invalidRequest(`Value for x-amz-trailer header is invalid: ${name}`);
      if (trailer !== undefined) throw invalidRequest('Expecting a single x-amz-checksum- header');
      trailer = algorithm;
    }
  }
  if (given.length > 1) {
    throw invalidRequest(
      'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    );
  }
  if (given.length === 1 && trailer !== undefined) {
    throw invalidRequest('Expecting a single x-amz-checksum- header');
  }
  const header = given[0];
  if (header && !validChecksumValue(header.algorithm, header.value)) {
    throw invalidRequest(`Value for ${checksumHeaderName(header.algorithm)} header is invalid.`);
  }
  const sdkHeader = single(headers, 'x-amz-sdk-checksum-algorithm');
  const sdk = sdkHeader === undefined ? undefined : algorithmOf(sdkHeader);
  if (sdkHeader !== undefined) {
    const named = header?.algorithm ?? trailer;
    if (sdk === undefined || (named !== undefined && named !== sdk)) {
      throw invalidRequest('Value for x-amz-sdk-checksum-algorithm header is invalid.');
    }
  }
  if (header) return { algorithm: header.algorithm, source: 'header', value: header.value };
  if (trailer) return { algorithm: trailer, source: 'trailer' };
  if (sdk) return { algorithm: sdk, source: 'computed' };
  return undefined;
}

export function checksumMismatch(algorithm: ChecksumAlgorithm): S3Error {
  return new S3Error(
    'BadDigest',
    `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
  );
}
