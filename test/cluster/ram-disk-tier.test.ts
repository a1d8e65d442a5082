/** The worker's MEM tier on a RAM disk: page files on tmpfs, found again after kill -9, removed on stop. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { readStream } from '../../src/ufs/io.js';
import { type DaemonCluster, daemonHome } from '../support/daemons.js';

const ram = mkdtempSync('/dev/shm/tierfs-worker-ram-');
let cluster: DaemonCluster | undefined;
afterAll(async () => {
  await cluster?.stop();
  rmSync(ram, { recursive: true, force: true });
});

function files(root: string): string[] {
  try {
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

describe('a worker with its MEM tier on a RAM disk', () => {
  it('keeps MUST_CACHE pages in tmpfs files that survive kill -9, and removes them on stop and format', async () => {
    cluster = await daemonHome([
      `tierfs.worker.tieredstore.level0.dirs.path=${ram}`,
      'tierfs.worker.ramdisk.size=16MB',
    ]);
    expect((await cluster.tierfs('format')).code).toBe(0);
    expect((await cluster.tierfs('start', 'local')).stderr).toBe('');
    const client = cluster.client('admin');
    const data = randomBytes(3 * 1024 * 1024 + 5);
    await pipeline(
      Readable.from([data]),
      await client.createFile('/only-cached.bin', { writeType: 'MUST_CACHE' }),
    );

    const id = readFileSync(join(cluster.home, 'worker', 'id'), 'utf8').trim();
    const mine = join(ram, id);
    expect(files(mine)).toHaveLength(4);

    process.kill(cluster.pid('worker'), 'SIGKILL');
    const restarted = await cluster.tierfs('start', 'worker');
    expect(restarted.stderr).toBe('');
    // MUST_CACHE data lives only in the cache: it reads back only because the page files survived.
    expect((await readStream(await client.openFile('/only-cached.bin'))).equals(data)).toBe(true);

    expect((await cluster.tierfs('stop', 'local')).code).toBe(0);
    expect(readdirSync(ram)).toEqual([]);

    // A killed worker's directory outlives it until the next start, or a format.
    expect((await cluster.tierfs('start', 'local')).stderr).toBe('');
    await pipeline(Readable.from([data]), await client.createFile('/again.bin', { writeType: 'MUST_CACHE' }));
    expect(files(mine)).toHaveLength(4);
    process.kill(cluster.pid('worker'), 'SIGKILL');
    expect((await cluster.tierfs('stop', 'local')).code).toBe(0);
    expect(files(mine)).toHaveLength(4);
    expect((await cluster.tierfs('format')).code).toBe(0);
    expect(readdirSync(ram)).toEqual([]);
  });
});
