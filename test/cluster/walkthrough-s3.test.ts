/**
 * Seed 002's walkthrough with S3 as the root under store, as real processes: the S3 store talks
 * to tierfs's own S3 gateway (`tierfs gateway --protocol s3`, a complete S3 server over a local
 * directory), so the files runTests writes can be looked at in the bucket.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TIERFS_BIN } from '../support/cli.js';
import { type DaemonCluster, daemonHome, freePort } from '../support/daemons.js';

const KEY = 'AKIAWALKTHROUGH';
const SECRET = 'walkthrough-secret-value';

let cluster: DaemonCluster | undefined;
let gateway: ChildProcess | undefined;
afterEach(async () => {
  await cluster?.stop();
  gateway?.kill('SIGTERM');
  if (gateway) await once(gateway, 'exit');
});

/** `tierfs gateway --protocol s3` over `root`, ready when it prints its address. */
async function startGateway(root: string, state: string): Promise<string> {
  const port = await freePort();
  gateway = spawn(
    process.execPath,
    [
      TIERFS_BIN,
      `-Dtierfs.proxy.s3.users=${KEY}:${SECRET}`,
      `-Dtierfs.proxy.s3.state.dir=${state}`,
      'gateway',
      '--protocol',
      's3',
      '--root',
      root,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const [line] = (await once(gateway.stdout!, 'data')) as [Buffer];
  expect(line.toString()).toContain(`on http://127.0.0.1:${port}`);
  return `http://127.0.0.1:${port}`;
}

describe('seed 002 walkthrough with an S3 root mount', () => {
  it('format, start local, runTests into the bucket, nested S3 mount with --option, stop local', async () => {
    cluster = await daemonHome();
    const buckets = join(cluster.home, 's3');
    mkdirSync(join(buckets, 'tierfs-bucket', 'data'), { recursive: true });
    const endpoint = await startGateway(buckets, join(cluster!.home, 'gateway-state'));
    const site = join(cluster!.home, 'conf', 'tierfs-site.properties');
    writeFileSync(
      site,
      `${readFileSync(site, 'utf8')}` +
        [
          'alluxio.master.mount.table.root.ufs=s3://tierfs-bucket/data',
          `aws.accessKeyId=${KEY}`,
          `aws.secretKey=${SECRET}`,
          `alluxio.underfs.s3.endpoint=${endpoint}`,
          'alluxio.underfs.s3.disable.dns.buckets=true',
          'alluxio.underfs.s3.inherit.acl=false',
          '',
        ].join('\n'),
    );
    const c = cluster!;
    expect(await c.tierfs('format')).toMatchObject({ code: 0, stderr: '' });
    expect(await c.tierfs('start', 'local')).toMatchObject({ code: 0, stderr: '' });
    const tests = await c.tierfs('runTests');
    expect(tests.stderr).toBe('');
    expect(tests.stdout.trim().split('\n').at(-1)).toBe('24 passed, 0 failed');
    // s3://<S3_BUCKET>/<S3_DIRECTORY>/default_tests_files/... in the bucket (the gateway's directory).
    const inBucket = readdirSync(join(buckets, 'tierfs-bucket', 'data', 'default_tests_files'));
    expect(inBucket).toContain('BASIC_CACHE_THROUGH');
    expect(inBucket).toContain('BASIC_NON_BYTE_BUFFER_CACHE_PROMOTE_THROUGH');

    // $ tierfs fs mount --option aws.accessKeyId=... --option aws.secretKey=... /mnt/s3 s3://bucket/dir
    mkdirSync(join(buckets, 'other-bucket', 'dir'), { recursive: true });
    writeFileSync(join(buckets, 'other-bucket', 'dir', 'object.txt'), 'an object in another bucket\n');
    // As the seed writes it: no `fs mkdir /mnt` first (`fs mount` makes the missing parents).
    const mounted = await c.tierfs(
      'fs',
      'mount',
      '--option',
      `aws.accessKeyId=${KEY}`,
      '--option',
      `aws.secretKey=${SECRET}`,
      '/mnt/s3',
      's3://other-bucket/dir',
    );
    expect(mounted).toMatchObject({ code: 0, stderr: '' });
    expect((await c.tierfs('fs', 'cat', '/mnt/s3/object.txt')).stdout).toBe('an object in another bucket\n');
    const table = (await c.tierfs('fs', 'mount')).stdout;
    expect(table).toContain('s3://other-bucket/dir/ on /mnt/s3 (s3');
    expect(table).not.toContain(SECRET);

    // Bad credentials: one clear error, nothing recorded.
    mkdirSync(join(buckets, 'third-bucket', 'dir'), { recursive: true });
    const refused = await c.tierfs(
      'fs',
      'mount',
      '--option',
      `aws.accessKeyId=${KEY}`,
      '--option',
      'aws.secretKey=wrong-secret',
      '/mnt/bad',
      's3://third-bucket/dir',
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(
      /^tierfs: cannot mount s3:\/\/third-bucket\/dir\/ at \/mnt\/bad: .*(denied|403|credentials)/i,
    );
    expect(refused.stderr).not.toContain('wrong-secret');
    expect((await c.tierfs('fs', 'mount')).stdout).toBe(table);

    expect((await c.tierfs('stop', 'local')).code).toBe(0);
    expect(existsSync(join(c.home, 'run', 'worker.pid'))).toBe(false);
  });
});
