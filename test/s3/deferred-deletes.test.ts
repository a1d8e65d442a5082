/**
 * The temporary objects of committed writes are deleted off the write's path, together: one
 * DeleteObjects per 1000 keys, sent when 1000 are waiting, after the interval, or on close. Through
 * the S3 driver's own client against s3rver behind the recording proxy: N keys cost ceil(N/1000)
 * requests, and the objects are gone afterwards.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { DeferredDeletes } from '../../src/ufs/object/deferred-deletes.js';
import { EMPTY_BODY } from '../../src/ufs/object/multipart.js';
import { buildS3ClientConfig } from '../../src/ufs/s3/s3-client-config.js';
import { S3ObjectClient } from '../../src/ufs/s3/s3-object-client.js';
import { eventually } from '../support/eventually.js';
import { rawKeys, s3rverConfiguration, TEST_BUCKET } from '../support/s3rver.js';
import { withS3rverBehindProxy } from '../support/s3rver-behind-proxy.js';

const s3 = withS3rverBehindProxy();

function objectClient(): S3ObjectClient {
  return new S3ObjectClient({
    client: new S3Client(buildS3ClientConfig(s3rverConfiguration(s3.proxy.endpoint), TEST_BUCKET)),
    bucket: TEST_BUCKET,
    serverSideEncryption: false,
    listObjectsV1: false,
  });
}

const bulkDeletes = (from: number) =>
  s3.proxy.requests.slice(from).filter((r) => r.method === 'POST' && r.query.has('delete'));

describe('deferred deletes of temporary objects', () => {
  it('N keys go in ceil(N/1000) DeleteObjects: at 1000 waiting, and the rest on close', async () => {
    const client = objectClient();
    // At the top of the bucket: s3rver's tidying of emptied directories races with itself when one
    // DeleteObjects empties a directory twice.
    const real = ['deferred.tierfs-write.1', 'deferred.tierfs-write.2', 'deferred.tierfs-write.3'];
    for (const key of real) await client.putObject(key, EMPTY_BODY);
    const deletes = new DeferredDeletes(client, 3_600_000, true, 4);
    const from = s3.proxy.requests.length;
    // Keys no object has are deleted all the same (DeleteObjects reports them deleted).
    const keys = [...Array.from({ length: 2_001 - real.length }, (_, i) => `deferred-none-${i}`), ...real];
    for (const key of keys) deletes.add(key);
    // Two full batches went at once; the last key waits for the interval (an hour) or close.
    await eventually(
      () => bulkDeletes(from).every((r) => r.ended !== undefined) && bulkDeletes(from).length === 2,
      'the two full batches to be sent',
    );
    expect(s3.proxy.requests.slice(from)).toHaveLength(2);
    await deletes.close();
    expect(bulkDeletes(from)).toHaveLength(3);
    expect(s3.proxy.requests.slice(from)).toHaveLength(3);
    expect(await rawKeys(s3.server, 'deferred')).toEqual([]);
    await client.close();
  });

  it('a short interval sends what waits without close', async () => {
    const client = objectClient();
    await client.putObject('deferred/c/.tierfs-write.4', EMPTY_BODY);
    const deletes = new DeferredDeletes(client, 50, true, 4);
    const from = s3.proxy.requests.length;
    deletes.add('deferred/c/.tierfs-write.4');
    expect(bulkDeletes(from)).toHaveLength(0);
    await eventually(async () => (await rawKeys(s3.server, 'deferred/')).length === 0, 'the batch to go');
    expect(bulkDeletes(from)).toHaveLength(1);
    await deletes.close();
    expect(bulkDeletes(from)).toHaveLength(1);
    await client.close();
  });
});
