/**
 * Reads of a file about ten times the worker's cache (MEM + DISK), repeated, through each way a
 * user reads: the client, `tierfs fs cat` (a real process) and the namespace S3 gateway (the
 * official SDK). Every read must return every byte: a read evicts pages it has already sent and
 * is never cut short. By default the scenario is scaled down (256 MiB through 8 MiB MEM + 16 MiB
 * DISK); `TIERFS_FULL_SIZE=1` runs it at full size (2 GiB through 64 MiB MEM + 128 MiB DISK, ten
 * reads per path), which takes many minutes.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningNamespaceGateway, startNamespaceGateway } from '../../src/cli/namespace-gateway.js';
import type { TierfsClient } from '../../src/client/client.js';
import { Configuration } from '../../src/config/configuration.js';
import { streamedSha256, writeDeterministicFile } from '../support/big-file.js';
import { clusterArgs, clusterEnv, TIERFS_BIN } from '../support/cli.js';
import { startCluster, type TestCluster } from '../support/cluster.js';

const MiB = 1024 * 1024;
const FULL = process.env.TIERFS_FULL_SIZE === '1';
const SCALE = FULL
  ? { fileBytes: 2048 * MiB, mem: '64MB', disk: '128MB', reads: 10 }
  : { fileBytes: 256 * MiB, mem: '8MB', disk: '16MB', reads: 4 };
const TIMEOUT_MS = FULL ? 4 * 3600_000 : 600_000;

let cluster: TestCluster;
let client: TierfsClient;
let expected: { sha256: string; bytes: number };

beforeAll(async () => {
  cluster = await startCluster({
    'tierfs.worker.tieredstore.levels': '2',
    'tierfs.worker.tieredstore.level0.dirs.quota': SCALE.mem,
    'tierfs.worker.page.store.sizes': SCALE.disk,
    'tierfs.worker.page.store.overhead': '0',
  });
  client = cluster.client();
  const sha256 = await writeDeterministicFile(
    join(cluster.ufs, 'big', 'file.bin'),
    'big-reads',
    SCALE.fileBytes,
  );
  expected = { sha256, bytes: SCALE.fileBytes };
}, TIMEOUT_MS);
afterAll(() => cluster?.stop());

/** Runs `read` SCALE.reads times; each outcome is the digest and size, or the error it ended with. */
async function readRepeatedly(read: () => Promise<{ sha256: string; bytes: number }>): Promise<unknown[]> {
  const outcomes: unknown[] = [];
  for (let i = 0; i < SCALE.reads; i++) {
    outcomes.push(await read().catch((error: Error) => `read ${i + 1} failed: ${error.message}`));
  }
  return outcomes;
}

describe(`a ${SCALE.fileBytes / MiB} MiB file through ${SCALE.mem} MEM + ${SCALE.disk} DISK, read ${SCALE.reads} times`, () => {
  it(
    'by the client: every read byte-identical',
    async () => {
      const outcomes = await readRepeatedly(async () =>
        streamedSha256(await client.openFile('/big/file.bin', { readType: 'CACHE' })),
      );
      expect(outcomes).toEqual(Array(SCALE.reads).fill(expected));
    },
    TIMEOUT_MS,
  );

  it(
    'by `tierfs fs cat`: every read byte-identical, exit code 0, nothing on stderr',
    async () => {
      const cat = async () => {
        const child = spawn(
          process.execPath,
          [TIERFS_BIN, ...clusterArgs(cluster), 'fs', 'cat', '/big/file.bin'],
          { env: clusterEnv(cluster), stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stderr = '';
        child.stderr.on('data', (chunk) => {
          stderr += chunk;
        });
        const exited = once(child, 'exit');
        const digest = await streamedSha256(child.stdout);
        const [code] = await exited;
        if (code !== 0 || stderr !== '')
          throw new Error(`exit code ${code}, stderr ${JSON.stringify(stderr)}`);
        return digest;
      };
      expect(await readRepeatedly(cat)).toEqual(Array(SCALE.reads).fill(expected));
    },
    TIMEOUT_MS,
  );

  it(
    'by the namespace S3 gateway (official SDK): every GET byte-identical',
    async () => {
      let gateway: RunningNamespaceGateway | undefined;
      const s3 = (address: string) =>
        new S3Client({
          endpoint: address,
          region: 'us-east-1',
          forcePathStyle: true,
          credentials: { accessKeyId: 'AKIABIGREADS', secretAccessKey: 'big-reads-secret' },
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        });
      try {
        gateway = await startNamespaceGateway(
          Configuration.of({
            'tierfs.work.dir': cluster.home,
            'tierfs.master.hostname': '127.0.0.1',
            'tierfs.master.rpc.port': new URL(cluster.master.rpcAddress).port,
            'tierfs.proxy.web.port': '0',
            'tierfs.proxy.s3.users': 'AKIABIGREADS:big-reads-secret',
          }),
          'admin',
          () => undefined,
        );
        const client = s3(gateway!.address);
        const outcomes = await readRepeatedly(async () => {
          const got = await client.send(new GetObjectCommand({ Bucket: 'big', Key: 'file.bin' }));
          return streamedSha256(got.Body as AsyncIterable<Uint8Array>);
        });
        client.destroy();
        expect(outcomes).toEqual(Array(SCALE.reads).fill(expected));
      } finally {
        await gateway?.close();
      }
    },
    TIMEOUT_MS,
  );
});
