/**
 * What a short CLI command loads before it talks to the master: `fs ls` starts a fresh Node process
 * each time, so every heavy package it loads is paid on every call (issue 17: "CLI start-up counts").
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runNode, TIERFS_BIN } from '../support/cli.js';
import { freePort } from '../support/daemons.js';

const dir = mkdtempSync(join(tmpdir(), 'tierfs-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A preload that prints, at exit, the packages whose files the process loaded. */
const preload = join(dir, 'loaded-packages.cjs');
writeFileSync(
  preload,
  `process.on('exit', () => {
  const names = new Set();
  for (const file of Object.keys(require.cache)) {
    const m = /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(file);
    if (m) names.add(m[1]);
  }
  process.stderr.write('LOADED ' + JSON.stringify([...names].sort()) + '\\n');
});\n`,
);

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
  const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '));
  return JSON.parse(line!.slice('LOADED '.length)) as string[];
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
      expect(loaded).toContain('commander'); // the preload does see the packages that are loaded
    }
  });
});
