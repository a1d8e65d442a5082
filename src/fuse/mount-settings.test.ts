import { describe, expect, it } from 'vitest';
import { Configuration } from '../config/configuration.js';
import { isTierfsError } from '../errors.js';
import { mountConfiguration, mountOptionProperties, mountSettings } from './mount-settings.js';

describe('mount options', () => {
  it("takes libfuse's spellings and properties, comma-separated or repeated", () => {
    expect(
      mountOptionProperties(['ro,allow_other', 'attr_timeout=2.5', 'tierfs.fuse.write.type=THROUGH']),
    ).toEqual({
      'tierfs.fuse.read.only': 'true',
      'tierfs.fuse.allow.other': 'true',
      'tierfs.fuse.attr.cache.timeout': '2500ms',
      'tierfs.fuse.write.type': 'THROUGH',
    });
  });

  it('refuses an unknown option, naming it and what is accepted', () => {
    let error: unknown;
    try {
      mountOptionProperties(['noatime']);
    } catch (e) {
      error = e;
    }
    expect(isTierfsError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toMatch(/^unknown mount option 'noatime': expected ro, rw, allow_other/);
  });

  it('lays -o over tierfs.fuse.mount.options over the properties, which have alluxio.fuse.* names', () => {
    const conf = Configuration.of({
      'alluxio.fuse.user.group.translation.enabled': 'false',
      'tierfs.fuse.mount.options': 'ro,max_readahead=1MB',
      'tierfs.user.file.readtype.default': 'NO_CACHE',
    });
    const settings = mountSettings(mountConfiguration(conf, ['rw'], 'test'));
    expect(settings).toMatchObject({
      readOnly: false,
      translate: false,
      maxReadahead: 1024 * 1024,
      readType: 'NO_CACHE',
      writeType: 'CACHE_THROUGH',
      attrTimeoutMs: 1000,
    });
  });

  it('reports a bad value with the property that holds it, and where it came from', () => {
    expect(() =>
      mountConfiguration(Configuration.of({}), ['tierfs.fuse.write.type=SOMETIMES'], 'fuse mount /mnt/x'),
    ).toThrow(
      "Invalid value 'SOMETIMES' for 'tierfs.fuse.write.type' from MOUNT_OPTION fuse mount /mnt/x: expected one of MUST_CACHE, CACHE_THROUGH, THROUGH, ASYNC_THROUGH",
    );
  });
});
