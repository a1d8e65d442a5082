import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { S3Error } from './errors.js';
import {
  checkReadKey,
  customerKey,
  keyMatches,
  newRecord,
  SegmentDecipher,
  type SseRecord,
} from './sse-c.js';

const raw = randomBytes(32);
const key = { key: raw, keyMd5: createHash('md5').update(raw).digest('base64') };

async function decrypt(record: SseRecord, stored: Buffer, offset: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  // Small uneven chunks, so segment boundaries fall inside them.
  const pieces = [];
  for (let at = 0; at < stored.length; at += 7) pieces.push(stored.subarray(at, at + 7));
  for await (const chunk of Readable.from(pieces).pipe(new SegmentDecipher(record, key, offset))) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

describe('SSE-C key headers and cipher', () => {
  it('decrypts from any offset, across segments, with counters that carry past 64 bits', async () => {
    // IVs whose low bytes are all 0xff: the block counter carries into the upper bytes at once.
    const ivs = [
      Buffer.alloc(16, 0xff),
      Buffer.from('00000000000000000000fffffffffffe', 'hex'),
      randomBytes(16),
    ];
    const sizes = [40, 33, 50];
    const plain = randomBytes(sizes.reduce((a, b) => a + b, 0));
    const stored = Buffer.concat(
      ivs.map((iv, i) => {
        const start = sizes.slice(0, i).reduce((a, b) => a + b, 0);
        const cipher = createCipheriv('aes-256-ctr', raw, iv);
        return Buffer.concat([cipher.update(plain.subarray(start, start + sizes[i]!)), cipher.final()]);
      }),
    );
    const record: SseRecord = { ...newRecord(key), ivs: ivs.map((iv) => iv.toString('base64')), sizes };
    for (const offset of [0, 1, 15, 16, 17, 39, 40, 41, 72, 73, 100, plain.length - 1]) {
      expect((await decrypt(record, stored.subarray(offset), offset)).equals(plain.subarray(offset))).toBe(
        true,
      );
    }
    const single: SseRecord = { ...record, ivs: [ivs[0]!.toString('base64')], sizes: undefined };
    const cipher = createCipheriv('aes-256-ctr', raw, ivs[0]!);
    const whole = Buffer.concat([cipher.update(plain), cipher.final()]);
    for (const offset of [0, 5, 16, 33, 100]) {
      expect((await decrypt(single, whole.subarray(offset), offset)).equals(plain.subarray(offset))).toBe(
        true,
      );
    }
  });

  it('keeps a salted HMAC that tells the key from another, never the key', () => {
    const record = newRecord(key);
    expect(JSON.stringify(record)).not.toContain(raw.toString('base64'));
    expect(JSON.stringify(record)).not.toContain(key.keyMd5);
    expect(keyMatches(record, key)).toBe(true);
    const other = randomBytes(32);
    expect(keyMatches(record, { key: other, keyMd5: '' })).toBe(false);
    expect(newRecord(key).keyHmac).not.toBe(record.keyHmac);
    expect(() => checkReadKey(record, { key: other, keyMd5: '' })).toThrow(
      expect.objectContaining({ code: 'AccessDenied' }),
    );
    expect(() => checkReadKey(record, undefined)).toThrow(
      expect.objectContaining({ code: 'InvalidRequest' }),
    );
    expect(() => checkReadKey(undefined, key)).toThrow(expect.objectContaining({ code: 'InvalidRequest' }));
  });

  it('refuses malformed headers with InvalidArgument naming the header', () => {
    const headers = (h: Record<string, string>) => (name: string) => h[name];
    const P = 'x-amz-server-side-encryption-customer-';
    const good = {
      [`${P}algorithm`]: 'AES256',
      [`${P}key`]: raw.toString('base64'),
      [`${P}key-md5`]: key.keyMd5,
    };
    expect(customerKey(headers(good))?.key.equals(raw)).toBe(true);
    expect(customerKey(headers({}))).toBeUndefined();
    for (const [bad, named] of [
      [{ ...good, [`${P}key-md5`]: 'AAAAAAAAAAAAAAAAAAAAAA==' }, `${P}key-MD5`],
      [{ ...good, [`${P}key-md5`]: undefined }, `${P}key-MD5`],
      [{ ...good, [`${P}key`]: randomBytes(16).toString('base64') }, `${P}key`],
      [{ ...good, [`${P}key`]: undefined }, `${P}key`],
      [{ ...good, [`${P}algorithm`]: 'AES192' }, `${P}algorithm`],
      [{ ...good, [`${P}algorithm`]: undefined }, `${P}algorithm`],
    ] as const) {
      let error: unknown;
      try {
        customerKey(headers(bad as Record<string, string>));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(S3Error);
      expect(error).toMatchObject({ code: 'InvalidArgument' });
      expect((error as Error).message).toContain(named);
      expect((error as Error).message).not.toContain(raw.toString('base64'));
    }
  });
});
