/** Scenario 4: write one big file from local disk into the remote store. */

import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Upload } from '@aws-sdk/lib-storage';
import type { WriteType } from '../../../src/cluster/wire.js';
import { MOUNT, MOUNT_PREFIX } from '../cluster.js';
import {
  awsCommand,
  type BenchContext,
  expectBytes,
  measurePeers,
  objectFile,
  rcloneCommand,
  s3Url,
} from '../context.js';
import { awsArgs, rcloneRemote, sdkClient } from '../peers.js';
import { execCounted, timeRuns } from '../process.js';

export const UPLOAD_DIR = 'up';

export async function write(ctx: BenchContext): Promise<void> {
  const size = ctx.sizeBytes;
  const { client } = ctx.cluster;
  const upDir = objectFile(ctx, UPLOAD_DIR);
  const landed = async (name: string) =>
    expectBytes(`upload ${name}`, (await stat(objectFile(ctx, `${UPLOAD_DIR}/${name}`))).size, size);
  const clean = async () => {
    if (await client.exists(`${MOUNT}/${UPLOAD_DIR}`))
      await client.delete(`${MOUNT}/${UPLOAD_DIR}`, { recursive: true });
    await rm(upDir, { recursive: true, force: true });
    await mkdir(upDir, { recursive: true });
  };

  for (const writeType of ['CACHE_THROUGH', 'THROUGH'] as WriteType[]) {
    const tool = `tierfs client createFile ${writeType}`;
    ctx.log(`write: ${tool}`);
    ctx.cluster.resetPeaks();
    const samples = await timeRuns(
      ctx.runs,
      async (i) => {
        const name = `tierfs-${writeType}-${i}.bin`;
        const out = await client.createFile(`${MOUNT}/${UPLOAD_DIR}/${name}`, { writeType, recursive: true });
        await pipeline(createReadStream(ctx.localBig, { highWaterMark: 1 << 20 }), out);
        await landed(name);
      },
      clean,
    );
    ctx.record({
      scenario: 'write',
      temperature: '-',
      tool,
      role: 'tierfs',
      samples,
      bytes: size,
      peakRss: ctx.cluster.peaks(),
    });
  }

  if (!ctx.peers) return;
  const sdk = sdkClient(ctx.target, ctx.concurrency);
  const peers: [string, (i: number) => Promise<void>][] = [
    [
      'AWS SDK Upload (lib-storage defaults)',
      async (i) => {
        const name = `sdk-${i}.bin`;
        await new Upload({
          client: sdk,
          params: {
            Bucket: ctx.target.bucket,
            Key: `${MOUNT_PREFIX}/${UPLOAD_DIR}/${name}`,
            Body: createReadStream(ctx.localBig),
          },
        }).done();
        await landed(name);
      },
    ],
  ];
  const aws = awsCommand(ctx);
  if (aws) {
    peers.push([
      'aws s3 cp (upload)',
      async (i) => {
        const name = `aws-${i}.bin`;
        await execCounted(
          [
            aws.bin,
            ...awsArgs(
              ctx.target,
              's3',
              'cp',
              '--only-show-errors',
              ctx.localBig,
              s3Url(ctx, `${UPLOAD_DIR}/${name}`),
            ),
          ],
          {
            env: aws.env,
          },
        );
        await landed(name);
      },
    ]);
  }
  const rclone = rcloneCommand(ctx);
  if (rclone) {
    peers.push([
      'rclone copyto (upload)',
      async (i) => {
        const name = `rclone-${i}.bin`;
        await execCounted(
          [
            rclone.bin,
            'copyto',
            ctx.localBig,
            rcloneRemote(ctx.target, `${MOUNT_PREFIX}/${UPLOAD_DIR}/${name}`),
          ],
          {
            env: rclone.env,
          },
        );
        await landed(name);
      },
    ]);
  }
  await measurePeers(ctx, 'write', peers, { bytes: size, prepare: clean });
  await clean();
  sdk.destroy();
}
