/**
 * Offload targets for the tiered-log tests, one per driver: each starts what it needs on loopback
 * and gives the broker.conf-style keys pointing at it. Adding a driver (aliyun-oss once the OSS
 * store lands, against the OSS gateway) is one more entry in OFFLOAD_TARGETS.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCESS_KEY, SECRET_KEY, startGateway } from '../gateway/harness.js';
import { AK, SECRET, startGateway as startOssGateway } from '../gateway/oss-support.js';

export interface OffloadTarget {
  /** Keys selecting and configuring the driver. */
  readonly conf: Record<string, string>;
  /** The same with credentials the store refuses (403), when the store checks credentials. */
  readonly deniedConf?: Record<string, string>;
  stop(): Promise<void>;
}

export interface OffloadTargetFactory {
  readonly driver: string;
  start(): Promise<OffloadTarget>;
}

export const OFFLOAD_TARGETS: readonly OffloadTargetFactory[] = [
  {
    driver: 'S3',
    async start() {
      const gateway = await startGateway();
      mkdirSync(join(gateway.root, 'pulsar-topic-offload'));
      const conf = {
        managedLedgerOffloadDriver: 'S3',
        managedLedgerOffloadBucket: 'pulsar-topic-offload',
        managedLedgerOffloadServiceEndpoint: gateway.endpoint,
        s3ManagedLedgerOffloadCredentialId: ACCESS_KEY,
        s3ManagedLedgerOffloadCredentialSecret: SECRET_KEY,
      };
      return {
        conf,
        deniedConf: { ...conf, s3ManagedLedgerOffloadCredentialSecret: 'not-the-secret' },
        stop: () => gateway.stop(),
      };
    },
  },
  {
    driver: 'aliyun-oss',
    async start() {
      const gateway = await startOssGateway();
      mkdirSync(join(gateway.root, 'pulsar-topic-offload'));
      const conf = {
        managedLedgerOffloadDriver: 'aliyun-oss',
        managedLedgerOffloadBucket: 'pulsar-topic-offload',
        managedLedgerOffloadServiceEndpoint: `http://localhost:${gateway.port}`,
        'fs.oss.accessKeyId': AK,
        'fs.oss.accessKeySecret': SECRET,
        'tierfs.underfs.oss.path.style.access': 'true',
      };
      return {
        conf,
        deniedConf: { ...conf, 'fs.oss.accessKeySecret': 'not-the-secret' },
        stop: () => gateway.stop(),
      };
    },
  },
  {
    driver: 'filesystem',
    async start() {
      const dir = mkdtempSync(join(tmpdir(), 'tierfs-offload-fs-'));
      return {
        conf: { managedLedgerOffloadDriver: 'filesystem', managedLedgerOffloadBucket: join(dir, 'offload') },
        async stop() {
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

/** Deterministic payload of entry `i` of a test topic: 0..max bytes, content derived from i. */
export function payload(seed: string, i: number, max = 300): Buffer {
  const length = (i * 7919) % (max + 1);
  const bytes = Buffer.allocUnsafe(length);
  for (let j = 0; j < length; j++) bytes[j] = (i * 31 + j * 17 + seed.charCodeAt(j % seed.length)) & 0xff;
  return bytes;
}
