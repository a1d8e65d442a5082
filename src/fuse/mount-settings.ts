/**
 * What one FUSE mount runs with: the `tierfs.fuse.*` properties (with their `alluxio.fuse.*`
 * names), overridden by `-o` options, which take libfuse's spellings (`ro`, `allow_other`,
 * `attr_timeout=<seconds>`...) or any property as `key=value`.
 */
import type { ReadType, WriteType } from '../client/client.js';
import { type Configuration, PROPERTIES } from '../config/configuration.js';
import {
  FUSE_ALLOW_OTHER,
  FUSE_APPEND_REWRITE_MAX,
  FUSE_ATTR_CACHE_TIMEOUT,
  FUSE_DEBUG_ENABLED,
  FUSE_ENTRY_CACHE_TIMEOUT,
  FUSE_FS_NAME,
  FUSE_GROUP_MAPPING,
  FUSE_MAX_READAHEAD,
  FUSE_MAXWRITE_BYTES,
  FUSE_MOUNT_OPTIONS,
  FUSE_READ_ONLY,
  FUSE_READ_TYPE,
  FUSE_USER_GROUP_TRANSLATION_ENABLED,
  FUSE_USER_MAPPING,
  FUSE_WRITE_TYPE,
  SECURITY_AUTHORIZATION_PERMISSION_UMASK,
  USER_FILE_READTYPE_DEFAULT,
  USER_FILE_WRITETYPE_DEFAULT,
} from '../config/keys/index.js';
import { TierfsError } from '../errors.js';

export interface MountSettings {
  readonly readOnly: boolean;
  readonly allowOther: boolean;
  readonly attrTimeoutMs: number;
  readonly entryTimeoutMs: number;
  readonly maxReadahead: number;
  readonly maxWrite: number;
  readonly fsName: string;
  readonly debug: boolean;
  readonly readType: ReadType;
  readonly writeType: WriteType;
  readonly translate: boolean;
  readonly userMapping: readonly string[];
  readonly groupMapping: readonly string[];
  readonly umask: number;
  readonly appendRewriteMax: number;
}

/** libfuse's spellings, as the properties they set. */
const FLAGS: Record<string, [string, string]> = {
  ro: [FUSE_READ_ONLY.key, 'true'],
  rw: [FUSE_READ_ONLY.key, 'false'],
  allow_other: [FUSE_ALLOW_OTHER.key, 'true'],
  debug: [FUSE_DEBUG_ENABLED.key, 'true'],
};
const VALUED: Record<string, { key: string; unit: 'sec' | '' }> = {
  attr_timeout: { key: FUSE_ATTR_CACHE_TIMEOUT.key, unit: 'sec' },
  entry_timeout: { key: FUSE_ENTRY_CACHE_TIMEOUT.key, unit: 'sec' },
  max_readahead: { key: FUSE_MAX_READAHEAD.key, unit: '' },
  max_write: { key: FUSE_MAXWRITE_BYTES.key, unit: '' },
  fsname: { key: FUSE_FS_NAME.key, unit: '' },
};

const ACCEPTED =
  'ro, rw, allow_other, debug, attr_timeout=<seconds>, entry_timeout=<seconds>, max_readahead=<bytes>, ' +
  'max_write=<bytes>, fsname=<name>, or a property as key=value (e.g. tierfs.fuse.write.type=THROUGH)';

/** `-o` options (each may hold several, comma-separated) as the properties they set. */
export function mountOptionProperties(options: readonly string[]): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const option of options.flatMap((o) => o.split(',')).map((o) => o.trim())) {
    if (option === '') continue;
    const eq = option.indexOf('=');
    const name = eq < 0 ? option : option.slice(0, eq);
    const value = eq < 0 ? undefined : option.slice(eq + 1);
    const flag = FLAGS[name];
    const valued = VALUED[name];
    if (flag && value === undefined) {
      properties[flag[0]] = flag[1];
    } else if (valued && value !== undefined && value !== '') {
      properties[valued.key] =
        valued.unit === 'sec' && /^\d+(\.\d+)?$/.test(value) ? `${Number(value) * 1000}ms` : value;
    } else if (value !== undefined && PROPERTIES.resolve(name) !== undefined) {
      properties[name] = value;
    } else {
      throw new TierfsError('INVALID_ARGUMENT', `unknown mount option '${option}': expected ${ACCEPTED}`);
    }
  }
  return properties;
}

/** The configuration of one mount: `conf` with tierfs.fuse.mount.options and then `-o` laid on top. */
export function mountConfiguration(
  conf: Configuration,
  options: readonly string[],
  where: string,
): Configuration {
  const fromConf = mountOptionProperties(conf.require(FUSE_MOUNT_OPTIONS));
  return conf.withOptions({ ...fromConf, ...mountOptionProperties(options) }, where);
}

export function mountSettings(conf: Configuration): MountSettings {
  return {
    readOnly: conf.require(FUSE_READ_ONLY),
    allowOther: conf.require(FUSE_ALLOW_OTHER),
    attrTimeoutMs: conf.require(FUSE_ATTR_CACHE_TIMEOUT),
    entryTimeoutMs: conf.require(FUSE_ENTRY_CACHE_TIMEOUT),
    maxReadahead: conf.require(FUSE_MAX_READAHEAD),
    maxWrite: conf.require(FUSE_MAXWRITE_BYTES),
    fsName: conf.require(FUSE_FS_NAME),
    debug: conf.require(FUSE_DEBUG_ENABLED),
    readType: conf.get(FUSE_READ_TYPE) ?? conf.require(USER_FILE_READTYPE_DEFAULT),
    writeType: conf.get(FUSE_WRITE_TYPE) ?? conf.require(USER_FILE_WRITETYPE_DEFAULT),
    translate: conf.require(FUSE_USER_GROUP_TRANSLATION_ENABLED),
    userMapping: conf.require(FUSE_USER_MAPPING),
    groupMapping: conf.require(FUSE_GROUP_MAPPING),
    umask: conf.require(SECURITY_AUTHORIZATION_PERMISSION_UMASK),
    appendRewriteMax: conf.require(FUSE_APPEND_REWRITE_MAX),
  };
}
