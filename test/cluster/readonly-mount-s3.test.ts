/**
 * Seed 002 as written, on real daemons: `fs mount --readonly ... /mnt/s3 s3://...` on a fresh
 * namespace (no /mnt yet), then `fs ls -R` over a bucket whose directories have no markers. A
 * read-only mount must send the store reads only: every request the S3 gateway receives is
 * recorded by a proxy in front of it, and none may write (no `dir/` marker, ever).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCESS_KEY, type RunningGateway, SECRET_KEY, startGateway } from '../gateway/harness.js';
import { type DaemonCluster, daemonHome } from '../support/daemons.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';

let cluster: DaemonCluster | undefined;
let gateway: RunningGateway | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await cluster?.stop();
  await proxy?.close();
  await gateway?.stop();
});

describe('a --readonly S3 mount', () => {
  it('is made under missing parents and lists without writing a marker', async () => {
    gateway = await startGateway();
    proxy = await startFaultProxy(gateway.endpoint);
    const bucket = join(gateway.root, 'ro-bucket');
    mkdirSync(join(bucket, 'dir', 'a', 'b'), { recursive: true });
    mkdirSync(join(bucket, 'dir', 'x'), { recursive: true });
    writeFileSync(join(bucket, 'dir', 'a', 'b', 'c.txt'), 'deep\n');
    writeFileSync(join(bucket, 'dir', 'x', 'y.txt'), 'why\n');
    cluster = await daemonHome([
      `tierfs.underfs.s3.endpoint=${proxy.endpoint}`,
      'tierfs.underfs.s3.disable.dns.buckets=true',
      'tierfs.underfs.s3.inherit.acl=false',
    ]);
    const c = cluster;
    expect(await c.tierfs('format')).toMatchObject({ code: 0, stderr: '' });
    expect(await c.tierfs('start', 'local')).toMatchObject({ code: 0, stderr: '' });

    const mounted = await c.tierfs(
      'fs',
      'mount',
      '--readonly',
      '--option',
      `aws.accessKeyId=${ACCESS_KEY}`,
      '--option',
      `aws.secretKey=${SECRET_KEY}`,
      '/mnt/s3',
      's3://ro-bucket/dir',
    );
    expect(mounted).toMatchObject({ code: 0, stderr: '' });
    const listed = await c.tierfs('fs', 'ls', '-R', '/mnt/s3');
    expect(listed.stderr).toBe('');
    for (const path of ['/mnt/s3/a/b/c.txt', '/mnt/s3/x/y.txt', '/mnt/s3/a/b', '/mnt/s3/x']) {
      expect(listed.stdout).toContain(path);
    }
    expect((await c.tierfs('fs', 'cat', '/mnt/s3/a/b/c.txt')).stdout).toBe('deep\n');
    const refused = await c.tierfs('fs', 'mkdir', '/mnt/s3/new');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/read-only/i);

    expect(proxy.requests.length).toBeGreaterThan(0);
    const writes = proxy.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
    expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });
});
