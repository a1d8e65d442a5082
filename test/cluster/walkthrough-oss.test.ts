/**
 * Seed 000's walkthrough with Aliyun OSS as the root under store, as real processes: the daemons'
 * OSS store (ali-oss) talks to tierfs's OSS gateway, the cloud stand-in started by this test on
 * loopback. Then a nested OSS mount with the seed's three --option keys.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AK, BUCKET, type RunningGateway, SECRET, startGateway } from '../gateway/oss-support.js';
import { type DaemonCluster, daemonHome } from '../support/daemons.js';

let cluster: DaemonCluster | undefined;
let gateway: RunningGateway | undefined;
afterEach(async () => {
  await cluster?.stop();
  await gateway?.stop();
});

describe('seed 000 walkthrough with an OSS root mount', () => {
  it('format, start local, runTests into <OSS_BUCKET>/<OSS_DIRECTORY>, nested mount with --option, stop local', async () => {
    gateway = await startGateway();
    cluster = await daemonHome();
    const endpoint = `localhost:${gateway.port}`;
    const site = join(cluster.home, 'conf', 'tierfs-site.properties');
    writeFileSync(
      site,
      `${readFileSync(site, 'utf8')}` +
        [
          `alluxio.dora.client.ufs.root=oss://${BUCKET}/alluxio/data`,
          `fs.oss.accessKeyId=${AK}`,
          `fs.oss.accessKeySecret=${SECRET}`,
          `fs.oss.endpoint=${endpoint}`,
          'fs.oss.connection.secure.enabled=false',
          'tierfs.underfs.oss.path.style.access=true',
          'alluxio.underfs.oss.multipart.upload.enabled=true',
          '',
        ].join('\n'),
    );
    expect(await cluster.tierfs('format')).toMatchObject({ code: 0, stderr: '' });
    expect(await cluster.tierfs('start', 'local')).toMatchObject({ code: 0, stderr: '' });
    const tests = await cluster.tierfs('runTests');
    expect(tests.stderr).toBe('');
    expect(tests.stdout.trim().split('\n').at(-1)).toBe('24 passed, 0 failed');
    // "you should see files named like <OSS_BUCKET>/<OSS_DIRECTORY>/default_tests_files/..."
    const inBucket = readdirSync(join(gateway.root, BUCKET, 'alluxio', 'data', 'default_tests_files'));
    expect(inBucket).toContain('BASIC_CACHE_PROMOTE_CACHE_THROUGH');

    // $ tierfs fs mount --option fs.oss.accessKeyId=... --option fs.oss.accessKeySecret=... --option fs.oss.endpoint=... /oss oss://<OSS_BUCKET>/<OSS_DIRECTORY>/
    mkdirSync(join(gateway.root, BUCKET, 'other'), { recursive: true });
    writeFileSync(join(gateway.root, BUCKET, 'other', 'hello.txt'), 'hello from oss\n');
    const mounted = await cluster.tierfs(
      '-Dfs.oss.connection.secure.enabled=false',
      'fs',
      'mount',
      '--option',
      `fs.oss.accessKeyId=${AK}`,
      '--option',
      `fs.oss.accessKeySecret=${SECRET}`,
      '--option',
      `fs.oss.endpoint=${endpoint}`,
      '--option',
      'tierfs.underfs.oss.path.style.access=true',
      '/oss',
      `oss://${BUCKET}/other/`,
    );
    expect(mounted).toMatchObject({ code: 0, stderr: '' });
    expect((await cluster.tierfs('fs', 'cat', '/oss/hello.txt')).stdout).toBe('hello from oss\n');
    expect((await cluster.tierfs('fs', 'mount')).stdout).not.toContain(SECRET);
    expect((await cluster.tierfs('stop', 'local')).code).toBe(0);
  });
});
