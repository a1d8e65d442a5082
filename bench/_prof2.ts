import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { startCluster } from '../test/support/cluster.js';

const c = await startCluster({ 'tierfs.worker.page.store.sizes': '900MB' });
const size = 256 * 2 ** 20;
writeFileSync(join(c.ufs, 'f.bin'), randomBytes(size));
const client = c.client();
async function drain(s: AsyncIterable<unknown>) {
  let n = 0;
  for await (const x of s) n += (x as Buffer).length;
  return n;
}
await drain(await client.openFile('/f.bin'));
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.start');
const t = performance.now();
await drain(await client.openFile('/f.bin'));
console.log('warm', (256 / ((performance.now() - t) / 1000)).toFixed(0), 'MiB/s');
const { profile } = await session.post('Profiler.stop');
writeFileSync('/tmp/warm.cpuprofile', JSON.stringify(profile));
await c.stop();
