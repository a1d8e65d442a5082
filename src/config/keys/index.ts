/**
 * The catalogue of every configuration property tierfs knows, grouped by module.
 */
import type { PropertyKey } from '../property.js';
import * as core from './core.js';
import * as fuse from './fuse.js';
import * as gatewayKodo from './gateway-kodo.js';
import * as gatewayOss from './gateway-oss.js';
import * as kodo from './kodo.js';
import * as log from './log.js';
import * as offload from './offload.js';
import * as oss from './oss.js';
import * as s3 from './s3.js';
import * as underfs from './underfs.js';

export * from './core.js';
export * from './fuse.js';
export * from './gateway-kodo.js';
export * from './gateway-oss.js';
export * from './kodo.js';
export * from './log.js';
export * from './offload.js';
export * from './oss.js';
export * from './s3.js';
export * from './underfs.js';

export const ALL_PROPERTIES: readonly PropertyKey<unknown>[] = Object.freeze(
  /** Every registered property, in catalogue order (core, underfs, S3, OSS, Kodo, offload, log, gateways, FUSE). */
  [core, underfs, s3, oss, kodo, offload, log, gatewayOss, gatewayKodo, fuse].flatMap(
    (module): PropertyKey<unknown>[] => Object.values(module),
  ),
);
