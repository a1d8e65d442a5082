/**
 * Walks through a real FUSE mount in this process (over a master and a worker in it too): `find |
 * xargs -P16 cat`, again and again. What reaches the JavaScript operations per file (the binding
 * answers the rest on libfuse's threads), that a change through the mount still shows at once, and
 * that a long-lived mount holds no more as it serves more (its processes make libfuse end idle
 * threads and start new ones all the time).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FuseOperations } from '../../src/fuse/operations.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { type CountedMount, mountCounted, testOperations } from './in-process-mount.js';
import { requireFuse, sh } from './support.js';

const FILES = 300;
const WALKS = 6;

let cluster: TestCluster | undefined;
let mounted: CountedMount | undefined;
let operations: FuseOperations | undefined;
/** Calls that reached the operations, by name (releaseReadOnly: by handle), since the last reset. */
let calls = new Map<string, number>();
let mnt = '';

beforeAll(async () => {
  requireFuse();
  cluster = await startCluster();
  mkdirSync(join(cluster.ufs, 'tree'));
  for (let i = 0; i < FILES; i++) {
    writeFileSync(join(cluster.ufs, 'tree', `f${String(i).padStart(4, '0')}`), `file ${i}\n`);
  }
  // The mount's attributes live 10 s (the binding answers for the first 5), the kernel's 1 s.
  operations = await testOperations(cluster.client(), 10_000);
  mounted = await mountCounted(operations, {
    prefix: 'tierfs-fuse-long',
    kernelTimeoutMs: 1000,
    weigh: (name, args) => (name === 'releaseReadOnly' ? (args[0] as number[]).length : 1),
  });
  ({ mnt, calls } = mounted);
}, 60_000);

afterAll(async () => {
  await mounted?.stop();
  await cluster?.stop();
}, 60_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a walk through a FUSE mount', () => {
  it('reaches the operations once per file read (its open): the binding answers look-ups, flushes and releases', async () => {
    const walk = `cd ${mnt}/tree && find . -type f | xargs -P16 -n4 cat | wc -l`;
    expect((await sh(walk)).stdout.trim()).toBe(String(FILES)); // cold: lists and reads
    await sleep(1100); // the kernel's entries (entry_timeout 1 s) and attributes expire
    calls.clear();
    expect((await sh(walk)).stdout.trim()).toBe(String(FILES));
    expect(calls.get('open')).toBe(FILES);
    expect(calls.get('readdir')).toBe(1);
    // The listing's attributes answer the look-ups (else one getattr per file).
    expect(calls.get('getattr') ?? 0).toBeLessThan(FILES / 10);
    expect(calls.get('flush') ?? 0).toBe(0);
    expect(calls.get('release') ?? 0).toBe(0);
    await eventually(() => calls.get('releaseReadOnly') === FILES, 'every handle released');
    expect(operations!.openHandles).toBe(0);
  }, 60_000);

  it('shows a change made through the mount at once, though the binding held the attributes', async () => {
    const file = `${mnt}/tree/f0001`;
    expect((await sh(`ls -l ${mnt}/tree > /dev/null && stat -c %a ${file}`)).stdout.trim()).not.toBe('600');
    expect((await sh(`chmod 600 ${file} && stat -c %a ${file}`)).stdout.trim()).toBe('600');
    expect((await sh(`printf 'longer than before\n' > ${file} && stat -c %s ${file}`)).stdout.trim()).toBe(
      '19',
    );
    const moved = await sh(`mv ${file} ${mnt}/tree/moved && stat -c %s ${mnt}/tree/moved; stat ${file}`);
    expect(moved.stdout.trim()).toBe('19');
    expect(moved.stderr).toMatch(/No such file or directory/);
    expect((await sh(`mv ${mnt}/tree/moved ${file} && cat ${file}`)).stdout).toBe('longer than before\n');
  }, 60_000);

  it('drops a file being written through the mount from the binding’s attributes at once: its size is the writing’s', async () => {
    const file = `${mnt}/tree/f0002`;
    // Listed: the binding answers f0002's look-ups (7 bytes) for the next 5 s.
    expect((await sh(`ls -l ${mnt}/tree > /dev/null && stat -c %s ${file}`)).stdout.trim()).toBe('7');
    const writer: ChildProcess = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs');
         const fd = fs.openSync(process.argv[1], 'w');
         fs.writeSync(fd, 'abc\\n');
         process.stdout.write('written\\n');
         process.stdin.once('data', () => { fs.closeSync(fd); process.exit(0); });`,
        file,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number>((resolve) => writer.on('exit', (code) => resolve(code ?? 1)));
    await new Promise<void>((resolve) => writer.stdout!.once('data', () => resolve()));
    await sleep(1100); // the kernel's attributes expire: the next stat is a look-up
    const size = (await sh(`stat -c %s ${file}`)).stdout.trim();
    writer.stdin!.write('go\n');
    expect(await exited).toBe(0);
    expect(size).toBe('4');
    expect((await sh(`cat ${file}`)).stdout).toBe('abc\n');
  }, 60_000);
});

describe('a long-lived FUSE mount', () => {
  it("keeps no more of the binding's thread states than threads ran at once, and no open handles, over walk after walk", async () => {
    const counts: number[] = [];
    for (let walk = 0; walk < WALKS; walk++) {
      const r = await sh(`cd ${mnt}/tree && find . -type f | xargs -P16 -n4 cat | wc -l`);
      expect(r.stdout.trim()).toBe(String(FILES));
      counts.push(mounted!.mount.threadStates);
    }
    // fuse-native 2.2.6 made a new state (a buffer and a uv_async_t on the loop) for every thread
    // libfuse started: about one per 8 files opened here, so hundreds by now, and growing.
    expect(counts.at(-1)).toBeLessThanOrEqual(64);
    expect(counts.at(-1)! - counts[0]!).toBeLessThanOrEqual(16);
    // The kernel sends a file's RELEASE after its `close` returns: the last walk's may still be on the way.
    await eventually(() => operations!.openHandles === 0, 'every handle released');
  }, 120_000);
});
