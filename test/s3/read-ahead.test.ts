/**
 * A long S3 read is a series of ranged GETs (tierfs.underfs.object.store.multi.range.chunk.size);
 * the next range is asked for while the current one is read, so no round trip separates them. The
 * read still serves every byte in order, and a reader that stops early leaves no request open.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readStream } from '../../src/ufs/io.js';
import { eventually } from '../support/eventually.js';
import { s3rverStore } from '../support/s3rver.js';
import { withS3rverBehindProxy } from '../support/s3rver-behind-proxy.js';

const MiB = 1024 * 1024;
const CHUNK = { 'tierfs.underfs.object.store.multi.range.chunk.size': '1MB' };

const fixture = withS3rverBehindProxy();

const gets = () => fixture.proxy.requests.filter((r) => r.method === 'GET' && r.headers.range !== undefined);

describe('long S3 reads', () => {
  it('ask for the next range while the current one is read, and serve every byte in order', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint, CHUNK);
    try {
      const data = randomBytes(3 * MiB + 17);
      const out = await store.create('big.bin');
      out.end(data);
      await new Promise((resolve, reject) => out.once('finish', resolve).once('error', reject));
      const status = await store.getStatus('big.bin');
      fixture.proxy.requests.length = 0;

      const stream = await store.open('big.bin', { version: status.fingerprint, size: status.size });
      const chunks = stream[Symbol.asyncIterator]();
      const first = await chunks.next(); // the reader holds the first range, not drained
      expect(first.done).toBe(false);
      await eventually(() => gets().length === 2, 'the second range to be asked for', 10_000);
      expect(gets()[1]!.headers.range).toBe(`bytes=${MiB}-${2 * MiB - 1}`);

      const rest: Buffer[] = [first.value as Buffer];
      for (let next = await chunks.next(); !next.done; next = await chunks.next())
        rest.push(next.value as Buffer);
      expect(Buffer.concat(rest).equals(data)).toBe(true);
      expect(gets().map((r) => r.headers.range)).toEqual([
        `bytes=0-${MiB - 1}`,
        `bytes=${MiB}-${2 * MiB - 1}`,
        `bytes=${2 * MiB}-${3 * MiB - 1}`,
        `bytes=${3 * MiB}-${3 * MiB + 16}`,
      ]);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('a reader that stops early leaves no range request open', async () => {
    const store = await s3rverStore(fixture.proxy.endpoint, CHUNK);
    try {
      const out = await store.create('early.bin');
      out.end(randomBytes(3 * MiB));
      await new Promise((resolve, reject) => out.once('finish', resolve).once('error', reject));
      fixture.proxy.requests.length = 0;
      const stream = await store.open('early.bin');
      const chunks = stream[Symbol.asyncIterator]();
      await chunks.next();
      await eventually(() => gets().length === 2, 'the second range to be asked for', 10_000);
      await chunks.return?.();
      await eventually(
        () => gets().every((r) => r.ended !== undefined),
        'every range request to end',
        10_000,
      );
      expect(gets()).toHaveLength(2);
      expect((await readStream(await store.open('early.bin'))).length).toBe(3 * MiB);
    } finally {
      await store.close();
    }
  }, 60_000);
});
