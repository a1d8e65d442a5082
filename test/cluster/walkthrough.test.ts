/**
 * The walkthrough of the seeds (000, 002, 004) with `tierfs` in place of `./bin/alluxio`, on a
 * local root under store, as real processes: copy the template, edit the properties, format,
 * start local, runTests, look at the under store, mount a nested store with --option, stop local.
 */

import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.js';
import { type DaemonCluster, daemonHome, freePort } from '../support/daemons.js';

let cluster: DaemonCluster;
afterEach(() => cluster?.stop());

describe('seed walkthrough on a local under store', () => {
  it('copy the template, format, start local, runTests, nested mount, stop local', async () => {
    cluster = await daemonHome();
    const site = join(cluster.home, 'conf', 'tierfs-site.properties');
    const ports = readFileSync(site, 'utf8');
    // $ cp conf/tierfs-site.properties.template conf/tierfs-site.properties   (then edit it)
    copyFileSync(join(REPO_ROOT, 'conf', 'tierfs-site.properties.template'), site);
    const data = join(cluster.home, 'bucket', 'data');
    mkdirSync(data, { recursive: true });
    writeFileSync(
      site,
      `${readFileSync(site, 'utf8')}\n${ports}alluxio.master.mount.table.root.ufs=${data}\n`,
    );

    expect(await cluster.tierfs('format')).toMatchObject({ code: 0, stderr: '' });
    const started = await cluster.tierfs('start', 'local');
    expect(started).toMatchObject({ code: 0, stderr: '' });
    expect(started.stdout).toContain(`Master web UI: http://127.0.0.1:${cluster.webPort}`);
    const page = await fetch(`http://127.0.0.1:${cluster.webPort}/`).then((r) => r.text());
    expect(page).toMatch(/id="live-workers">1</);

    const tests = await cluster.tierfs('runTests');
    expect(tests.stderr).toBe('');
    expect(tests.code).toBe(0);
    expect(tests.stdout.trim().split('\n').at(-1)).toBe('24 passed, 0 failed');
    expect(tests.stdout.match(/Passed the test!/g)).toHaveLength(24);
    // 24 files written and read back, yet no access-log line per request on the worker or the
    // master's RPC port: each would be two synchronous writes on the data path.
    for (const daemon of ['worker', 'master']) {
      const log = readFileSync(join(cluster.home, 'logs', `${daemon}.log`), 'utf8');
      expect(log).toContain(`"name":"${daemon}"`);
      expect(log).not.toMatch(/"url":"\/(data|api\/v1\/paths)/);
    }

    // "Visit your directory to verify the files and directories created by tierfs exist."
    const created = readdirSync(join(data, 'default_tests_files'));
    for (const name of ['BASIC_CACHE_PROMOTE_CACHE_THROUGH', 'BASIC_NON_BYTE_BUFFER_NO_CACHE_THROUGH']) {
      expect(created).toContain(name);
    }
    expect(created.filter((n) => n.endsWith('_MUST_CACHE'))).toEqual([]);
    expect(readFileSync(join(data, 'default_tests_files', 'BASIC_CACHE_THROUGH')).length).toBe(80);
    const listed = await cluster.tierfs('fs', 'ls', '/default_tests_files');
    expect(listed.stdout.trim().split('\n')).toHaveLength(24);

    // Nested mount: $ tierfs fs mount --option k=v ... /other <ufs>
    const other = join(cluster.home, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'hello.txt'), 'hello from the nested mount\n');
    const mounted = await cluster.tierfs(
      'fs',
      'mount',
      '--option',
      'tierfs.underfs.listing.length=100',
      '--option',
      'aws.secretKey=not-shown-anywhere',
      '/other',
      other,
    );
    expect(mounted).toMatchObject({ code: 0, stderr: '' });
    expect((await cluster.tierfs('fs', 'cat', '/other/hello.txt')).stdout).toBe(
      'hello from the nested mount\n',
    );
    const table = await cluster.tierfs('fs', 'mount');
    expect(table.stdout).toContain(`on /other (file, readonly=false, shared=false`);
    expect(table.stdout).not.toContain('not-shown-anywhere');

    expect((await cluster.tierfs('stop', 'local')).stdout).toBe('Stopped the worker\nStopped the master\n');
    expect(existsSync(join(cluster.home, 'run', 'master.pid'))).toBe(false);
  });
});

describe('bad input: one clear error, nothing recorded', () => {
  it('refuses bad mounts, writes to read-only mounts, traversal and a second start', async () => {
    cluster = await daemonHome();
    expect((await cluster.tierfs('format')).code).toBe(0);
    expect((await cluster.tierfs('start', 'local')).code).toBe(0);
    const other = join(cluster.home, 'other');
    const readOnly = join(cluster.home, 'readonly');
    mkdirSync(other);
    mkdirSync(readOnly);
    mkdirSync(join(cluster.ufs, 'taken'));
    expect((await cluster.tierfs('fs', 'mount', '--readonly', '/ro', readOnly)).code).toBe(0);
    const tableBefore = (await cluster.tierfs('fs', 'mount')).stdout;

    const cases: [string[], RegExp][] = [
      [['fs', 'mount', '/taken', other], /^tierfs: cannot mount at \/taken: the path already exists\n$/],
      [
        ['fs', 'mount', '/inside', join(cluster.ufs, 'inner')],
        /^tierfs: cannot mount .* overlaps .* mounted at \/\n$/,
      ],
      [
        ['fs', 'mount', '/nope', join(cluster.home, 'missing')],
        /^tierfs: cannot mount .*missing.* at \/nope: .*\n$/,
      ],
      [
        ['fs', 'mount', '/x', 'xyz://bucket/dir'],
        /^tierfs: cannot mount xyz:\/\/bucket\/dir\/ at \/x: Could not find a file system implementation for scheme 'xyz'\. Known schemes: .*\n$/,
      ],
      [
        ['fs', 'touch', '/ro/new.txt'],
        /^tierfs: cannot write \/ro\/new\.txt: the mount point \/ro is read-only\n$/,
      ],
      [['fs', 'mkdir', '/ro/dir'], /^tierfs: cannot write \/ro\/dir: the mount point \/ro is read-only\n$/],
      [
        ['fs', 'cat', '/a/../../etc/passwd'],
        /^tierfs: path '\/a\/..\/..\/etc\/passwd' contains a '\.\.' segment.*\n$/,
      ],
      [
        ['start', 'master'],
        /^tierfs: the master is already running \(pid \d+\); stop it first with `tierfs stop master`\n$/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await cluster.tierfs(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 1 });
      expect(result.stderr).toMatch(message);
    }
    expect((await cluster.tierfs('fs', 'mount')).stdout).toBe(tableBefore);
    expect(readdirSync(readOnly)).toEqual([]);
    expect(readdirSync(other)).toEqual([]);
  });

  it('a taken port fails start with the property to change and leaves no daemon behind', async () => {
    cluster = await daemonHome();
    expect((await cluster.tierfs('format')).code).toBe(0);
    const squatter = createServer();
    const taken = await freePort();
    squatter.listen(taken, '127.0.0.1');
    await once(squatter, 'listening');
    try {
      // The namespace S3 API is started last, after the master's own ports.
      const gateway = await cluster.tierfs(`-Dtierfs.proxy.web.port=${taken}`, 'start', 'master');
      expect(gateway.code).toBe(1);
      expect(gateway.stderr).toBe(
        `tierfs: the master did not start: cannot listen on 127.0.0.1:${taken}: the port is in use by ` +
          'another process; set tierfs.proxy.web.port to a free port, or tierfs.proxy.s3.enabled=false ' +
          `to run without the S3 API over the namespace (log: ${join(cluster.home, 'logs', 'master.log')})\n`,
      );
      expect(existsSync(join(cluster.home, 'run', 'master.pid'))).toBe(false);
      // The half-started master closed its RPC port and exited.
      await expect(fetch(`http://127.0.0.1:${cluster.masterPort}/api/v1/health`)).rejects.toThrow();

      // start local is all or nothing: the master goes down again when the worker cannot start.
      const worker = await cluster.tierfs(`-Dtierfs.worker.rpc.port=${taken}`, 'start', 'local');
      expect(worker.code).toBe(1);
      expect(worker.stdout).toMatch(
        /Started the master .*\nStopped the master again: the worker did not start\n$/,
      );
      expect(worker.stderr).toMatch(
        /^tierfs: the worker did not start: .*set tierfs\.worker\.rpc\.port to a free port/,
      );
      expect(existsSync(join(cluster.home, 'run', 'master.pid'))).toBe(false);
      await expect(fetch(`http://127.0.0.1:${cluster.masterPort}/api/v1/health`)).rejects.toThrow();

      const rpc = await cluster.tierfs(`-Dtierfs.master.rpc.port=${taken}`, 'start', 'master');
      expect(rpc.stderr).toMatch(
        /^tierfs: the master did not start: .*set tierfs\.master\.rpc\.port to a free port \(log: .*\)\n$/,
      );
      expect((await cluster.tierfs('start', 'local')).code).toBe(0);
    } finally {
      squatter.close();
    }
  });
});
