/**
 * A worker opens the under store of a mount as soon as the master has mounted it (the master tells
 * the live workers), and when the heartbeat's mount-table digest changes (a worker the master could
 * not reach), before any read: the first cold read of a new mount then does not wait for the
 * store's driver to load and its client to be made (for S3, the AWS SDK: most of a second on a
 * busy machine).
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mountTableDigest } from '../../src/master/routes.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';

let cluster: TestCluster;
/** Heartbeats every 8 s (the worker is lost after 10 s without one): only the master's word is fast. */
let slowBeats: TestCluster;

beforeAll(async () => {
  [cluster, slowBeats] = await Promise.all([
    startCluster(),
    startCluster({ 'tierfs.worker.heartbeat.interval': '8s' }),
  ]);
});
afterAll(async () => {
  await Promise.all([cluster?.stop(), slowBeats?.stop()]);
});

it('opens the store of a mount right after the master mounted it, without waiting for a heartbeat', async () => {
  // Past the first heartbeat's answer (at start), so the next one is seconds away.
  const dir = mkdtempSync(join(slowBeats.home, 'now-'));
  const mounted = Date.now();
  await slowBeats.client().mount('/now', `file://${dir}`);
  await eventually(
    () => slowBeats.worker.openMounts().includes('/now'),
    'the worker opened the store of /now ahead of any read',
    5000,
  );
  expect(Date.now() - mounted).toBeLessThan(5000);
});

it('opens the store of a new mount without a read, and of a mount added after that one', async () => {
  const client = cluster.client();
  for (const name of ['first', 'second']) {
    const dir = mkdtempSync(join(cluster.home, `${name}-`));
    await client.mount(`/${name}`, `file://${dir}`);
    await eventually(
      () => cluster.worker.openMounts().includes(`/${name}`),
      `the worker opened the store of /${name} ahead of any read`,
    );
  }
  expect(cluster.worker.openMounts()).toEqual(expect.arrayContaining(['/first', '/second']));
});

it('the mount table digest changes with every mount, unmount and option change, and only then', () => {
  const mount = { path: '/s3', ufsUri: 's3://bucket/data', readOnly: false, shared: true, options: {} };
  const digest = mountTableDigest([mount]);
  expect(mountTableDigest([{ ...mount }])).toBe(digest);
  const changed = [
    mountTableDigest([]),
    mountTableDigest([mount, { ...mount, path: '/other' }]),
    mountTableDigest([{ ...mount, ufsUri: 's3://bucket/other' }]),
    mountTableDigest([{ ...mount, readOnly: true }]),
    mountTableDigest([{ ...mount, options: { 'aws.secretKey': 'new' } }]),
  ];
  expect(new Set([digest, ...changed]).size).toBe(changed.length + 1);
});

it('closes the store of a mount once it is unmounted, and opens a new one when it is mounted again', async () => {
  const client = cluster.client();
  const dir = mkdtempSync(join(cluster.home, 'gone-'));
  await client.mount('/gone', `file://${dir}`);
  await eventually(() => cluster.worker.openMounts().includes('/gone'), 'the worker opened /gone');
  await client.unmount('/gone');
  await eventually(
    () => !cluster.worker.openMounts().includes('/gone'),
    'the worker closed the store of the unmounted /gone',
    5000,
  );
  await client.mount('/gone', `file://${dir}`, { readOnly: true });
  await eventually(() => cluster.worker.openMounts().includes('/gone'), 'the worker opened /gone again');
});
