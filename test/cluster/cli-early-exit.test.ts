/**
 * A CLI process that ends early (`tierfs fs cat ... | head`: a broken pipe, process.exit) releases
 * the short-circuit leases its reads hold before it exits: their pages are not left pinned at the
 * worker until the leases run out (up to a minute).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readStream } from '../../src/ufs/io.js';
import { clusterArgs, clusterEnv, TIERFS_BIN } from '../support/cli.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';

let cluster: TestCluster;
const FILES = ['/d/f0', '/d/f1', '/d/f2', '/d/f3'];

beforeAll(async () => {
  cluster = await startCluster();
  const client = cluster.client();
  await client.mkdir('/d');
  for (const path of FILES) {
    await pipeline(
      Readable.from([randomBytes(4000)]),
      await client.createFile(path, { writeType: 'MUST_CACHE' }),
    );
    await readStream(await client.openFile(path));
  }
});
afterAll(async () => {
  await cluster?.stop();
});

const openLeases = async () => (await cluster.worker.view()).shortCircuitLeases;

it('`tierfs fs cat` of small cached files piped to `head` exits 141 and leaves no batch lease open', async () => {
  await eventually(async () => (await openLeases()) === 0, 'the leases of the set-up reads released');
  const tierfs = [process.execPath, TIERFS_BIN, ...clusterArgs(cluster)]
    .map((a) => JSON.stringify(a))
    .join(' ');
  const paths = [...FILES, ...FILES].join(' ');
  for (let run = 0; run < 2; run++) {
    const { stdout, stderr } = await promisify(execFile)(
      'bash',
      ['-c', `${tierfs} fs cat ${paths} | head -c 10 >/dev/null; echo \${PIPESTATUS[0]}`],
      { env: clusterEnv(cluster) },
    );
    expect(stdout.trim(), stderr).toBe('141');
    expect(stderr).toBe('');
    // The files went short-circuit in batches; their leases are gone as soon as the command is.
    expect(await openLeases(), `run ${run}`).toBe(0);
  }
});
