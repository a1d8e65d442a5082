import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Configuration } from '../config/configuration.js';
import { isTierfsError } from '../errors.js';
import { PageStore } from './page-store.js';
import { optionsFromConfiguration } from './page-store-options.js';

const MB = 1024 * 1024;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tierfs-pageconf-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('optionsFromConfiguration', () => {
  it('defaults to a 1GB MEM tier on /dev/shm in front of a DISK tier of 512MB less 10% overhead, 1MB pages, LRU', () => {
    expect(optionsFromConfiguration(Configuration.of())).toEqual({
      pageSize: MB,
      evictor: 'LRU',
      mem: {
        quota: 1024 * MB,
        path: '/dev/shm/tierfs/tierfs',
        quotaSource: 'tierfs.worker.tieredstore.level0.dirs.quota',
        highWatermark: 0.95,
        lowWatermark: 0.7,
      },
      disk: {
        dirs: [{ path: join(process.cwd(), 'cache'), quota: Math.floor(512 * MB * 0.9) }],
        buckets: 1000,
        highWatermark: 0.95,
        lowWatermark: 0.7,
      },
    });
  });

  it('is DISK only with one level', () => {
    expect(
      optionsFromConfiguration(Configuration.of({ 'tierfs.worker.tieredstore.levels': '1' })).mem,
    ).toBeUndefined();
  });

  it('puts a MEM tier (level0) in front of the DISK tier (level1) with two levels', () => {
    const conf = Configuration.of({
      'tierfs.worker.tieredstore.levels': '2',
      'tierfs.worker.ramdisk.size': '64MB',
      'tierfs.worker.tieredstore.level0.watermark.low.ratio': '0.5',
      'tierfs.worker.tieredstore.level1.watermark.high.ratio': '0.9',
      'tierfs.worker.page.store.dirs': `${dir}/a,${dir}/b`,
      'tierfs.worker.page.store.sizes': '10MB,20MB',
      'tierfs.worker.page.store.overhead': '0',
      'alluxio.worker.page.store.page.size': '64KB',
      'tierfs.worker.page.store.evictor.type': 'LFU',
      'tierfs.worker.tieredstore.level0.dirs.path': `${dir}/ram`,
    });
    expect(optionsFromConfiguration(conf, 'worker-1')).toEqual({
      pageSize: 64 * 1024,
      evictor: 'LFU',
      mem: {
        quota: 64 * MB,
        path: `${dir}/ram/worker-1`,
        quotaSource: 'tierfs.worker.tieredstore.level0.dirs.quota',
        highWatermark: 0.95,
        lowWatermark: 0.5,
      },
      disk: {
        dirs: [
          { path: `${dir}/a`, quota: 10 * MB },
          { path: `${dir}/b`, quota: 20 * MB },
        ],
        buckets: 1000,
        highWatermark: 0.9,
        lowWatermark: 0.7,
      },
    });
  });

  it('makes a MEM-only store for page.store.type=MEM', () => {
    const conf = Configuration.of({
      'tierfs.worker.page.store.type': 'MEM',
      'tierfs.worker.page.store.sizes': '8MB',
    });
    expect(optionsFromConfiguration(conf)).toEqual({
      pageSize: MB,
      evictor: 'LRU',
      mem: { quota: 8 * MB, highWatermark: 0.95, lowWatermark: 0.7 },
    });
  });

  it('refuses a number of sizes that matches neither one nor the number of directories', () => {
    const conf = Configuration.of({
      'tierfs.worker.page.store.dirs': 'a,b,c',
      'tierfs.worker.page.store.sizes': '1MB,2MB',
    });
    expect(() => optionsFromConfiguration(conf)).toThrow(/lists 2 sizes for 3 directories/);
  });

  it('opens a working store from the configuration', async () => {
    const store = await PageStore.fromConfiguration(
      Configuration.of({
        'tierfs.worker.tieredstore.levels': '1',
        'tierfs.worker.page.store.dirs': dir,
        'tierfs.worker.page.store.sizes': '4MB',
      }),
    );
    await store.put('file', 0, Buffer.alloc(MB, 7));
    expect(store.tierOf('file', 0)).toBe('DISK');
    expect(store.usage().DISK).toMatchObject({ capacity: Math.floor(4 * MB * 0.9), used: MB, pages: 1 });
    await store.close();
    const tiered = await PageStore.fromConfiguration(
      Configuration.of({
        'tierfs.worker.page.store.dirs': dir,
        'tierfs.worker.page.store.sizes': '4MB',
        'tierfs.worker.tieredstore.level0.dirs.path': `${dir}-ram`,
        'tierfs.worker.ramdisk.size': '4MB',
      }),
    );
    await tiered.put('other', 0, Buffer.alloc(MB, 8));
    expect(tiered.tierOf('other', 0)).toBe('MEM');
    expect(tiered.usage().MEM?.dirs.map((d) => d.path)).toEqual([`${dir}-ram/tierfs`]);
    await tiered.close({ removeMemDir: true });
    await rm(`${dir}-ram`, { recursive: true, force: true });
  });

  it('refuses a RAM disk smaller than the MEM quota, naming the key and the free space', async () => {
    const ram = await mkdtemp('/dev/shm/tierfs-quota-');
    try {
      const conf = Configuration.of({
        'tierfs.worker.page.store.dirs': dir,
        'tierfs.worker.tieredstore.level0.dirs.path': ram,
        'tierfs.worker.tieredstore.level0.dirs.quota': '1PB',
      });
      const error = await PageStore.fromConfiguration(conf).catch((e: unknown) => e);
      expect(isTierfsError(error, 'CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toMatch(
        /'tierfs\.worker\.tieredstore\.level0\.dirs\.quota' is 1125899906842624 bytes but the RAM disk holding \S+ has \d+ bytes free/,
      );
    } finally {
      await rm(ram, { recursive: true, force: true });
    }
  });
});
