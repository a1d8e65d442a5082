/**
 * The S3 API over the tierfs namespace, served next to the master (port `tierfs.proxy.web.port`,
 * 39999): buckets are the top-level directories, as in Alluxio's S3 API. It reaches the namespace
 * through the client, so reads and writes go through the workers and their cache like any other.
 *
 * Each request acts in the namespace as the user its signature authenticated
 * (`tierfs.proxy.s3.users=ACCESS_KEY:SECRET:user`; the access key itself when no user is given;
 * `anonymous` for an unsigned request the gateway lets in), so the namespace's permissions apply
 * to it. The gateway proves to the master with the cluster secret that it may act as them.
 */

import { readFileSync } from 'node:fs';
import { TierfsClient } from '../client/client.js';
import { PerUserUnderStore } from '../client/per-user-store.js';
import { TierfsUnderStore } from '../client/tierfs-store.js';
import type { Configuration } from '../config/configuration.js';
import {
  MASTER_HOSTNAME,
  MASTER_RPC_PORT,
  PROXY_S3_ENABLED,
  PROXY_S3_STATE_DIR,
  PROXY_WEB_BIND_HOST,
  PROXY_WEB_PORT,
} from '../config/keys/core.js';
import { layoutOf } from '../config/layout.js';
import { currentRequestUser } from '../gateway/s3/request-user.js';
import { s3GatewayFromConfig } from '../gateway/s3/server.js';

export interface RunningNamespaceGateway {
  readonly address: string;
  close(): Promise<void>;
}

/**
 * Starts the gateway unless `tierfs.proxy.s3.enabled=false`. A request acts as the user it was
 * authenticated as; the gateway's own work outside requests as `user` (the daemon's user), proving
 * itself to the master with the cluster secret as the daemon it runs in does.
 */
export async function startNamespaceGateway(
  conf: Configuration,
  user: string,
  log: (line: string) => void,
): Promise<RunningNamespaceGateway | undefined> {
  if (!conf.require(PROXY_S3_ENABLED)) return undefined;
  const master = `${conf.require(MASTER_HOSTNAME)}:${conf.require(MASTER_RPC_PORT)}`;
  const token = readFileSync(layoutOf(conf).clusterTokenFile, 'utf8').trim();
  const uri = `tierfs://${master}/`;
  const storeOf = (as: string) =>
    new TierfsUnderStore(TierfsClient.fromConfiguration(conf, { user: as, token }), '/', uri);
  const store = new PerUserUnderStore(storeOf(user), currentRequestUser, storeOf);
  const stateDir = conf.resolvePath(conf.require(PROXY_S3_STATE_DIR));
  const gateway = s3GatewayFromConfig(
    store,
    conf.withOptions({ [PROXY_S3_STATE_DIR.key]: stateDir }, 'S3 gateway over the namespace'),
    log,
  );
  const bound = await gateway.listen(conf.require(PROXY_WEB_PORT), conf.require(PROXY_WEB_BIND_HOST));
  return {
    address: `http://${bound.address}:${bound.port}`,
    close: async () => {
      await gateway.close();
      await store.close();
    },
  };
}
