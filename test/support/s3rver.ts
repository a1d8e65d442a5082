/**
 * s3rver (a small S3 emulator on disk) for a test file: its own process on 127.0.0.1, an ephemeral
 * port and a fresh data directory. It verifies v2 signatures (v4 only by access key), knows the
 * access key S3RVER/S3RVER plus any given. s3rver lacks ListMultipartUploads,
 * AbortMultipartUpload and bucket ACLs; s3rver-main.mjs answers those over its data directory.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Configuration } from '../../src/config/configuration.js';
import type { ObjectUnderStore } from '../../src/ufs/object/object-store.js';
import { parseUfsUri } from '../../src/ufs/registry.js';
import { createS3UnderStore, type S3StoreOptions } from '../../src/ufs/s3/s3-store.js';

export const S3RVER_KEY = 'S3RVER';
export const TEST_BUCKET = 'tierfs-test';
/** Where the stores of this test process stage uploads (one directory per process). */
export const TEST_UPLOADS_DIR = join(tmpdir(), `tierfs-test-uploads-${process.pid}`);

export interface RunningS3rver {
  readonly endpoint: string;
  readonly port: number;
  /** Where s3rver keeps its buckets. */
  readonly directory: string;
  close(): Promise<void>;
}

export interface S3rverOptions {
  readonly buckets?: readonly string[];
  /** Further access key pairs s3rver accepts. */
  readonly keys?: readonly [string, string][];
  /** Answer GetBucketAcl with this owner and these grants ([granteeId, permission]). */
  readonly acl?: { ownerId: string; displayName?: string; grants: [string, string][] };
}

/** The canonical id and display name s3rver's ListBuckets reports as the owner. */
export const S3RVER_OWNER = { id: '123456789000', displayName: 'S3rver' };

export async function startS3rver(options: S3rverOptions = {}): Promise<RunningS3rver> {
  const directory = await mkdtemp(join(tmpdir(), 'tierfs-s3rver-'));
  const main = fileURLToPath(new URL('./s3rver-main.mjs', import.meta.url));
  const args = {
    directory,
    buckets: options.buckets ?? [TEST_BUCKET],
    keys: options.keys ?? [],
    acl: options.acl,
  };
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '--no-deprecation', main, JSON.stringify(args)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  const [first] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`s3rver exited with ${code}`);
    }),
  ])) as [string];
  const { port } = JSON.parse(first) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    directory,
    async close() {
      const exited = once(child, 'exit');
      child.stdin.end();
      await exited;
      await rm(directory, { recursive: true, force: true });
      await rm(TEST_UPLOADS_DIR, { recursive: true, force: true });
    },
  };
}

/** Multipart uploads s3rver still keeps (it stores each under `<bucket>/._S3rver_uploads/<id>`). */
export async function pendingUploads(server: RunningS3rver, bucket = TEST_BUCKET): Promise<string[]> {
  return readdir(join(server.directory, bucket, '._S3rver_uploads')).catch(() => []);
}

/** A configuration talking to `endpoint` with s3rver's key, path style, quiet about ACLs. */
export function s3rverConfiguration(endpoint: string, extra: Record<string, string> = {}): Configuration {
  return Configuration.of({
    'tierfs.underfs.s3.endpoint': endpoint,
    'tierfs.underfs.s3.disable.dns.buckets': 'true',
    'tierfs.underfs.s3.inherit.acl': 'false',
    'aws.accessKeyId': S3RVER_KEY,
    'aws.secretKey': S3RVER_KEY,
    'tierfs.tmp.dirs': TEST_UPLOADS_DIR,
    ...extra,
  });
}

let stores = 0;

/** A fresh S3 store under its own directory of the test bucket. */
export async function s3rverStore(
  endpoint: string,
  extra: Record<string, string> = {},
  options: S3StoreOptions = {},
): Promise<ObjectUnderStore> {
  const uri = parseUfsUri(`s3://${TEST_BUCKET}/t${process.pid}-${++stores}/`);
  return createS3UnderStore(uri, s3rverConfiguration(endpoint, extra), options);
}

/** The AWS SDK's client of s3rver at `endpoint` (destroy it when done). */
export function s3rverSdk(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** A cluster's settings for a root mount on `prefix` of the test bucket, its S3 store at `endpoint`. */
export function s3rverRootMount(endpoint: string, prefix: string): Record<string, string> {
  return {
    'tierfs.master.mount.table.root.ufs': `s3://${TEST_BUCKET}/${prefix}/`,
    'tierfs.underfs.s3.endpoint': endpoint,
    'tierfs.underfs.s3.disable.dns.buckets': 'true',
    'tierfs.underfs.s3.inherit.acl': 'false',
    'aws.accessKeyId': S3RVER_KEY,
    'aws.secretKey': S3RVER_KEY,
    'tierfs.tmp.dirs': TEST_UPLOADS_DIR,
  };
}

/** Every key below `prefix` in the test bucket, straight from s3rver (no tierfs in between). */
export async function rawKeys(server: RunningS3rver, prefix: string): Promise<string[]> {
  const client = s3rverSdk(server.endpoint);
  try {
    const page = await client.send(new ListObjectsV2Command({ Bucket: TEST_BUCKET, Prefix: prefix }));
    return (page.Contents ?? []).map((object) => object.Key!.slice(prefix.length)).sort();
  } finally {
    client.destroy();
  }
}

/** The key prefix of a store's root (`s3://bucket/dir/` → `dir/`). */
export function rootPrefixOf(store: { uri: string }): string {
  return store.uri.replace(/^s3a?:\/\/[^/]+\//, '');
}
