/**
 * The Kodo gateway's downloads carry `ETag: "<hash>"` of the very bytes they send, which is what
 * the Kodo driver pins a read with (Kodo downloads take no If-Match): also when the object is
 * replaced between the gateway's stat of it and its read (a store that replaces the file just
 * before opening it makes that race certain).
 */
import qiniu from 'qiniu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qetag } from '../../src/gateway/kodo/qetag.js';
import { BUCKET, bytes, type KodoFixture, startKodoFixture } from './kodo-support.js';
import { replacingStore } from './replacing-store.js';

const race = replacingStore();
let kodo: KodoFixture;

beforeAll(async () => {
  kodo = await startKodoFixture({}, race.wrap);
});
afterAll(async () => {
  await kodo?.cleanup();
});

describe('Kodo gateway: an object replaced between its stat and its read', () => {
  it('a ranged download sends the new bytes under the new hash, never the old hash with new bytes', async () => {
    const first = bytes(20_000, 11);
    const second = bytes(20_000, 12);
    await new qiniu.form_up.FormUploader(kodo.config).put(
      kodo.uploadToken(`${BUCKET}:race.bin`),
      'race.bin',
      first,
      null,
    );
    race.replaceBeforeNextOpen(`${BUCKET}/race.bin`, second);
    const url = kodo.bucketManager.privateDownloadUrl(
      `http://${kodo.host}/${BUCKET}`,
      'race.bin',
      Math.floor(Date.now() / 1000) + 60,
    );
    const response = await fetch(url, { headers: { Range: 'bytes=100-199' } });
    const body = Buffer.from(await response.arrayBuffer());
    expect(race.replaced, 'the replacement happened').toBe(true);
    expect(response.status).toBe(206);
    expect(body.equals(second.subarray(100, 200)), 'the bytes are the new ones').toBe(true);
    expect(response.headers.get('etag')).toBe(`"${qetag(second)}"`);
  });
});
