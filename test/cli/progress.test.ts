/**
 * What `tierfs fs` shows a person at a terminal: the copy progress bar on a real pseudo-terminal
 * (util-linux `script`), failures above the bar and kept, `--overwrite`, `ls`'s in-cache column
 * and mount points, and the hint when no cluster answers.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TierfsClient } from '../../src/client/client.js';
import type { WriteType } from '../../src/cluster/wire.js';
import { runTierfs, TIERFS_BIN } from '../support/cli.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { freePort } from '../support/daemons.js';

let cluster: TestCluster;
let client: TierfsClient;
let port: string;
let work: string;

beforeAll(async () => {
  cluster = await startCluster();
  client = cluster.client();
  port = new URL(cluster.master.rpcAddress).port;
  work = mkdtempSync(join(tmpdir(), 'tierfs-progress-'));
});
afterAll(async () => {
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
});

const properties = () => [
  '-Dtierfs.master.hostname=127.0.0.1',
  `-Dtierfs.master.rpc.port=${port}`,
  '-Dtierfs.security.login.username=admin',
];

const ESC = String.fromCharCode(27);
const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

/** Runs `tierfs fs ...` on a pseudo-terminal (stdout and stderr both): what it wrote, and its status. */
function onTerminal(args: readonly string[]): Promise<{ raw: string; code: number }> {
  const command = [process.execPath, TIERFS_BIN, ...properties(), 'fs', ...args].map(quote).join(' ');
  return new Promise((resolve) => {
    execFile(
      'script',
      ['--quiet', '--flush', '--return', '--command', `stty cols 160; ${command}`, '/dev/null'],
      { cwd: work, env: { PATH: process.env.PATH ?? '', HOME: work, TERM: 'xterm', TZ: 'UTC' } },
      (error, stdout) => resolve({ raw: stdout, code: error ? Number(error.code) : 0 }),
    );
  });
}

/** The lines a terminal shows once `raw` is written to it (carriage returns, line clears). */
function screen(raw: string): string[] {
  const lines: string[] = [];
  let line = '';
  const text = raw.replaceAll(`${ESC}[?25l`, '').replaceAll(`${ESC}[?25h`, '');
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith(`${ESC}[2K`, i)) {
      line = '';
      i += 3;
    } else if (text[i] === '\r') {
      if (text[i + 1] === '\n') continue;
      line = '';
    } else if (text[i] === '\n') {
      lines.push(line);
      line = '';
    } else line += text[i];
  }
  if (line) lines.push(line);
  return lines;
}

async function write(path: string, content: string, writeType: WriteType = 'CACHE_THROUGH'): Promise<void> {
  await pipeline(
    Readable.from([Buffer.from(content)]),
    await client.createFile(path, { writeType, recursive: true }),
  );
}

describe('tierfs fs on a terminal', () => {
  it('copyFromLocal keeps a failure above the bar, counts n of N files, and --overwrite replaces', async () => {
    const source = join(work, 'tree');
    mkdirSync(source);
    for (const name of ['a.bin', 'b.bin', 'c.bin'])
      writeFileSync(join(source, name), Buffer.alloc(300_000, 7));
    await write('/imports/tree/b.bin', 'already here');

    const first = await onTerminal(['copyFromLocal', 'tree', '/imports']);
    expect(first.code).toBe(1);
    // The bar was drawn, with throughput and the file total...
    expect(first.raw).toMatch(
      /\[[#.]{24}\] +\d+% \| [\d.]+[KM]?B of 878\.91KB \| (--|[\d.]+[KMG]?B)\/s \| \d of 3 files \| ETA /,
    );
    // ...and what stays on the screen is the reason, then the summary: no bar left over.
    expect(screen(first.raw)).toEqual([
      'tierfs: /imports/tree/b.bin already exists (use --overwrite to replace it)',
      expect.stringMatching(
        /^Copied 2 files \(585\.94KB\) from .*tree to \/imports\/tree in [\d.]+s, 1 failed$/,
      ),
    ]);

    const second = await onTerminal(['copyFromLocal', '--overwrite', 'tree', '/imports']);
    expect(screen(second.raw)).toEqual([
      expect.stringMatching(/^Copied 3 files \(878\.91KB\) from .*tree to \/imports\/tree in [\d.]+s$/),
    ]);
    expect(second.code).toBe(0);
    expect((await client.getStatus('/imports/tree/b.bin')).size).toBe(300_000);
  });

  it('copyToLocal draws the totals a listing still going on finds (n of N files, of N bytes)', async () => {
    for (const name of ['a.bin', 'b.bin', 'c.bin'])
      await pipeline(
        Readable.from([Buffer.alloc(300_000, 7)]),
        await client.createFile(`/exports/tree/${name}`, { writeType: 'MUST_CACHE', recursive: true }),
      );
    mkdirSync(join(work, 'out', 'tree'), { recursive: true });
    writeFileSync(join(work, 'out', 'tree', 'c.bin'), 'already here');
    const copied = await onTerminal(['copyToLocal', '/exports/tree', 'out']);
    expect(copied.code).toBe(1);
    // The bar starts at 0 of 0 (copyToLocal copies while it lists) and grows as files are found.
    expect(copied.raw).toMatch(/ of 878\.91KB \| (--|[\d.]+[KMG]?B)\/s \| \d of 3 files \| /);
    expect(screen(copied.raw)).toEqual([
      expect.stringMatching(
        /^tierfs: already exists: .*\/out\/tree\/c\.bin \(use --overwrite to replace it\)$/,
      ),
      expect.stringMatching(/^Copied 2 files \(585\.94KB\) .* 1 failed$/),
    ]);
  });

  it('ls shows how much of each file is cached, and marks mount points with their under store', async () => {
    await write('/cached/hot', 'x'.repeat(1000), 'MUST_CACHE');
    await write('/cached/cold', 'y'.repeat(1000), 'THROUGH');
    const local = join(work, 'mounted');
    mkdirSync(local);
    await client.mount('/cached/mnt', local);
    const listed = await runTierfs([...properties(), 'fs', 'ls', '/cached'], {
      env: { HOME: work, TZ: 'UTC' },
    });
    expect(listed.stderr).toBe('');
    const lines = listed.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/ PERSISTED +\S+ \S+ +0% \/cached\/cold$/);
    expect(lines[1]).toMatch(/ NOT_PERSISTED +\S+ \S+ 100% \/cached\/hot$/);
    expect(lines[2]).toMatch(new RegExp(`^drwx.* {6}/cached/mnt -> file://${local}/$`));
    const one = await runTierfs([...properties(), 'fs', 'ls', '/cached/hot'], { env: { HOME: work } });
    expect(one.stdout).toMatch(/ 100% \/cached\/hot\n$/);
  });

  it('says to start the cluster when nothing answers at the master address', async () => {
    const unused = await freePort();
    const result = await runTierfs(
      ['-Dtierfs.master.hostname=127.0.0.1', `-Dtierfs.master.rpc.port=${unused}`, 'fs', 'ls', '/'],
      { env: { HOME: work } },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `tierfs: cannot reach http://127.0.0.1:${unused}: connect ECONNREFUSED 127.0.0.1:${unused} (is the cluster started? \`tierfs start local\`)\n`,
    );
  });
});
