import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ObjectRecord, ObjectRecordStore } from './object-records.js';
import { StateDatabase } from './state-database.js';

interface Extra {
  readonly size: number;
  readonly tags: readonly { key: string; value: string }[];
  readonly note?: string;
}

let dir: string;
let db: StateDatabase;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tierfs-object-records-'));
  db = new StateDatabase(dir, 'state.db');
});
afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

function record(key: string, fingerprint = 'fp-1'): ObjectRecord<Extra> {
  return {
    bucket: 'b',
    key,
    fingerprint,
    etag: `etag-of-${key}`,
    contentType: 'text/plain',
    userMetadata: { colour: 'blue', 'x-ünï': 'çödé' },
    extra: { size: 5, tags: [{ key: 'k', value: 'v' }] },
  };
}

describe('ObjectRecordStore over SQLite', () => {
  it('keeps a record with its protocol part in the state database file, across a reopen', () => {
    const store = new ObjectRecordStore<Extra>(db);
    store.put(record('a/b.txt'));
    db.close();
    expect(existsSync(join(dir, 'state.db'))).toBe(true);
    db = new StateDatabase(dir, 'state.db');
    const reopened = new ObjectRecordStore<Extra>(db);
    expect(reopened.find('b', 'a/b.txt')).toEqual(record('a/b.txt'));
    expect(reopened.find('other', 'a/b.txt')).toBeUndefined();
    expect(reopened.find('b', 'a/b')).toBeUndefined();
  });

  it('get returns a record only for the fingerprint it was written for', () => {
    const store = new ObjectRecordStore<Extra>(db);
    store.put(record('k', 'fp-1'));
    expect(store.get('b', 'k', 'fp-1')?.etag).toBe('etag-of-k');
    expect(store.get('b', 'k', 'fp-2')).toBeUndefined();
    expect(store.find('b', 'k')?.fingerprint).toBe('fp-1');
  });

  it('a put replaces the whole record; an absent content type stays absent', () => {
    const store = new ObjectRecordStore<Extra>(db);
    store.put(record('k'));
    store.put({
      ...record('k', 'fp-2'),
      contentType: undefined,
      userMetadata: {},
      extra: { size: 9, tags: [], note: 'n' },
    });
    const found = store.find('b', 'k');
    expect(found).toEqual({
      bucket: 'b',
      key: 'k',
      fingerprint: 'fp-2',
      etag: 'etag-of-k',
      contentType: undefined,
      userMetadata: {},
      extra: { size: 9, tags: [], note: 'n' },
    });
  });

  it('deletes one record, or every record of a bucket', () => {
    const store = new ObjectRecordStore<Extra>(db);
    store.put(record('x'));
    store.put(record('y'));
    store.put({ ...record('x'), bucket: 'c' });
    store.delete('b', 'x');
    expect(store.find('b', 'x')).toBeUndefined();
    expect(store.find('b', 'y')).toBeDefined();
    store.deleteBucket('b');
    expect(store.find('b', 'y')).toBeUndefined();
    expect(store.find('c', 'x')).toBeDefined();
  });

  it('writes are atomic: a failed transaction leaves the earlier record', () => {
    const store = new ObjectRecordStore<Extra>(db);
    store.put(record('k', 'fp-1'));
    expect(() =>
      db.transaction(() => {
        store.put(record('k', 'fp-2'));
        throw new Error('crash before commit');
      }),
    ).toThrow('crash before commit');
    expect(store.find('b', 'k')?.fingerprint).toBe('fp-1');
  });
});
