/**
 * The Kodo under store against the in-process Kodo gateway: one download domain bound to the
 * fixture's bucket, and every host (endpoint, up, rs, rsf) pointed at the gateway's port. The
 * stores mark directories with the driver's default `dir/` objects, which the gateway holds.
 */
import { Configuration } from '../../src/config/configuration.js';
import { createKodoUnderStore } from '../../src/ufs/kodo/kodo-store.js';
import type { ObjectUnderStore } from '../../src/ufs/object/object-store.js';
import { parseUfsUri } from '../../src/ufs/registry.js';
import {
  ACCESS_KEY,
  BUCKET,
  type KodoFixture,
  SECRET_KEY,
  startKodoFixture,
} from '../gateway/kodo-support.js';

export const DOWNLOAD_HOST = 'photos.kodo.test';

export function startDriverFixture(): Promise<KodoFixture> {
  return startKodoFixture({ 'tierfs.gateway.kodo.domains': `${DOWNLOAD_HOST}=${BUCKET}` });
}

/** Settings for a store talking to `kodo`, with `overrides` laid over them. */
export function kodoSettings(
  kodo: KodoFixture,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    'fs.kodo.accesskey': ACCESS_KEY,
    'fs.kodo.secretkey': SECRET_KEY,
    'tierfs.underfs.kodo.downloadhost': DOWNLOAD_HOST,
    'tierfs.underfs.kodo.endpoint': kodo.host,
    'tierfs.underfs.kodo.up.host': kodo.host,
    'tierfs.underfs.kodo.rs.host': kodo.host,
    'tierfs.underfs.kodo.rsf.host': kodo.host,
    ...overrides,
  };
}

export function kodoStore(
  kodo: KodoFixture,
  dir: string,
  overrides: Record<string, string> = {},
): Promise<ObjectUnderStore> {
  return createKodoUnderStore(
    parseUfsUri(`kodo://${BUCKET}/${dir}`),
    Configuration.of(kodoSettings(kodo, overrides)),
  );
}
