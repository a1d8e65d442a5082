/**
 * `tierfs fuse mount` on a real local cluster (`tierfs start local`), driven by real tools: cp,
 * rsync, tar, diff, sha256sum, find, mv, rm, chmod, concurrent readers, the CLI and the S3 gateway
 * over the namespace. Needs /dev/fuse: without it these tests fail and say so.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DaemonCluster, daemonHome, freePort } from '../support/daemons.js';
import { eventually } from '../support/eventually.js';
import { requireFuse, sh } from './support.js';

/** Size of the file the concurrent readers read: 1 GiB with TIERFS_FUSE_BIG_READ=1 (the figure). */
const BIG_BYTES = process.env.TIERFS_FUSE_BIG_READ === '1' ? 1024 ** 3 : 128 * 1024 ** 2;
const READERS = 8;

let cluster: DaemonCluster | undefined;
let s3: S3Client | undefined;
let scratch = '';
let mnt = '';
let ro = '';

async function tierfs(...args: string[]) {
  return cluster!.tierfs(...args);
}

async function mounted(path: string): Promise<boolean> {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[1] === path && line.split(' ')[2] === 'fuse.tierfs');
}

beforeAll(async () => {
  requireFuse();
  const s3Port = await freePort();
  cluster = await daemonHome([
    `tierfs.proxy.web.port=${s3Port}`,
    // The gateway acts as the user a key maps to: root, who owns what this test makes through the mount.
    'tierfs.proxy.s3.users=AKIAFUSE:fuse-secret:root',
  ]);
  expect((await tierfs('format')).code).toBe(0);
  expect((await tierfs('start', 'local')).code).toBe(0);
  s3 = new S3Client({
    endpoint: `http://127.0.0.1:${s3Port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIAFUSE', secretAccessKey: 'fuse-secret' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  scratch = mkdtempSync(join(tmpdir(), 'tierfs-fuse-'));
  chmodSync(scratch, 0o755); // Other users reach the mount through it (the uid test).
  mnt = join(scratch, 'mnt');
  ro = join(scratch, 'ro');
  mkdirSync(mnt);
  mkdirSync(ro);
  const mount = await tierfs('fuse', 'mount', mnt, '-o', 'allow_other');
  expect(mount.stderr).toBe('');
  expect(mount.stdout).toMatch(/^Mounted tierfs:\/ at .* \(pid \d+\), logging to /);
  expect(await mounted(mnt)).toBe(true);
}, 120_000);

afterAll(async () => {
  s3?.destroy();
  for (const point of [mnt, ro]) {
    if (point && (await mounted(point))) await tierfs('fuse', 'unmount', '--force', point);
  }
  await cluster?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, 120_000);

describe('tierfs fuse mount', () => {
  it('lists itself, and carries cp -r, rsync -a (twice), tar, diff -r, sha256sum, find, mv, chmod and rm -r', async () => {
    const list = await tierfs('fuse', 'list');
    // Its row (the columns are as wide as the longest mount point: other tests' mounts may be listed too).
    const row = list.stdout.split('\n').find((line) => line.startsWith(`${mnt} `));
    expect(row?.split(/\s+/).slice(0, 5), list.stdout).toEqual([
      mnt,
      '/',
      expect.stringMatching(/^\d+$/),
      'rw',
      'mounted',
    ]);

    const src = join(scratch, 'src');
    mkdirSync(join(src, 'a', 'b'), { recursive: true });
    writeFileSync(join(src, 'a', 'x.txt'), 'hello\n');
    writeFileSync(join(src, 'a', 'b', 'y.txt'), 'nested\n');
    writeFileSync(
      join(src, 'a', 'b', 'data.bin'),
      createHash('sha512').update('seed').digest().toString('hex').repeat(40_000),
    );
    writeFileSync(join(src, 'empty'), '');
    // Access and modification times differ, as they usually do: the mount keeps the modification
    // time (the patched binding hands it over; fuse-native 2.2.6 handed the access time twice).
    expect((await sh(`find ${src} -exec touch -m -d '2024-05-06 07:08:09.25' {} +`)).code).toBe(0);
    expect((await sh(`find ${src} -exec touch -a -d '2025-01-02 03:04:05' {} +`)).code).toBe(0);

    expect(await sh(`cp -r ${src} ${mnt}/copied`)).toMatchObject({ code: 0, stderr: '' });
    expect(await sh(`diff -r ${src} ${mnt}/copied`)).toMatchObject({ code: 0, stdout: '' });

    const first = await sh(`rsync -a --itemize-changes --stats ${src}/ ${mnt}/synced/`);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('Number of regular files transferred: 4');
    // rsync's quick check (size and modification time) finds nothing to do: no file is sent, and
    // no time, mode or owner is set again (--itemize-changes lists any change, even of a time).
    const second = await sh(`rsync -a --itemize-changes --stats ${src}/ ${mnt}/synced/`);
    expect(second.stderr).toBe('');
    expect(second.stdout).toContain('Number of regular files transferred: 0');
    expect(second.stdout.split('\n').filter((line) => /^[<>ch.*][fdLDS]/.test(line))).toEqual([]);
    expect((await sh(`stat -c %y ${mnt}/synced/a/x.txt`)).stdout).toContain('2024-05-06 07:08:09.25');
    // touch -a sets the access time only (UTIME_OMIT for the other): the modification time stays.
    expect((await sh(`touch -a ${mnt}/synced/a/x.txt`)).code).toBe(0);
    expect((await tierfs('fs', 'stat', '/synced/a/x.txt')).stdout).toContain('05-06-2024 07:08:09');
    expect(await sh(`diff -r ${src} ${mnt}/synced`)).toMatchObject({ code: 0, stdout: '' });

    expect(
      await sh(`mkdir ${mnt}/untarred && tar -C ${src} -cf - . | tar -C ${mnt}/untarred -xf -`),
    ).toMatchObject({
      code: 0,
      stderr: '',
    });
    expect(await sh(`diff -r ${src} ${mnt}/untarred`)).toMatchObject({ code: 0, stdout: '' });

    const sums = await sh(
      `sha256sum ${src}/a/b/data.bin ${mnt}/copied/a/b/data.bin ${mnt}/untarred/a/b/data.bin`,
    );
    const hashes = sums.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ')[0]);
    expect(new Set(hashes).size).toBe(1);

    expect((await sh(`find ${mnt}/copied -type f | sort`)).stdout.trim().split('\n')).toEqual(
      ['a/b/data.bin', 'a/b/y.txt', 'a/x.txt', 'empty'].map((f) => `${mnt}/copied/${f}`),
    );

    expect((await sh(`mv ${mnt}/copied/a/x.txt ${mnt}/copied/a/moved.txt`)).code).toBe(0);
    // mv over an existing file replaces it, as rename(2) does.
    expect((await sh(`mv ${mnt}/copied/a/b/y.txt ${mnt}/copied/a/moved.txt`)).code).toBe(0);
    expect(readFileSync(join(mnt, 'copied', 'a', 'moved.txt'), 'utf8')).toBe('nested\n');
    expect((await sh(`ls ${mnt}/copied/a/b`)).stdout.trim()).toBe('data.bin');
    // A file moved in from outside the mount: copied, then removed there.
    writeFileSync(join(scratch, 'outside.txt'), 'from outside\n');
    expect((await sh(`mv ${scratch}/outside.txt ${mnt}/copied/`)).code).toBe(0);
    expect((await tierfs('fs', 'cat', '/copied/outside.txt')).stdout).toBe('from outside\n');

    // touch -d sets both times: kept in tierfs metadata.
    expect((await sh(`touch -d '2021-02-03 04:05:06' ${mnt}/copied/empty`)).code).toBe(0);
    await eventually(
      async () => (await sh(`stat -c %y ${mnt}/copied/empty`)).stdout.startsWith('2021-02-03 04:05:06'),
      'the modification time set through the mount',
    );
    expect((await tierfs('fs', 'stat', '/copied/empty')).stdout).toContain('02-03-2021 04:05:06');

    expect(
      (await sh(`chmod 600 ${mnt}/copied/a/moved.txt && stat -c %a ${mnt}/copied/a/moved.txt`)).stdout.trim(),
    ).toBe('600');
    expect((await tierfs('fs', 'stat', '/copied/a/moved.txt')).stdout).toContain('(0600)');

    expect(await sh(`rm -r ${mnt}/copied`)).toMatchObject({ code: 0, stderr: '' });
    expect((await sh(`ls ${mnt}`)).stdout.split('\n')).not.toContain('copied');
    expect((await tierfs('fs', 'stat', '/copied')).stderr).toContain('does not exist');
  }, 180_000);

  it('shows what it writes to tierfs fs cat and the S3 gateway, and what they write to its readers', async () => {
    mkdirSync(join(mnt, 'shared'));
    writeFileSync(join(mnt, 'shared', 'from-mount.txt'), 'written through FUSE\n');
    expect((await tierfs('fs', 'cat', '/shared/from-mount.txt')).stdout).toBe('written through FUSE\n');
    const got = await s3!.send(new GetObjectCommand({ Bucket: 'shared', Key: 'from-mount.txt' }));
    expect(await got.Body!.transformToString()).toBe('written through FUSE\n');

    await s3!.send(
      new PutObjectCommand({ Bucket: 'shared', Key: 'from-s3.txt', Body: 'written through S3\n' }),
    );
    writeFileSync(join(scratch, 'local.txt'), 'written by the CLI\n');
    expect(
      (await tierfs('fs', 'copyFromLocal', join(scratch, 'local.txt'), '/shared/from-cli.txt')).code,
    ).toBe(0);
    await eventually(
      async () =>
        (await sh(`cat ${mnt}/shared/from-s3.txt ${mnt}/shared/from-cli.txt`)).stdout ===
        'written through S3\nwritten by the CLI\n',
      'the gateway and CLI files to read through the mount',
    );
    // The kernel kept the pages it read (while the version stays); a new version of the same size, written
    // elsewhere, is read anew once the mount sees its attributes.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await s3!.send(
      new PutObjectCommand({ Bucket: 'shared', Key: 'from-s3.txt', Body: 'WRITTEN THROUGH S3\n' }),
    );
    await eventually(
      async () => (await sh(`cat ${mnt}/shared/from-s3.txt`)).stdout === 'WRITTEN THROUGH S3\n',
      'the new version of from-s3.txt to read through the mount',
    );
  });

  it('reads a file written elsewhere in its new version once attr_timeout (1 s) has passed, though its directory was listed and its pages are cached', async () => {
    mkdirSync(join(mnt, 'walked'));
    for (const name of ['a', 'b', 'c']) {
      await s3!.send(new PutObjectCommand({ Bucket: 'walked', Key: name, Body: `old ${name}\n` }));
    }
    const files = ['a', 'b', 'c'].map((name) => join(mnt, 'walked', name)).join(' ');
    // Listed (each file's attributes and read capability cached), read (its pages in the kernel's cache).
    expect((await sh(`ls ${mnt}/walked && cat ${files}`)).stdout).toBe('a\nb\nc\nold a\nold b\nold c\n');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await s3!.send(new PutObjectCommand({ Bucket: 'walked', Key: 'b', Body: 'NEW b\n' })); // the same size
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await sh(`cat ${files}`)).stdout).toBe('old a\nNEW b\nold c\n');
  });

  it('keeps a file being written invisible to other readers until it is closed', async () => {
    const writer: ChildProcess = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs');
         const fd = fs.openSync(process.argv[1], 'w');
         fs.writeSync(fd, 'first half\\n');
         process.stdout.write('written\\n');
         process.stdin.once('data', () => { fs.writeSync(fd, 'second half\\n'); fs.closeSync(fd); process.exit(0); });`,
        join(mnt, 'shared', 'pending.txt'),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number>((resolve) => writer.on('exit', (code) => resolve(code ?? 1)));
    await new Promise<void>((resolve) => writer.stdout!.once('data', () => resolve()));

    const cat = await tierfs('fs', 'cat', '/shared/pending.txt');
    expect(cat.code).toBe(1);
    expect(cat.stderr).toContain('does not exist');
    expect((await tierfs('fs', 'ls', '/shared')).stdout).not.toContain('pending.txt');
    const missing = await s3!
      .send(new GetObjectCommand({ Bucket: 'shared', Key: 'pending.txt' }))
      .catch((e: Error) => e);
    expect((missing as Error).name).toBe('NoSuchKey');

    writer.stdin!.write('go\n');
    expect(await exited).toBe(0);
    // close() returned once the file was complete: no waiting needed.
    expect((await tierfs('fs', 'cat', '/shared/pending.txt')).stdout).toBe('first half\nsecond half\n');
  });

  it('refuses random writes into an existing file with ENOTSUP and one log line, leaving it whole', async () => {
    writeFileSync(join(mnt, 'shared', 'whole.txt'), 'abcdef');
    const result = await sh(
      `node -e "const fs=require('node:fs');const fd=fs.openSync(process.argv[1],'r+');try{fs.writeSync(fd,'X',0,1,2)}catch(e){console.log(e.code)}finally{fs.closeSync(fd)}" ${mnt}/shared/whole.txt`,
    );
    expect(result.stdout.trim()).toBe('ENOTSUP');
    expect(readFileSync(join(mnt, 'shared', 'whole.txt'), 'utf8')).toBe('abcdef');
    const log = readFileSync(join(cluster!.home, 'logs', `fuse${mnt.replace(/\//g, '-')}.log`), 'utf8');
    expect(
      log
        .split('\n')
        .filter((l) => l.includes('cannot write into the existing 6 bytes of /shared/whole.txt')),
    ).toHaveLength(1);
    // O_TRUNC writes it anew.
    expect((await sh(`echo replaced > ${mnt}/shared/whole.txt`)).code).toBe(0);
    expect((await tierfs('fs', 'cat', '/shared/whole.txt')).stdout).toBe('replaced\n');
  });

  it('goes on writing after fsync: the file is complete and visible at the fsync, and continues after it', async () => {
    const writer: ChildProcess = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs');
         const fd = fs.openSync(process.argv[1], 'w');
         fs.writeSync(fd, 'before fsync\\n');
         fs.fsyncSync(fd);
         process.stdout.write('synced\\n');
         process.stdin.once('data', () => { fs.writeSync(fd, 'after fsync\\n'); fs.closeSync(fd); process.exit(0); });`,
        join(mnt, 'shared', 'synced.txt'),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number>((resolve) => writer.on('exit', (code) => resolve(code ?? 1)));
    await new Promise<void>((resolve) => writer.stdout!.once('data', () => resolve()));
    // fsync returned: every reader sees what was written before it.
    expect((await tierfs('fs', 'cat', '/shared/synced.txt')).stdout).toBe('before fsync\n');
    writer.stdin!.write('go\n');
    expect(await exited).toBe(0);
    expect((await tierfs('fs', 'cat', '/shared/synced.txt')).stdout).toBe('before fsync\nafter fsync\n');
  });

  it('appends (>>) to a closed file, and goes on after a child process wrote and closed its copy', async () => {
    expect((await sh(`echo one > ${mnt}/shared/log.txt && echo two >> ${mnt}/shared/log.txt`)).code).toBe(0);
    expect((await tierfs('fs', 'cat', '/shared/log.txt')).stdout).toBe('one\ntwo\n');
    // The child's exit closes its descriptor after it wrote: the file is complete, then goes on.
    expect((await sh(`{ echo a; sh -c 'echo b'; echo c; } > ${mnt}/shared/children.txt`)).code).toBe(0);
    expect((await tierfs('fs', 'cat', '/shared/children.txt')).stdout).toBe('a\nb\nc\n');
    expect(readFileSync(join(mnt, 'shared', 'log.txt'), 'utf8')).toBe('one\ntwo\n');
  });

  it('refuses to append to a file over tierfs.fuse.append.rewrite.max with ENOTSUP and one log line', async () => {
    const small = join(scratch, 'small');
    mkdirSync(small);
    expect(
      (await tierfs('fuse', 'mount', small, '/shared', '-o', 'tierfs.fuse.append.rewrite.max=4')).code,
    ).toBe(0);
    try {
      writeFileSync(join(small, 'five.txt'), 'five\n');
      // (dash's echo reports every failed write as an I/O error: node says which.)
      const appended = await sh(
        `node -e "try{require('node:fs').appendFileSync(process.argv[1],'more\\n')}catch(e){console.log(e.code)}" ${small}/five.txt`,
      );
      expect(appended.stdout.trim()).toBe('ENOTSUP');
      expect((await tierfs('fs', 'cat', '/shared/five.txt')).stdout).toBe('five\n');
      const log = readFileSync(join(cluster!.home, 'logs', `fuse${small.replace(/\//g, '-')}.log`), 'utf8');
      expect(
        log.split('\n').filter((l) => l.includes('its 5 bytes are over tierfs.fuse.append.rewrite.max (4)')),
      ).toHaveLength(1);
    } finally {
      await tierfs('fuse', 'unmount', '--force', small);
    }
  });

  it('checks permissions as the calling uid and gid', async () => {
    writeFileSync(join(mnt, 'shared', 'secret.txt'), 'for root only\n');
    expect((await sh(`chmod 600 ${mnt}/shared/secret.txt`)).code).toBe(0);
    const denied = await sh(`runuser -u nobody -- cat ${mnt}/shared/secret.txt`);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('Permission denied');
    expect((await sh(`chmod 644 ${mnt}/shared/secret.txt`)).code).toBe(0);
    await eventually(
      async () =>
        (await sh(`runuser -u nobody -- cat ${mnt}/shared/secret.txt`)).stdout === 'for root only\n',
      'nobody to read the file once it is 0644',
    );
    const write = await sh(`runuser -u nobody -- sh -c 'echo x > ${mnt}/shared/by-nobody.txt'`);
    expect(write.stderr).toContain('Permission denied');
  });

  it('gives what a process creates through the mount to that process: a file and a directory of nobody', async () => {
    mkdirSync(join(mnt, 'open'));
    expect((await sh(`chmod 1777 ${mnt}/open`)).code).toBe(0);
    const made = await sh(
      `runuser -u nobody -- sh -c 'echo mine > ${mnt}/open/by-nobody.txt && mkdir ${mnt}/open/dir-of-nobody && stat -c %U:%G ${mnt}/open/by-nobody.txt'`,
    );
    expect(made).toMatchObject({ code: 0, stderr: '' });
    expect((await sh(`stat -c %U:%G ${mnt}/open/by-nobody.txt ${mnt}/open/dir-of-nobody`)).stdout).toBe(
      'nobody:nogroup\nnobody:nogroup\n',
    );
    // tierfs records the owner too, so the CLI and the gateways see it.
    expect((await tierfs('fs', 'ls', '/open')).stdout).toMatch(/nobody\s+nogroup.*by-nobody\.txt/);
    // nobody may write its own file again.
    expect((await sh(`runuser -u nobody -- sh -c 'echo again > ${mnt}/open/by-nobody.txt'`)).code).toBe(0);
    expect((await tierfs('fs', 'cat', '/open/by-nobody.txt')).stdout).toBe('again\n');
  });

  it("has the kernel read ahead max_readahead (8 MiB) on the mount, not its device's 128 KiB default", async () => {
    const line = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .find((l) => l.split(' ')[4] === mnt);
    const device = line?.split(' ')[2];
    expect(device).toMatch(/^0:\d+$/);
    expect(readFileSync(`/sys/class/bdi/${device}/read_ahead_kb`, 'utf8').trim()).toBe('8192');
  });

  it(`serves ${READERS} processes reading one ${BIG_BYTES / 1024 ** 2} MiB file at once, every byte right`, async () => {
    const source = join(scratch, 'big.bin');
    expect((await sh(`head -c ${BIG_BYTES} /dev/urandom > ${source}`)).code).toBe(0);
    const expected = (await sh(`sha256sum ${source}`)).stdout.split(' ')[0];
    expect((await sh(`cp ${source} ${mnt}/big.bin`)).code).toBe(0);
    rmSync(source);
    const started = Date.now();
    const sums = await Promise.all(
      Array.from({ length: READERS }, () =>
        sh(`sha256sum ${mnt}/big.bin`).then((r) => r.stdout.split(' ')[0]),
      ),
    );
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `${READERS} readers x ${BIG_BYTES / 1024 ** 2} MiB through the mount: ${seconds.toFixed(1)} s, ${((READERS * BIG_BYTES) / 1024 ** 2 / seconds).toFixed(0)} MiB/s in all`,
    );
    expect(sums).toEqual(Array(READERS).fill(expected));
    expect((await sh(`rm ${mnt}/big.bin`)).code).toBe(0);
  }, 600_000);

  it('lists a directory of 100,000 entries', async () => {
    const dir = join(cluster!.ufs, 'many');
    mkdirSync(dir);
    expect((await sh(`seq -f 'f%06g' 1 100000 | xargs touch`, { cwd: dir })).code).toBe(0);
    expect((await tierfs('fs', 'loadMetadata', '/')).code).toBe(0);
    expect((await sh(`ls -f ${mnt}/many | wc -l`)).stdout.trim()).toBe('100002');
    expect((await sh(`find ${mnt}/many -type f | wc -l`)).stdout.trim()).toBe('100000');
  }, 300_000);

  it('mounts read-only (EROFS), refuses to unmount while busy, and unmounts by force', async () => {
    expect((await tierfs('fuse', 'mount', ro, '/shared', '-o', 'ro')).code).toBe(0);
    expect(readFileSync(join(ro, 'from-mount.txt'), 'utf8')).toBe('written through FUSE\n');
    for (const command of [
      `echo x > ${ro}/new.txt`,
      `mkdir ${ro}/dir`,
      `rm ${ro}/from-mount.txt`,
      `mv ${ro}/from-mount.txt ${ro}/b`,
    ]) {
      const result = await sh(command);
      expect(result.code, command).not.toBe(0);
      expect(result.stderr, command).toContain('Read-only file system');
    }
    expect((await tierfs('fs', 'cat', '/shared/from-mount.txt')).stdout).toBe('written through FUSE\n');

    const holder = spawn('sleep', ['600'], { cwd: ro, stdio: 'ignore' });
    try {
      await eventually(async () => holder.pid !== undefined, 'sleep to start');
      const busy = await tierfs('fuse', 'unmount', ro);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain(`cannot unmount ${ro}: it is busy`);
      expect(busy.stderr).toContain(String(holder.pid));
      expect(await mounted(ro)).toBe(true);
      const forced = await tierfs('fuse', 'unmount', '--force', ro);
      expect(forced).toMatchObject({ code: 0, stdout: `Unmounted ${ro}\n` });
      expect(await mounted(ro)).toBe(false);
      expect((await tierfs('fuse', 'list')).stdout).not.toContain(ro);
    } finally {
      holder.kill();
    }
  });
});
