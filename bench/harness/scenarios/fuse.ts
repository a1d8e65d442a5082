/**
 * Scenarios 6 and 7: the same S3 store through three FUSE mounts — `tierfs fuse mount` of /s3,
 * Debian's s3fs (with its disk cache, `use_cache`) and `rclone mount --vfs-cache-mode full` — read
 * with the same shell tools: `dd` of the big object to /dev/null (fuse-read), and `find -type f |
 * xargs cat | wc -c` of the small-object tree (fuse-tree). The bytes are discarded where they are
 * read, not piped into the bench process: a pipe into Node carries about 1.2 GiB/s on this machine,
 * less than a page-cached file gives, so a warm read would measure the pipe. Every run checks the
 * bytes (dd's and wc's counts) and, for the tree, the number of files found. The same commands on
 * the local copies (page cache) are each scenario's floor. Cold: every mount is made afresh with
 * empty caches (tierfs: its cache freed and /s3 mounted again, so no data nor metadata). Warm: one
 * untimed pass first.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MOUNT, MOUNT_PREFIX } from '../cluster.js';
import { type BenchContext, expectBytes, objectFile, rcloneCommand, tierfsCommand } from '../context.js';
import { RCLONE_REMOTE } from '../peers.js';
import { execCounted, timeRuns } from '../process.js';
import type { Role, ScenarioId, Temperature } from '../results.js';
import { BIG_KEY } from './seq-read.js';
import { SMALL_DIR, smallKey } from './small-read.js';

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

/** The byte count of dd's last line (`1073741824 bytes (1.1 GB, 1.0 GiB) copied, ...`). */
export function ddBytes(report: string): number {
  const m = /^(\d+) bytes\b.*copied/m.exec(report);
  if (!m) throw new Error(`dd reported no byte count: ${report.trim()}`);
  return Number(m[1]);
}

/** Reads `file` with dd into /dev/null; the bytes dd reports. */
async function ddToNull(file: string): Promise<number> {
  const r = await execCounted(['sh', '-c', 'dd if="$1" of=/dev/null bs=1M 2>&1', 'sh', file], { keep: true });
  return ddBytes(r.stdout);
}

/**
 * `find -type f | xargs -P <concurrency> cat | wc -c` in `dir`: the bytes wc counted and the files
 * find handed to cat (its NUL-separated list, kept in `listFile` by tee).
 */
async function walkToNull(
  dir: string,
  concurrency: number,
  listFile: string,
): Promise<{ bytes: number; files: string[] }> {
  const r = await execCounted(
    [
      'sh',
      '-c',
      `cd "$1" && find . -type f -print0 | tee "$2" | xargs -0 -P ${concurrency} -n 100 cat | wc -c`,
      'sh',
      dir,
      listFile,
    ],
    { keep: true },
  );
  const files = (await readFile(listFile, 'utf8')).split('\0').slice(0, -1);
  return { bytes: Number(r.stdout.trim()), files };
}

/** Scenarios whose local floor was measured already (it does not depend on the link). */
const floorsMeasured = new Set<ScenarioId>();

/** The same reader on the local copy in the page cache: the fastest any mount could be. */
async function localFloor(
  ctx: BenchContext,
  scenario: ScenarioId,
  tool: string,
  body: () => Promise<void>,
  bytes: number,
): Promise<void> {
  if (floorsMeasured.has(scenario)) return;
  floorsMeasured.add(scenario);
  ctx.log(`${scenario}: ${tool}`);
  try {
    await body(); // into the page cache
    const samples = await timeRuns(ctx.runs, body);
    ctx.record({ scenario, temperature: '-', tool, role: 'limit', samples, bytes });
  } catch (error) {
    ctx.fail(scenario, tool, error);
  }
}

/** dd of the big object through each mount, to /dev/null. */
export async function fuseRead(ctx: BenchContext): Promise<void> {
  const base = join(ctx.work, 'fuse-mounts');
  const read = async (file: string) => expectBytes(`dd of ${file}`, await ddToNull(file), ctx.sizeBytes);
  await localFloor(ctx, 'fuse-read', 'dd (local disk, page cache)', () => read(ctx.localBig), ctx.sizeBytes);
  await measure(ctx, 'fuse-read', toolsFor(ctx, base), (dir) => read(join(dir, BIG_KEY)), ctx.sizeBytes);
}

/** `find -type f | xargs cat | wc -c` of the small-object tree through each mount. */
export async function fuseTree(ctx: BenchContext): Promise<void> {
  const base = join(ctx.work, 'fuse-mounts');
  const bytes = ctx.smallCount * ctx.smallBytes;
  const listFile = join(ctx.work, 'fuse-tree-files');
  const walk = async (dir: string) => {
    const found = await walkToNull(dir, ctx.concurrency, listFile);
    if (found.files.length !== ctx.smallCount) {
      const expected = new Set(
        Array.from({ length: ctx.smallCount }, (_, i) => `./${smallKey(i).slice(SMALL_DIR.length + 1)}`),
      );
      const odd = found.files.filter((f) => !expected.has(f)).slice(0, 5);
      throw new Error(
        `find through ${dir}: ${found.files.length} files, expected ${ctx.smallCount}${odd.length > 0 ? ` (not expected: ${odd.join(', ')})` : ''}`,
      );
    }
    expectBytes(`find + cat through ${dir}`, found.bytes, bytes);
  };
  await mkdir(ctx.work, { recursive: true });
  await localFloor(
    ctx,
    'fuse-tree',
    'find + cat (local directory, page cache)',
    () => walk(objectFile(ctx, SMALL_DIR)),
    bytes,
  );
  await measure(ctx, 'fuse-tree', toolsFor(ctx, base), (dir) => walk(join(dir, SMALL_DIR)), bytes);
}
