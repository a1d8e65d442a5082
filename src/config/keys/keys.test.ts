import { describe, expect, it } from 'vitest';
import type { PropertyKey } from '../property.js';
import { ValueError } from '../types.js';
import * as core from './core.js';
import * as fuse from './fuse.js';
import * as gatewayKodo from './gateway-kodo.js';
import * as gatewayOss from './gateway-oss.js';
import {
  ALL_PROPERTIES,
  MANAGED_LEDGER_OFFLOAD_MAX_BLOCK_SIZE_IN_BYTES,
  UNDERFS_OSS_STREAMING_UPLOAD_PARTITION_SIZE,
  UNDERFS_S3_STREAMING_UPLOAD_PARTITION_SIZE,
} from './index.js';
import * as kodo from './kodo.js';
import * as log from './log.js';
import * as offload from './offload.js';
import * as oss from './oss.js';
import * as s3 from './s3.js';
import * as underfs from './underfs.js';

const MODULES: Record<string, Record<string, PropertyKey<unknown>>> = {
  core,
  underfs,
  s3,
  oss,
  kodo,
  offload,
  log,
  gatewayOss,
  gatewayKodo,
  fuse,
};

/** Every name a property answers to: its key, its aliases, and the `alluxio.*` twin of each `tierfs.*` one. */
function namesOf(property: PropertyKey<unknown>): Set<string> {
  const names = new Set<string>();
  for (const name of [property.key, ...(property.aliases ?? [])]) {
    names.add(name);
    if (name.startsWith('tierfs.')) names.add(`alluxio.${name.slice('tierfs.'.length)}`);
  }
  return names;
}

const byName = new Map<string, PropertyKey<unknown>>();
for (const property of ALL_PROPERTIES) {
  for (const name of namesOf(property)) byName.set(name, property);
}

/** `tierfs.foo.bar` → FOO_BAR, `aws.accessKeyId` → AWS_ACCESS_KEY_ID; placeholders are dropped. */
function constantName(key: string): string {
  return key
    .replace(/^tierfs\./, '')
    .replace(/\.?\{[^}]+\}/g, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}

/** Every property key appearing in seeds 000, 002, 003 and 004, written as the seeds write them. */
const SEED_KEYS = [
  // 000: Aliyun OSS
  'alluxio.dora.client.ufs.root',
  'fs.oss.accessKeyId',
  'fs.oss.accessKeySecret',
  'fs.oss.endpoint',
  'alluxio.underfs.oss.multipart.upload.enabled',
  'alluxio.underfs.object.store.multipart.upload.timeout',
  'alluxio.underfs.oss.multipart.upload.threads',
  'alluxio.underfs.oss.multipart.upload.partition.size',
  // 002: Amazon S3
  'alluxio.master.mount.table.root.ufs',
  'aws.accessKeyId',
  'aws.secretKey',
  'alluxio.underfs.s3.inherit.acl',
  'alluxio.underfs.s3.server.side.encryption.enabled',
  'alluxio.underfs.s3.disable.dns.buckets',
  'alluxio.underfs.s3.proxy.host',
  'alluxio.underfs.s3.proxy.port',
  'alluxio.underfs.s3.endpoint',
  'alluxio.underfs.s3.signer.algorithm',
  'alluxio.underfs.s3.streaming.upload.enabled',
  'alluxio.underfs.s3.streaming.upload.partition.size',
  'alluxio.underfs.cleanup.enabled',
  'alluxio.underfs.s3.intermediate.upload.clean.age',
  'alluxio.underfs.cleanup.interval',
  'alluxio.underfs.s3.socket.timeout',
  'alluxio.underfs.s3.request.timeout',
  'alluxio.underfs.s3.admin.threads.max',
  'alluxio.underfs.s3.threads.max',
  'alluxio.underfs.s3.upload.threads.max',
  'alluxio.underfs.object.store.service.threads',
  'alluxio.underfs.s3.owner.id.to.username.mapping',
  'alluxio.master.mount.table.root.shared',
  'alluxio.underfs.s3.default.mode',
  'alluxio.master.mount.table.root.readonly',
  // 003: Pulsar offload
  'managedLedgerOffloadDriver',
  'offloadersDirectory',
  'managedLedgerOffloadBucket',
  'managedLedgerOffloadServiceEndpoint',
  'managedLedgerOffloadReadBufferSizeInBytes',
  'managedLedgerOffloadMaxBlockSizeInBytes',
  'managedLedgerMinLedgerRolloverTimeMinutes',
  'managedLedgerMaxEntriesPerLedger',
  // 004: Qiniu Kodo
  'fs.kodo.accesskey',
  'fs.kodo.secretkey',
  'alluxio.underfs.kodo.downloadhost',
  'alluxio.underfs.kodo.endpoint',
  'fs.kodo.accessKey',
];

describe('property catalogue', () => {
  it('ALL_PROPERTIES lists every exported property exactly once', () => {
    const exported = Object.values(MODULES).flatMap((module) => Object.values(module));
    expect(ALL_PROPERTIES).toHaveLength(exported.length);
    expect(new Set(ALL_PROPERTIES)).toEqual(new Set(exported));
  });

  it('names every export after its key', () => {
    for (const module of Object.values(MODULES)) {
      for (const [name, property] of Object.entries(module)) {
        expect(name, property.key).toBe(constantName(property.key));
      }
    }
  });

  it('parses every default with its type', () => {
    for (const property of ALL_PROPERTIES) {
      if (property.default === undefined || property.default.includes('${')) continue;
      expect(() => property.type.parse(property.default as string), property.key).not.toThrow();
    }
  });

  it('references only registered keys from defaults', () => {
    for (const property of ALL_PROPERTIES) {
      for (const [, ref] of (property.default ?? '').matchAll(/\$\{([^}]+)\}/g)) {
        expect(byName.has(ref as string), `${property.key} → ${ref}`).toBe(true);
      }
    }
  });

  it('has unique keys and aliases, including alluxio.* twins and ignoring case', () => {
    const owner = new Map<string, string>();
    for (const property of ALL_PROPERTIES) {
      const lower = new Set([...namesOf(property)].map((name) => name.toLowerCase()));
      for (const name of lower) {
        expect(
          owner.get(name),
          `${name} is claimed by ${owner.get(name)} and ${property.key}`,
        ).toBeUndefined();
        owner.set(name, property.key);
      }
    }
  });

  it('uses well-formed keys with at most one placeholder and a one-line description', () => {
    for (const property of ALL_PROPERTIES) {
      expect(property.key, property.key).toMatch(/^[A-Za-z0-9][A-Za-z0-9.\-{}]*$/);
      expect((property.key.match(/\{/g) ?? []).length, property.key).toBeLessThanOrEqual(1);
      expect(property.key.startsWith('alluxio.'), property.key).toBe(false);
      expect(property.description.trim().length, property.key).toBeGreaterThan(10);
      expect(property.description, property.key).not.toMatch(/\n/);
      for (const alias of property.aliases ?? []) expect(alias).not.toBe(property.key);
    }
  });

  it('marks every secret-looking key secret', () => {
    const notSecret = new Set([
      'tierfs.underfs.oss.sts.token.refresh.interval.ms',
      'tierfs.security.authentication.token.lifetime',
    ]);
    for (const property of ALL_PROPERTIES) {
      if (!/secret|password|token/i.test(property.key) || notSecret.has(property.key)) continue;
      expect(property.secret, property.key).toBe(true);
    }
    for (const key of [
      'aws.secretKey',
      'fs.oss.accessKeySecret',
      'fs.oss.securityToken',
      'fs.oss.proxy.password',
      'fs.kodo.secretkey',
    ]) {
      expect(byName.get(key)?.secret, key).toBe(true);
    }
    for (const key of ['aws.accessKeyId', 'fs.oss.accessKeyId', 'fs.kodo.accesskey']) {
      expect(byName.get(key)?.secret, key).toBeFalsy();
    }
  });

  it('registers every key of the seeds, as written and under tierfs.*', () => {
    for (const name of SEED_KEYS) {
      expect(byName.has(name), name).toBe(true);
      const native = name.replace(/^alluxio\./, 'tierfs.');
      expect(byName.get(native), native).toBe(byName.get(name));
    }
  });

  it('registers the documented aliases', () => {
    const root = byName.get('tierfs.master.mount.table.root.ufs');
    for (const alias of [
      'tierfs.underfs.address',
      'alluxio.underfs.address',
      'alluxio.dora.client.ufs.root',
    ]) {
      expect(byName.get(alias), alias).toBe(root);
    }
    expect(byName.get('s3a.accessKeyId')).toBe(byName.get('aws.accessKeyId'));
    expect(byName.get('s3a.secretKey')).toBe(byName.get('aws.secretKey'));
    expect(byName.get('fs.kodo.accessKey')).toBe(byName.get('fs.kodo.accesskey'));
    expect(byName.get('alluxio.underfs.oss.multipart.upload.part.size')).toBe(
      byName.get('tierfs.underfs.oss.multipart.upload.partition.size'),
    );
  });

  it('declares the environment variables of seed 002 and seed 003', () => {
    expect(byName.get('aws.accessKeyId')?.fallbackEnv).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_ACCESS_KEY']);
    expect(byName.get('aws.secretKey')?.fallbackEnv).toEqual(['AWS_SECRET_ACCESS_KEY', 'AWS_SECRET_KEY']);
    expect(byName.get('fs.oss.accessKeyId')?.fallbackEnv).toEqual(['ALIYUN_OSS_ACCESS_KEY_ID']);
    expect(byName.get('fs.oss.accessKeySecret')?.fallbackEnv).toEqual(['ALIYUN_OSS_ACCESS_KEY_SECRET']);
    expect(byName.get('tierfs.home')?.env).toEqual(['TIERFS_HOME']);
    expect(byName.get('tierfs.master.hostname')?.env).toEqual(['TIERFS_MASTER_HOSTNAME']);
  });

  it('keeps Alluxio defaults as text', () => {
    const expected: Record<string, string | undefined> = {
      'tierfs.home': '.',
      'tierfs.work.dir': '${tierfs.home}',
      'tierfs.master.mount.table.root.ufs': '${tierfs.work.dir}/underFSStorage',
      'tierfs.master.web.port': '19999',
      'tierfs.user.file.writetype.default': 'CACHE_THROUGH',
      'tierfs.underfs.s3.socket.timeout': '50sec',
      'tierfs.underfs.s3.default.mode': '0700',
      'tierfs.underfs.s3.intermediate.upload.clean.age': '3day',
      'tierfs.underfs.s3.endpoint': undefined,
      managedLedgerOffloadDeletionLagMs: '14400000',
    };
    for (const [key, value] of Object.entries(expected)) expect(byName.get(key)?.default, key).toBe(value);
  });

  it('parses typed values', () => {
    expect(byName.get('tierfs.underfs.s3.socket.timeout')?.type.parse('500sec')).toBe(500_000);
    expect(byName.get('tierfs.underfs.s3.default.mode')?.type.parse('0700')).toBe(0o700);
    expect(byName.get('tierfs.user.file.metadata.sync.interval')?.type.parse('-1')).toBe(-1);
    expect(byName.get('tierfs.user.file.readtype.default')?.type.parse('cache_promote')).toBe(
      'CACHE_PROMOTE',
    );
    expect(byName.get('tierfs.worker.page.store.sizes')?.type.parse('512MB, 1GB')).toEqual([
      512 * 1024 ** 2,
      1024 ** 3,
    ]);
    expect(() => byName.get('tierfs.underfs.listing.length')?.type.parse('1001')).toThrow(ValueError);
  });

  it('rejects part sizes below 5MB (S3) and 100KB (OSS)', () => {
    expect(() => UNDERFS_S3_STREAMING_UPLOAD_PARTITION_SIZE.type.parse('4MB')).toThrow(ValueError);
    expect(UNDERFS_S3_STREAMING_UPLOAD_PARTITION_SIZE.type.parse('5MB')).toBe(5 * 1024 ** 2);
    expect(() => UNDERFS_OSS_STREAMING_UPLOAD_PARTITION_SIZE.type.parse('99KB')).toThrow(ValueError);
    expect(UNDERFS_OSS_STREAMING_UPLOAD_PARTITION_SIZE.type.parse('100KB')).toBe(100 * 1024);
    expect(() => MANAGED_LEDGER_OFFLOAD_MAX_BLOCK_SIZE_IN_BYTES.type.parse('4MB')).toThrow(ValueError);
    expect(MANAGED_LEDGER_OFFLOAD_MAX_BLOCK_SIZE_IN_BYTES.type.parse('67108864')).toBe(64 * 1024 ** 2);
  });
});
