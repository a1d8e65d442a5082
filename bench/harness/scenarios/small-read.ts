/** Scenario 2: read every one of many small objects under one prefix, cold and warm. */

import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { forEachLimited } from '../../../src/ufs/object/concurrency.js';
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
import { awsArgs, rcloneBulkFlags, rcloneRemote, sdkClient } from '../peers.js';
import { execCounted, timeRuns } from '../process.js';
import type { Temperature } from '../results.js';

export const SMALL_DIR = 'small';

export function smallKey(i: number): string {
  return `${SMALL_DIR}/f-${String(i).padStart(6, '0')}.bin`;
}

async function countFiles(dir: string): Promise<number> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
}

export async function smallRead(ctx: BenchContext): Promise<void> {
  const total = ctx.smallCount * ctx.smallBytes;
  const { client } = ctx.cluster;
  const tierfsRead = async () => {
    // Statuses and read capabilities come a page at a time (no call to the master per file), and
    // the files of a page are read while the next page is listed, as rclone copy does. The lanes'
    // concurrency is given to the listing too (as the SDK is given its maxSockets): cold files are
    // fetched ahead at most that many at a time.
    let bytes = 0;
    const listed = client.listForRead(`${MOUNT}/${SMALL_DIR}`, { concurrency: ctx.concurrency });
    await forEachLimited(listed, ctx.concurrency, async (file) => {
      if (file.status.isDirectory) return;
      const n = await drain(await client.readListed(file));
      bytes += n;
    });
    expectBytes('tierfs small files', bytes, total);
  };
  const dest = join(ctx.work, 'download');
  const fresh = async () => rm(dest, { recursive: true, force: true });
  const tierfsCopy = async () => {
    const cmd = tierfsCommand(
      ctx,
      'fs',
      'copyToLocal',
      '--thread',
      String(ctx.concurrency),
      `${MOUNT}/${SMALL_DIR}`,
      dest,
    );
    await execCounted(cmd.argv, { cwd: cmd.cwd, env: cmd.env });
    expectBytes('tierfs fs copyToLocal (files)', await countFiles(dest), ctx.smallCount);
  };
  const tools: [string, () => Promise<void>, (() => Promise<void>) | undefined][] = [
    [`tierfs client (listForRead + readListed, ${ctx.concurrency} parallel)`, tierfsRead, undefined],
    [`tierfs fs copyToLocal --thread ${ctx.concurrency}`, tierfsCopy, fresh],
  ];
  for (const temperature of ['cold', 'warm'] as Temperature[]) {
    for (const [tool, body, clean] of tools) {
      ctx.log(`small-read ${temperature}: ${tool}`);
      if (temperature === 'warm') {
        await clean?.();
        await body();
      }
      ctx.cluster.resetPeaks();
      const samples = await timeRuns(ctx.runs, body, async () => {
        await clean?.();
        if (temperature === 'cold') await ctx.cluster.makeCold();
      });
      ctx.record({
        scenario: 'small-read',
        temperature,
        tool,
        role: 'tierfs',
        samples,
        bytes: total,
        peakRss: ctx.cluster.peaks(),
      });
    }
  }

  if (!ctx.peers) return;
  const sdk = sdkClient(ctx.target, ctx.concurrency);
  const prefix = `${MOUNT_PREFIX}/${SMALL_DIR}/`;
  const peers: [string, () => Promise<void>][] = [
    [
      `AWS SDK ListObjectsV2 + GetObject (${ctx.concurrency} parallel)`,
      async () => {
        const keys: string[] = [];
        let token: string | undefined;
        do {
          const page = await sdk.send(
            new ListObjectsV2Command({ Bucket: ctx.target.bucket, Prefix: prefix, ContinuationToken: token }),
          );
          for (const o of page.Contents ?? []) if (o.Key !== prefix) keys.push(o.Key!);
          token = page.NextContinuationToken;
        } while (token);
        let bytes = 0;
        await forEachLimited(keys, ctx.concurrency, async (key) => {
          const out = await sdk.send(new GetObjectCommand({ Bucket: ctx.target.bucket, Key: key }));
          const n = await drain(out.Body as Readable);
          bytes += n;
        });
        expectBytes('SDK small files', bytes, total);
      },
    ],
  ];
  const aws = awsCommand(ctx);
  if (aws) {
    peers.push([
      'aws s3 cp --recursive (to a local dir)',
      async () => {
        await execCounted(
          [
            aws.bin,
            ...awsArgs(
              ctx.target,
              's3',
              'cp',
              '--recursive',
              '--only-show-errors',
              s3Url(ctx, `${SMALL_DIR}/`),
              dest,
            ),
          ],
          {
            env: aws.env,
          },
        );
        expectBytes('aws s3 cp --recursive (files)', await countFiles(dest), ctx.smallCount);
      },
    ]);
  }
  const rclone = rcloneCommand(ctx);
  if (rclone) {
    peers.push([
      'rclone copy (to a local dir)',
      async () => {
        await execCounted(
          [rclone.bin, 'copy', ...rcloneBulkFlags(ctx.concurrency), rcloneRemote(ctx.target, prefix), dest],
          {
            env: rclone.env,
          },
        );
        expectBytes('rclone copy (files)', await countFiles(dest), ctx.smallCount);
      },
    ]);
  }
  await measurePeers(ctx, 'small-read', peers, { bytes: total, prepare: fresh });
  await fresh();
  sdk.destroy();
}
