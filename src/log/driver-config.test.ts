import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Configuration } from '../config/configuration.js';
import { offloadDriverConfig, withBrokerConf } from './driver-config.js';

const home = mkdtempSync(join(tmpdir(), 'tierfs-driver-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const conf = (values: Record<string, string>) => Configuration.of({ 'tierfs.work.dir': home, ...values });

describe('offload driver configuration', () => {
  it('is disabled without a driver', () => {
    expect(offloadDriverConfig(conf({}))).toBeUndefined();
  });

  it('maps drivers case-insensitively to store URIs', () => {
    const base = {
      managedLedgerOffloadBucket: 'pulsar-topic-offload',
      managedLedgerOffloadServiceEndpoint: 'http://127.0.0.1:9000',
    };
    expect(offloadDriverConfig(conf({ ...base, managedLedgerOffloadDriver: 'ALIYUN-OSS' }))).toMatchObject({
      driver: 'aliyun-oss',
      uri: 'oss://pulsar-topic-offload/',
      storeOptions: { 'fs.oss.endpoint': 'http://127.0.0.1:9000' },
    });
    expect(offloadDriverConfig(conf({ ...base, managedLedgerOffloadDriver: 's3' }))).toMatchObject({
      driver: 'S3',
      uri: 's3://pulsar-topic-offload/',
      maxBlockSize: 64 * 1024 * 1024,
      readBufferSize: 1024 * 1024,
      storeOptions: {
        'tierfs.underfs.s3.endpoint': 'http://127.0.0.1:9000',
        'tierfs.underfs.s3.disable.dns.buckets': 'true',
        'tierfs.underfs.s3.streaming.upload.partition.size': String(64 * 1024 * 1024),
      },
    });
    expect(offloadDriverConfig(conf({ ...base, managedLedgerOffloadDriver: 'Kodo' }))?.uri).toBe(
      'kodo://pulsar-topic-offload/',
    );
    expect(
      offloadDriverConfig(
        conf({ managedLedgerOffloadDriver: 'filesystem', managedLedgerOffloadBucket: 'offload' }),
      )?.uri,
    ).toBe(`file://${home}/offload/`);
  });

  it("fails with Pulsar's messages", () => {
    expect(() =>
      offloadDriverConfig(
        conf({ managedLedgerOffloadDriver: 'aliyun-oss', managedLedgerOffloadBucket: 'b' }),
      ),
    ).toThrow('ServiceEndpoint must specified for aliyun-oss offload');
    expect(() =>
      offloadDriverConfig(
        conf({ managedLedgerOffloadDriver: 'aliyun-oss', managedLedgerOffloadServiceEndpoint: 'http://e' }),
      ),
    ).toThrow('Bucket cannot be empty for aliyun-oss offload');
    expect(() =>
      offloadDriverConfig(conf({ managedLedgerOffloadDriver: 'aws-s3', managedLedgerOffloadBucket: 'b' })),
    ).toThrow('Either Region or ServiceEndpoint must specified for aws-s3 offload');
    expect(() =>
      offloadDriverConfig(conf({ managedLedgerOffloadDriver: 'azureblob', managedLedgerOffloadBucket: 'b' })),
    ).toThrow(
      "No offloader found for driver 'azureblob'. Supported drivers: aliyun-oss, aws-s3, S3, kodo, filesystem.",
    );
    expect(() => conf({ managedLedgerOffloadMaxBlockSizeInBytes: '1MB' })).toThrow(
      /managedLedgerOffloadMaxBlockSizeInBytes.*at least 5MB/,
    );
  });

  it('takes the legacy s3ManagedLedgerOffload* keys for aws-s3', () => {
    expect(
      offloadDriverConfig(
        conf({
          managedLedgerOffloadDriver: 'aws-s3',
          s3ManagedLedgerOffloadBucket: 'legacy',
          s3ManagedLedgerOffloadRegion: 'eu-west-1',
        }),
      ),
    ).toMatchObject({
      bucket: 'legacy',
      region: 'eu-west-1',
      storeOptions: { 'tierfs.underfs.s3.region': 'eu-west-1' },
    });
  });

  it('reads broker.conf over standalone.conf, below the site configuration', () => {
    const dir = join(home, 'conf');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'standalone.conf'),
      'managedLedgerOffloadDriver=S3\nmanagedLedgerOffloadBucket=standalone\n',
    );
    writeFileSync(
      join(dir, 'broker.conf'),
      '# Pulsar broker\nclusterName=standalone\nmanagedLedgerOffloadBucket=pulsar-topic-offload\n' +
        'managedLedgerOffloadServiceEndpoint=http://oss-us-west-1-internal.aliyuncs.com\n',
    );
    const merged = withBrokerConf(conf({ 'tierfs.conf.dir': dir, managedLedgerOffloadDriver: 'aliyun-oss' }));
    expect(offloadDriverConfig(merged)).toMatchObject({
      driver: 'aliyun-oss',
      bucket: 'pulsar-topic-offload',
      endpoint: 'http://oss-us-west-1-internal.aliyuncs.com',
    });
  });
});
