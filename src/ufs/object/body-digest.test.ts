import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bodyDigests, Crc64Ecma } from './body-digest.js';
import { fileBody } from './multipart.js';

/** CRC-64/ECMA-182 (reflected, "CRC-64/XZ") bit by bit: the reference. */
function bitwise(data: Uint8Array): string {
  let c = 0xffffffffffffffffn;
  for (const byte of data) {
    c ^= BigInt(byte);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ 0xc96c5795d7870f42n : c >> 1n;
  }
  return (c ^ 0xffffffffffffffffn).toString();
}

describe('Crc64Ecma', () => {
  it('has the CRC-64/XZ check value and matches the bitwise reference however the bytes are split', () => {
    expect(new Crc64Ecma().update(Buffer.from('123456789')).decimal()).toBe('11051210869376104954');
    expect(new Crc64Ecma().decimal()).toBe('0');
    for (let round = 0; round < 40; round++) {
      const data = randomBytes(round * 7 + (round % 3));
      const crc = new Crc64Ecma();
      for (let at = 0; at < data.length; ) {
        const n = 1 + ((at * 13 + round) % 17);
        crc.update(data.subarray(at, at + n));
        at += n;
      }
      expect(crc.decimal()).toBe(bitwise(data));
    }
  });
});

describe('bodyDigests', () => {
  it('digests a body in memory and a range of a file alike', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tierfs-digest-'));
    try {
      const data = randomBytes(5000);
      const file = join(dir, 'f');
      await writeFile(file, data);
      const range = data.subarray(1000, 4000);
      const fromFile = await bodyDigests(fileBody(file, 1000, 3000));
      const inMemory = await bodyDigests({
        length: range.length,
        bytes: range,
        open: () => fileBody(file, 1000, 3000).open(),
      });
      expect(fromFile).toEqual(inMemory);
      expect(fromFile.md5Base64).toBe(createHash('md5').update(range).digest('base64'));
      expect(fromFile.crc64ecma).toBe(bitwise(range));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
