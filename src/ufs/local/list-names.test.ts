import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UfsStatus } from '../contract.js';
import { walk } from '../walk.js';
import { LocalUnderStore } from './local-store.js';

let base: string;
let store: LocalUnderStore;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'tierfs-list-names-'));
  const root = join(base, 'root');
  await mkdir(join(root, 'd', 'sub'), { recursive: true });
  await writeFile(join(root, 'd', 'file'), 'abc');
  await writeFile(join(root, 'd', 'sub', 'x'), 'x');
  await writeFile(join(root, 'd', '.tierfs-partial.0123'), 'in progress');
  await symlink('file', join(root, 'd', 'link-to-file'));
  await symlink('sub', join(root, 'd', 'link-to-dir'));
  await writeFile(join(base, 'outside'), 'secret');
  await symlink(join(base, 'outside'), join(root, 'd', 'link-outside'));
  await symlink('missing', join(root, 'd', 'dangling'));
  store = new LocalUnderStore({ root });
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1);

describe('LocalUnderStore.listNames', () => {
  it('gives the entries list gives, with the same kinds and statuses', async () => {
    const listed: UfsStatus[] = [];
    for await (const entry of walk(store, 'd')) listed.push(entry);
    const named: { name: string; isDirectory: boolean; status: UfsStatus | undefined }[] = [];
    for await (const entry of store.listNames('d')) {
      named.push({ name: entry.name, isDirectory: entry.isDirectory, status: await entry.status() });
    }
    expect(named.sort(byName)).toEqual(
      listed.map((status) => ({ name: status.name, isDirectory: status.isDirectory, status })).sort(byName),
    );
    expect(named.map((n) => n.name)).toEqual(['file', 'link-to-dir', 'link-to-file', 'sub']);
  });

  it('an entry removed after the names were read has no status; a missing directory or a file is refused as list refuses it', async () => {
    await writeFile(join(base, 'root', 'd', 'gone'), 'x');
    const names = store.listNames('d')[Symbol.asyncIterator]();
    const all = [];
    for (let next = await names.next(); !next.done; next = await names.next()) all.push(next.value);
    await rm(join(base, 'root', 'd', 'gone'));
    expect(await all.find((n) => n.name === 'gone')!.status()).toBeUndefined();
    const refusal = async (path: string) => {
      try {
        for await (const _ of store.listNames(path)) break;
        return 'listed';
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    expect(await refusal('nope')).toBe('NOT_FOUND');
    expect(await refusal('d/file')).toBe('NOT_A_DIRECTORY');
    await expect(store.list('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.list('d/file')).rejects.toMatchObject({ code: 'NOT_A_DIRECTORY' });
  });
});
