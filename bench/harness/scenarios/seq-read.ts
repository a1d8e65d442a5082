/** Scenario 1: sequential read of one big object, cold and warm, tierfs against its peers. */

import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { MOUNT, MOUNT_PREFIX } from '../cluster.js';
import {
  awsCommand,
  type BenchContext,
  drain,
  expectBytes,
  measurePeers,
  rcloneCommand,
  s3Url,
  tierfsCommand,
} from '../context.js';
import { awsArgs, rcloneRemote, sdkClient } from '../peers.js';
import { execCounted, timeRuns } from '../process.js';
import type { Temperature } from '../results.js';

export const BIG_KEY = 'big.bin';

export async function seqRead(ctx: BenchContext): Promise<void> {
  const size = ctx.sizeBytes;
  const path = `${MOUNT}/${BIG_KEY}`;
  const { client } = ctx.cluster;
  const cluster = ctx.cluster;
  const viaClient = async () => expectBytes('tierfs client', await drain(await client.openFile(path)), size);
  const viaCat = async () => {
    const cmd = tierfsCommand(ctx, 'fs', 'cat', path);
    expectBytes(
      'tierfs fs cat',
      (await execCounted(cmd.argv, { cwd: cmd.cwd, env: cmd.env })).stdoutBytes,
      size,
    );
  };
  const tierfsTools: [string, () => Promise<void>][] = [
    ['tierfs client (openFile)', viaClient],
    ['tierfs fs cat', viaCat],
  ];
  for (const temperature of ['cold', 'warm'] as Temperature[]) {
    for (const [tool, body] of tierfsTools) {
      ctx.log(`seq-read ${temperature}: ${tool}`);
      if (temperature === 'warm') await viaClient(); // make sure every page is cached
      cluster.resetPeaks();
      const samples = await timeRuns(
        ctx.runs,
        body,
        temperature === 'cold' ? () => cluster.makeCold() : undefined,
      );
      ctx.record({
        scenario: 'seq-read',
        temperature,
        tool,
        role: 'tierfs',
        samples,
        bytes: size,
        peakRss: cluster.peaks(),
      });
    }
  }

  if (!ctx.peers) return;
  const sdk = sdkClient(ctx.target, ctx.concurrency);
  const key = `${MOUNT_PREFIX}/${BIG_KEY}`;
  const peers: [string, () => Promise<void>][] = [
    [
      'AWS SDK GetObject',
      async () => {
        const out = await sdk.send(new GetObjectCommand({ Bucket: ctx.target.bucket, Key: key }));
        expectBytes('GetObject', await drain(out.Body as Readable), size);
      },
    ],
  ];
  const aws = awsCommand(ctx);
  if (aws) {
    peers.push([
      'aws s3 cp s3://… -',
      async () => {
        const r = await execCounted([aws.bin, ...awsArgs(ctx.target, 's3', 'cp', s3Url(ctx, BIG_KEY), '-')], {
          env: aws.env,
        });
        expectBytes('aws s3 cp', r.stdoutBytes, size);
      },
    ]);
  }
  const rclone = rcloneCommand(ctx);
  if (rclone) {
    peers.push([
      'rclone cat',
      async () => {
        const r = await execCounted([rclone.bin, 'cat', rcloneRemote(ctx.target, key)], { env: rclone.env });
        expectBytes('rclone cat', r.stdoutBytes, size);
      },
    ]);
  }
  await measurePeers(ctx, 'seq-read', peers, { bytes: size });
  sdk.destroy();
}
