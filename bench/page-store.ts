/**
 * Page store read throughput for 1 MiB pages: get from MEM, get from DISK (read + header + CRC-32
 * check), and readRange over cached pages, against fs.readFile of the same bytes from a file in the
 * OS page cache. Not part of `npm test`: run with `npx tsx bench/page-store.ts`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { PageStore } from '../src/cache/page-store.js';
import { readRange } from '../src/cache/range-reader.js';

const MiB = 1024 * 1024;
const PAGES = 64;
const ROUNDS = 8;
const CONCURRENCY = 8;
const KEY = 'bench-file';

async function measure(
  label: string,
  total: number,
  run: (index: number) => Promise<unknown>,
): Promise<number> {
  for (let i = 0; i < PAGES; i++) await run(i); // warm up
  const started = process.hrtime.bigint();
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < PAGES; i += CONCURRENCY) {
      await Promise.all(Array.from({ length: CONCURRENCY }, (_, j) => run(i + j)));
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = total / MiB / seconds;
  console.log(`${label.padEnd(44)} ${rate.toFixed(0).padStart(7)} MB/s`);
  return rate;
}

function measureSync(label: string, run: (data: Buffer) => unknown, data: Buffer): number {
  for (let i = 0; i < 50; i++) run(data);
  const started = process.hrtime.bigint();
  for (let i = 0; i < 500; i++) run(data);
  const rate = 500 / (Number(process.hrtime.bigint() - started) / 1e9);
  console.log(`${label.padEnd(44)} ${rate.toFixed(0).padStart(7)} MB/s`);
  return rate;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tierfs-bench-'));
  const total = PAGES * ROUNDS * MiB;
  const pages = Array.from({ length: PAGES }, () => randomBytes(MiB));
  console.log(
    `${PAGES} pages of 1 MiB, ${ROUNDS} rounds, ${CONCURRENCY} reads in flight, Node ${process.version}\n`,
  );

  const raw = join(dir, 'raw');
  await Promise.all(pages.map((page, i) => writeFile(`${raw}-${i}`, page)));
  const baseline = await measure('fs.readFile (OS page cache)', total, (i) => readFile(`${raw}-${i}`));

  const mem = await PageStore.open({ mem: { quota: PAGES * MiB * 2 } });
  await Promise.all(pages.map((page, i) => mem.put(KEY, i, page)));
  const memGet = await measure('PageStore.get from MEM (no copy)', total, (i) => mem.get(KEY, i));
  const memRange = await measure('readRange over MEM pages (copies)', total, (i) =>
    readRange(mem, { fileKey: KEY, fileSize: PAGES * MiB, offset: i * MiB, length: MiB, fetch: unreachable }),
  );
  await mem.close();

  const disk = await PageStore.open({
    disk: { dirs: [{ path: join(dir, 'pages'), quota: PAGES * MiB * 2 }] },
  });
  await Promise.all(pages.map((page, i) => disk.put(KEY, i, page)));
  const diskGet = await measure('PageStore.get from DISK (read + CRC-32)', total, (i) => disk.get(KEY, i));
  await disk.close();

  console.log('\nchecksums of one 1 MiB buffer:');
  const crc = measureSync('zlib.crc32 (used)', (data) => crc32(data), pages[0]!);
  measureSync('crypto sha1', (data) => createHash('sha1').update(data).digest(), pages[0]!);
  measureSync('crypto md5', (data) => createHash('md5').update(data).digest(), pages[0]!);

  console.log('\nratios to fs.readFile:');
  console.log(`  MEM get        ${(memGet / baseline).toFixed(2)}x`);
  console.log(`  MEM readRange  ${(memRange / baseline).toFixed(2)}x`);
  console.log(`  DISK get       ${(diskGet / baseline).toFixed(2)}x`);
  console.log(`  CRC-32 alone   ${(crc / baseline).toFixed(2)}x`);
  await rm(dir, { recursive: true, force: true });
}

async function unreachable(): Promise<Uint8Array> {
  throw new Error('every page is cached');
}

await main();
