/** Starts an OSS gateway over a temporary local directory, in-process on 127.0.0.1. */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OSS from 'ali-oss';
import { OssGateway } from '../../src/gateway/oss/server.js';
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

export async function startGateway(options: { singleBucket?: string } = {}): Promise<RunningGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'tierfs-oss-gw-'));
  const root = join(dir, 'root');
  await mkdir(join(root, BUCKET), { recursive: true });
  const store = new LocalUnderStore({ root });
  const gateway = new OssGateway({
    store,
    stateDir: join(dir, 'state'),
    users: new Map([[AK, SECRET]]),
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

export type ClientMode = 'path-style' | 'ip-host-rewrite' | 'v4';

export function client(gw: RunningGateway, mode: ClientMode, extra: Partial<OSS.Options> = {}): OSS {
  const base = { accessKeyId: AK, accessKeySecret: SECRET, bucket: BUCKET, endpoint: gw.endpoint, ...extra };
  switch (mode) {
    case 'path-style':
      return new OSS({ ...base, sldEnable: true } as OSS.Options);
    case 'ip-host-rewrite':
      return new OSS(base);
    case 'v4':
      return new OSS({
        ...base,
        sldEnable: true,
        authorizationV4: true,
        region: 'oss-cn-hangzhou',
      } as OSS.Options);
  }
}
