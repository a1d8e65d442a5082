/**
 * The tierfs side: a cluster started with `tierfs start local` (master and worker as separate
 * processes) with the shaped S3 bucket mounted at /s3, and what "cold" needs: freeing the cache
 * and a fresh mount (so no metadata is loaded).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { TierfsClient } from '../../src/client/client.js';
import { type DaemonCluster, daemonHome } from '../../test/support/daemons.js';
import type { S3Target } from './gateway.js';

export const MOUNT = '/s3';
/** The mounted prefix of the bucket. */
export const MOUNT_PREFIX = 'data';

export interface BenchCluster {
  readonly daemons: DaemonCluster;
  readonly client: TierfsClient;
  /** Frees every cached page under /s3, then unmounts and mounts it again: no data, no metadata. */
  makeCold(): Promise<void>;
  /** VmHWM (peak RSS) of master and worker in bytes since the last resetPeaks. */
  peaks(): { master: number; worker: number };
  resetPeaks(): void;
  stop(): Promise<void>;
}

export function siteLines(target: S3Target, cacheBytes: number): string[] {
  return [
    `tierfs.worker.page.store.sizes=${Math.ceil(cacheBytes / 2 ** 20)}MB`,
    `tierfs.underfs.s3.endpoint=${target.endpoint}`,
    'tierfs.underfs.s3.disable.dns.buckets=true',
    'tierfs.underfs.s3.inherit.acl=false',
    `aws.accessKeyId=${target.accessKey}`,
    `aws.secretKey=${target.secretKey}`,
  ];
}

/** Parses VmHWM out of /proc/<pid>/status, in bytes. */
export function parseVmHwm(status: string): number {
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error('no VmHWM line');
  return Number(m[1]) * 1024;
}

function vmHwm(pid: number): number {
  try {
    return parseVmHwm(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return Number.NaN;
  }
}

export async function startBenchCluster(
  target: S3Target,
  options: { cacheBytes: number; env?: Record<string, string>; site?: readonly string[] },
): Promise<BenchCluster> {
  const daemons = await daemonHome([...siteLines(target, options.cacheBytes), ...(options.site ?? [])]);
  const check = (what: string, r: { code: number; stderr: string }) => {
    if (r.code !== 0) throw new Error(`tierfs ${what} failed: ${r.stderr}`);
  };
  check('format', await daemons.tierfs('format'));
  const { runTierfs } = await import('../../test/support/cli.js');
  check('start local', await runTierfs(['start', 'local'], { cwd: daemons.home, env: options.env }));
  const client = daemons.client();
  const uri = `s3://${target.bucket}/${MOUNT_PREFIX}`;
  await client.mount(MOUNT, uri, { shared: true });
  const pids = { master: daemons.pid('master'), worker: daemons.pid('worker') };
  return {
    daemons,
    client,
    async makeCold() {
      await client.free(MOUNT);
      await client.unmount(MOUNT);
      await client.mount(MOUNT, uri, { shared: true });
    },
    peaks: () => ({ master: vmHwm(pids.master), worker: vmHwm(pids.worker) }),
    resetPeaks() {
      for (const pid of [pids.master, pids.worker]) {
        try {
          writeFileSync(`/proc/${pid}/clear_refs`, '5'); // 5: reset the peak RSS (Linux >= 4.0)
        } catch {
          // Not allowed here: the peak then covers the whole run so far.
        }
      }
    },
    async stop() {
      await daemons.stop();
    },
  };
}
