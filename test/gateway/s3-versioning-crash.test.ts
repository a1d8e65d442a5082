/**
 * A versioned DELETE that fails after its delete marker was recorded but before the file left
 * the key's path (what a crash at that point leaves): the marker still hides that file, no version
 * is lost, and a file written at the path afterwards (through the namespace) is visible again.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { TierfsError } from '../../src/errors.js';
import type { UnderStore } from '../../src/ufs/contract.js';
import { withS3Gateway } from './fixture.js';
import { s3Failure as failure } from './harness.js';

const Bucket = 'crash';
let failNextDeleteOf: string | undefined;
let s3: S3Client;

function failingDeletes(store: UnderStore): UnderStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property !== 'delete') return Reflect.get(target, property, receiver);
      return (path: string, options?: { recursive?: boolean }) => {
        if (failNextDeleteOf !== undefined && path.endsWith(failNextDeleteOf)) {
          failNextDeleteOf = undefined;
          return Promise.reject(new TierfsError('UNAVAILABLE', 'the store went away (simulated crash)'));
        }
        return target.delete(path, options);
      };
    },
  });
}

const gw = withS3Gateway({ wrapStore: failingDeletes, buckets: [Bucket] });
beforeAll(async () => {
  s3 = gw.clientFor();
  await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
});

describe('S3 gateway: a delete marker recorded, its file not yet removed', () => {
  it('the marker hides the file left behind, the version stays, a new file at the path shows', async () => {
    const v1 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'kept' }))).VersionId;
    failNextDeleteOf = 'crash/k';
    expect((await failure(s3.send(new DeleteObjectCommand({ Bucket, Key: 'k' })))).code).toBe(
      'ServiceUnavailable',
    );
    expect(failNextDeleteOf, 'the removal was attempted').toBeUndefined();
    expect(await failure(s3.send(new GetObjectCommand({ Bucket, Key: 'k' })))).toEqual({
      code: 'NoSuchKey',
      status: 404,
    });
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket }));
    expect(listed.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([[v1, false]]);
    expect(listed.DeleteMarkers?.map((m) => m.IsLatest)).toEqual([true]);
    expect(
      await (
        await s3.send(new GetObjectCommand({ Bucket, Key: 'k', VersionId: v1 }))
      ).Body!.transformToString(),
    ).toBe('kept');
    await writeFile(join(gw.root, Bucket, 'k'), 'written in the namespace');
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'k' }));
    expect(await got.Body!.transformToString()).toBe('written in the namespace');
    expect(got.VersionId).toBe('null');
  });
});
