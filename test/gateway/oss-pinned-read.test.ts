/**
 * The OSS gateway answers a GetObject about one version of the object: its ETag, the If-Match it
 * evaluates and the bytes it sends all belong together, even when the object is replaced between
 * the gateway's HEAD of it and its read (here: a store that replaces the file just before opening it).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, type RunningGateway, startGateway } from './oss-support.js';
import { replacingStore } from './replacing-store.js';

const race = replacingStore();

let gw: RunningGateway;
beforeAll(async () => {
  gw = await startGateway({ wrapStore: race.wrap });
});
afterAll(async () => gw.stop());

const md5hex = (data: Buffer) => createHash('md5').update(data).digest('hex').toUpperCase();

describe('OSS gateway: an object replaced between its HEAD and its read', () => {
  const old = Buffer.from('abcdefgh');
  const replacement = Buffer.from('ABCDEFGH');

  it('a ranged GET with If-Match of the old ETag is 412, not the new bytes', async () => {
    const oss = client(gw, 'path-style');
    await oss.put('race/if-match.bin', old);
    race.replaceBeforeNextOpen('race/if-match.bin', replacement);
    await expect(
      oss.get('race/if-match.bin', { headers: { Range: 'bytes=2-4', 'If-Match': `"${md5hex(old)}"` } }),
    ).rejects.toMatchObject({ status: 412, code: 'PreconditionFailed' });
    expect(race.replaced, 'the replacement happened').toBe(true);
  });

  it('a plain ranged GET sends the new bytes under the new ETag, never the old ETag with new bytes', async () => {
    const oss = client(gw, 'path-style');
    await oss.put('race/plain.bin', old);
    race.replaceBeforeNextOpen('race/plain.bin', replacement);
    const got = await oss.get('race/plain.bin', { headers: { Range: 'bytes=2-4' } });
    expect(race.replaced, 'the replacement happened').toBe(true);
    expect(got.res.status).toBe(206);
    expect(got.content.toString()).toBe('CDE');
    expect(got.res.headers.etag).not.toBe(`"${md5hex(old)}"`);
    const head = await oss.head('race/plain.bin');
    expect(got.res.headers.etag).toBe(head.res.headers.etag);
  });
});
