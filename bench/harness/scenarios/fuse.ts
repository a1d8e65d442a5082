/**
 * Scenarios 6 and 7: the same S3 store through three FUSE mounts — `tierfs fuse mount` of /s3,
 * Debian's s3fs (with its disk cache, `use_cache`) and `rclone mount --vfs-cache-mode full` — read
 * with the same shell tools: `cat` of the big object (fuse-read), and `find -type f | xargs cat` of
 * the 10,000-object tree (fuse-tree). Cold: every mount is made afresh with empty caches (tierfs:
 * its cache freed and /s3 mounted again, so no data nor metadata). Warm: one untimed pass first.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MOUNT, MOUNT_PREFIX } from '../cluster.js';
import { type BenchContext, expectBytes, rcloneCommand, tierfsCommand } from '../context.js';
import { RCLONE_REMOTE } from '../peers.js';
import { execCounted, timeRuns } from '../process.js';
import type { Role, ScenarioId, Temperature } from '../results.js';
import { BIG_KEY } from './seq-read.js';
import { SMALL_DIR } from './small-read.js';

interface FuseTool {
  readonly name: string;
  readonly role: Role;
  /** Mounts afresh with empty caches (unmounting first if mounted). */
  mountCold(): Promise<void>;
  unmount(): Promise<void>;
  readonly dir: string;
}

function mounted(dir: string): boolean {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[1] === dir);
}

async function waitMounted(dir: string, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (mounted(dir)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not mount ${dir} within 30 s`);
}

async function fusermountU(dir: string): Promise<void> {
  if (!mounted(dir)) return;
  await execCounted(['fusermount', '-uz', dir]).catch(() => undefined);
  for (let i = 0; i < 100 && mounted(dir); i++) await new Promise((r) => setTimeout(r, 100));
}

function tierfsTool(ctx: BenchContext, base: string): FuseTool {
  const dir = join(base, 'tierfs');
  const run = async (...args: string[]) => {
    const cmd = tierfsCommand(ctx, ...args);
    await execCounted(cmd.argv, { cwd: cmd.cwd, env: cmd.env, keep: true });
  };
  const unmount = async () => {
    if (mounted(dir)) await run('fuse', 'unmount', '--force', dir);
  };
  return {
    name: 'tierfs fuse mount',
    role: 'tierfs',
    dir,
    unmount,
    async mountCold() {
      await unmount();
      await ctx.cluster.makeCold();
      await mkdir(dir, { recursive: true });
      await run('fuse', 'mount', dir, MOUNT);
    },
  };
}

function s3fsTool(ctx: BenchContext, base: string): FuseTool | undefined {
  if (!existsSync('/usr/bin/s3fs')) return undefined;
  const dir = join(base, 's3fs');
  const cache = join(base, 's3fs-cache');
  const passwd = join(base, 's3fs-passwd');
  return {
    name: 's3fs (use_cache)',
    role: 'peer',
    dir,
    unmount: () => fusermountU(dir),
    async mountCold() {
      await fusermountU(dir);
      await rm(cache, { recursive: true, force: true });
      await mkdir(cache, { recursive: true });
      await mkdir(dir, { recursive: true });
      await writeFile(passwd, `${ctx.target.accessKey}:${ctx.target.secretKey}\n`, { mode: 0o600 });
      const options = [
        `url=${ctx.target.endpoint}`,
        'use_path_request_style',
        `passwd_file=${passwd}`,
        `use_cache=${cache}`,
        `endpoint=${ctx.target.region}`,
        `parallel_count=${ctx.concurrency}`,
      ];
      await execCounted(['s3fs', `${ctx.target.bucket}:/${MOUNT_PREFIX}`, dir, '-o', options.join(',')]);
      await waitMounted(dir, 's3fs');
    },
  };
}

function rcloneTool(ctx: BenchContext, base: string): FuseTool | undefined {
  const rclone = rcloneCommand(ctx);
  if (!rclone) return undefined;
  const dir = join(base, 'rclone');
  const cache = join(base, 'rclone-cache');
  let pid: number | undefined;
  const unmount = async () => {
    await fusermountU(dir);
    if (pid !== undefined) {
      try {
        process.kill(pid);
      } catch {
        // gone already
      }
      pid = undefined;
    }
  };
  return {
    name: 'rclone mount --vfs-cache-mode full',
    role: 'peer',
    dir,
    unmount,
    async mountCold() {
      await unmount();
      await rm(cache, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const child = spawn(
        rclone.bin,
        [
          'mount',
          `${RCLONE_REMOTE}:${ctx.target.bucket}/${MOUNT_PREFIX}`,
          dir,
          '--vfs-cache-mode',
          'full',
          '--cache-dir',
          cache,
          '--transfers',
          String(ctx.concurrency),
          '--checkers',
          String(ctx.concurrency),
        ],
        { env: rclone.env, stdio: 'ignore', detached: false },
      );
      pid = child.pid;
      await waitMounted(dir, 'rclone mount');
    },
  };
}

async function measure(
  ctx: BenchContext,
  scenario: ScenarioId,
  tools: readonly FuseTool[],
  body: (dir: string) => Promise<void>,
  bytes: number,
): Promise<void> {
  for (const tool of tools) {
    for (const temperature of ['cold', 'warm'] as Temperature[]) {
      ctx.log(`${scenario} ${temperature}: ${tool.name}`);
      try {
        if (temperature === 'warm') {
          await tool.mountCold();
          await body(tool.dir); // untimed: fills the caches
        }
        const samples = await timeRuns(
          ctx.runs,
          () => body(tool.dir),
          temperature === 'cold' ? () => tool.mountCold() : undefined,
        );
        ctx.record({ scenario, temperature, tool: tool.name, role: tool.role, samples, bytes });
      } catch (error) {
        ctx.fail(scenario, tool.name, error);
      }
    }
    await tool.unmount().catch(() => undefined);
  }
}

function toolsFor(ctx: BenchContext, base: string): FuseTool[] {
  const tools = [tierfsTool(ctx, base)];
  if (!ctx.peers) return tools;
  for (const peer of [s3fsTool(ctx, base), rcloneTool(ctx, base)]) {
    if (peer) tools.push(peer);
    else ctx.log('fuse: a peer is missing (apt-get install s3fs rclone)');
  }
  return tools;
}

/** `cat` of the big object through each mount. */
export async function fuseRead(ctx: BenchContext): Promise<void> {
  const base = join(ctx.work, 'fuse-mounts');
  await measure(
    ctx,
    'fuse-read',
    toolsFor(ctx, base),
    async (dir) => {
      const r = await execCounted(['cat', join(dir, BIG_KEY)]);
      expectBytes(`cat through ${dir}`, r.stdoutBytes, ctx.sizeBytes);
    },
    ctx.sizeBytes,
  );
}

/** `find -type f | xargs cat` of the small-object tree through each mount. */
export async function fuseTree(ctx: BenchContext): Promise<void> {
  const base = join(ctx.work, 'fuse-mounts');
  const bytes = ctx.smallCount * ctx.smallBytes;
  await measure(
    ctx,
    'fuse-tree',
    toolsFor(ctx, base),
    async (dir) => {
      const r = await execCounted([
        'sh',
        '-c',
        `cd "$1" && find . -type f -print0 | xargs -0 -P ${ctx.concurrency} -n 100 cat`,
        'sh',
        join(dir, SMALL_DIR),
      ]);
      expectBytes(`find + cat through ${dir}`, r.stdoutBytes, bytes);
    },
    bytes,
  );
}
