/**
 * The four kinds of under store a cluster test mounts — a local directory, and S3, OSS and Kodo
 * through tierfs's own gateways (each over a local directory) — started on demand, each with the
 * mount options that reach it. `cleanup()` stops whatever was started.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ACCESS_KEY as S3_KEY,
  SECRET_KEY as S3_SECRET,
  startGateway as startS3Gateway,
} from '../gateway/harness.js';
import { BUCKET as KODO_BUCKET } from '../gateway/kodo-support.js';
import {
  BUCKET as OSS_BUCKET,
  AK as OSS_KEY,
  SECRET as OSS_SECRET,
  startGateway as startOssGateway,
} from '../gateway/oss-support.js';
import { kodoSettings, startDriverFixture } from '../kodo/kodo-driver-support.js';

export interface StoreUnderTest {
  readonly uri: string;
  readonly options: Record<string, string>;
}

export interface StoresUnderTest {
  /** Starts the store of that kind (`local`, `s3`, `oss`, `kodo`). */
  readonly stores: Record<string, () => Promise<StoreUnderTest>>;
  cleanup(): Promise<void>;
}

/** `localDir()` names the directory the local store lives in; `s3Bucket` the S3 gateway's bucket. */
export function storesUnderTest(localDir: () => string, s3Bucket: string): StoresUnderTest {
  const cleanups: (() => Promise<void>)[] = [];
  return {
    stores: {
      async local() {
        const dir = localDir();
        mkdirSync(dir);
        return { uri: `file://${dir}`, options: {} };
      },
      async s3() {
        const gateway = await startS3Gateway();
        cleanups.push(() => gateway.stop());
        mkdirSync(join(gateway.root, s3Bucket));
        return {
          uri: `s3://${s3Bucket}/data/`,
          options: {
            'tierfs.underfs.s3.endpoint': gateway.endpoint,
            'tierfs.underfs.s3.disable.dns.buckets': 'true',
            'tierfs.underfs.s3.inherit.acl': 'false',
            'aws.accessKeyId': S3_KEY,
            'aws.secretKey': S3_SECRET,
          },
        };
      },
      async oss() {
        const gateway = await startOssGateway();
        cleanups.push(() => gateway.stop());
        return {
          uri: `oss://${OSS_BUCKET}/data/`,
          options: {
            'fs.oss.accessKeyId': OSS_KEY,
            'fs.oss.accessKeySecret': OSS_SECRET,
            'fs.oss.endpoint': `localhost:${gateway.port}`,
            'fs.oss.connection.secure.enabled': 'false',
            'tierfs.underfs.oss.path.style.access': 'true',
          },
        };
      },
      async kodo() {
        const kodo = await startDriverFixture();
        cleanups.push(() => kodo.cleanup());
        return { uri: `kodo://${KODO_BUCKET}/data/`, options: kodoSettings(kodo) };
      },
    },
    async cleanup() {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    },
  };
}
