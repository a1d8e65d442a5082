/** Starts an OSS gateway over a temporary local directory, in-process on 127.0.0.1. */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OSS from 'ali-oss';
import { OssGateway } from '../../src/gateway/oss/server.js';
import type { UnderStore } from '../../src/ufs/contract.js';
import { LocalUnderStore } from '../../src/ufs/local/local-store.js';

export const AK = 'test-access-key';
export const SECRET = 'test-secret-key-0123456789';
export const BUCKET = 'test-bucket';

export interface RunningGateway {
  gateway: OssGateway;
  root: string;
  port: number;
  endpoint: string;
  stop(): Promise<void>;
}

export async function startGateway(
  options: {
    singleBucket?: string;
    wrapStore?: (store: UnderStore) => UnderStore;
    /** Access key → secret; the default is AK/SECRET, an empty map serves unauthenticated. */
    users?: ReadonlyMap<string, string>;
  } = {},
): Promise<RunningGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'tierfs-oss-gw-'));
  const root = join(dir, 'root');
  await mkdir(join(root, BUCKET), { recursive: true });
  const local = new LocalUnderStore({ root });
  const store = options.wrapStore ? options.wrapStore(local) : local;
  const gateway = new OssGateway({
    store,
    stateDir: join(dir, 'state'),
    users: options.users ?? new Map([[AK, SECRET]]),
    singleBucket: options.singleBucket,
  });
  const { port } = await gateway.listen(0, '127.0.0.1');
  return {
    gateway,
    root,
    port,
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      await gateway.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

type Headers = Record<string, string>;
interface Res {
  status: number;
  headers: Record<string, string | undefined>;
}
interface Listed {
  name: string;
  size: number;
  etag: string;
  owner?: unknown;
}

/** The part of ali-oss these tests use, typed narrowly (the SDK's own typings are loose and partly wrong). */
export interface AliOssClient {
  put(name: string, data: Buffer, options?: { meta?: Headers; headers?: Headers }): Promise<{ res: Res }>;
  get(name: string, options?: { headers?: Headers }): Promise<{ content: Buffer; res: Res }>;
  head(name: string, options?: { headers?: Headers }): Promise<{ status: number; meta: Headers; res: Res }>;
  getObjectMeta(name: string): Promise<{ res: Res }>;
  delete(name: string): Promise<{ res: Res }>;
  deleteMulti(
    names: string[],
    options?: { quiet?: boolean },
  ): Promise<{ deleted?: (string | { Key: string })[]; res: Res }>;
  copy(
    name: string,
    source: string,
    options?: { meta?: Headers; headers?: Headers },
  ): Promise<{ data: { etag: string }; res: Res }>;
  list(
    query: Record<string, string | number>,
    options: object,
  ): Promise<{
    objects: Listed[];
    prefixes: string[] | null;
    isTruncated: boolean;
    nextMarker: string | null;
  }>;
  listV2(
    query: Record<string, string | number | boolean>,
    options: object,
  ): Promise<{
    objects: Listed[];
    keyCount: number;
    isTruncated: boolean;
    nextContinuationToken: string | null;
  }>;
  initMultipartUpload(name: string, options?: { meta?: Headers }): Promise<{ uploadId: string }>;
  uploadPart(
    name: string,
    uploadId: string,
    partNo: number,
    file: string,
    start: number,
    end: number,
  ): Promise<{ etag: string; res: Res }>;
  uploadPartCopy(
    name: string,
    uploadId: string,
    partNo: number,
    range: string,
    source: { sourceKey: string; sourceBucketName: string },
  ): Promise<{ res: Res }>;
  listParts(name: string, uploadId: string, query: object): Promise<{ parts: { PartNumber: string }[] }>;
  listUploads(query: object): Promise<{ uploads: { uploadId: string }[] }>;
  completeMultipartUpload(
    name: string,
    uploadId: string,
    parts: { number: number; etag: string }[],
  ): Promise<{ res: Res }>;
  abortMultipartUpload(name: string, uploadId: string): Promise<{ res: Res }>;
  getBucketACL(bucket: string): Promise<{ acl: string }>;
  getACL(name: string): Promise<{ acl: string }>;
  multipartUpload(
    name: string,
    file: string,
    options: { parallel: number; partSize: number },
  ): Promise<{ res: Res }>;
  signatureUrl(name: string, options?: Record<string, string | number>): string;
  signatureUrlV4(
    method: string,
    expires: number,
    request?: { headers?: Headers; queries?: Record<string, string | null> },
    objectName?: string,
    additionalHeaders?: string[],
  ): Promise<string>;
}

export function aliOss(options: Record<string, string | number | boolean>): AliOssClient {
  return new OSS(options as unknown as OSS.Options) as unknown as AliOssClient;
}

export type ClientMode = 'path-style' | 'ip-host-rewrite' | 'v4';

export function client(
  gw: RunningGateway,
  mode: ClientMode,
  extra: Record<string, string | number | boolean> = {},
): AliOssClient {
  const base = { accessKeyId: AK, accessKeySecret: SECRET, bucket: BUCKET, endpoint: gw.endpoint, ...extra };
  switch (mode) {
    case 'path-style':
      return aliOss({ ...base, sldEnable: true });
    case 'ip-host-rewrite':
      return aliOss(base);
    case 'v4':
      return aliOss({ ...base, sldEnable: true, authorizationV4: true, region: 'oss-cn-hangzhou' });
  }
}
