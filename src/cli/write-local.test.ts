import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { writeLocal } from './fs-transfer.js';

const dir = mkdtempSync(join(tmpdir(), 'tierfs-write-local-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function* chunksOf(...parts: Buffer[]): AsyncGenerator<Buffer> {
  yield* parts;
}

it('writes a small file at once, a file bigger than listed by streaming on, and never over an existing one', async () => {
  const small = Buffer.from('small file');
  await writeLocal(join(dir, 'small'), chunksOf(small.subarray(0, 5), small.subarray(5)), small.length);
  expect(readFileSync(join(dir, 'small'))).toEqual(small);

  // Listed as 10 bytes, replaced by 600 KiB before it was read: every byte lands, in order.
  const grown = Buffer.alloc(600 * 1024);
  for (let i = 0; i < grown.length; i++) grown[i] = i % 251;
  const parts = Array.from({ length: 10 }, (_, i) => grown.subarray(i * 61440, (i + 1) * 61440));
  await writeLocal(join(dir, 'grown'), chunksOf(...parts), 10);
  expect(readFileSync(join(dir, 'grown')).equals(grown)).toBe(true);

  await writeLocal(join(dir, 'empty'), chunksOf(), 0);
  expect(readFileSync(join(dir, 'empty'))).toHaveLength(0);

  writeFileSync(join(dir, 'there'), 'kept');
  await expect(writeLocal(join(dir, 'there'), chunksOf(small), small.length)).rejects.toMatchObject({
    code: 'EEXIST',
  });
  expect(readFileSync(join(dir, 'there'), 'utf8')).toBe('kept');
});
