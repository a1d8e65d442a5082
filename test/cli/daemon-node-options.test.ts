/**
 * `tierfs start` gives each daemon its Node.js options (tierfs.master.node.options,
 * tierfs.worker.node.options) through NODE_OPTIONS, after any inherited ones so that they win; the
 * master's heap can be bounded that way (issue 14: a million-object listing grew it to ~470 MB RSS).
 * `start local` also names the worker's own web page.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DaemonCluster, daemonHome, freePort } from '../support/daemons.js';

/** The NODE_OPTIONS a running process was started with. */
function nodeOptionsOf(pid: number): string | undefined {
  const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  return env.find((entry) => entry.startsWith('NODE_OPTIONS='))?.slice('NODE_OPTIONS='.length);
}

describe('daemon Node.js options', () => {
  let cluster: DaemonCluster;
  let started: { stdout: string };
  let workerWebPort: number;
  beforeAll(async () => {
    workerWebPort = await freePort();
    cluster = await daemonHome([
      `tierfs.worker.web.port=${workerWebPort}`,
      'tierfs.worker.node.options=--max-old-space-size=96',
      'tierfs.master.node.options=--max-old-space-size=300',
    ]);
    expect((await cluster.tierfs('format')).code).toBe(0);
    const result = await cluster.tierfs('start', 'local');
    expect(result.code, result.stderr).toBe(0);
    started = result;
  }, 60_000);
  afterAll(() => cluster?.stop());

  it('starts each daemon with its configured options, after the inherited ones', () => {
    const master = nodeOptionsOf(cluster.pid('master')) ?? '';
    const worker = nodeOptionsOf(cluster.pid('worker')) ?? '';
    expect(master.split(' ').at(-1)).toBe('--max-old-space-size=300');
    expect(worker.split(' ').at(-1)).toBe('--max-old-space-size=96');
  });

  it("prints the worker's web page beside the master's UI", () => {
    expect(started.stdout).toContain(`Worker web page: http://127.0.0.1:${workerWebPort}\n`);
  });
});
