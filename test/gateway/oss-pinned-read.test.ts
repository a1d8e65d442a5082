/**
 * The OSS gateway answers a GetObject about one version of the object: its ETag, the If-Match it
 * evaluates and the bytes it sends all belong together, even when the object is replaced between
 * the gateway's HEAD of it and its read (here: a store that replaces the file just before opening it).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenOptions, UnderStore } from '../../src/ufs/contract.js';
import { writeFile } from '../../src/ufs/io.js';
import { client, type RunningGateway, startGateway } from './oss-support.js';

/** Replaces the file at `path` with `data` right before the next open of it reaches the store. */
let pending: { path: string; data: Buffer } | undefined;

function replacingBeforeOpen(store: UnderStore): UnderStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property !== 'open') return Reflect.get(target, property, receiver);
      return async (path: string, options?: OpenOptions): Promise<Readable> => {
        const replace = pending;
        if (replace && path.endsWith(replace.path)) {
          pending = undefined;
          await writeFile(target, path, replace.data, { overwrite: true });
        }
        return target.open(path, options);
      };
    },
  });
}

let gw: RunningGateway;
beforeAll(async () => {
  gw = await startGateway({ wrapStore: replacingBeforeOpen });
});
afterAll(async () => gw.stop());

const md5hex = (data: Buffer) => createHash('md5').update(data).digest('hex').toUpperCase();

describe('OSS gateway: an object replaced between its HEAD and its read', () => {
  const old = Buffer.from('abcdefgh');
  const replacement = Buffer.from('ABCDEFGH');

  it('a ranged GET with If-Match of the old ETag is 412, not the new bytes', async () => {
    const oss = client(gw, 'path-style');
    await oss.put('race/if-match.bin', old);
    pending = { path: 'race/if-match.bin', data: replacement };
    await expect(
      oss.get('race/if-match.bin', { headers: { Range: 'bytes=2-4', 'If-Match': `"${md5hex(old)}"` } }),
    ).rejects.toMatchObject({ status: 412, code: 'PreconditionFailed' });
    expect(pending, 'the replacement happened').toBeUndefined();
  });

  it('a plain ranged GET sends the new bytes under the new ETag, never the old ETag with new bytes', async () => {
    const oss = client(gw, 'path-style');
    await oss.put('race/plain.bin', old);
    pending = { path: 'race/plain.bin', data: replacement };
    const got = await oss.get('race/plain.bin', { headers: { Range: 'bytes=2-4' } });
    expect(pending, 'the replacement happened').toBeUndefined();
    expect(got.res.status).toBe(206);
    expect(got.content.toString()).toBe('CDE');
    expect(got.res.headers.etag).not.toBe(`"${md5hex(old)}"`);
    const head = await oss.head('race/plain.bin');
    expect(got.res.headers.etag).toBe(head.res.headers.etag);
  });
});
