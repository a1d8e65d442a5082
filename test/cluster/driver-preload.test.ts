/**
 * A worker whose site configuration names an S3 endpoint loads the S3 driver (the AWS SDK: 0.3 to
 * 1.5 s of its event loop) once it is up, in the background, before any S3 mount: otherwise the
 * first S3 mount loads it, and a read that comes right after that mount waits behind the load (its
 * short-circuit ask and GET /data are not answered meanwhile).
 */
import { expect, it } from 'vitest';
import { loadedDrivers } from '../../src/ufs/registry.js';
import { startCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';

it('a worker loads the S3 driver ahead when an S3 endpoint is configured, before any S3 mount', async () => {
  expect(loadedDrivers()).not.toContain('s3');
  // The root mount is a local directory: nothing here opens an S3 store.
  const cluster = await startCluster({ 'tierfs.underfs.s3.endpoint': 'http://127.0.0.1:9' });
  try {
    await eventually(() => loadedDrivers().includes('s3'), 'the S3 driver to load', 10_000);
  } finally {
    await cluster.stop();
  }
});
