import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { isTierfsError } from '../errors.js';
import { readFile, writeFile } from './io.js';
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
