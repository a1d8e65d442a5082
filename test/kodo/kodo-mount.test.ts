/**
 * Seed 004's nested mount: `fs mount --option fs.kodo.accessKey=… --option fs.kodo.secretkey=…
 * --option alluxio.underfs.kodo.downloadhost=… --option alluxio.underfs.kodo.endpoint=…
 * kodo/ kodo://<bucket>/<dir>/`, through Namespace.mount against the in-process Kodo gateway. The
 * four options are spelled exactly as the seed spells them; the site configuration only points the
 * up, rs and rsf hosts at the gateway (real Kodo derives them from the endpoint's region).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import qiniu from 'qiniu';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Configuration } from '../../src/config/configuration.js';
import { isTierfsError } from '../../src/errors.js';
import { SqliteMetaStore } from '../../src/meta/sqlite-store.js';
import { Namespace } from '../../src/namespace/namespace.js';
import type { Caller } from '../../src/namespace/permissions.js';
import '../../src/ufs/drivers.js';
import { ACCESS_KEY, answer, BUCKET, type KodoFixture, SECRET_KEY } from '../gateway/kodo-support.js';
import { DOWNLOAD_HOST, startDriverFixture } from './kodo-driver-support.js';

const ROOT: Caller = { user: 'root', groups: ['root'] };
let kodo: KodoFixture;
let base: string;
let meta: SqliteMetaStore;
let ns: Namespace;

beforeAll(async () => {
  kodo = await startDriverFixture();
  base = mkdtempSync(join(tmpdir(), 'tierfs-kodo-mount-'));
  meta = new SqliteMetaStore(':memory:');
  const conf = Configuration.of({
    'tierfs.master.mount.table.root.ufs': base,
    'tierfs.underfs.kodo.up.host': kodo.host,
    'tierfs.underfs.kodo.rs.host': kodo.host,
    'tierfs.underfs.kodo.rsf.host': kodo.host,
  });
  ns = await Namespace.open(conf, meta, 'root');
});

afterAll(async () => {
  await ns?.close();
  await meta?.close();
  await kodo?.cleanup();
  rmSync(base, { recursive: true, force: true });
});

const seedOptions = () => ({
  'fs.kodo.accessKey': ACCESS_KEY,
  'fs.kodo.secretkey': SECRET_KEY,
  'alluxio.underfs.kodo.downloadhost': DOWNLOAD_HOST,
  'alluxio.underfs.kodo.endpoint': kodo.host,
});

it("mounts kodo://bucket/dir with the seed's --option spellings and lists what is in the bucket", async () => {
  const token = kodo.uploadToken(BUCKET);
  const form = new qiniu.form_up.FormUploader(kodo.config);
  for (const key of ['KODO_DIRECTORY/hello.txt', 'KODO_DIRECTORY/sub/deep.txt', 'elsewhere.txt']) {
    const put = await answer(
      form.put(token, key, Buffer.from(`content of ${key}`), new qiniu.form_up.PutExtra()),
    );
    expect(put.status).toBe(200);
  }
  const point = await ns.mount('/kodo', `kodo://${BUCKET}/KODO_DIRECTORY/`, ROOT, { options: seedOptions() });
  expect(point).toMatchObject({
    isDirectory: true,
    mountPoint: true,
    ufsUri: `kodo://${BUCKET}/KODO_DIRECTORY/`,
  });
  const listing = await ns.listStatus('/kodo', ROOT);
  expect(listing.entries.map((e) => `${e.name}${e.isDirectory ? '/' : ''}`).sort()).toEqual([
    'hello.txt',
    'sub/',
  ]);
  const hello = await ns.getStatus('/kodo/hello.txt', ROOT);
  expect(hello).toMatchObject({ size: 'content of KODO_DIRECTORY/hello.txt'.length, isDirectory: false });
  await ns.unmount('/kodo', ROOT);
});

it('a mount missing one of the options is refused, naming it', async () => {
  const { 'alluxio.underfs.kodo.endpoint': _, ...options } = seedOptions();
  try {
    await ns.mount('/kodo2', `kodo://${BUCKET}/KODO_DIRECTORY/`, ROOT, { options });
    expect.unreachable('the mount should have been refused');
  } catch (error) {
    expect(isTierfsError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain('alluxio.underfs.kodo.endpoint');
  }
  expect(ns.mounts.list().map((m) => m.path)).toEqual(['/']);
});
