/** What every scenario gets: the S3 target, the tierfs cluster, the data sizes and the tools. */
import { join } from 'node:path';
import { TIERFS_BIN } from '../../test/support/cli.js';
import { type BenchCluster, MOUNT_PREFIX } from './cluster.js';
import type { S3Target } from './gateway.js';
import type { Link } from './netns.js';
import { awsEnv, rcloneEnv } from './peers.js';
import { timeRuns } from './process.js';
import type { Result, ScenarioId } from './results.js';

export interface BenchOptions {
  readonly runs: number;
  readonly sizeBytes: number;
  readonly smallCount: number;
  /** Objects in the listed prefix (list/). */
  readonly listCount: number;
  readonly smallBytes: number;
  readonly concurrency: number;
  /** Measure the peers too (off when re-running tierfs alone under the profiler). */
  readonly peers: boolean;
}

export interface BenchContext extends BenchOptions {
  readonly target: S3Target;
  readonly cluster: BenchCluster;
  readonly link: Link;
  /** What the link adds this phase: 'no delay' or e.g. '20 ms RTT'; recorded with every result. */
  readonly linkLabel: string;
  /** The S3 gateway's root directory: one subdirectory per bucket. */
  readonly s3Root: string;
  /** Local scratch space (sources of uploads, destinations of bulk downloads). */
  readonly work: string;
  /** The big object's bytes as a local file (the source of uploads, and of `cat`). */
  readonly localBig: string;
  readonly aws?: string;
  readonly rclone?: string;
  /** HOME for the CLIs (their config files). */
  readonly toolHome: string;
  log(line: string): void;
  record(result: Result): void;
  /** A tool that failed: reported, and the run goes on with the next one. */
  fail(scenario: ScenarioId, tool: string, error: unknown): void;
}

/** The file behind an object key below the mounted prefix. */
export function objectFile(ctx: Pick<BenchContext, 's3Root' | 'target'>, key: string): string {
  return join(ctx.s3Root, ctx.target.bucket, MOUNT_PREFIX, key);
}

/** `s3://bucket/data/<key>` */
export function s3Url(ctx: BenchContext, key: string): string {
  return `s3://${ctx.target.bucket}/${MOUNT_PREFIX}/${key}`;
}

export function awsCommand(ctx: BenchContext): { bin: string; env: Record<string, string> } | undefined {
  return ctx.aws ? { bin: ctx.aws, env: awsEnv(ctx.target, ctx.toolHome) } : undefined;
}

export function rcloneCommand(ctx: BenchContext): { bin: string; env: Record<string, string> } | undefined {
  return ctx.rclone ? { bin: ctx.rclone, env: rcloneEnv(ctx.target, ctx.toolHome) } : undefined;
}

/** `tierfs <args>` against the bench cluster, as a user would type it in its home. */
export function tierfsCommand(
  ctx: BenchContext,
  ...args: string[]
): { argv: string[]; cwd: string; env: Record<string, string> } {
  return {
    argv: [process.execPath, TIERFS_BIN, ...args],
    cwd: ctx.cluster.daemons.home,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' },
  };
}

export async function drain(stream: AsyncIterable<unknown>): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += (chunk as Uint8Array).length;
  return bytes;
}

export function expectBytes(tool: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${tool}: got ${got} bytes, expected ${want}`);
}

/** Times each peer in turn ("no cache": they keep none); a failing peer is reported, not fatal. */
export async function measurePeers(
  ctx: BenchContext,
  scenario: ScenarioId,
  peers: readonly (readonly [string, (run: number) => Promise<void>])[],
  options: { bytes?: number; prepare?: (run: number) => Promise<void> } = {},
): Promise<void> {
  for (const [tool, body] of peers) {
    ctx.log(`${scenario}: ${tool}`);
    try {
      const samples = await timeRuns(ctx.runs, body, options.prepare);
      ctx.record({ scenario, temperature: 'no cache', tool, role: 'peer', samples, bytes: options.bytes });
    } catch (error) {
      ctx.fail(scenario, tool, error);
    }
  }
}
