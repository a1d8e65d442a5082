/**
 * The settings a Kodo mount needs (seed 004): the key pair, the download host bound to the bucket
 * and the endpoint, all required; every missing one is named in one CONFIG_INVALID error, with its
 * `alluxio.*` spelling where it has one. The endpoint resolves to the bucket's hosts (kodo-regions).
 */
import type { Configuration } from '../../config/configuration.js';
import {
  FS_KODO_ACCESSKEY,
  FS_KODO_SECRETKEY,
  UNDERFS_KODO_DOWNLOADHOST,
  UNDERFS_KODO_ENDPOINT,
  UNDERFS_KODO_RS_HOST,
  UNDERFS_KODO_RSF_HOST,
  UNDERFS_KODO_UP_HOST,
} from '../../config/keys/kodo.js';
import type { PropertyKey } from '../../config/property.js';
import { TierfsError } from '../../errors.js';
import { type KodoHosts, parseKodoHost, resolveKodoHosts } from './kodo-regions.js';

export interface KodoSettings {
  readonly accessKey: string;
  readonly secretKey: string;
  /** `host[:port]` of the domain bound to the bucket. */
  readonly downloadHost: string;
  readonly hosts: KodoHosts;
}

const REQUIRED: readonly PropertyKey<string>[] = [
  FS_KODO_ACCESSKEY,
  FS_KODO_SECRETKEY,
  UNDERFS_KODO_DOWNLOADHOST,
  UNDERFS_KODO_ENDPOINT,
];

/** The key as written in tierfs and, for `tierfs.*` keys, in Alluxio's spelling. */
function spellings(key: PropertyKey<unknown>): string {
  return key.key.startsWith('tierfs.')
    ? `${key.key} (or ${key.key.replace(/^tierfs\./, 'alluxio.')})`
    : key.key;
}

export function readKodoSettings(conf: Configuration, uri: string): KodoSettings {
  const missing = REQUIRED.filter((key) => (conf.get(key) ?? '').trim() === '');
  if (missing.length > 0) {
    throw new TierfsError(
      'CONFIG_INVALID',
      `${uri} cannot be opened: ${missing.map(spellings).join(', ')} ${missing.length === 1 ? 'is' : 'are'} ` +
        'not set. A Kodo mount needs fs.kodo.accesskey, fs.kodo.secretkey, ' +
        'alluxio.underfs.kodo.downloadhost and alluxio.underfs.kodo.endpoint, in the site properties ' +
        'or as mount options (--option key=value).',
      { details: { missing: missing.map((key) => key.key).join(',') } },
    );
  }
  const hosts = resolveKodoHosts(
    {
      endpoint: conf.require(UNDERFS_KODO_ENDPOINT),
      up: conf.get(UNDERFS_KODO_UP_HOST),
      rs: conf.get(UNDERFS_KODO_RS_HOST),
      rsf: conf.get(UNDERFS_KODO_RSF_HOST),
    },
    { up: UNDERFS_KODO_UP_HOST.key, rs: UNDERFS_KODO_RS_HOST.key, rsf: UNDERFS_KODO_RSF_HOST.key },
  );
  // The qiniu SDK sends every up, rs and rsf request with one scheme.
  if (hosts.up.scheme !== hosts.rs.scheme || hosts.up.scheme !== hosts.rsf.scheme) {
    throw new TierfsError(
      'CONFIG_INVALID',
      `${UNDERFS_KODO_UP_HOST.key}, ${UNDERFS_KODO_RS_HOST.key} and ${UNDERFS_KODO_RSF_HOST.key} ` +
        'must all use http or all https',
    );
  }
  return {
    accessKey: conf.require(FS_KODO_ACCESSKEY),
    secretKey: conf.require(FS_KODO_SECRETKEY),
    downloadHost: parseKodoHost(conf.require(UNDERFS_KODO_DOWNLOADHOST), UNDERFS_KODO_DOWNLOADHOST.key).host,
    hosts,
  };
}
