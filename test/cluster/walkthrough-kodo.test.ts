/**
 * Seed 004's walkthrough with Qiniu Kodo as the root under store, as real processes: the daemons'
 * Kodo store talks to tierfs's Kodo gateway (the cloud stand-in, started by this test on loopback).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KodoFixture } from '../gateway/kodo-support.js';
import { kodoSettings, startDriverFixture } from '../kodo/kodo-driver-support.js';
import { type DaemonCluster, daemonHome } from '../support/daemons.js';

let cluster: DaemonCluster | undefined;
let kodo: KodoFixture | undefined;
afterEach(async () => {
  await cluster?.stop();
  await kodo?.cleanup();
});

describe('seed 004 walkthrough with a Kodo root mount', () => {
  it('format, start local, runTests into KODO_BUCKET/KODO_DIRECTORY, stop local', async () => {
    kodo = await startDriverFixture();
    cluster = await daemonHome();
    const site = join(cluster.home, 'conf', 'tierfs-site.properties');
    const settings = kodoSettings(kodo);
    // The seed's spellings: alluxio.* for the tierfs keys, fs.kodo.* as written.
    const lines = Object.entries(settings).map(([k, v]) => `${k.replace(/^tierfs\./, 'alluxio.')}=${v}`);
    writeFileSync(
      site,
      `${readFileSync(site, 'utf8')}alluxio.master.mount.table.root.ufs=kodo://photos/KODO_DIRECTORY/\n${lines.join('\n')}\n`,
    );
    expect(await cluster.tierfs('format')).toMatchObject({ code: 0, stderr: '' });
    expect(await cluster.tierfs('start', 'local')).toMatchObject({ code: 0, stderr: '' });
    const tests = await cluster.tierfs('runTests');
    expect(tests.stderr).toBe('');
    expect(tests.stdout.trim().split('\n').at(-1)).toBe('24 passed, 0 failed');
    // "you should see files named like KODO_BUCKET/KODO_DIRECTORY/default_tests_files/..."
    const inBucket = readdirSync(join(kodo.root, 'photos', 'KODO_DIRECTORY', 'default_tests_files'));
    expect(inBucket).toContain('BASIC_CACHE_PROMOTE_CACHE_THROUGH');
    expect(inBucket).toContain('BASIC_NON_BYTE_BUFFER_NO_CACHE_THROUGH');
    expect((await cluster.tierfs('stop', 'local')).code).toBe(0);
  });
});
