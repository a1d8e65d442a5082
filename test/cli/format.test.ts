/** `tierfs format` as a real process: a format that fails changes nothing it was to replace. */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type DaemonCluster, daemonHome } from '../support/daemons.js';

let cluster: DaemonCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
});

describe('tierfs format', () => {
  it('that fails leaves the old metadata store as it was, and no half-made one beside it', async () => {
    cluster = await daemonHome();
    const c = cluster;
    expect(await c.tierfs('format')).toMatchObject({ code: 0, stderr: '' });
    const metastore = join(c.home, 'metastore');
    const before = Object.fromEntries(
      readdirSync(metastore).map((name) => [name, readFileSync(join(metastore, name)).toString('base64')]),
    );
    expect(Object.keys(before)).toEqual(expect.arrayContaining(['cluster-token', 'secret-key', 'tierfs.db']));

    // The root under store cannot be made: a file stands where its parent directory should be.
    writeFileSync(join(c.home, 'not-a-dir'), '');
    const failed = await c.tierfs(
      `-Dtierfs.master.mount.table.root.ufs=${join(c.home, 'not-a-dir', 'ufs')}`,
      'format',
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^tierfs: .*not-a-dir.*\n$/);
    const after = Object.fromEntries(
      readdirSync(metastore).map((name) => [name, readFileSync(join(metastore, name)).toString('base64')]),
    );
    expect(after).toEqual(before);
    expect(readdirSync(c.home).filter((name) => name.startsWith('metastore'))).toEqual(['metastore']);
    expect(existsSync(join(c.home, 'not-a-dir', 'ufs'))).toBe(false);

    // A format that succeeds replaces the store: a new cluster secret.
    expect(await c.tierfs('format')).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(join(metastore, 'cluster-token')).toString('base64')).not.toBe(
      before['cluster-token'],
    );
    expect(readdirSync(c.home).filter((name) => name.startsWith('metastore'))).toEqual(['metastore']);
  });
});
