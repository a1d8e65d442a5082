import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isTierfsError } from '../errors.js';
import { Configuration, describeOrigin, MASK } from './configuration.js';
import { AWS_ACCESS_KEY_ID, AWS_SECRET_KEY, UNDERFS_S3_OWNER_ID_TO_USERNAME_MAPPING } from './keys/s3.js';
import { UNDERFS_LISTING_LENGTH } from './keys/underfs.js';

const dirs: string[] = [];

function confDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tierfs-conf-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function load(site: string, options: { env?: Record<string, string>; system?: Record<string, string> } = {}) {
  const dir = confDir({ 'tierfs-site.properties': site });
  return {
    dir,
    conf: Configuration.load({
      env: { TIERFS_CONF_DIR: dir, ...options.env },
      systemProperties: options.system,
    }),
  };
}

describe('precedence of the sources', () => {
  const KEY = 'tierfs.underfs.s3.socket.timeout';

  it('uses the default when nothing sets a key', () => {
    const { conf } = load('');
    expect(conf.getRaw(KEY)).toBe('50sec');
    expect(conf.origin(KEY)?.kind).toBe('DEFAULT');
    expect(conf.isSet(KEY)).toBe(false);
  });

  it('site file beats the default', () => {
    const { conf, dir } = load(`# comment\n${KEY}=1min\n`);
    expect(conf.getRaw(KEY)).toBe('1min');
    expect(conf.origin(KEY)).toEqual({
      kind: 'SITE_PROPERTY',
      name: join(dir, 'tierfs-site.properties'),
      line: 2,
    });
  });

  it('-D beats the site file', () => {
    const { conf } = load(`${KEY}=1min\n`, { system: { [KEY]: '2min' } });
    expect(conf.getRaw(KEY)).toBe('2min');
    expect(describeOrigin(conf.origin(KEY)!)).toBe(`SYSTEM_PROPERTY -D${KEY}`);
  });

  it('a documented environment variable beats the site file, and -D beats it', () => {
    const site = 'tierfs.work.dir=/from/site\n';
    expect(load(site).conf.getRaw('tierfs.work.dir')).toBe('/from/site');
    const env = load(site, { env: { TIERFS_WORK_DIR: '/from/env' } }).conf;
    expect(env.getRaw('tierfs.work.dir')).toBe('/from/env');
    expect(describeOrigin(env.origin('tierfs.work.dir')!)).toBe('ENVIRONMENT TIERFS_WORK_DIR');
    const both = load(site, {
      env: { TIERFS_WORK_DIR: '/from/env' },
      system: { 'tierfs.work.dir': '/from/d' },
    });
    expect(both.conf.getRaw('tierfs.work.dir')).toBe('/from/d');
  });

  it('mount options beat everything', () => {
    const { conf } = load(`${KEY}=1min\n`, { system: { [KEY]: '2min' } });
    const mounted = conf.withOptions({ [KEY]: '3min' }, '/mnt/s3');
    expect(mounted.getRaw(KEY)).toBe('3min');
    expect(describeOrigin(mounted.origin(KEY)!)).toBe('MOUNT_OPTION /mnt/s3');
    expect(conf.getRaw(KEY)).toBe('2min');
  });

  it('credential variables of the environment rank below the site file (seed 002 order)', () => {
    const env = { AWS_ACCESS_KEY_ID: 'FROM_ENV', AWS_SECRET_KEY: 'env-secret' };
    expect(load('', { env }).conf.get(AWS_ACCESS_KEY_ID)).toBe('FROM_ENV');
    expect(load('', { env }).conf.get(AWS_SECRET_KEY)).toBe('env-secret');
    expect(load('aws.accessKeyId=FROM_SITE\n', { env }).conf.get(AWS_ACCESS_KEY_ID)).toBe('FROM_SITE');
    expect(load('', { env: { AWS_ACCESS_KEY: 'SECOND_NAME' } }).conf.get(AWS_ACCESS_KEY_ID)).toBe(
      'SECOND_NAME',
    );
  });

  it('TIERFS_CONF_DIR chooses the site file', () => {
    const a = confDir({ 'tierfs-site.properties': 'tierfs.underfs.listing.length=7\n' });
    expect(Configuration.load({ env: { TIERFS_CONF_DIR: a } }).get(UNDERFS_LISTING_LENGTH)).toBe(7);
    expect(Configuration.load({ env: {}, cwd: a }).get(UNDERFS_LISTING_LENGTH)).toBe(1000);
  });
});

describe('site files', () => {
  it('parses the seed 002 continuation line as one value', () => {
    const { conf } = load(
      'alluxio.underfs.s3.owner.id.to.username.mapping=\\\n' +
        '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be=john\n',
    );
    expect(conf.get(UNDERFS_S3_OWNER_ID_TO_USERNAME_MAPPING)).toBe(
      '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be=john',
    );
  });

  it('accepts alluxio.* spellings and aliases as the same key', () => {
    const { conf } = load('alluxio.underfs.listing.length=10\ns3a.accessKeyId=AKIA1\n');
    expect(conf.get(UNDERFS_LISTING_LENGTH)).toBe(10);
    expect(conf.getRaw('tierfs.underfs.listing.length')).toBe('10');
    expect(conf.get(AWS_ACCESS_KEY_ID)).toBe('AKIA1');
    expect(conf.warnings).toEqual([]);
  });

  it('reads a YAML site file in the Flink style', () => {
    const dir = confDir({
      'tierfs-site.yaml': 'fs.oss.endpoint: http://127.0.0.1:9000\nfs:\n  oss:\n    accessKeyId: AK\n',
    });
    const conf = Configuration.load({ env: { TIERFS_CONF_DIR: dir } });
    expect(conf.getRaw('fs.oss.endpoint')).toBe('http://127.0.0.1:9000');
    expect(conf.getRaw('fs.oss.accessKeyId')).toBe('AK');
    expect(conf.origin('fs.oss.accessKeyId')).toMatchObject({ kind: 'SITE_PROPERTY', line: 4 });
  });

  it('substitutes ${key} and ${env.NAME} references', () => {
    const { conf } = load(
      'tierfs.work.dir=/srv/tierfs\ntierfs.tmp.dirs=${tierfs.work.dir}/tmp,${env.SCRATCH}\n',
      {
        env: { SCRATCH: '/scratch' },
      },
    );
    expect(conf.getRaw('tierfs.tmp.dirs')).toBe('/srv/tierfs/tmp,/scratch');
    expect(conf.getRaw('tierfs.logs.dir')).toBe('/srv/tierfs/logs');
  });

  it('rejects a circular reference', () => {
    expect(() =>
      load('tierfs.work.dir=${tierfs.logs.dir}\ntierfs.logs.dir=${tierfs.work.dir}/logs\n'),
    ).toThrow(/Circular reference/);
  });

  it('rejects a bad value naming the key, the value, the expected form, the file and the line', () => {
    let error: unknown;
    let file = '';
    try {
      const dir = confDir({
        'tierfs-site.properties': '# tuning\n\nalluxio.underfs.s3.streaming.upload.partition.size=12XB\n',
      });
      file = join(dir, 'tierfs-site.properties');
      Configuration.load({ env: { TIERFS_CONF_DIR: dir } });
    } catch (e) {
      error = e;
    }
    expect(isTierfsError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toBe(
      "Invalid value '12XB' for 'tierfs.underfs.s3.streaming.upload.partition.size' " +
        "(written as 'alluxio.underfs.s3.streaming.upload.partition.size') " +
        `from SITE_PROPERTY ${file}:3: expected a byte size such as 64MB, 512KB or 1048576 (at least 5MB); ` +
        "unknown unit 'XB'.",
    );
  });

  it('warns about an unknown key with a suggestion, and keeps going', () => {
    const { conf } = load('tierfs.underfs.listing.lenght=5\n');
    expect(conf.warnings).toHaveLength(1);
    expect(conf.warnings[0]!.message).toMatch(
      /^Unknown property 'tierfs.underfs.listing.lenght' \(SITE_PROPERTY .*:1\) is ignored; did you mean 'tierfs.underfs.listing.length'\?$/,
    );
    expect(conf.get(UNDERFS_LISTING_LENGTH)).toBe(1000);
    expect(conf.list().map((entry) => entry.key)).not.toContain('tierfs.underfs.listing.lenght');
  });

  it('searches tierfs.site.conf.dir in order and loads the first directory with a site file', () => {
    const empty = confDir({});
    const second = confDir({ 'tierfs-site.properties': 'tierfs.underfs.listing.length=42\n' });
    const conf = Configuration.load({
      env: { TIERFS_CONF_DIR: empty },
      systemProperties: { 'tierfs.site.conf.dir': `${empty},${second}` },
    });
    expect(conf.get(UNDERFS_LISTING_LENGTH)).toBe(42);
    expect(conf.origin('tierfs.underfs.listing.length')?.name).toBe(join(second, 'tierfs-site.properties'));
  });

  it('never shows a secret, nor a value built from one', () => {
    const { conf } = load('aws.secretKey=wJalrXUtnFEMI\ntierfs.tmp.dirs=/tmp/${aws.secretKey}\n');
    expect(conf.get(AWS_SECRET_KEY)).toBe('wJalrXUtnFEMI');
    expect(conf.display('aws.secretKey')).toBe(MASK);
    expect(conf.display('s3a.secretKey')).toBe(MASK);
    expect(conf.display('tierfs.tmp.dirs')).toBe(MASK);
    const listed = JSON.stringify(conf.list({ includeUnset: true }));
    expect(listed).not.toContain('wJalrXUtnFEMI');
  });
});

describe('typed values', () => {
  it('parses bytes, durations, modes and booleans', () => {
    const conf = Configuration.of({
      'tierfs.underfs.s3.streaming.upload.partition.size': '128MB',
      'tierfs.underfs.s3.intermediate.upload.clean.age': '3day',
      'tierfs.underfs.s3.default.mode': '0750',
      'tierfs.underfs.s3.inherit.acl': 'false',
    });
    expect(conf.getRaw('tierfs.underfs.s3.streaming.upload.partition.size')).toBe('128MB');
    expect(conf.withPrefix('tierfs.underfs.s3.')).toMatchObject({
      'default.mode': '0750',
      'inherit.acl': 'false',
    });
  });

  it('collects root mount options from their placeholder keys', () => {
    const conf = Configuration.of({
      'alluxio.master.mount.table.root.option.aws.accessKeyId': 'AK',
      'tierfs.master.mount.table.root.option.aws.secretKey': 'SK',
    });
    expect(conf.withPrefix('tierfs.master.mount.table.root.option.')).toEqual({
      'aws.accessKeyId': 'AK',
      'aws.secretKey': 'SK',
    });
    expect(conf.warnings).toEqual([]);
    expect(conf.display('tierfs.master.mount.table.root.option.aws.secretKey')).toBe(MASK);
    expect(conf.display('tierfs.master.mount.table.root.option.aws.accessKeyId')).toBe('AK');
  });
});
