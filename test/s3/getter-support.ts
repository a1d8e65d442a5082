/**
 * What the tests of tierfs's own S3 getters (s3-small-get.ts, s3-stream-get.ts) share: stores on
 * s3rver behind the fault proxy, the user-agents of the ranged GETs the proxy saw, a written
 * object's pinned version, and the error a run fails with.
 */
import type { UnderStore } from '../../src/ufs/contract.js';
import { writeFile } from '../../src/ufs/io.js';
import { parseUfsUri } from '../../src/ufs/registry.js';
import { createS3UnderStore } from '../../src/ufs/s3/s3-store.js';
import { s3rverConfiguration, TEST_BUCKET } from '../support/s3rver.js';
import type { S3rverBehindProxy } from '../support/s3rver-behind-proxy.js';

let roots = 0;

/** A store on the test bucket below `root` (a fresh one named after `prefix` unless given), with `extra` settings. */
export function getterStore(
  prefix: string,
  endpoint: string,
  extra: Record<string, string> = {},
  root?: string,
) {
  return createS3UnderStore(
    parseUfsUri(`s3://${TEST_BUCKET}/${root ?? `${prefix}-${process.pid}-${++roots}`}/`),
    s3rverConfiguration(endpoint, extra),
  );
}

/** The user-agents of the object GETs (ranged: not listings) the proxy saw since request `from`. */
export function rangedGetAgents(fixture: S3rverBehindProxy, from: number): string[] {
  return fixture.proxy.requests
    .slice(from)
    .filter((r) => r.method === 'GET' && r.headers.range !== undefined)
    .map((r) => r.headers['user-agent'] ?? '');
}

/** Writes `data` at `path` and answers the version a read pins (fingerprint and size). */
export async function pinned(store: UnderStore, path: string, data: Buffer) {
  await writeFile(store, path, data, { overwrite: true });
  const status = await store.getStatus(path);
  return { version: status.fingerprint, size: status.size };
}

/** The error `run` fails with (it must fail). */
export async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}
