/**
 * A worker opens the under store of a mount when the heartbeat tells it the mount table changed,
 * before any read: the first cold read of a new mount then does not wait for the store's driver to
 * load and its client to be made (for S3, the AWS SDK: most of a second on a busy machine).
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mountTableDigest } from '../../src/master/routes.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.stop();
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
