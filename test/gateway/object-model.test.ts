/**
 * The common object model under the S3, OSS and Kodo gateways (src/gateway/common/object-model.ts),
 * one behaviour suite run over both stores a gateway serves: a local directory (LocalUnderStore)
 * and the tierfs namespace (TierfsUnderStore through a master and a worker on loopback). Records
 * are kept in a real SQLite state database, as the gateways keep theirs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TierfsUnderStore } from '../../src/client/tierfs-store.js';
import { isTierfsError, TierfsError } from '../../src/errors.js';
import { ObjectModel } from '../../src/gateway/common/object-model.js';
import {
  modelRecords,
  type ObjectRecord,
  ObjectRecordStore,
} from '../../src/gateway/common/object-records.js';
import { StateDatabase } from '../../src/gateway/common/state-database.js';
import type { UnderStore } from '../../src/ufs/contract.js';
import { LocalUnderStore } from '../../src/ufs/local/local-store.js';
import { startCluster, type TestCluster } from '../support/cluster.js';

type ModelRecord = ObjectRecord<{ note: string }>;

interface Fixture {
  readonly store: UnderStore;
  readonly model: ObjectModel<ModelRecord>;
  readonly records: ObjectRecordStore<{ note: string }>;
  close(): Promise<void>;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
let cluster: Promise<TestCluster> | undefined;
let nextRoot = 0;

async function fixture(store: UnderStore, stateDir: string): Promise<Fixture> {
  const db = new StateDatabase(stateDir, 'state.db');
  const records = new ObjectRecordStore<{ note: string }>(db);
  const model = new ObjectModel<ModelRecord>({
    store,
    records: modelRecords(records, { note: 'blank' }),
    rootOf: (bucket) => {
      if (!BUCKET_NAME.test(bucket)) throw new TierfsError('NOT_FOUND', `no such bucket: ${bucket}`);
      return bucket;
    },
    isBucketName: (name) => BUCKET_NAME.test(name),
    maxKeyBytes: 64,
  });
  return {
    store,
    model,
    records,
    async close() {
      db.close();
      await store.close();
    },
  };
}

const stores: Record<string, (stateDir: string) => Promise<Fixture>> = {
  'a local directory': async (stateDir) => {
    const root = join(stateDir, 'root');
    return fixture(new LocalUnderStore({ root }), stateDir);
  },
  'the tierfs namespace': async (stateDir) => {
    cluster ??= startCluster();
    const running = await cluster;
    const root = `/object-model-${nextRoot++}`;
    const client = running.client('admin');
    await client.mkdir(root);
    return fixture(new TierfsUnderStore(client, root, `tierfs://127.0.0.1${root}/`), stateDir);
  },
};

afterAll(async () => {
  await (await cluster)?.stop();
});

/** Puts a key as a gateway does: write, then record the status of what was written. */
async function put(f: Fixture, bucket: string, key: string, body: string | Buffer, note = 'mine') {
  const { status } = await f.model.write(bucket, key, { overwrite: true }, (out) =>
    pipeline(Readable.from([Buffer.from(body)]), out),
  );
  f.records.put({
    bucket,
    key,
    fingerprint: status.fingerprint,
    etag: `etag-of-${key}`,
    contentType: undefined,
    userMetadata: {},
    extra: { note },
  });
  return status;
}

async function text(readable: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

async function read(f: Fixture, bucket: string, key: string): Promise<string> {
  const found = await f.model.find(bucket, key);
  if (found?.kind !== 'data') throw new Error(`no bytes at ${key}`);
  return text(await f.model.open(found.dataPath));
}

async function listAll(f: Fixture, bucket: string, prefix = '', delimiter = '') {
  const page = await f.model.list(bucket, { prefix, delimiter, after: '' }, 1000);
  return page.items.map((item) => (item.kind === 'prefix' ? `prefix:${item.prefix}` : item.key));
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof TierfsError ? error.code : String(error);
  }
  return 'resolved';
}

for (const [name, open] of Object.entries(stores)) {
  describe(`the gateway object model over ${name}`, () => {
    let stateDir: string;
    let f: Fixture;

    beforeEach(async () => {
      stateDir = await mkdtemp(join(tmpdir(), 'tierfs-object-model-'));
      f = await open(stateDir);
      await f.model.createBucket('photos');
    });

    afterEach(async () => {
      await f.close();
      await rm(stateDir, { recursive: true, force: true });
    });

    it('lists the buckets by name, only directories with bucket names, and removes an empty one', async () => {
      await f.model.createBucket('archive');
      await f.store.mkdirs('Not_A_Bucket');
      await pipeline(Readable.from([Buffer.from('x')]), await f.store.create('stray-file'));
      expect((await f.model.buckets()).map((b) => b.name)).toEqual(['archive', 'photos']);
      expect((await f.model.bucket('archive'))?.isDirectory).toBe(true);
      expect(await f.model.bucket('missing')).toBeUndefined();
      expect(await f.model.holdsAnything('archive')).toBe(false);
      await put(f, 'archive', 'k', 'v');
      expect(await f.model.holdsAnything('archive')).toBe(true);
      expect(await codeOf(f.model.removeBucket('archive'))).toBe('DIRECTORY_NOT_EMPTY');
      f.records.delete('archive', 'k');
      await f.model.remove('archive', 'k');
      await f.model.removeBucket('archive');
      expect((await f.model.buckets()).map((b) => b.name)).toEqual(['photos']);
    });

    it('records the status of the bytes it wrote, serves them, and pins a read to that version', async () => {
      const first = await put(f, 'photos', 'cat.jpg', 'first bytes');
      expect(first.size).toBe('first bytes'.length);
      const found = await f.model.find('photos', 'cat.jpg');
      if (found?.kind !== 'data') throw new Error(`cat.jpg found as ${found?.kind}`);
      expect(found.entry.fingerprint).toBe(first.fingerprint);
      expect(f.records.get('photos', 'cat.jpg', found.entry.fingerprint)?.extra.note).toBe('mine');
      expect(await read(f, 'photos', 'cat.jpg')).toBe('first bytes');
      expect(await text(await f.model.open(found.dataPath, { offset: 6, length: 5 }))).toBe('bytes');

      const second = await put(f, 'photos', 'cat.jpg', 'second, longer bytes');
      expect(second.fingerprint).not.toBe(first.fingerprint);
      const stale = f.model.open(found.dataPath, undefined, first.fingerprint).then(text);
      expect(await codeOf(stale)).toBe('STALE');
      expect(await text(await f.model.open(found.dataPath, undefined, second.fingerprint))).toBe(
        'second, longer bytes',
      );
    });

    it('a record vouches only for the bytes it was written for; a marker keeps its own', async () => {
      await put(f, 'photos', 'doc', 'the gateway wrote this');
      const mine = await f.model.find('photos', 'doc');
      expect(f.model.recordOf('photos', 'doc', mine!.entry)?.extra.note).toBe('mine');
      // Another writer replaces the file behind the gateway's back.
      await pipeline(
        Readable.from([Buffer.from('someone else wrote this')]),
        await f.store.create('photos/doc', { overwrite: true }),
      );
      const theirs = await f.model.find('photos', 'doc');
      expect(theirs!.entry.fingerprint).not.toBe(mine!.entry.fingerprint);
      expect(f.model.recordOf('photos', 'doc', theirs!.entry)).toBeUndefined();

      await put(f, 'photos', 'dir/', '');
      await put(f, 'photos', 'dir/below', 'changes the directory');
      const marker = await f.model.find('photos', 'dir/');
      expect(f.model.recordOf('photos', 'dir/', marker!.entry)?.extra.note).toBe('mine');
    });

    it('refuses to replace an object without overwrite, and keeps the old bytes', async () => {
      await put(f, 'photos', 'once', 'original');
      const again = f.model.write('photos', 'once', { overwrite: false }, (out) =>
        pipeline(Readable.from([Buffer.from('replacement')]), out),
      );
      expect(await codeOf(again)).toBe('ALREADY_EXISTS');
      expect(await read(f, 'photos', 'once')).toBe('original');
    });

    it('a failed write leaves nothing visible: no object, no listing entry, no empty parents', async () => {
      const failed = f.model.write('photos', 'deep/dir/broken', { overwrite: true }, async (out) => {
        out.write(Buffer.from('half of it'));
        throw new Error('the client went away');
      });
      expect(await codeOf(failed)).toBe('Error: the client went away');
      expect(await f.model.find('photos', 'deep/dir/broken')).toBeUndefined();
      expect(await listAll(f, 'photos')).toEqual([]);
    });

    it('keeps a key that is also a prefix, lists both in key order, and moves it back when the prefix empties', async () => {
      await put(f, 'photos', 'a', 'the object a');
      await put(f, 'photos', 'a/b', 'below a');
      await put(f, 'photos', 'a-z', 'a-z sorts before a/b: - is below / in bytes');
      expect(await listAll(f, 'photos')).toEqual(['a', 'a-z', 'a/b']);
      expect(await listAll(f, 'photos', '', '/')).toEqual(['a', 'a-z', 'prefix:a/']);
      expect(await read(f, 'photos', 'a')).toBe('the object a');
      // The record followed the bytes into the directory: it still describes them.
      const inside = await f.model.find('photos', 'a');
      expect(f.records.get('photos', 'a', inside!.entry.fingerprint)?.extra.note).toBe('mine');

      f.records.delete('photos', 'a/b');
      await f.model.remove('photos', 'a/b');
      const back = await f.model.find('photos', 'a');
      expect(back?.kind === 'data' && back.dataPath).toBe(f.model.storePath('photos', 'a'));
      expect(back?.entry.isDirectory).toBe(false);
      expect(f.records.get('photos', 'a', back!.entry.fingerprint)?.extra.note).toBe('mine');
      expect(await listAll(f, 'photos')).toEqual(['a', 'a-z']);
    });

    it('a file written by others stays listed when a key below it moves it into its directory', async () => {
      await pipeline(Readable.from([Buffer.from('by others')]), await f.store.create('photos/shared'));
      expect(f.records.find('photos', 'shared')).toBeUndefined();
      await put(f, 'photos', 'shared/inside', 'mine');
      expect(await listAll(f, 'photos')).toEqual(['shared', 'shared/inside']);
      expect(await read(f, 'photos', 'shared')).toBe('by others');
      // It got a blank record, which vouches for no bytes.
      const found = await f.model.find('photos', 'shared');
      expect(f.records.get('photos', 'shared', found!.entry.fingerprint)).toBeUndefined();
    });

    it('a marker is its directory while its record exists, listed before the keys below it', async () => {
      await put(f, 'photos', 'albums/', '');
      const marker = await f.model.find('photos', 'albums/');
      expect(marker?.kind).toBe('directory');
      expect(f.model.hasMarker('photos', 'albums')).toBe(true);
      await put(f, 'photos', 'albums/2026/x.jpg', 'x');
      expect(await listAll(f, 'photos')).toEqual(['albums/', 'albums/2026/x.jpg']);
      expect(await listAll(f, 'photos', 'albums/', '/')).toEqual(['albums/', 'prefix:albums/2026/']);
      // Without its record a directory is only implied by the keys below it: no marker object.
      f.records.delete('photos', 'albums/');
      expect(await f.model.find('photos', 'albums/')).toBeUndefined();
      expect(await listAll(f, 'photos')).toEqual(['albums/2026/x.jpg']);
    });

    it('a marker with a body keeps it beside the keys below it', async () => {
      await put(f, 'photos', 'notes/', 'the body of notes/');
      await put(f, 'photos', 'notes/today', 'today');
      expect(await read(f, 'photos', 'notes/')).toBe('the body of notes/');
      expect(await read(f, 'photos', 'notes/today')).toBe('today');
    });

    it('removing the last key below directories removes them, up to the bucket, but not a marked one', async () => {
      await put(f, 'photos', 'keep/', '');
      await put(f, 'photos', 'keep/x/y/z', 'z');
      await put(f, 'photos', 'gone/x/y/z', 'z');
      for (const key of ['keep/x/y/z', 'gone/x/y/z']) {
        f.records.delete('photos', key);
        await f.model.remove('photos', key);
      }
      expect(await listAll(f, 'photos')).toEqual(['keep/']);
      expect(await f.model.tree('photos').stat('gone')).toBeUndefined();
      expect((await f.model.tree('photos').stat('keep'))?.isDirectory).toBe(true);
      // A missing key is no error.
      await f.model.remove('photos', 'never/was');
    });

    it('pages a listing: a limit, the truncated flag, and resuming after a key or a common prefix', async () => {
      for (const key of ['k1', 'k2', 'k3', 'm/1', 'm/2', 'z']) await put(f, 'photos', key, key);
      const first = await f.model.list('photos', { prefix: '', delimiter: '', after: '' }, 2);
      expect(first.items.map((i) => i.kind === 'object' && i.key)).toEqual(['k1', 'k2']);
      expect(first.truncated).toBe(true);
      const rest = await f.model.list('photos', { prefix: '', delimiter: '/', after: 'k2' }, 10);
      expect(rest.items.map((i) => (i.kind === 'object' ? i.key : i.prefix))).toEqual(['k3', 'm/', 'z']);
      expect(rest.truncated).toBe(false);
      const afterPrefix = await f.model.list('photos', { prefix: '', delimiter: '/', after: 'm/' }, 10);
      expect(afterPrefix.items.map((i) => (i.kind === 'object' ? i.key : i.prefix))).toEqual(['z']);
    });

    it('refuses keys a file system cannot hold, naming them, and writes nothing', async () => {
      for (const key of ['../escape', 'a//b', '.tierfs-partial.x', 'x/.tierfs-object', 'k'.repeat(65)]) {
        let refused: unknown;
        try {
          await f.model.write('photos', key, { overwrite: true }, (out) =>
            pipeline(Readable.from([Buffer.from('x')]), out),
          );
        } catch (error) {
          refused = error;
        }
        expect(isTierfsError(refused, 'INVALID_ARGUMENT'), key).toBe(true);
        expect((refused as TierfsError).details?.reason).toBe('InvalidObjectName');
      }
      expect(await listAll(f, 'photos')).toEqual([]);
      expect(await f.model.holdsAnything('photos')).toBe(false);
    });
  });
}
