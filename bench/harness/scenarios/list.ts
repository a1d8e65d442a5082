/** Scenario 3: list a prefix of many objects (10,000 by default), cold (nothing loaded) and warm (metadata loaded). */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { MOUNT, MOUNT_PREFIX } from '../cluster.js';
import {
  awsCommand,
  type BenchContext,
  expectBytes,
  measurePeers,
  rcloneCommand,
  s3Url,
  tierfsCommand,
} from '../context.js';
import { awsArgs, rcloneRemote, sdkClient } from '../peers.js';
import { execCounted, timeRuns } from '../process.js';
import type { Temperature } from '../results.js';

/** The listed prefix: listCount objects of their own, apart from the small objects that are read. */
export const LIST_DIR = 'list';

export function listKey(i: number): string {
  return `${LIST_DIR}/o-${String(i).padStart(6, '0')}.bin`;
}

/** Output lines naming one of the objects (directory markers such as `small/` itself are not objects). */
const lines = (text: string) => text.split('\n').filter((l) => /\.bin\s*$/.test(l)).length;

export async function list(ctx: BenchContext): Promise<void> {
  const n = ctx.listCount;
  const dir = `${MOUNT}/${LIST_DIR}`;
  const { client } = ctx.cluster;
  const tierfsTools: [string, () => Promise<void>][] = [
    [
      'tierfs client list',
      async () => {
        let count = 0;
        for await (const _ of client.list(dir)) count++;
        expectBytes('tierfs client list (entries)', count, n);
      },
    ],
    [
      'tierfs fs ls',
      async () => {
        const cmd = tierfsCommand(ctx, 'fs', 'ls', dir);
        const r = await execCounted(cmd.argv, { cwd: cmd.cwd, env: cmd.env, keep: true });
        expectBytes('tierfs fs ls (lines)', lines(r.stdout), n);
      },
    ],
  ];
  for (const temperature of ['cold', 'warm'] as Temperature[]) {
    for (const [tool, body] of tierfsTools) {
      ctx.log(`list ${temperature}: ${tool}`);
      if (temperature === 'warm') await body();
      ctx.cluster.resetPeaks();
      const samples = await timeRuns(
        ctx.runs,
        body,
        temperature === 'cold' ? () => ctx.cluster.makeCold() : undefined,
      );
      ctx.record({
        scenario: 'list',
        temperature,
        tool,
        role: 'tierfs',
        samples,
        peakRss: ctx.cluster.peaks(),
      });
    }
  }

  if (!ctx.peers) return;
  const sdk = sdkClient(ctx.target, ctx.concurrency);
  const prefix = `${MOUNT_PREFIX}/${LIST_DIR}/`;
  const peers: [string, () => Promise<void>][] = [
    [
      'AWS SDK ListObjectsV2 (all pages)',
      async () => {
        let count = 0;
        let token: string | undefined;
        do {
          const page = await sdk.send(
            new ListObjectsV2Command({
              Bucket: ctx.target.bucket,
              Prefix: prefix,
              Delimiter: '/',
              ContinuationToken: token,
            }),
          );
          count += (page.Contents ?? []).filter((o) => o.Key !== prefix).length;
          token = page.NextContinuationToken;
        } while (token);
        expectBytes('ListObjectsV2 (keys)', count, n);
      },
    ],
  ];
  const aws = awsCommand(ctx);
  if (aws) {
    peers.push([
      'aws s3 ls',
      async () => {
        const r = await execCounted(
          [aws.bin, ...awsArgs(ctx.target, 's3', 'ls', s3Url(ctx, `${LIST_DIR}/`))],
          { env: aws.env, keep: true },
        );
        expectBytes('aws s3 ls (lines)', lines(r.stdout), n);
      },
    ]);
  }
  const rclone = rcloneCommand(ctx);
  if (rclone) {
    peers.push([
      'rclone lsf',
      async () => {
        const r = await execCounted([rclone.bin, 'lsf', rcloneRemote(ctx.target, prefix)], {
          env: rclone.env,
          keep: true,
        });
        expectBytes('rclone lsf (lines)', lines(r.stdout), n);
      },
    ]);
  }
  await measurePeers(ctx, 'list', peers);
  sdk.destroy();
}
