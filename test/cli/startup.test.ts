/**
 * What a short CLI command loads before it talks to the master: `fs ls` starts a fresh Node process
 * each time, so every heavy package it loads is paid on every call (issue 17: "CLI start-up counts").
 * And how `fs cat` writes what it read: straight to the descriptor, as `cat` does.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNode, TIERFS_BIN } from '../support/cli.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { freePort } from '../support/daemons.js';
import { loadedPackagesOf, loadedPackagesPreload } from '../support/loaded-packages.js';

const dir = mkdtempSync(join(tmpdir(), 'tierfs-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const preload = loadedPackagesPreload(dir);

async function packagesLoadedBy(...args: string[]): Promise<string[]> {
  const port = await freePort(); // nothing listens: the command fails after start-up, as wanted
  const r = await runNode(
    [
      '--require',
      preload,
      TIERFS_BIN,
      '-Dtierfs.master.hostname=127.0.0.1',
      `-Dtierfs.master.rpc.port=${port}`,
      ...args,
    ],
    { cwd: dir },
  );
  expect(r.stderr).toMatch(/cannot reach/);
  return loadedPackagesOf(r.stderr);
}

describe('CLI start-up', () => {
  it('fs ls and fs stat load no HTTP client library, no server framework, no SDK and no YAML parser', async () => {
    for (const command of [
      ['fs', 'ls', '/'],
      ['fs', 'stat', '/'],
    ]) {
      const loaded = await packagesLoadedBy(...command);
      expect(
        loaded.filter((p) => /^(undici|fastify|yaml|@aws-sdk\/.*|@smithy\/.*|ali-oss)$/.test(p)),
      ).toEqual([]);
    }
    // The preload does see the packages that are loaded: `fs stat` is parsed by commander; a plain
    // `fs ls` is not (early-fs.ts: it runs without commander and the `fs` command group).
    expect(await packagesLoadedBy('fs', 'stat', '/')).toContain('commander');
    expect(await packagesLoadedBy('fs', 'ls', '-R', '/')).not.toContain('commander');
  });
});

/** Packages no `fs` command needs for a cached file: SDKs, servers, loggers, databases, FUSE. */
const HEAVY_PACKAGES =
  /^(undici|fastify|@fastify\/.*|pino|yaml|@aws-sdk\/.*|@smithy\/.*|ali-oss|qiniu|better-sqlite3|pg|fuse-native|prom-client|busboy|fast-xml-parser)$/;

/**
 * Modules of dist/ only other commands need: the daemons, FUSE, the gateways, the tiered log, the
 * under-store drivers and what they register.
 */
const OTHER_COMMANDS_MODULES =
  /^(cli\/(auth|conf|daemon|fuse|gateway|run-tests|selfcheck|topics|namespace-gateway)|master|worker|fuse|gateway|log|meta|web|ufs\/(drivers|s3|oss|kodo|local)|client\/tierfs-store)[./]/;

/** An ESM loader hook (registered by a preload) that appends each module URL it loads to $LOADED_LOG. */
const hooks = join(dir, 'log-loads.mjs');
writeFileSync(
  hooks,
  `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.LOADED_LOG, url + '\\n');
  return next(url, context);
}\n`,
);
const registerHooks = join(dir, 'register-log-loads.mjs');
writeFileSync(
  registerHooks,
  `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`,
);

describe('fs cat of a cached file', () => {
  const ram = mkdtempSync('/dev/shm/tierfs-startup-');
  const text = 'tierfs start-up\n'.repeat(20_000); // 320,000 bytes: read from the page files
  const pages = 'three pages and a bit\n'.repeat(150_000); // 3.3 MB: 1 MiB pages
  let cluster: TestCluster;
  let master: string[];
  beforeAll(async () => {
    cluster = await startCluster({
      'tierfs.worker.tieredstore.level0.dirs.path': ram,
      'tierfs.worker.ramdisk.size': '8MB',
    });
    const url = new URL(cluster.master.rpcAddress);
    master = [
      `-Dtierfs.master.hostname=${url.hostname}`,
      `-Dtierfs.master.rpc.port=${url.port}`,
      '-Dtierfs.security.login.username=admin',
    ];
    for (const [path, data] of [
      ['/cached.txt', text],
      ['/pages.txt', pages],
    ] as const) {
      await pipeline(
        Readable.from([Buffer.from(data)]),
        await cluster.client().createFile(path, { writeType: 'CACHE_THROUGH' }),
      );
    }
  });
  afterAll(async () => {
    await cluster.stop();
    rmSync(ram, { recursive: true, force: true });
  });

  it('loads no SDK, server, logger or HTTP client library', async () => {
    const r = await runNode(['--require', preload, TIERFS_BIN, ...master, 'fs', 'cat', '/cached.txt'], {
      cwd: dir,
    });
    expect(r.code).toBe(0);
    expect(r.stdout === text).toBe(true);
    const loaded = loadedPackagesOf(r.stderr);
    expect(loaded.filter((p) => HEAVY_PACKAGES.test(p))).toEqual([]);
    // A plain `fs cat` runs without commander (early-fs.ts); with an option it goes through it,
    // and the preload does see it.
    expect(loaded).not.toContain('commander');
    const parsed = await runNode(
      ['--require', preload, TIERFS_BIN, ...master, 'fs', 'cat', '--readtype', 'CACHE', '/cached.txt'],
      { cwd: dir },
    );
    expect(parsed.stdout === text).toBe(true);
    expect(loadedPackagesOf(parsed.stderr).filter((p) => HEAVY_PACKAGES.test(p))).toEqual([]);
    expect(loadedPackagesOf(parsed.stderr)).toContain('commander');
  });

  it('loads none of the modules of the other commands (daemons, FUSE, gateways, drivers)', async () => {
    // A plain `fs cat` (early-fs.ts: not even the `fs` group), and one with an option (commander).
    for (const [args, command] of [
      [['/cached.txt'], 'cli/fs-cat.js'],
      [['--readtype', 'CACHE', '/cached.txt'], 'cli/fs.js'],
    ] as const) {
      const log = join(dir, 'loaded-modules.txt');
      rmSync(log, { force: true });
      const r = await runNode(['--import', registerHooks, TIERFS_BIN, ...master, 'fs', 'cat', ...args], {
        cwd: dir,
        env: { LOADED_LOG: log },
      });
      expect(r.code).toBe(0);
      expect(r.stdout === text).toBe(true);
      const modules = readFileSync(log, 'utf8')
        .split('\n')
        .filter((url) => url.includes('/dist/'))
        .map((url) => url.slice(url.lastIndexOf('/dist/') + '/dist/'.length));
      expect(modules).toContain(command); // the hook does see the modules that are loaded
      if (args.length === 1) expect(modules).not.toContain('cli/fs.js');
      expect(modules.filter((m) => OTHER_COMMANDS_MODULES.test(m))).toEqual([]);
    }
  });

  it('writes every byte to the descriptor itself, none through the stdout stream (page files and data port)', async () => {
    // Without a blocking stdout a 1 MiB write into the socketpair stops at its buffer (EAGAIN) and
    // the rest goes through process.stdout, 64 KiB at a time.
    for (const shortCircuit of ['true', 'false']) {
      const r = await runNode(
        [
          '--require',
          countStreamWrites,
          TIERFS_BIN,
          ...master,
          `-Dtierfs.user.short.circuit.enabled=${shortCircuit}`,
          'fs',
          'cat',
          '/pages.txt',
        ],
        { cwd: dir },
      );
      expect(r.code).toBe(0);
      expect(r.stdout === pages).toBe(true);
      expect({ shortCircuit, line: r.stderr.split('\n').find((l) => l.startsWith('STREAM_BYTES ')) }).toEqual(
        {
          shortCircuit,
          line: 'STREAM_BYTES 0',
        },
      );
    }
  });
});

/** A preload that prints, at exit, how many bytes went through process.stdout.write. */
const countStreamWrites = join(dir, 'count-stream-writes.cjs');
writeFileSync(
  countStreamWrites,
  `let bytes = 0;
const write = process.stdout.write;
process.stdout.write = function (chunk, ...rest) {
  bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
  return write.call(this, chunk, ...rest);
};
process.on('exit', () => process.stderr.write('STREAM_BYTES ' + bytes + '\\n'));\n`,
);
