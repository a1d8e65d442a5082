/** Builds a Kodo gateway over an under store from the configuration (`tierfs.gateway.kodo.*`). */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Configuration } from '../../config/configuration.js';
import {
  FS_KODO_ACCESSKEY,
  FS_KODO_SECRETKEY,
  GATEWAY_KODO_DOMAINS,
  GATEWAY_KODO_PART_SIZE_MAX,
  GATEWAY_KODO_PART_SIZE_MIN,
  GATEWAY_KODO_PUBLIC_READ,
  GATEWAY_KODO_REGION,
  GATEWAY_KODO_STATE_DIR,
  GATEWAY_KODO_UPLOAD_EXPIRY,
} from '../../config/keys/index.js';
import { TierfsError } from '../../errors.js';
import type { UnderStore } from '../../ufs/contract.js';
import { ObjectRecordStore } from '../common/object-records.js';
import { PartStaging } from '../common/part-staging.js';
import { StateDatabase } from '../common/state-database.js';
import { createKodoGateway, type KodoGateway } from './server.js';
import { UfsKodoBackend } from './ufs-backend.js';

const USER_PREFIX = 'tierfs.gateway.kodo.user.';

/** Access key → secret key: every `tierfs.gateway.kodo.user.<AK>`, else `fs.kodo.accesskey/secretkey`. */
export function kodoGatewayUsers(conf: Configuration): Map<string, string> {
  const users = new Map(Object.entries(conf.withPrefix(USER_PREFIX)));
  if (users.size === 0) {
    const accessKey = conf.get(FS_KODO_ACCESSKEY);
    const secretKey = conf.get(FS_KODO_SECRETKEY);
    if (accessKey && secretKey) users.set(accessKey, secretKey);
  }
  if (users.size === 0) {
    throw new TierfsError(
      'CONFIG_INVALID',
      `The Kodo gateway has no users: set ${USER_PREFIX}<accessKey>=<secretKey> ` +
        `(or ${FS_KODO_ACCESSKEY.key} and ${FS_KODO_SECRETKEY.key}).`,
    );
  }
  return users;
}

function parseDomains(entries: readonly string[]): Map<string, string> {
  const domains = new Map<string, string>();
  for (const entry of entries) {
    const [domain, bucket, ...extra] = entry.split('=');
    if (!domain || !bucket || extra.length > 0) {
      throw new TierfsError(
        'CONFIG_INVALID',
        `'${GATEWAY_KODO_DOMAINS.key}' entries are domain=bucket, got '${entry}'`,
      );
    }
    domains.set(domain.trim().toLowerCase(), bucket.trim());
  }
  return domains;
}

/** The gateway over `store` (buckets = its top-level directories); it closes the store when closed. */
export function kodoGatewayFromConfig(store: UnderStore, conf: Configuration): KodoGateway {
  // One state directory per root, so two gateways over different roots never share records.
  const rootId = createHash('sha1').update(store.uri).digest('hex').slice(0, 16);
  const stateDir = join(conf.resolvePath(conf.require(GATEWAY_KODO_STATE_DIR)), rootId);
  const state = new StateDatabase(stateDir, 'state.db');
  return createKodoGateway({
    backend: new UfsKodoBackend(store, new ObjectRecordStore(state)),
    users: kodoGatewayUsers(conf),
    state,
    staging: new PartStaging(state, {
      dir: join(stateDir, 'uploads'),
      ttlMs: conf.require(GATEWAY_KODO_UPLOAD_EXPIRY),
    }),
    domains: parseDomains(conf.get(GATEWAY_KODO_DOMAINS) ?? []),
    publicRead: conf.require(GATEWAY_KODO_PUBLIC_READ),
    maxPartSize: conf.require(GATEWAY_KODO_PART_SIZE_MAX),
    minPartSize: conf.require(GATEWAY_KODO_PART_SIZE_MIN),
    region: conf.require(GATEWAY_KODO_REGION),
  });
}
