/**
 * A Kodo gateway over a fresh local directory on 127.0.0.1 (ephemeral port), and the real qiniu
 * SDK pointed at it. The SDK's loosely typed answers are narrowed here, at the boundary.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import qiniu from 'qiniu';
import { Configuration } from '../../src/config/configuration.js';
import { kodoGatewayFromConfig } from '../../src/gateway/kodo/configure.js';
import type { KodoGateway } from '../../src/gateway/kodo/server.js';
import type { UnderStore } from '../../src/ufs/contract.js';
import { LocalUnderStore } from '../../src/ufs/local/local-store.js';

export const ACCESS_KEY = 'AKtierfsTest';
export const SECRET_KEY = 'SKtierfsTestSecret';
export const BUCKET = 'photos';

export interface KodoFixture {
  readonly gateway: KodoGateway;
  /** The local directory served: buckets are its top-level directories. */
  readonly root: string;
  /** `127.0.0.1:<port>` */
  readonly host: string;
  readonly mac: qiniu.auth.digest.Mac;
  readonly config: qiniu.conf.Config;
  readonly bucketManager: qiniu.rs.BucketManager;
  /** An upload token for `scope` (bucket or bucket:key), valid for `expires` seconds. */
  uploadToken(scope: string, extra?: Record<string, string | number>, mac?: qiniu.auth.digest.Mac): string;
  /**
   * Stops the gateway and starts another over the same root and state (as a restart would), on a
   * new port; resolves once it listens. `host` and the SDK objects keep naming the first one.
   */
  restart(): Promise<KodoGateway>;
  cleanup(): Promise<void>;
}

export async function startKodoFixture(
  settings: Record<string, string> = {},
  wrapStore?: (store: UnderStore) => UnderStore,
): Promise<KodoFixture> {
  const base = await mkdtemp(join(tmpdir(), 'tierfs-kodo-'));
  const root = join(base, 'root');
  await mkdir(join(root, BUCKET), { recursive: true });
  const conf = Configuration.of({
    [`tierfs.gateway.kodo.user.${ACCESS_KEY}`]: SECRET_KEY,
    'tierfs.gateway.kodo.state.dir': join(base, 'state'),
    ...settings,
  });
  const open = () => {
    const local = new LocalUnderStore({ root });
    return kodoGatewayFromConfig(wrapStore ? wrapStore(local) : local, conf);
  };
  let gateway = open();
  const { port } = await gateway.listen(0, '127.0.0.1');
  const host = `127.0.0.1:${port}`;
  const mac = new qiniu.auth.digest.Mac(ACCESS_KEY, SECRET_KEY);
  const config = new qiniu.conf.Config({
    useHttpsDomain: false,
    zone: new qiniu.conf.Zone([host], [host], host, host, host, host),
  });
  return {
    get gateway() {
      return gateway;
    },
    root,
    host,
    mac,
    config,
    bucketManager: new qiniu.rs.BucketManager(mac, config),
    uploadToken(scope, extra = {}, signer = mac) {
      return new qiniu.rs.PutPolicy({ scope, expires: 3600, ...extra }).uploadToken(signer);
    },
    async restart() {
      await gateway.close();
      gateway = open();
      await gateway.listen(0, '127.0.0.1');
      return gateway;
    },
    async cleanup() {
      await gateway.close();
      await rm(base, { recursive: true, force: true });
    },
  };
}

/** What a call answered: the status and the JSON body as plain data. */
export interface Answer {
  readonly status: number;
  /** The body when it is a JSON object (else empty). */
  readonly body: Record<string, unknown>;
  /** The body as parsed, whatever its shape. */
  readonly data: unknown;
}

/** What every SDK call resolves with, whatever its declared type: parsed data and the response. */
interface SdkResult {
  readonly data: unknown;
  readonly resp: { readonly statusCode?: number };
}

/** Narrows an SDK call's result to status and body. */
export async function answer(call: Promise<SdkResult>): Promise<Answer> {
  const result = await call;
  const data: unknown = result.data;
  return {
    status: result.resp.statusCode ?? 0,
    body:
      typeof data === 'object' && data !== null && !Array.isArray(data)
        ? (data as Record<string, unknown>)
        : {},
    data,
  };
}

export function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string') throw new Error(`expected a string '${name}' in ${JSON.stringify(body)}`);
  return value;
}

export function numberField(body: Record<string, unknown>, name: string): number {
  const value = body[name];
  if (typeof value !== 'number') throw new Error(`expected a number '${name}' in ${JSON.stringify(body)}`);
  return value;
}

/** A batch answer's per-operation results. */
export function batchResults(data: unknown): { code: number; data?: Record<string, unknown> }[] {
  if (!Array.isArray(data)) throw new Error(`expected a batch array, got ${JSON.stringify(data)}`);
  return data.map((entry: unknown) => {
    const record = entry as { code?: unknown; data?: unknown };
    if (typeof record.code !== 'number')
      throw new Error(`batch entry without code: ${JSON.stringify(entry)}`);
    return {
      code: record.code,
      data:
        typeof record.data === 'object' && record.data !== null
          ? (record.data as Record<string, unknown>)
          : undefined,
    };
  });
}

/** Deterministic pseudo-random bytes (no fixtures on disk). */
export function bytes(size: number, seed = 1): Buffer {
  const data = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  return data;
}

/** A raw HTTP exchange with a gateway at `host` (fetch cannot set Host); the body is read whole (small answers only). */
export function exchange(
  host: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  const [hostname, port] = host.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port: Number(port), method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}
