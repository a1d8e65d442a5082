/** The objects every tool reads: written once into the S3 gateway's directory and as a local file. */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { forEachLimited } from '../../src/ufs/object/concurrency.js';
import { type BenchContext, objectFile } from './context.js';
import { LIST_DIR, listKey } from './scenarios/list.js';
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

/** What writing the data needs of the context: where the store's files and the local copy go, and the sizes. */
export type DataPlan = Pick<
  BenchContext,
  's3Root' | 'target' | 'localBig' | 'sizeBytes' | 'smallBytes' | 'smallCount' | 'listCount'
>;

async function writeObjects(ctx: DataPlan, dir: string, count: number, key: (i: number) => string) {
  await mkdir(objectFile(ctx, dir), { recursive: true });
  const seed = randomBytes(ctx.smallBytes);
  const indexes = Array.from({ length: count }, (_, i) => i);
  await forEachLimited(indexes, 32, async (i) => {
    const body = Buffer.from(seed);
    body.writeUInt32BE(i, 0);
    await writeFile(objectFile(ctx, key(i)), body);
  });
}

export async function prepareData(
  ctx: DataPlan,
  needs: { big: boolean; small: boolean; list: boolean },
): Promise<void> {
  await writeRandomFile(ctx.localBig, ctx.sizeBytes);
  if (needs.big) {
    await mkdir(dirname(objectFile(ctx, BIG_KEY)), { recursive: true });
    await copyFile(ctx.localBig, objectFile(ctx, BIG_KEY));
  }
  if (needs.small) await writeObjects(ctx, SMALL_DIR, ctx.smallCount, smallKey);
  if (needs.list) await writeObjects(ctx, LIST_DIR, ctx.listCount, listKey);
}
