/** The objects every tool reads: written once into the S3 gateway's directory and as a local file. */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type BenchContext, objectFile } from './context.js';
import { mapLimit } from './process.js';
import { BIG_KEY } from './scenarios/seq-read.js';
import { SMALL_DIR, smallKey } from './scenarios/small-read.js';

export async function writeRandomFile(path: string, size: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const out = createWriteStream(path);
  for (let written = 0; written < size; ) {
    const block = randomBytes(Math.min(8 * 2 ** 20, size - written));
    written += block.length;
    if (!out.write(block)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export async function prepareData(ctx: BenchContext, needs: { big: boolean; small: boolean }): Promise<void> {
  await writeRandomFile(ctx.localBig, ctx.sizeBytes);
  if (needs.big) {
    await mkdir(dirname(objectFile(ctx, BIG_KEY)), { recursive: true });
    await copyFile(ctx.localBig, objectFile(ctx, BIG_KEY));
  }
  if (needs.small) {
    await mkdir(objectFile(ctx, SMALL_DIR), { recursive: true });
    const seed = randomBytes(ctx.smallBytes);
    const indexes = Array.from({ length: ctx.smallCount }, (_, i) => i);
    await mapLimit(indexes, 32, async (i) => {
      const body = Buffer.from(seed);
      body.writeUInt32BE(i, 0);
      await writeFile(objectFile(ctx, smallKey(i)), body);
    });
  }
}
