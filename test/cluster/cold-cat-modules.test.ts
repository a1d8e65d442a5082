/**
 * What a cold `tierfs fs cat` of a big file loads: its bytes come from the worker's data port
 * (`GET /data`), and that request goes on node:http like the master calls, so the command loads
 * no HTTP client library. Loading undici for it was part of the time to the first byte of every
 * `fs cat` (a fresh process each time) and of the first read of any client process (issue 17:
 * the cold 1 GiB read against the AWS SDK).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clusterArgs, clusterEnv, TIERFS_BIN } from '../support/cli.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { loadedPackagesOf, loadedPackagesPreload } from '../support/loaded-packages.js';

let cluster: TestCluster;
const data = randomBytes(3 * 1024 * 1024 + 17); // more than a batched read: a GET /data

beforeAll(async () => {
  cluster = await startCluster();
  writeFileSync(join(cluster.ufs, 'cold.bin'), data);
});
afterAll(async () => {
  await cluster?.stop();
});

/** The worker's count of `GET /data` requests (its metrics). */
async function dataReads(): Promise<number> {
  const text = await (await fetch(`${cluster.worker.address}/metrics`)).text();
  return Number(/^tierfs_worker_data_requests_total\{kind="read"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

it('a cold `tierfs fs cat` reads through the data port and loads no undici', async () => {
  const preload = loadedPackagesPreload(cluster.home);
  const before = await dataReads();
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ['--require', preload, TIERFS_BIN, ...clusterArgs(cluster), 'fs', 'cat', '/cold.bin'],
    {
      encoding: 'buffer',
      maxBuffer: 64 * 1024 * 1024,
      env: clusterEnv(cluster),
    },
  );
  expect(stdout.equals(data)).toBe(true);
  // The bytes came from the data port (the file was not cached: no short-circuit read).
  expect((await dataReads()) - before).toBe(1);
  const loaded = loadedPackagesOf(stderr.toString());
  expect(loaded).not.toContain('undici');
  expect(loaded).not.toContain('commander'); // a plain cat starts before the CLI's parser is loaded
  // The preload does see what a command loads: `fs stat` parses its line with commander.
  const stat = await promisify(execFile)(
    process.execPath,
    ['--require', preload, TIERFS_BIN, ...clusterArgs(cluster), 'fs', 'stat', '/cold.bin'],
    { env: clusterEnv(cluster) },
  );
  expect(loadedPackagesOf(stat.stderr)).toContain('commander');
});
