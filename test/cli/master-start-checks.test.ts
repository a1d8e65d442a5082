/**
 * What a master checks before it joins: SQLite is one master's store (a second master started on
 * the same database file, from another home with other ports, stops at once with one clear error,
 * and the first keeps serving); and a master whose cluster secret is not the one `format` made is
 * refused, naming the file to copy.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DaemonCluster, daemonHome } from '../support/daemons.js';

const homes: DaemonCluster[] = [];
afterAll(async () => {
  for (const home of homes) await home.stop();
});

describe('a second master on one SQLite store', () => {
  it('fails to start, naming the store and the way to several masters', async () => {
    const first = await daemonHome();
    homes.push(first);
    expect((await first.tierfs('format')).code).toBe(0);
    const started = await first.tierfs('start', 'master');
    expect(started.stderr).toBe('');
    const second = await daemonHome([`tierfs.master.metastore.dir=${join(first.home, 'metastore')}`]);
    homes.push(second);
    const refused = await second.tierfs('start', 'master');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      `the SQLite metadata store ${join(first.home, 'metastore', 'tierfs.db')} is in use by another master: SQLite keeps tierfs to one master (stop the other one, or run several masters on tierfs.master.metastore=POSTGRESQL, see docs/cluster.md)`,
    );
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    // The first one is unharmed.
    expect((await first.client().listStatus('/')).entries).toEqual([]);
  });

  it('a master with another cluster secret than the store was formatted with is refused', async () => {
    const home = await daemonHome();
    homes.push(home);
    expect((await home.tierfs('format')).code).toBe(0);
    const tokenFile = join(home.home, 'metastore', 'cluster-token');
    writeFileSync(tokenFile, 'not-the-cluster-secret\n', { mode: 0o600 });
    const refused = await home.tierfs('start', 'master');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      `the cluster secret in ${tokenFile} is not the one this metadata store was formatted with: copy the cluster-token and secret-key files`,
    );
    expect(refused.stderr).not.toContain('not-the-cluster-secret');
  });
});
