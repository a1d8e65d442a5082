import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, expect, it } from 'vitest';
import { isTierfsError } from '../errors.js';
import type { UnderStore } from './contract.js';
import { readFile, readStream, writeFile } from './io.js';
import { LocalUnderStore } from './local/local-store.js';
import { MeteredUnderStore } from './metered-store.js';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

it('passes the version of an open through: the current one reads, a replaced one is STALE', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tierfs-metered-'));
  roots.push(root);
  const failures: string[] = [];
  const store = new MeteredUnderStore(new LocalUnderStore({ root }), {
    operation: (_scheme, operation, _seconds, failed) => {
      if (failed) failures.push(operation);
    },
    bytesRead: () => undefined,
  });
  await writeFile(store, 'f.bin', 'old bytes');
  const { fingerprint: version } = await store.getStatus('f.bin');
  expect((await readFile(store, 'f.bin', { version, offset: 4 })).toString()).toBe('bytes');
  await writeFile(store, 'f.bin', 'new bytes', { overwrite: true });
  const failure = await store.open('f.bin', { version, offset: 4 }).then(
    (stream) => {
      stream.destroy();
      return undefined;
    },
    (error: unknown) => error,
  );
  expect(isTierfsError(failure, 'STALE'), `got ${String(failure)}`).toBe(true);
  expect(failures).toEqual(['open']);
});

it("counts the bytes read, passes the source's error on, and releases the source when the reader stops", async () => {
  let bytes = 0;
  let source: PassThrough | undefined;
  const inner = {
    uri: 'test://',
    open: async () => {
      source = new PassThrough();
      return source;
    },
  } as unknown as UnderStore;
  const store = new MeteredUnderStore(inner, {
    operation: () => undefined,
    bytesRead: (_s, n) => (bytes += n),
  });

  const read = await store.open('a');
  source!.end(Buffer.from('four'));
  expect((await readStream(read)).toString()).toBe('four');
  expect(bytes).toBe(4);

  const failing = await store.open('b');
  const failed = readStream(failing).catch((error: unknown) => error);
  source!.destroy(new Error('connection reset'));
  expect(String(await failed)).toContain('connection reset');

  const abandoned = await store.open('c');
  source!.write(Buffer.from('some'));
  abandoned.destroy();
  await new Promise((resolve) => setImmediate(resolve));
  expect(source!.destroyed).toBe(true);
});
