/** `tierfs fs ...` as a real process against a real master and worker on loopback. */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TierfsClient } from '../../src/client/client.js';
import type { FileStatus, WriteType } from '../../src/cluster/wire.js';
import { type CliResult, runNode, runTierfs, TIERFS_BIN } from '../support/cli.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { startFaultProxy } from '../support/fault-proxy.js';

let cluster: TestCluster;
let client: TierfsClient;
let port: string;
/** The CLI's working directory and HOME: no site file, local files for the copy commands. */
let work: string;

beforeAll(async () => {
  cluster = await startCluster();
  client = cluster.client();
  port = new URL(cluster.master.rpcAddress).port;
  work = mkdtempSync(join(tmpdir(), 'tierfs-fs-cli-'));
});
afterAll(async () => {
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
});

function tierfs(args: readonly string[], user = 'admin'): Promise<CliResult> {
  return runTierfs(
    [
      '-Dtierfs.master.hostname=127.0.0.1',
      `-Dtierfs.master.rpc.port=${port}`,
      `-Dtierfs.security.login.username=${user}`,
      'fs',
      ...args,
    ],
    { cwd: work, env: { HOME: work, TZ: 'UTC' } },
  );
}

/** Runs a command that must succeed quietly and returns its stdout. */
async function ok(...args: string[]): Promise<string> {
  const result = await tierfs(args);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

/** Runs a command that must fail with exactly one `tierfs: ...` line; returns its stdout. */
async function fails(args: readonly string[], message: RegExp, user?: string): Promise<string> {
  const result = await tierfs(args, user);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^tierfs: [^\n]+\n$/);
  expect(result.stderr).toMatch(message);
  return result.stdout;
}

async function write(
  path: string,
  data: Buffer | string,
  writeType: WriteType = 'CACHE_THROUGH',
): Promise<void> {
  await pipeline(Readable.from([Buffer.from(data)]), await client.createFile(path, { writeType }));
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

/** `MM-dd-yyyy HH:mm:ss:SSS` in UTC (the CLI runs with TZ=UTC). */
function mtime(status: FileStatus): string {
  const [date, time] = new Date(status.mtimeMs).toISOString().slice(0, 23).split('T') as [string, string];
  const [y, m, d] = date.split('-');
  return `${m}-${d}-${y} ${time.replace('.', ':')}`;
}

/** sha256 of every file below a local directory, by relative path. */
function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const full = join(entry.parentPath, entry.name);
      out[relative(root, full)] = sha256(readFileSync(full));
    }
  }
  return out;
}

describe('tierfs fs: namespace commands', () => {
  it('mkdir, touch, chmod and ls print what Alluxio prints, and change the namespace and under store', async () => {
    expect(await ok('mkdir', '/docs/sub', 'other')).toBe(
      'Successfully created directory /docs/sub\nSuccessfully created directory /other\n',
    );
    await write('/docs/hello.txt', 'hello, tierfs\n');
    expect(await ok('touch', '--writetype', 'THROUGH', '/docs/empty')).toBe('/docs/empty has been created\n');
    expect(readFileSync(join(cluster.ufs, 'docs', 'empty'))).toHaveLength(0);
    expect(existsSync(join(cluster.ufs, 'other'))).toBe(true);
    expect(await ok('chmod', '644', '/docs/hello.txt', '/docs/empty')).toBe(
      'Changed permission of /docs/hello.txt to 0644\nChanged permission of /docs/empty to 0644\n',
    );
    await ok('chmod', '755', '/docs/sub');

    const hello = await client.getStatus('/docs/hello.txt');
    const empty = await client.getStatus('/docs/empty');
    const sub = await client.getStatus('/docs/sub');
    expect(await ok('ls', '/docs')).toBe(
      `-rw-r--r--  admin           admin                      0 PERSISTED       ${mtime(empty)} 100% /docs/empty\n` +
        `-rw-r--r--  admin           admin                     14 PERSISTED       ${mtime(hello)} 100% /docs/hello.txt\n` +
        `drwxr-xr-x  admin           admin                      0 PERSISTED       ${mtime(sub)}      /docs/sub\n`,
    );
    // A file argument lists the file; -h prints sizes with units; relative paths start at the root.
    expect(await ok('ls', '-h', 'docs/hello.txt')).toBe(
      `-rw-r--r--  admin           admin                    14B PERSISTED       ${mtime(hello)} 100% /docs/hello.txt\n`,
    );
    const recursive = await ok('ls', '-R', '/');
    expect(recursive.split('\n').map((line) => line.split(' ').at(-1))).toEqual([
      '/docs',
      '/docs/empty',
      '/docs/hello.txt',
      '/docs/sub',
      '/other',
      '',
    ]);
  });

  it('ls asks the master for the first page of a directory at once, and for a status only for a file', async () => {
    await ok('mkdir', '/ls-calls');
    await ok('touch', '/ls-calls/a.txt');
    const proxy = await startFaultProxy(cluster.master.rpcAddress);
    try {
      const viaProxy = (args: readonly string[]) =>
        runTierfs(
          [
            '-Dtierfs.master.hostname=127.0.0.1',
            `-Dtierfs.master.rpc.port=${proxy.port}`,
            '-Dtierfs.security.login.username=admin',
            'fs',
            ...args,
          ],
          { cwd: work, env: { HOME: work, TZ: 'UTC' } },
        );
      const calls = () => proxy.requests.map((q) => q.path.split('?')[0]!);
      const dir = await viaProxy(['ls', '/ls-calls']);
      expect(dir.stderr).toBe('');
      expect(dir.stdout).toMatch(/^-rw-\S+ .* \/ls-calls\/a\.txt\n$/);
      // One call: no getStatus before the listing (a round trip, and for a directory the master
      // does not know yet, its lookup in the under store before the listing could start).
      expect(calls()).toEqual(['/api/v1/paths/list']);
      // In the compact view: only what ls prints, one array per entry (wire.ts LsPage).
      expect(proxy.requests[0]?.query.get('view')).toBe('ls');

      proxy.requests.length = 0;
      const file = await viaProxy(['ls', '/ls-calls/a.txt']);
      expect(file.stderr).toBe('');
      expect(file.stdout).toBe(dir.stdout);
      expect(calls()).toEqual(['/api/v1/paths/list', '/api/v1/paths/status']);
    } finally {
      await proxy.close();
    }
  });

  /**
   * `tierfs fs <args>` through a proxy in front of the master, with a loader hook that holds the
   * loading of commander and of cli/fs.js until a request to `arrivedOn` has reached the master
   * (a flag the proxy writes as the request arrives), for 3 s at most, and notes a module whose
   * wait ran out (`late`): one loaded before the request left.
   */
  async function withLoadsHeldUntil(
    arrivedOn: string,
    body: (
      run: (args: readonly string[]) => Promise<CliResult & { late: string }>,
      proxy: Awaited<ReturnType<typeof startFaultProxy>>,
    ) => Promise<void>,
  ): Promise<void> {
    const flag = join(work, 'early-request-arrived');
    const late = join(work, 'early-late.txt');
    const hooks = join(work, 'hold-loads.mjs');
    writeFileSync(
      hooks,
      `import { appendFileSync, existsSync } from 'node:fs';
export async function load(url, context, next) {
  if (/\\/node_modules\\/commander\\/|\\/dist\\/cli\\/fs\\.js$/.test(url)) {
    const until = Date.now() + 3000;
    while (!existsSync(process.env.ARRIVED_FLAG) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    if (!existsSync(process.env.ARRIVED_FLAG)) appendFileSync(process.env.LATE_LOG, url + '\\n');
  }
  return next(url, context);
}\n`,
    );
    const register = join(work, 'register-hold-loads.mjs');
    writeFileSync(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`,
    );
    const proxy = await startFaultProxy(cluster.master.rpcAddress);
    proxy.rules.push({
      match: (request) => {
        if (request.path.startsWith(arrivedOn)) writeFileSync(flag, '');
        return false;
      },
      fault: 'hold',
    });
    try {
      await body(async (args) => {
        rmSync(flag, { force: true });
        rmSync(late, { force: true });
        const result = await runNode(
          [
            '--import',
            register,
            TIERFS_BIN,
            '-Dtierfs.master.hostname=127.0.0.1',
            `-Dtierfs.master.rpc.port=${proxy.port}`,
            '-Dtierfs.security.login.username=admin',
            'fs',
            ...args,
          ],
          { cwd: work, env: { HOME: work, TZ: 'UTC', ARRIVED_FLAG: flag, LATE_LOG: late } },
        );
        return { ...result, late: existsSync(late) ? readFileSync(late, 'utf8') : '' };
      }, proxy);
    } finally {
      await proxy.close();
    }
  }

  it('ls sends its first request before commander and the fs commands are loaded, with the user on it', async () => {
    await ok('mkdir', '/ls-early');
    await ok('touch', '/ls-early/a.txt');
    const listed = await ok('ls', '/ls-early');
    await withLoadsHeldUntil('/api/v1/paths/list', async (run, proxy) => {
      expect(await run(['ls', '/ls-early'])).toEqual({ code: 0, stdout: listed, stderr: '', late: '' });
      expect(proxy.requests.map((q) => q.headers['x-tierfs-user'])).toEqual(['admin']);
      // A file: the early listing's NOT_A_DIRECTORY is shown as the file's status line.
      const file = await run(['ls', '-h', '/ls-early/a.txt']);
      expect(file.stderr).toBe('');
      expect(file.stdout).toBe(await ok('ls', '-h', '/ls-early/a.txt'));
      expect(file.late).toBe('');
    });
  });

  it('cat opens its first file before commander and the fs commands are loaded, and reports as before', async () => {
    await ok('mkdir', '/cat-early');
    const text = 'early bytes\n'.repeat(1000);
    await write('/cat-early/a.txt', text);
    await write('/cat-early/b.txt', 'second\n');
    await withLoadsHeldUntil('/api/v1/paths/open', async (run, proxy) => {
      expect(await run(['cat', '/cat-early/a.txt', '/cat-early/b.txt'])).toEqual({
        code: 0,
        stdout: `${text}second\n`,
        stderr: '',
        late: '',
      });
      const opens = proxy.requests.filter((q) => q.path.startsWith('/api/v1/paths/open'));
      expect(opens.map((q) => q.headers['x-tierfs-user'])).toEqual(['admin', 'admin']);
      // A path that fails is reported on its own line, the others written, exit 1: as commander's `cat`.
      const failed = await run(['cat', '/cat-early/missing', '/cat-early/b.txt', '/cat-early']);
      expect(failed).toMatchObject({ code: 1, stdout: 'second\n', late: '' });
      expect(failed.stderr).toBe(
        (await tierfs(['cat', '--readtype', 'CACHE', '/cat-early/missing', '/cat-early/b.txt', '/cat-early']))
          .stderr,
      );
      expect(failed.stderr.trim().split('\n')).toHaveLength(2);
    });
  });

  it('a plain ls reads the same configuration as any command: the site file, the environment, then -D', async () => {
    await ok('mkdir', '/ls-conf');
    await ok('touch', '/ls-conf/c.txt');
    const proxy = await startFaultProxy(cluster.master.rpcAddress);
    const confDir = join(work, 'ls-conf-dir');
    mkdirSync(confDir, { recursive: true });
    // The site file names the master (the proxy) and a user; -D names another user, which wins.
    writeFileSync(
      join(confDir, 'tierfs-site.properties'),
      `tierfs.master.hostname=127.0.0.1\ntierfs.master.rpc.port=${proxy.port}\ntierfs.security.login.username=site-user\n`,
    );
    try {
      const run = (args: readonly string[]) =>
        runTierfs(args, { cwd: work, env: { HOME: work, TZ: 'UTC', TIERFS_CONF_DIR: confDir } });
      const bySite = await run(['fs', 'ls', '/ls-conf']);
      expect(bySite.stderr).toBe('');
      expect(bySite.stdout).toMatch(/^-rw-\S+ .* \/ls-conf\/c\.txt\n$/);
      const byD = await run(['-Dtierfs.security.login.username=admin', 'fs', 'ls', '-R', '/ls-conf']);
      expect(byD.stdout).toBe(bySite.stdout);
      expect(proxy.requests.map((q) => [q.path.split('?')[0], q.headers['x-tierfs-user']])).toEqual([
        ['/api/v1/paths/list', 'site-user'],
        ['/api/v1/paths/list', 'admin'],
      ]);
    } finally {
      await proxy.close();
    }
  });

  it('ls of a missing path reports it on one line and lists the other paths', async () => {
    await ok('mkdir', '/ls-missing');
    await ok('touch', '/ls-missing/b.txt');
    const result = await tierfs(['ls', '/ls-missing/nothing-here', '/ls-missing']);
    expect(result.stderr).toMatch(/^tierfs: [^\n]*\/ls-missing\/nothing-here[^\n]*\n$/);
    expect(result.stdout).toMatch(/^-rw-\S+ .* \/ls-missing\/b\.txt\n$/);
    expect(result.code).toBe(1);
  });

  it('stat prints every field, the content identity only with -v', async () => {
    await write('/stat/a.txt', 'stat me');
    const status = await client.getStatus('/stat/a.txt');
    const plain = await ok('stat', '/stat/a.txt');
    expect(plain).toBe(
      [
        '/stat/a.txt is a file path.',
        'path:        /stat/a.txt',
        'type:        file',
        'size:        7 (7B)',
        `mode:        -rw-r--r-- (0644)`,
        'owner:       admin',
        'group:       admin',
        'persistence: PERSISTED',
        'state:       COMPLETE',
        `modified:    ${mtime(status)}`,
        'mount point: no',
        'mount:       /',
        `ufsUri:      file://${cluster.ufs}/stat/a.txt`,
        '',
      ].join('\n'),
    );
    expect(plain).not.toContain(status.contentId);
    const verbose = await ok('stat', '-v', '/stat/a.txt');
    expect(verbose).toContain(`contentId:      ${status.contentId}\n`);
    expect(verbose).toContain(`ufsFingerprint: ${status.ufsFingerprint}\n`);
  });

  it('rm, mv and cp change the namespace and the under store', async () => {
    await write('/work/a.txt', 'file a');
    await write('/work/dir/b.txt', 'file b');
    await write('/work/dir/deep/c.txt', 'file c');
    expect(await ok('mv', '/work/a.txt', '/work/dir')).toBe('Renamed /work/a.txt to /work/dir/a.txt\n');
    expect(readFileSync(join(cluster.ufs, 'work', 'dir', 'a.txt'), 'utf8')).toBe('file a');
    expect(existsSync(join(cluster.ufs, 'work', 'a.txt'))).toBe(false);

    expect(await ok('cp', '-R', '/work/dir', '/copy')).toMatch(
      /^Copied 3 files \(18B\) from \/work\/dir to \/copy in \d+\.\d\ds\n$/,
    );
    expect(readFileSync(join(cluster.ufs, 'copy', 'deep', 'c.txt'), 'utf8')).toBe('file c');
    await fails(['cp', '/work/dir', '/copy2'], /\/work\/dir is a directory \(use cp -R/);
    expect(await ok('cp', '/copy/b.txt', '/copy/b2.txt')).toMatch(/^Copied 1 file \(6B\)/);
    expect(readFileSync(join(cluster.ufs, 'copy', 'b2.txt'), 'utf8')).toBe('file b');

    expect(await ok('rm', '-R', '/copy', '/work/dir/a.txt')).toBe(
      '/copy has been removed\n/work/dir/a.txt has been removed\n',
    );
    expect(existsSync(join(cluster.ufs, 'copy'))).toBe(false);
    expect(await client.exists('/work/dir/a.txt')).toBe(false);
  });

  it('du and count add up sizes, files and directories', async () => {
    await write('/sizes/one.bin', randomBytes(1000));
    await write('/sizes/d/two.bin', randomBytes(2048));
    expect(await ok('du', '/sizes')).toBe(
      'File Size       Path\n1000            /sizes/one.bin\n2048            /sizes/d/two.bin\n',
    );
    expect(await ok('du', '-s', '-h', '/sizes', '/sizes/one.bin')).toBe(
      'File Size       Path\n2.98KB          /sizes\n1000B           /sizes/one.bin\n',
    );
    expect(await ok('count', '/sizes')).toBe(
      'File Count      Folder Count    Folder Size     Path\n2               2               3048            /sizes\n',
    );
  });

  it('chown and chgrp (recursively) change owners for the superuser only', async () => {
    await write('/owned/x/f.txt', 'owned');
    expect(await ok('chown', '-R', 'bob:staff', '/owned')).toBe('Changed owner of /owned to bob:staff\n');
    for (const path of ['/owned', '/owned/x', '/owned/x/f.txt']) {
      const status = await client.getStatus(path);
      expect([status.owner, status.group]).toEqual(['bob', 'staff']);
    }
    expect(await ok('chgrp', 'devs', '/owned/x')).toBe('Changed group of /owned/x to devs\n');
    expect((await client.getStatus('/owned/x')).group).toBe('devs');
    expect((await client.getStatus('/owned/x/f.txt')).group).toBe('staff');
    await fails(
      ['chown', 'mallory', '/owned'],
      /only the superuser can change the owner of \/owned/,
      'mallory',
    );
    expect((await client.getStatus('/owned')).owner).toBe('bob');
  });
});

describe('tierfs fs: reading', () => {
  const text = Array.from({ length: 200 }, (_, i) => `line ${i} of the text file\n`).join('');

  it('a reader that goes away (| head) ends cat and ls quietly with the SIGPIPE status, as cat does', async () => {
    await write('/pipe/big.bin', randomBytes(8 * 1024 * 1024));
    // More output than the pipe and the first read hold, so the command is still writing when
    // the reader goes: files put straight into the under store, then loaded.
    mkdirSync(join(cluster.ufs, 'pipe', 'dir'), { recursive: true });
    for (let i = 0; i < 3000; i++) writeFileSync(join(cluster.ufs, 'pipe', 'dir', `file-${i}.txt`), 'x');
    await ok('loadMetadata', '-R', '/pipe');
    for (const args of [
      ['cat', '/pipe/big.bin'],
      ['ls', '/pipe/dir'],
    ]) {
      const child = spawn(
        process.execPath,
        [
          TIERFS_BIN,
          '-Dtierfs.master.hostname=127.0.0.1',
          `-Dtierfs.master.rpc.port=${port}`,
          '-Dtierfs.security.login.username=admin',
          'fs',
          ...args,
        ],
        { cwd: work, env: { PATH: process.env.PATH ?? '', HOME: work }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      // Like `head -c 10`: read a little, then close the pipe.
      const exited = once(child, 'exit');
      await Promise.race([once(child.stdout, 'data'), exited]);
      child.stdout.destroy();
      const [code] = await exited;
      expect({ args, code, stderr }).toEqual({ args, code: 141, stderr: '' });
    }
  });

  it('cat, head, tail and checksum, by path, relative path and tierfs:// URI', async () => {
    await write('/read/text.txt', text);
    expect(await ok('cat', '/read/text.txt')).toBe(text);
    expect(await ok('cat', '--readtype', 'NO_CACHE', `tierfs://127.0.0.1:${port}/read/text.txt`)).toBe(text);
    expect(await ok('head', 'read/text.txt')).toBe(text.slice(0, 1024));
    expect(await ok('head', '-c', '10', '/read/text.txt')).toBe(text.slice(0, 10));
    expect(await ok('tail', '/read/text.txt')).toBe(text.slice(-1024));
    expect(await ok('tail', '-c', '100', '/read/text.txt')).toBe(text.slice(-100));
    expect(await ok('checksum', '/read/text.txt')).toBe(`${md5(text)}  /read/text.txt\n`);
  });

  it('location names the worker that serves the file by consistent hashing', async () => {
    const [worker] = await client.workers();
    expect(await ok('location', '/read/text.txt')).toBe(
      `/read/text.txt is served by worker ${worker!.id} at ${worker!.address}\n`,
    );
  });
});

describe('tierfs fs: failures are one line and exit 1', () => {
  it('each refused operation says why', async () => {
    await write('/fail/dir/f.txt', 'x');
    await fails(['rm', '/fail/dir'], /\/fail\/dir is not empty/);
    expect(await client.exists('/fail/dir/f.txt')).toBe(true);
    await fails(['touch', '/fail/dir/f.txt'], /\/fail\/dir\/f.txt already exists/);
    await fails(['mount', '/fail', work], /cannot mount at \/fail: the path already exists/);
    await fails(
      ['touch', '--writetype', 'SOMETIMES', '/fail/new'],
      /--writetype must be one of MUST_CACHE, /,
    );
    expect(await client.exists('/fail/new')).toBe(false);
    await fails(['cat', '--readtype', 'LATER', '/fail/dir/f.txt'], /--readtype must be one of NO_CACHE, /);
    await fails(['cat', '/fail/dir'], /\/fail\/dir is a directory/);
    await fails(['stat', '/no/such/path'], /\/no\/such\/path does not exist/);
    await fails(['copyFromLocal', join(work, 'missing'), '/fail'], /no such file or directory/);
  });

  it('a command over several paths does the others and reports each failure', async () => {
    await write('/partial/a', 'a');
    await write('/partial/b', 'b');
    expect(
      await fails(['rm', '/partial/a', '/partial/none', '/partial/b'], /\/partial\/none does not exist/),
    ).toBe('/partial/a has been removed\n/partial/b has been removed\n');
    expect(await client.exists('/partial/a')).toBe(false);
    expect(await client.exists('/partial/b')).toBe(false);
  });
});

describe('tierfs fs: copying trees', () => {
  it('copyFromLocal --thread 4 and copyToLocal bring back every byte', async () => {
    const source = join(work, 'tree');
    mkdirSync(join(source, 'a', 'b'), { recursive: true });
    mkdirSync(join(source, 'c'), { recursive: true });
    writeFileSync(join(source, 'big.bin'), randomBytes(3 * 1024 * 1024 + 17));
    writeFileSync(join(source, 'empty'), '');
    for (let i = 0; i < 6; i++)
      writeFileSync(join(source, i % 2 ? 'a/b' : 'c', `f${i}.bin`), randomBytes(1000 * i));
    const expected = tree(source);

    expect(await ok('copyFromLocal', '--thread', '4', '--writetype', 'THROUGH', 'tree', '/imports')).toMatch(
      new RegExp(`^Copied 8 files \\(3\\.01MB\\) from ${source} to /imports in \\d+\\.\\d\\ds\\n$`),
    );
    expect(tree(join(cluster.ufs, 'imports'))).toEqual(expected);
    expect((await client.getStatus('/imports/big.bin')).persistence).toBe('PERSISTED');

    // Into an existing directory: under the source's own name, as cp -r does.
    await ok('copyToLocal', '--thread', '4', '--readtype', 'NO_CACHE', '/imports', 'back');
    expect(tree(join(work, 'back'))).toEqual(expected);
    mkdirSync(join(work, 'into'));
    await ok('copyToLocal', '/imports', 'into');
    expect(tree(join(work, 'into', 'imports'))).toEqual(expected);
    await fails(['copyToLocal', '/imports/empty', 'back/empty'], /already exists: .*back\/empty/);
  });
});

describe('tierfs fs: copying a directory of small files', () => {
  it('copyToLocal asks the master for statuses and capabilities a page at a time, not per file', async () => {
    const files = 40;
    const source = join(cluster.ufs, 'many-small');
    for (let i = 0; i < files; i++) await write(`/many-small/${i % 4 ? '' : 'sub/'}s${i}.txt`, `file ${i}\n`);
    await write('/many-small/secret.txt', 'admin only\n');
    await client.setAttribute('/many-small/secret.txt', { mode: 0o600 });
    const proxy = await startFaultProxy(cluster.master.rpcAddress);
    try {
      const viaProxy = (args: readonly string[], user = 'admin') =>
        runTierfs(
          [
            '-Dtierfs.master.hostname=127.0.0.1',
            `-Dtierfs.master.rpc.port=${proxy.port}`,
            `-Dtierfs.security.login.username=${user}`,
            'fs',
            ...args,
          ],
          { cwd: work, env: { HOME: work, TZ: 'UTC' } },
        );
      const r = await viaProxy(['copyToLocal', '--thread', '8', '/many-small', 'small-back']);
      expect(r.stderr).toBe('');
      expect(tree(join(work, 'small-back'))).toEqual(tree(source));
      const calls = proxy.requests.map((q) => q.path.split('?')[0]!);
      expect(calls.filter((c) => c === '/api/v1/paths/open')).toEqual([]);
      // The directory and its subdirectory: one page each.
      expect(calls.filter((c) => c === '/api/v1/paths/open-list')).toHaveLength(2);
      expect(calls.length, calls.join(' ')).toBeLessThan(10);

      // A file the caller may not read comes without a capability: it fails alone, as an open would.
      proxy.requests.length = 0;
      const denied = await viaProxy(['copyToLocal', '/many-small', 'small-bob'], 'bob');
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/^tierfs: .*secret\.txt.*\n$/);
      expect(denied.stderr).toMatch(/permission|denied/i);
      expect(readdirSync(join(work, 'small-bob'))).toContain('s1.txt');
      // Only the file without a capability is opened on its own (and refused).
      expect(proxy.requests.filter((q) => q.path === '/api/v1/paths/open')).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});

describe('tierfs fs: copying while listing', () => {
  it('copyToLocal copies the files of a directory while what is below it is still being listed', async () => {
    for (let i = 0; i < 12; i++) await write(`/overlap/${i < 8 ? '' : 'sub/'}o${i}.txt`, `file ${i}\n`);
    const proxy = await startFaultProxy(cluster.master.rpcAddress);
    let release = () => {};
    let lists = 0;
    // The second listing call (the subdirectory's page) waits at the proxy until released.
    proxy.rules.push({
      match: (q) => q.path === '/api/v1/paths/open-list' && ++lists === 2,
      fault: 'hold',
      release: new Promise<void>((resolve) => {
        release = resolve;
      }),
    });
    try {
      const copy = runTierfs(
        [
          '-Dtierfs.master.hostname=127.0.0.1',
          `-Dtierfs.master.rpc.port=${proxy.port}`,
          'fs',
          'copyToLocal',
          '--thread',
          '4',
          '/overlap',
          'overlap-back',
        ],
        { cwd: work, env: { HOME: work, TZ: 'UTC' } },
      );
      const back = join(work, 'overlap-back');
      const top = Array.from({ length: 8 }, (_, i) => `o${i}.txt`);
      // Every file of the first page is copied while the subdirectory's listing is held.
      const held = () => proxy.requests.filter((q) => q.fault === 'hold' && q.ended === undefined);
      await eventually(
        () =>
          held().length === 1 &&
          top.every((name) => existsSync(join(back, name)) && readFileSync(join(back, name), 'utf8') !== ''),
        'the files of the first page copied while the next listing call waits',
      );
      expect(existsSync(join(back, 'sub', 'o8.txt'))).toBe(false);
      release();
      const r = await copy;
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^Copied 12 files /);
      expect(tree(back)).toEqual(tree(join(cluster.ufs, 'overlap')));
    } finally {
      release();
      await proxy.close();
    }
  });
});

describe('tierfs fs: mounts, cache and persistence', () => {
  it('mount --option with the table masking secrets, a read-only mount refusing writes, unmount', async () => {
    const local = join(work, 'mounted');
    mkdirSync(local);
    writeFileSync(join(local, 'data.csv'), 'a,b\n1,2\n');
    expect(
      await ok(
        'mount',
        '--readonly',
        '--option',
        'aws.secretKey=TopSecret123',
        '--option',
        'fs.kodo.endpoint=iovip.qbox.me',
        'kodo/',
        'mounted',
      ),
    ).toBe(`Mounted ${local} at /kodo\n`);
    expect(await ok('mount')).toBe(
      `file://${cluster.ufs}/ on / (file, readonly=false, shared=true, options={})\n` +
        `file://${local}/ on /kodo (file, readonly=true, shared=false, options={aws.secretKey=******, fs.kodo.endpoint=iovip.qbox.me})\n`,
    );
    expect(await ok('cat', '/kodo/data.csv')).toBe('a,b\n1,2\n');
    await fails(['touch', '/kodo/new.csv'], /mount point \/kodo is read-only/);
    expect(existsSync(join(local, 'new.csv'))).toBe(false);

    expect(await ok('unmount', '/kodo')).toBe('Unmounted /kodo\n');
    expect(await client.exists('/kodo')).toBe(false);
    expect(existsSync(join(local, 'data.csv'))).toBe(true);
    expect(await ok('mount', '--shared', '/kodo2', local)).toBe(`Mounted ${local} at /kodo2\n`);
    expect((await client.mounts()).find((m) => m.path === '/kodo2')).toMatchObject({
      shared: true,
      readOnly: false,
    });
  });

  it('persist writes a cache-only file to the under store; free and load drop and warm the cache', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    await write('/cache/only.bin', data, 'MUST_CACHE');
    expect(existsSync(join(cluster.ufs, 'cache', 'only.bin'))).toBe(false);
    expect(await ok('persist', '/cache')).toBe(`persisted file /cache/only.bin with size ${data.length}\n`);
    expect(sha256(readFileSync(join(cluster.ufs, 'cache', 'only.bin')))).toBe(sha256(data));
    expect((await client.getStatus('/cache/only.bin')).persistence).toBe('PERSISTED');

    // Other tests cache data too: compare the worker's reported usage before and after.
    const used = async () => (await client.workers())[0]!.tiers.reduce((sum, t) => sum + t.usedBytes, 0);
    // A heartbeat sent after the write (heartbeats come every 200 ms) carries the usage of now.
    const written = Date.now();
    await eventually(
      async () => (await client.workers())[0]!.lastHeartbeatMs > written + 300,
      'a heartbeat sent after the write',
    );
    const cached = await used();
    expect(await ok('free', '/cache')).toBe('/cache was successfully freed from the cache (1 file)\n');
    await eventually(async () => (await used()) <= cached - data.length, 'the freed pages to be reported');
    expect(await ok('load', '/cache')).toMatch(/^Loaded 1 file \(2MB\) under \/cache in \d+\.\d\ds\n$/);
    await eventually(async () => (await used()) >= cached, 'the loaded pages to be reported');
  });

  it('loadMetadata picks up files written straight into the under store', async () => {
    await ok('mkdir', '/outside');
    await ok('ls', '/outside');
    mkdirSync(join(cluster.ufs, 'outside', 'deep'));
    writeFileSync(join(cluster.ufs, 'outside', 'deep', 'new.txt'), 'from outside');
    expect(await ok('loadMetadata', '-R', '/outside')).toBe('Loaded metadata of 3 paths at /outside\n');
    expect(await ok('cat', '/outside/deep/new.txt')).toBe('from outside');
  });
});
