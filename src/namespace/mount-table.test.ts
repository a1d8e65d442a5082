import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Configuration } from '../config/configuration.js';
import { layoutOf } from '../config/layout.js';
import { SEALED_PREFIX } from '../config/secret-box.js';
import { TierfsError } from '../errors.js';
import { formatCluster } from '../master/format.js';
import { SqliteMetaStore } from '../meta/sqlite-store.js';
import '../ufs/drivers.js';
import { MountTable } from './mount-table.js';

let home: string;
let conf: Configuration;
let meta: SqliteMetaStore;
let table: MountTable | undefined;
let data: string;

const SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
const options = {
  'aws.accessKeyId': 'AKID',
  'aws.secretKey': SECRET,
  'fs.oss.accessKeySecret': 'oss-secret',
};

async function reload(): Promise<MountTable> {
  await table?.close();
  table = undefined;
  table = await MountTable.load(conf, meta);
  return table;
}

async function failure(promise: Promise<unknown>): Promise<TierfsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TierfsError);
  return error as TierfsError;
}

beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'tierfs-mount-table-'));
  data = join(home, 'data');
  mkdirSync(data);
  conf = Configuration.of({ 'tierfs.work.dir': home });
  await formatCluster(conf);
  meta = new SqliteMetaStore(layoutOf(conf).metastoreFile);
  table = undefined;
});

afterEach(async () => {
  await table?.close();
  await meta.close();
  rmSync(home, { recursive: true, force: true });
});

describe('secret mount options at rest', () => {
  it('records secret values sealed for their mount and key, and loads them plain', async () => {
    await (await reload()).add({ path: '/m', ufsUri: data, readOnly: false, shared: false, options });
    const [stored] = await meta.listMounts();
    expect(stored!.options['aws.accessKeyId']).toBe('AKID');
    for (const key of ['aws.secretKey', 'fs.oss.accessKeySecret']) {
      expect(stored!.options[key]!.startsWith(SEALED_PREFIX)).toBe(true);
    }
    expect(JSON.stringify(stored)).not.toContain(SECRET);
    expect(JSON.stringify(stored)).not.toContain('oss-secret');
    expect((await reload()).get('/m')!.options).toEqual(options);
  });

  it('does not open a sealed value moved to another mount or another key', async () => {
    await (await reload()).add({ path: '/m', ufsUri: data, readOnly: false, shared: false, options });
    const [stored] = await meta.listMounts();
    const other = join(home, 'other');
    mkdirSync(other);
    await meta.addMount({ ...stored!, path: '/n', ufsUri: `file://${other}/` });
    const moved = await failure(reload());
    expect(moved.code).toBe('CONFIG_INVALID');
    expect(moved.message).toContain("option 'aws.secretKey' of mount /n");

    await meta.removeMount('/n');
    await meta.removeMount('/m');
    const sealed = stored!.options['fs.oss.accessKeySecret']!;
    await meta.addMount({ ...stored!, options: { ...stored!.options, 'aws.secretKey': sealed } });
    const swapped = await failure(reload());
    expect(swapped.message).toContain("option 'aws.secretKey' of mount /m");
  });

  it('fails with one CONFIG_INVALID naming the mount and the key, not the value, under another key file', async () => {
    await (await reload()).add({ path: '/m', ufsUri: data, readOnly: false, shared: false, options });
    const keyFile = layoutOf(conf).secretKeyFile;
    const key = readFileSync(keyFile);
    writeFileSync(keyFile, Buffer.from(key.map((b) => b ^ 0xff)));
    const error = await failure(reload());
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe(
      `cannot decrypt option 'aws.secretKey' of mount /m: ${keyFile} is not the key it was encrypted with; restore the secret-key file that belongs to this metadata store`,
    );
    expect(error.message).not.toContain(SECRET);
    rmSync(keyFile);
    // Without the key file, the token beside it makes a new key: the old values still do not open.
    expect((await failure(reload())).message).toContain("option 'aws.secretKey' of mount /m");
  });

  it('seals the plain secrets an older install recorded, creating its key', async () => {
    const layout = layoutOf(conf);
    rmSync(layout.secretKeyFile);
    await meta.addMount({
      path: '/m',
      ufsUri: `file://${data}/`,
      readOnly: false,
      shared: false,
      options,
      createdMs: 1,
    });
    const sealing = await MountTable.sealStoredSecrets(conf, meta);
    expect(sealing).toEqual({ keyFile: layout.secretKeyFile, keyCreated: true, mounts: ['/m'] });
    expect(readFileSync(layout.secretKeyFile)).toHaveLength(32);
    const [stored] = await meta.listMounts();
    expect(stored).toMatchObject({ path: '/m', createdMs: 1 });
    expect(JSON.stringify(stored)).not.toContain(SECRET);
    expect(await MountTable.sealStoredSecrets(conf, meta)).toEqual({
      keyFile: layout.secretKeyFile,
      keyCreated: false,
      mounts: [],
    });
    expect((await reload()).get('/m')!.options).toEqual(options);
  });
});
