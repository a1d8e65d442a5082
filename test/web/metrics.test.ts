/** Prometheus /metrics on the master and the worker move when a file is read through the client. */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readStream } from '../../src/ufs/io.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { call, metricValue } from './support.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(() => cluster.stop());

const scrape = async (url: string) => (await call<string>('GET', `${url}/metrics`)).body;

it('counts UFS reads, cache misses, hits and bytes, on the worker and across the cluster', async () => {
  const client = cluster.client();
  const data = randomBytes(300_000);
  // THROUGH: the data goes to the under store only, so the first read has to fetch it.
  await pipeline(Readable.from([data]), await client.createFile('/m/file.bin', { writeType: 'THROUGH' }));
  const worker = cluster.worker.address;
  const before = await scrape(worker);

  expect(await readStream(await client.openFile('/m/file.bin', { readType: 'CACHE' }))).toEqual(data);
  const afterFirst = await scrape(worker);
  const ufsBytes = (text: string) => metricValue(text, 'tierfs_ufs_bytes_read_total', { scheme: 'file' });
  expect(ufsBytes(afterFirst) - ufsBytes(before)).toBe(data.length);
  const opens = (text: string) =>
    metricValue(text, 'tierfs_ufs_operations_total', { scheme: 'file', operation: 'open', outcome: 'ok' });
  expect(opens(afterFirst)).toBeGreaterThan(opens(before));
  expect(
    metricValue(afterFirst, 'tierfs_ufs_operation_duration_seconds_count', { operation: 'open' }),
  ).toBeGreaterThan(0);
  expect(metricValue(afterFirst, 'tierfs_cache_misses_total')).toBeGreaterThan(
    metricValue(before, 'tierfs_cache_misses_total'),
  );
  expect(metricValue(afterFirst, 'tierfs_cache_used_bytes')).toBeGreaterThanOrEqual(data.length);

  expect(await readStream(await client.openFile('/m/file.bin', { readType: 'CACHE' }))).toEqual(data);
  const afterSecond = await scrape(worker);
  expect(ufsBytes(afterSecond)).toBe(ufsBytes(afterFirst));
  expect(metricValue(afterSecond, 'tierfs_cache_hits_total')).toBeGreaterThan(
    metricValue(afterFirst, 'tierfs_cache_hits_total'),
  );
  expect(
    metricValue(afterSecond, 'tierfs_cache_bytes_read_total') -
      metricValue(afterFirst, 'tierfs_cache_bytes_read_total'),
  ).toBe(data.length);
  expect(metricValue(afterSecond, 'tierfs_cache_hit_ratio')).toBeGreaterThan(0);

  // The master's own UFS calls (metadata) and the cluster totals from its sampler.
  await cluster.master.sampleMetrics();
  const master = await scrape(cluster.master.webAddress);
  expect(metricValue(master, 'tierfs_ufs_operations_total', { scheme: 'file' })).toBeGreaterThan(0);
  expect(metricValue(master, 'tierfs_cluster_ufs_bytes_read_total')).toBeGreaterThanOrEqual(data.length);
  expect(metricValue(master, 'tierfs_cluster_cache_bytes_read_total')).toBeGreaterThanOrEqual(data.length);
  expect(metricValue(master, 'tierfs_cluster_cache_hit_ratio')).toBeGreaterThan(0);
  expect(metricValue(master, 'tierfs_workers', { state: 'LIVE' })).toBe(1);
});

it('keeps a registry per process: two clusters in one process do not share counters', async () => {
  const other = await startCluster();
  try {
    const text = await scrape(other.worker.address);
    expect(metricValue(text, 'tierfs_cache_hits_total')).toBe(0);
    expect(metricValue(text, 'tierfs_ufs_bytes_read_total')).toBe(0);
  } finally {
    await other.stop();
  }
});
