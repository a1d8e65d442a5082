/**
 * A read whose under store fails part way, after the worker has sent the status line and the first
 * bytes: the client's stream must error (never end short), and the worker logs the failure with
 * its cause in one warn line.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadType, TierfsClient } from '../../src/client/client.js';
import { writeDeterministicFile } from '../support/big-file.js';
import { clusterArgs, clusterEnv, TIERFS_BIN } from '../support/cli.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { failingStoreUri } from '../support/failing-store.js';

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;
/** Past the first read window (8 pages of 1 MiB), so the failure comes after the status line. */
const FAIL_AT = 20 * MiB + 12_345;

let cluster: TestCluster;
let client: TierfsClient;

beforeAll(async () => {
  cluster = await startCluster();
  client = cluster.client();
  const dir = join(cluster.home, 'flaky');
  await writeDeterministicFile(join(dir, 'file.bin'), 'read-failure', SIZE);
  await client.mount('/flaky', failingStoreUri(dir, FAIL_AT));
});
afterAll(() => cluster?.stop());

/** Log lines of the worker's mid-stream read failures. */
function midStreamFailures(): Array<{ level: number; msg: string; err?: { message?: string } }> {
  return readFileSync(join(cluster.home, 'test.log'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('read failed mid-stream'))
    .map((line) => JSON.parse(line));
}

describe('a UFS read that fails mid-stream', () => {
  it.each(['NO_CACHE', 'CACHE'] as ReadType[])(
    '%s: the client stream errors after the bytes before the failure, and the worker logs why',
    async (readType) => {
      const before = midStreamFailures().length;
      let received = 0;
      const stream = await client.openFile('/flaky/file.bin', { readType });
      const drained = (async () => {
        for await (const chunk of stream as AsyncIterable<Buffer>) received += chunk.length;
      })();
      await expect(drained).rejects.toThrow();
      // The status line and the first window were sent: this is the mid-stream path.
      expect(received).toBeGreaterThanOrEqual(8 * MiB);
      expect(received).toBeLessThan(SIZE);
      await eventually(() => midStreamFailures().length === before + 1, 'the warn line of the worker');
      const [line] = midStreamFailures().slice(before);
      expect(line!.level).toBe(40); // warn
      expect(line!.err?.message).toMatch(/injected failure at byte 20983865/);
    },
  );

  it('`tierfs fs cat` exits non-zero with one line on stderr, having written only the bytes before the failure', async () => {
    const before = midStreamFailures().length;
    const child = spawn(
      process.execPath,
      [TIERFS_BIN, ...clusterArgs(cluster), 'fs', 'cat', '/flaky/file.bin'],
      { env: clusterEnv(cluster), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = once(child, 'exit');
    let written = 0;
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) written += chunk.length;
    const [code] = await exited;
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/^tierfs: [^\n]+\n$/);
    expect(written).toBeLessThan(SIZE);
    await eventually(() => midStreamFailures().length === before + 1, 'the warn line of the worker');
  });
});
