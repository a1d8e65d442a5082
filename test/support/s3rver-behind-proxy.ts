/**
 * s3rver with the recording fault proxy in front (test/support/fault-proxy.ts), one pair per test
 * file: started in beforeAll, stopped in afterAll. Stores under test point at `proxy.endpoint`.
 */
import { afterAll, beforeAll } from 'vitest';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import { type RunningS3rver, startS3rver } from './s3rver.js';

export interface S3rverBehindProxy {
  /** The running s3rver (inside tests and hooks registered after this). */
  readonly server: RunningS3rver;
  /** The proxy in front of it, with the requests it forwarded and its fault rules. */
  readonly proxy: FaultProxy;
}

export function withS3rverBehindProxy(): S3rverBehindProxy {
  let server: RunningS3rver | undefined;
  let proxy: FaultProxy | undefined;
  beforeAll(async () => {
    server = await startS3rver();
    proxy = await startFaultProxy(server.endpoint);
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.close();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started yet (use it inside tests and hooks)`);
    return value;
  };
  return {
    get server() {
      return started(server, 's3rver');
    },
    get proxy() {
      return started(proxy, 'the fault proxy');
    },
  };
}
