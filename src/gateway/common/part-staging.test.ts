import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile as readStoreFile } from '../../ufs/io.js';
import { LocalUnderStore } from '../../ufs/local/local-store.js';
import {
  chooseParts,
  multipartEtag,
  PartStaging,
  PartTooLargeError,
  type StagedPart,
} from './part-staging.js';
import { StateDatabase } from './state-database.js';

let dir: string;
let db: StateDatabase;
let staging: PartStaging<{ owner: string }>;

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');
const source = (data: Buffer | string) => [Readable.from([Buffer.from(data)])] as const;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tierfs-part-staging-'));
  db = new StateDatabase(join(dir, 'state'), 'state.db');
  staging = new PartStaging(db, { dir: join(dir, 'state', 'uploads') });
});
afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('PartStaging over a temp dir and SQLite', () => {
  it("keeps a part's sealing with it, in a state database made before parts had one too", async () => {
    const oldDir = join(dir, 'old');
    const old = new StateDatabase(oldDir, 'state.db');
    old.exec(`CREATE TABLE staged_parts (
      upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, size INTEGER NOT NULL, md5 TEXT NOT NULL,
      mtime_ms INTEGER NOT NULL, PRIMARY KEY (upload_id, part_number)) WITHOUT ROWID`);
    try {
      const upgraded = new PartStaging<{ owner: string }>(old, { dir: join(oldDir, 'uploads') });
      const { uploadId } = await upgraded.create('b', 'k', { owner: 'o' });
      await upgraded.putPart(uploadId, 1, source('sealed'), undefined, { sealing: 'iv-1', md5: () => 'tag' });
      await upgraded.putPart(uploadId, 2, source('plain'));
      expect(upgraded.listParts(uploadId).map((part) => [part.sealing, part.md5])).toEqual([
        ['iv-1', 'tag'],
        [undefined, md5('plain')],
      ]);
    } finally {
      old.close();
    }
  });

  it('refuses an upload id that is not 32 hex digits before touching the disk', async () => {
    for (const id of ['../escaped', '..', 'a/b', '0123456789abcdef0123456789abcdeg']) {
      await expect(staging.putPart(id, 1, source('x'))).rejects.toThrow(/not an upload id/);
    }
    expect(await readdir(dir)).toEqual(['state']);
  });

  it('stages parts as files with their size and MD5, and lists them in part order', async () => {
    const upload = await staging.create('b', 'k', { owner: 'alice' }, 1000);
    expect(upload).toMatchObject({ bucket: 'b', key: 'k', initiatedMs: 1000, expiresAtMs: undefined });
    expect(upload.uploadId).toMatch(/^[0-9a-f]{32}$/);
    const two = await staging.putPart(upload.uploadId, 2, source('second'));
    const one = await staging.putPart(upload.uploadId, 1, source('first!'));
    expect(two).toMatchObject({ partNumber: 2, size: 6, md5: md5('second') });
    expect(one).toMatchObject({ partNumber: 1, size: 6, md5: md5('first!') });
    const uploadDir = join(dir, 'state', 'uploads', upload.uploadId);
    expect((await readdir(uploadDir)).sort()).toEqual(['1', '2']);
    expect(await readFile(join(uploadDir, '2'), 'utf8')).toBe('second');
    expect(staging.listParts(upload.uploadId).map((p) => p.partNumber)).toEqual([1, 2]);
    expect(staging.listParts(upload.uploadId, 1).map((p) => p.partNumber)).toEqual([2]);
    expect(staging.listParts(upload.uploadId, 0, 1).map((p) => p.partNumber)).toEqual([1]);
    expect(staging.get(upload.uploadId)?.attributes).toEqual({ owner: 'alice' });
  });

  it('a part sent again replaces the old one; transforms run before hashing', async () => {
    const upload = await staging.create('b', 'k', { owner: '' });
    await staging.putPart(upload.uploadId, 1, source('old bytes'));
    const upper = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        callback(null, Buffer.from(chunk.toString().toUpperCase()));
      },
    });
    const part = await staging.putPart(upload.uploadId, 1, [Readable.from([Buffer.from('new')]), upper]);
    expect(part).toMatchObject({ size: 3, md5: md5('NEW') });
    expect(staging.listParts(upload.uploadId)).toHaveLength(1);
    expect(await readdir(join(dir, 'state', 'uploads', upload.uploadId))).toEqual(['1']);
  });

  it('parts sent again at the same time leave the file and the row of one of them, never a mix', async () => {
    const upload = await staging.create('b', 'k', { owner: '' });
    const file = join(dir, 'state', 'uploads', upload.uploadId, '1');
    for (let round = 0; round < 100; round++) {
      const bodies = Array.from({ length: 16 }, (_, i) => Buffer.alloc(1000 + i, `${round}-${i}`));
      await Promise.all(bodies.map((body) => staging.putPart(upload.uploadId, 1, source(body))));
      const [row] = staging.listParts(upload.uploadId);
      const staged = await readFile(file);
      expect({ size: row!.size, md5: row!.md5 }, `round ${round}`).toEqual({
        size: staged.length,
        md5: md5(staged),
      });
    }
  });

  it('refuses a part over the size limit and keeps nothing of it', async () => {
    const upload = await staging.create('b', 'k', { owner: '' });
    await expect(staging.putPart(upload.uploadId, 1, source('0123456789'), 4)).rejects.toBeInstanceOf(
      PartTooLargeError,
    );
    expect(staging.listParts(upload.uploadId)).toEqual([]);
    expect(await readdir(join(dir, 'state', 'uploads', upload.uploadId))).toEqual([]);
  });

  it('writes the chosen parts in order into an UnderStore write', async () => {
    const store = new LocalUnderStore({ root: join(dir, 'root') });
    try {
      const upload = await staging.create('b', 'k', { owner: '' });
      for (const [n, text] of [
        [1, 'a'],
        [2, 'bb'],
        [3, 'ccc'],
      ] as const) {
        await staging.putPart(upload.uploadId, n, source(text));
      }
      await staging.writeParts(upload.uploadId, [1, 3], await store.create('out.bin'));
      expect((await readStoreFile(store, 'out.bin')).toString()).toBe('accc');
    } finally {
      await store.close();
    }
  });

  it('aborts the write when a part cannot be read, so nothing becomes visible', async () => {
    const store = new LocalUnderStore({ root: join(dir, 'root') });
    try {
      await store.mkdirs('');
      const upload = await staging.create('b', 'k', { owner: '' });
      await staging.putPart(upload.uploadId, 1, source('a'));
      const out = await store.create('out.bin');
      await expect(staging.writeParts(upload.uploadId, [1, 7], out)).rejects.toThrow(/ENOENT/);
      expect(out.destroyed).toBe(true);
      expect(await store.exists('out.bin')).toBe(false);
      expect(await readdir(join(dir, 'root'))).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('lists uploads by key then upload id, after a marker, under a prefix', async () => {
    const ids: Record<string, string> = {};
    for (const key of ['b/2', 'a/1', 'b/1', 'c'])
      ids[key] = (await staging.create('b', key, { owner: '' })).uploadId;
    await staging.create('other', 'a/1', { owner: '' });
    expect(staging.listUploads('b').map((u) => u.key)).toEqual(['a/1', 'b/1', 'b/2', 'c']);
    expect(staging.listUploads('b', { prefix: 'b/' }).map((u) => u.key)).toEqual(['b/1', 'b/2']);
    expect(
      staging.listUploads('b', { keyMarker: 'b/1', uploadIdMarker: ids['b/1'] }).map((u) => u.key),
    ).toEqual(['b/2', 'c']);
    expect(staging.listUploads('b', { limit: 1 }).map((u) => u.key)).toEqual(['a/1']);
  });

  it('remove and removeBucket drop the records and the staged files', async () => {
    const one = await staging.create('b', 'k', { owner: '' });
    const two = await staging.create('b', 'l', { owner: '' });
    const three = await staging.create('c', 'k', { owner: '' });
    await staging.putPart(one.uploadId, 1, source('x'));
    await staging.remove(one.uploadId);
    expect(staging.get(one.uploadId)).toBeUndefined();
    expect(staging.listParts(one.uploadId)).toEqual([]);
    expect(await staging.removeBucket('b')).toEqual([two.uploadId]);
    expect((await readdir(join(dir, 'state', 'uploads'))).sort()).toEqual([three.uploadId]);
  });

  it('expires uploads past their time to live; the sweep removes them and orphaned directories', async () => {
    const expiring = new PartStaging<null>(db, {
      dir: join(dir, 'state', 'uploads'),
      ttlMs: 1000,
      uploadIdCase: 'upper',
    });
    const old = await expiring.create('b', 'k', null, 10_000);
    const fresh = await expiring.create('b', 'k', null, 20_000);
    expect(old.uploadId).toMatch(/^[0-9A-F]{32}$/);
    expect(old.expiresAtMs).toBe(11_000);
    await expiring.putPart(old.uploadId, 1, source('x'));
    expect(expiring.get(old.uploadId, 11_000)).toBeDefined();
    expect(expiring.get(old.uploadId, 11_001)).toBeUndefined();
    const orphan = 'ab'.repeat(16);
    await mkdir(join(dir, 'state', 'uploads', orphan));
    await mkdir(join(dir, 'state', 'uploads', 'not-an-upload'));
    expect(await expiring.sweepExpired(20_500)).toBe(1);
    expect((await readdir(join(dir, 'state', 'uploads'))).sort()).toEqual([fresh.uploadId, 'not-an-upload']);
    expect(expiring.get(fresh.uploadId, 20_500)).toBeDefined();
    expect(expiring.listParts(old.uploadId)).toEqual([]);
  });
});

describe('chooseParts', () => {
  const staged: StagedPart[] = [
    { partNumber: 1, size: 10, md5: 'aa', mtimeMs: 0 },
    { partNumber: 2, size: 3, md5: 'bb', mtimeMs: 0 },
    { partNumber: 3, size: 10, md5: 'cc', mtimeMs: 0 },
  ];
  const rules = {
    minPartSize: 5,
    matches: (part: StagedPart, sent: string) => part.md5 === sent,
    noParts: () => new Error('none'),
    outOfOrder: (n: number) => new Error(`order ${n}`),
    notStaged: (n: number) => new Error(`missing ${n}`),
    tooSmall: (part: StagedPart) => new Error(`small ${part.partNumber}`),
  };

  it('returns the named parts in the order given', () => {
    const chosen = chooseParts(
      staged,
      [
        { partNumber: 1, etag: 'aa' },
        { partNumber: 3, etag: 'cc' },
      ],
      rules,
    );
    expect(chosen.map((p) => p.partNumber)).toEqual([1, 3]);
    // The last part may be small.
    expect(chooseParts(staged, [{ partNumber: 2, etag: 'bb' }], rules)).toHaveLength(1);
  });

  it('refuses no parts, unordered or repeated parts, unknown parts or etags, and small parts', () => {
    expect(() => chooseParts(staged, [], rules)).toThrow('none');
    const p = (partNumber: number, etag: string) => ({ partNumber, etag });
    expect(() => chooseParts(staged, [p(3, 'cc'), p(1, 'aa')], rules)).toThrow('order 1');
    expect(() => chooseParts(staged, [p(1, 'aa'), p(1, 'aa')], rules)).toThrow('order 1');
    expect(() => chooseParts(staged, [p(1, 'aa'), p(4, 'dd')], rules)).toThrow('missing 4');
    expect(() => chooseParts(staged, [p(1, 'xx')], rules)).toThrow('missing 1');
    expect(() => chooseParts(staged, [p(2, 'bb'), p(3, 'cc')], rules)).toThrow('small 2');
  });
});

describe('multipartEtag', () => {
  it('is the MD5 of the binary part MD5s, then the number of parts', () => {
    const parts = ['one', 'two'].map((text, i) => ({
      partNumber: i + 1,
      size: 3,
      md5: md5(text),
      mtimeMs: 0,
    }));
    const expected = createHash('md5')
      .update(Buffer.concat([Buffer.from(md5('one'), 'hex'), Buffer.from(md5('two'), 'hex')]))
      .digest('hex');
    expect(multipartEtag(parts)).toBe(`${expected}-2`);
  });
});
