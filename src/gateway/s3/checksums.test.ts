import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { declaredChecksum, newChecksum } from './checksums.js';
import type { S3Error } from './errors.js';

const CHECK = Buffer.from('123456789');

function digestHex(algorithm: Parameters<typeof newChecksum>[0], pieces: Buffer[]): string {
  const sum = newChecksum(algorithm);
  for (const piece of pieces) sum.update(piece);
  return sum.digest().toString('hex');
}

describe('flexible checksum algorithms', () => {
  it('give the catalogued check values of "123456789", whole or in pieces', () => {
    const pieces = [CHECK.subarray(0, 2), CHECK.subarray(2, 7), CHECK.subarray(7)];
    for (const input of [[CHECK], pieces]) {
      expect(digestHex('crc32', input)).toBe('cbf43926');
      expect(digestHex('crc32c', input)).toBe('e3069283');
      expect(digestHex('crc64nvme', input)).toBe('ae8b14860a799888');
      expect(digestHex('sha1', input)).toBe(createHash('sha1').update(CHECK).digest('hex'));
      expect(digestHex('sha256', input)).toBe(createHash('sha256').update(CHECK).digest('hex'));
    }
  });
});

describe('the checksum a request declares', () => {
  const crc = Buffer.from('cbf43926', 'hex').toString('base64');

  it('is a header value, a trailer, or an algorithm only', () => {
    expect(declaredChecksum({ 'x-amz-checksum-crc32': crc }, false)).toEqual({
      algorithm: 'crc32',
      source: 'header',
      value: crc,
    });
    expect(declaredChecksum({ 'x-amz-trailer': 'x-amz-checksum-crc64nvme' }, true)).toEqual({
      algorithm: 'crc64nvme',
      source: 'trailer',
    });
    expect(declaredChecksum({ 'x-amz-sdk-checksum-algorithm': 'SHA1' }, false)).toEqual({
      algorithm: 'sha1',
      source: 'computed',
    });
    expect(declaredChecksum({ 'x-amz-checksum-mode': 'ENABLED' }, false)).toBeUndefined();
  });

  it('is refused with InvalidRequest when malformed, doubled or contradicted', () => {
    const refusal = (headers: Record<string, string>, trailer = false) => {
      try {
        declaredChecksum(headers, trailer);
      } catch (error) {
        return { code: (error as S3Error).code, message: (error as S3Error).message };
      }
      throw new Error('expected a refusal');
    };
    expect(refusal({ 'x-amz-checksum-crc32': 'AAAA' })).toEqual({
      code: 'InvalidRequest',
      message: 'Value for x-amz-checksum-crc32 header is invalid.',
    });
    expect(refusal({ 'x-amz-checksum-crc32': crc, 'x-amz-checksum-crc32c': crc }).message).toBe(
      'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    );
    expect(
      refusal({ 'x-amz-checksum-crc32': crc, 'x-amz-trailer': 'x-amz-checksum-sha1' }, true).message,
    ).toBe('Expecting a single x-amz-checksum- header');
    expect(refusal({ 'x-amz-sdk-checksum-algorithm': 'MD4' }).message).toBe(
      'Value for x-amz-sdk-checksum-algorithm header is invalid.',
    );
    expect(refusal({ 'x-amz-trailer': 'x-amz-checksum-md4' }, true).code).toBe('InvalidRequest');
  });
});
