/**
 * Every master of a cluster holds the one cluster secret `tierfs format` made (it signs the
 * capabilities workers check). The store keeps an HMAC of a fixed text under it, never the secret:
 * a master started with another secret is refused with the file to copy.
 */
import { createHmac } from 'node:crypto';
import { TierfsError } from '../errors.js';
import type { MetaStore } from '../meta/store.js';

/** The kv row that proves a master holds the cluster secret `format` made (never the secret itself). */
const SECRET_CHECK = 'clusterSecretCheck';

function secretCheckOf(token: string): string {
  return createHmac('sha256', token).update('tierfs cluster secret check').digest('hex');
}

/**
 * Records (at format) or checks (at every master start) that this master's cluster secret is the
 * cluster's: a master joining a cluster with another secret would sign capabilities no worker
 * accepts, so it refuses to start, naming the file to copy.
 */
export async function checkClusterSecret(meta: MetaStore, token: string, tokenFile: string): Promise<void> {
  const expected = await meta.getValue(SECRET_CHECK);
  if (expected === undefined) {
    await meta.setValue(SECRET_CHECK, secretCheckOf(token));
    return;
  }
  if (expected !== secretCheckOf(token)) {
    throw new TierfsError(
      'CONFIG_INVALID',
      `the cluster secret in ${tokenFile} is not the one this metadata store was formatted with: copy the cluster-token and secret-key files from the metastore directory of the master that ran \`tierfs format\` (see docs/cluster.md), or format again`,
    );
  }
}
