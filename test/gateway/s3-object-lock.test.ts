/**
 * S3 Object Lock through the AWS SDK, as AWS documents it and ceph/s3-tests' test_object_lock_*
 * expect it: lock-enabled buckets (versioning that cannot be suspended), the lock configuration and
 * its default retention, per-version retention and legal hold on every kind of write, deletes of
 * locked versions refused (GOVERNANCE bypassed only with the header and the permission), and the
 * lock surviving a restart of the gateway.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  type ObjectLockConfiguration,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration } from '../../src/config/configuration.js';
import { s3GatewayFromConfig } from '../../src/gateway/s3/server.js';
import { FileSystem } from '../../src/ufs/registry.js';
import { withS3Gateway } from './fixture.js';
import { ACCESS_KEY, bucketPolicy, s3Failure as failure, SECRET_KEY, s3Client, USER } from './harness.js';

const BOB = { accessKeyId: 'AKIABOBOBJLOCK', secretAccessKey: 'bob-objlock-secret-0123' };
const gw = withS3Gateway({ users: { bob: BOB } });
let s3: S3Client;
let bob: S3Client;
let buckets = 0;
const extraStores: { close(): Promise<void> }[] = [];

beforeAll(() => {
  ({ alice: s3, bob } = gw.clients());
});
afterAll(async () => {
  for (const store of extraStores) await store.close();
});

async function lockedBucket(rule?: ObjectLockConfiguration['Rule']): Promise<string> {
  const Bucket = `objlock-${++buckets}`;
  await s3.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }));
  if (rule) {
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: rule },
      }),
    );
  }
  return Bucket;
}

async function plainBucket(): Promise<string> {
  const Bucket = `objlock-${++buckets}`;
  await s3.send(new CreateBucketCommand({ Bucket }));
  return Bucket;
}

const DAY = 86_400_000;
const dates = new Map<number, Date>();
/** `days` from when the file started, whole seconds: the same Date each call. */
const later = (days: number): Date => {
  const known = dates.get(days);
  if (known) return known;
  const date = new Date(Math.floor((Date.now() + days * DAY) / 1000) * 1000);
  dates.set(days, date);
  return date;
};
const put = async (Bucket: string, Key: string, Body = 'locked bytes') =>
  (await s3.send(new PutObjectCommand({ Bucket, Key, Body }))).VersionId!;
const retain = (Bucket: string, Key: string, Mode: 'GOVERNANCE' | 'COMPLIANCE', until: Date, extra = {}) =>
  s3.send(
    new PutObjectRetentionCommand({ Bucket, Key, Retention: { Mode, RetainUntilDate: until }, ...extra }),
  );
const retention = async (Bucket: string, Key: string, VersionId?: string) =>
  (await s3.send(new GetObjectRetentionCommand({ Bucket, Key, VersionId }))).Retention;
const denied = { code: 'AccessDenied', status: 403 };

describe('S3 gateway: object lock configuration', () => {
  it('a bucket created with object lock is versioned for good; GetObjectLockConfiguration says Enabled', async () => {
    const Bucket = await lockedBucket();
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBe('Enabled');
    expect(
      (await s3.send(new GetObjectLockConfigurationCommand({ Bucket }))).ObjectLockConfiguration,
    ).toEqual({ ObjectLockEnabled: 'Enabled' });
    expect(
      await failure(
        s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Suspended' } })),
      ),
    ).toEqual({ code: 'InvalidBucketState', status: 409 });
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBe('Enabled');
  });

  it('a bucket without it: no configuration (404), and enabling needs versioning Enabled (409 before)', async () => {
    const Bucket = await plainBucket();
    expect(await failure(s3.send(new GetObjectLockConfigurationCommand({ Bucket })))).toEqual({
      code: 'ObjectLockConfigurationNotFoundError',
      status: 404,
    });
    const enable = () =>
      s3.send(
        new PutObjectLockConfigurationCommand({
          Bucket,
          ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' },
        }),
      );
    expect(await failure(enable())).toEqual({ code: 'InvalidBucketState', status: 409 });
    await s3.send(
      new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Suspended' } }),
    );
    expect(await failure(enable())).toEqual({ code: 'InvalidBucketState', status: 409 });
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    await enable();
    expect(
      (await s3.send(new GetObjectLockConfigurationCommand({ Bucket }))).ObjectLockConfiguration
        ?.ObjectLockEnabled,
    ).toBe('Enabled');
  });

  it('default retention round-trips (Days or Years) and malformed ones are refused with the codes S3 uses', async () => {
    const Bucket = await lockedBucket({ DefaultRetention: { Mode: 'GOVERNANCE', Days: 3 } });
    const get = async () =>
      (await s3.send(new GetObjectLockConfigurationCommand({ Bucket }))).ObjectLockConfiguration;
    expect(await get()).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 3 } },
    });
    const set = (conf: object) =>
      s3.send(
        new PutObjectLockConfigurationCommand({
          Bucket,
          ObjectLockConfiguration: conf as ObjectLockConfiguration,
        }),
      );
    await set({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Years: 2 } } });
    expect((await get())?.Rule?.DefaultRetention).toEqual({ Mode: 'COMPLIANCE', Years: 2 });
    const malformed = { code: 'MalformedXML', status: 400 };
    const period = { code: 'InvalidRetentionPeriod', status: 400 };
    const rule = (DefaultRetention: object) => ({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention } });
    expect(await failure(set(rule({ Mode: 'GOVERNANCE', Days: 1, Years: 1 })))).toEqual(malformed);
    expect(await failure(set(rule({ Mode: 'GOVERNANCE' })))).toEqual(malformed);
    expect(await failure(set(rule({ Mode: 'governance', Days: 1 })))).toEqual(malformed);
    expect(await failure(set(rule({ Mode: 'GOVERNANCE', Days: 0 })))).toEqual(period);
    expect(await failure(set(rule({ Mode: 'GOVERNANCE', Years: -1 })))).toEqual(period);
    expect(
      await failure(
        set({ ObjectLockEnabled: 'Disabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } } }),
      ),
    ).toEqual(malformed);
    // Nothing refused was stored.
    expect((await get())?.Rule?.DefaultRetention).toEqual({ Mode: 'COMPLIANCE', Years: 2 });
  });
});

describe('S3 gateway: object retention and legal hold', () => {
  it('the default retention is applied to each new version and shown on GET, HEAD and GetObjectRetention', async () => {
    const Bucket = await lockedBucket({ DefaultRetention: { Mode: 'GOVERNANCE', Days: 2 } });
    const before = Date.now();
    const VersionId = await put(Bucket, 'k');
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'k' }));
    expect(head.ObjectLockMode).toBe('GOVERNANCE');
    const until = head.ObjectLockRetainUntilDate!.getTime();
    expect(until).toBeGreaterThanOrEqual(before + 2 * DAY - 1000);
    expect(until).toBeLessThanOrEqual(Date.now() + 2 * DAY);
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'k', VersionId }));
    await got.Body!.transformToString();
    expect(got.ObjectLockMode).toBe('GOVERNANCE');
    expect((await retention(Bucket, 'k', VersionId))?.Mode).toBe('GOVERNANCE');
    expect(await failure(s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId })))).toEqual(denied);
  });

  it('PutObject, CopyObject and CreateMultipartUpload take x-amz-object-lock-* headers (PUT needs Content-MD5)', async () => {
    const Bucket = await lockedBucket();
    const until = later(5);
    const lock = {
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: until,
      ObjectLockLegalHoldStatus: 'ON',
    } as const;
    expect(await failure(s3.send(new PutObjectCommand({ Bucket, Key: 'p', Body: 'x', ...lock })))).toEqual({
      code: 'InvalidRequest',
      status: 400,
    });
    await s3.send(new PutObjectCommand({ Bucket, Key: 'p', Body: 'x', ChecksumAlgorithm: 'CRC32', ...lock }));
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'p' }));
    expect([
      head.ObjectLockMode,
      head.ObjectLockRetainUntilDate?.getTime(),
      head.ObjectLockLegalHoldStatus,
    ]).toEqual(['COMPLIANCE', until.getTime(), 'ON']);
    // A copy takes the lock it asks for, never its source's.
    await s3.send(new CopyObjectCommand({ Bucket, Key: 'c', CopySource: `${Bucket}/p` }));
    const copy = await s3.send(new HeadObjectCommand({ Bucket, Key: 'c' }));
    expect([copy.ObjectLockMode, copy.ObjectLockLegalHoldStatus]).toEqual([undefined, undefined]);
    await s3.send(
      new CopyObjectCommand({ Bucket, Key: 'c', CopySource: `${Bucket}/p`, ObjectLockLegalHoldStatus: 'ON' }),
    );
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'c' }))).ObjectLockLegalHoldStatus).toBe('ON');
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket,
        Key: 'm',
        ObjectLockMode: 'GOVERNANCE',
        ObjectLockRetainUntilDate: until,
      }),
    );
    const part = await s3.send(
      new UploadPartCommand({ Bucket, Key: 'm', UploadId, PartNumber: 1, Body: 'mp' }),
    );
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: 'm',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    expect(await retention(Bucket, 'm', done.VersionId)).toEqual({
      Mode: 'GOVERNANCE',
      RetainUntilDate: until,
    });
    expect(
      await failure(s3.send(new DeleteObjectCommand({ Bucket, Key: 'm', VersionId: done.VersionId }))),
    ).toEqual(denied);
  });

  it('a bucket without object lock refuses lock headers and lock operations with InvalidRequest', async () => {
    const Bucket = await plainBucket();
    await put(Bucket, 'k');
    const invalid = { code: 'InvalidRequest', status: 400 };
    expect(
      await failure(
        s3.send(
          new PutObjectCommand({
            Bucket,
            Key: 'k',
            Body: 'x',
            ChecksumAlgorithm: 'CRC32',
            ObjectLockLegalHoldStatus: 'ON',
          }),
        ),
      ),
    ).toEqual(invalid);
    expect(await failure(retain(Bucket, 'k', 'GOVERNANCE', later(1)))).toEqual(invalid);
    expect(await failure(s3.send(new GetObjectRetentionCommand({ Bucket, Key: 'k' })))).toEqual(invalid);
    expect(
      await failure(
        s3.send(new PutObjectLegalHoldCommand({ Bucket, Key: 'k', LegalHold: { Status: 'ON' } })),
      ),
    ).toEqual(invalid);
    expect(await failure(s3.send(new GetObjectLegalHoldCommand({ Bucket, Key: 'k' })))).toEqual(invalid);
  });

  it('GOVERNANCE: extended freely, shortened or made COMPLIANCE only with the bypass header', async () => {
    const Bucket = await lockedBucket();
    await put(Bucket, 'g');
    expect(await failure(s3.send(new GetObjectRetentionCommand({ Bucket, Key: 'g' })))).toEqual({
      code: 'NoSuchObjectLockConfiguration',
      status: 404,
    });
    await retain(Bucket, 'g', 'GOVERNANCE', later(3));
    await retain(Bucket, 'g', 'GOVERNANCE', later(4));
    expect((await retention(Bucket, 'g'))?.RetainUntilDate).toEqual(later(4));
    expect(await failure(retain(Bucket, 'g', 'GOVERNANCE', later(2)))).toEqual(denied);
    expect(await failure(retain(Bucket, 'g', 'COMPLIANCE', later(4)))).toEqual(denied);
    expect((await retention(Bucket, 'g'))?.RetainUntilDate).toEqual(later(4));
    await retain(Bucket, 'g', 'GOVERNANCE', later(2), { BypassGovernanceRetention: true });
    expect((await retention(Bucket, 'g'))?.RetainUntilDate).toEqual(later(2));
    expect(
      await failure(
        s3.send(
          new PutObjectRetentionCommand({
            Bucket,
            Key: 'g',
            Retention: { Mode: 'abc' as 'GOVERNANCE', RetainUntilDate: later(9) },
          }),
        ),
      ),
    ).toEqual({ code: 'MalformedXML', status: 400 });
    expect(await failure(retain(Bucket, 'g', 'GOVERNANCE', new Date(Date.now() - DAY)))).toEqual({
      code: 'InvalidArgument',
      status: 400,
    });
  });

  it('COMPLIANCE: only extended, never shortened or weakened, bypass header or not', async () => {
    const Bucket = await lockedBucket();
    const VersionId = await put(Bucket, 'c');
    await retain(Bucket, 'c', 'COMPLIANCE', later(3));
    const bypass = { BypassGovernanceRetention: true };
    expect(await failure(retain(Bucket, 'c', 'COMPLIANCE', later(2), bypass))).toEqual(denied);
    expect(await failure(retain(Bucket, 'c', 'GOVERNANCE', later(3), bypass))).toEqual(denied);
    await retain(Bucket, 'c', 'COMPLIANCE', later(5));
    expect(await retention(Bucket, 'c')).toEqual({ Mode: 'COMPLIANCE', RetainUntilDate: later(5) });
    expect(
      await failure(
        s3.send(new DeleteObjectCommand({ Bucket, Key: 'c', VersionId, BypassGovernanceRetention: true })),
      ),
    ).toEqual(denied);
  });

  it('legal hold ON refuses a delete by version id until it is OFF; a delete without one adds a marker', async () => {
    const Bucket = await lockedBucket();
    const VersionId = await put(Bucket, 'h');
    const hold = (Status: 'ON' | 'OFF') =>
      s3.send(new PutObjectLegalHoldCommand({ Bucket, Key: 'h', VersionId, LegalHold: { Status } }));
    await hold('ON');
    expect((await s3.send(new GetObjectLegalHoldCommand({ Bucket, Key: 'h' }))).LegalHold).toEqual({
      Status: 'ON',
    });
    const remove = () =>
      s3.send(new DeleteObjectCommand({ Bucket, Key: 'h', VersionId, BypassGovernanceRetention: true }));
    expect(await failure(remove())).toEqual(denied);
    const marker = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'h' }));
    expect(marker.DeleteMarker).toBe(true);
    // Now noncurrent, the version keeps its hold.
    expect(await failure(remove())).toEqual(denied);
    const bytes = await s3.send(new GetObjectCommand({ Bucket, Key: 'h', VersionId }));
    expect(await bytes.Body!.transformToString()).toBe('locked bytes');
    expect(
      await failure(
        s3.send(new PutObjectLegalHoldCommand({ Bucket, Key: 'h', LegalHold: { Status: 'abc' as 'ON' } })),
      ),
    ).toEqual({ code: 'MalformedXML', status: 400 });
    await hold('OFF');
    expect((await s3.send(new GetObjectLegalHoldCommand({ Bucket, Key: 'h', VersionId }))).LegalHold).toEqual(
      {
        Status: 'OFF',
      },
    );
    expect((await remove()).$metadata.httpStatusCode).toBe(204);
  });
});

describe('S3 gateway: deleting locked versions', () => {
  it('DeleteObject by version id: 403 under GOVERNANCE, 204 with the bypass header', async () => {
    const Bucket = await lockedBucket();
    const VersionId = await put(Bucket, 'd');
    await retain(Bucket, 'd', 'GOVERNANCE', later(1));
    expect(await failure(s3.send(new DeleteObjectCommand({ Bucket, Key: 'd', VersionId })))).toEqual(denied);
    expect(await s3.send(new GetObjectRetentionCommand({ Bucket, Key: 'd', VersionId }))).toBeTruthy();
    const done = await s3.send(
      new DeleteObjectCommand({ Bucket, Key: 'd', VersionId, BypassGovernanceRetention: true }),
    );
    expect(done.$metadata.httpStatusCode).toBe(204);
    expect(await failure(s3.send(new HeadObjectCommand({ Bucket, Key: 'd', VersionId })))).toMatchObject({
      status: 404,
    });
  });

  it('DeleteObjects: each locked version is an AccessDenied error, the others are deleted', async () => {
    const Bucket = await lockedBucket();
    const locked = await put(Bucket, 'a');
    const free = await put(Bucket, 'b');
    await retain(Bucket, 'a', 'GOVERNANCE', later(1));
    const answer = await s3.send(
      new DeleteObjectsCommand({
        Bucket,
        Delete: {
          Objects: [
            { Key: 'a', VersionId: locked },
            { Key: 'b', VersionId: free },
          ],
        },
      }),
    );
    expect(answer.Errors?.map((e) => [e.Key, e.VersionId, e.Code])).toEqual([['a', locked, 'AccessDenied']]);
    expect(answer.Deleted?.map((d) => [d.Key, d.VersionId])).toEqual([['b', free]]);
    const again = await s3.send(
      new DeleteObjectsCommand({
        Bucket,
        BypassGovernanceRetention: true,
        Delete: { Objects: [{ Key: 'a', VersionId: locked }] },
      }),
    );
    expect(again.Errors ?? []).toEqual([]);
    expect(again.Deleted?.map((d) => d.VersionId)).toEqual([locked]);
  });

  it('bypassing GOVERNANCE needs s3:BypassGovernanceRetention: another user with only DeleteObjectVersion is refused', async () => {
    const Bucket = await lockedBucket();
    const VersionId = await put(Bucket, 'x');
    await retain(Bucket, 'x', 'GOVERNANCE', later(1));
    const allow = (...Action: string[]) =>
      s3.send(
        new PutBucketPolicyCommand({
          Bucket,
          Policy: bucketPolicy({
            Effect: 'Allow',
            Principal: { AWS: ['bob'] },
            Action,
            Resource: `arn:aws:s3:::${Bucket}/*`,
          }),
        }),
      );
    const bobDeletes = () =>
      bob.send(new DeleteObjectCommand({ Bucket, Key: 'x', VersionId, BypassGovernanceRetention: true }));
    await allow('s3:DeleteObjectVersion');
    expect(await failure(bobDeletes())).toEqual(denied);
    await allow('s3:DeleteObjectVersion', 's3:BypassGovernanceRetention');
    expect((await bobDeletes()).$metadata.httpStatusCode).toBe(204);
  });

  it('the lock configuration, retention and legal hold survive a restart of the gateway', async () => {
    const Bucket = await lockedBucket({ DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } });
    const older = await put(Bucket, 'r', 'older');
    await s3.send(new PutObjectLegalHoldCommand({ Bucket, Key: 'r', LegalHold: { Status: 'ON' } }));
    const newer = await put(Bucket, 'r', 'newer'); // `older` is now noncurrent, in the version store
    // From the default GOVERNANCE to COMPLIANCE: a change that needs the bypass.
    await retain(Bucket, 'r', 'COMPLIANCE', later(7), { BypassGovernanceRetention: true });
    const conf = Configuration.of({
      'tierfs.proxy.s3.users': `${ACCESS_KEY}:${SECRET_KEY}:${USER}`,
      'tierfs.proxy.s3.state.dir': gw.stateDir,
    });
    await gw.gateway.close();
    const store = await FileSystem.get(gw.root, conf);
    extraStores.push(store);
    const again = s3GatewayFromConfig(store, conf);
    await again.listen(gw.port, '127.0.0.1');
    const client = s3Client(gw);
    try {
      expect(
        (await client.send(new GetObjectLockConfigurationCommand({ Bucket }))).ObjectLockConfiguration?.Rule,
      ).toEqual({ DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } });
      expect(
        (await client.send(new GetObjectLegalHoldCommand({ Bucket, Key: 'r', VersionId: older }))).LegalHold,
      ).toEqual({ Status: 'ON' });
      expect(
        (await client.send(new GetObjectRetentionCommand({ Bucket, Key: 'r', VersionId: newer }))).Retention,
      ).toEqual({ Mode: 'COMPLIANCE', RetainUntilDate: later(7) });
      for (const VersionId of [older, newer]) {
        expect(
          await failure(
            client.send(
              new DeleteObjectCommand({ Bucket, Key: 'r', VersionId, BypassGovernanceRetention: true }),
            ),
          ),
        ).toEqual(denied);
      }
    } finally {
      client.destroy();
      await again.close();
    }
  });
});
