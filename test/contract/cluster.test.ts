/**
 * The UnderStore contract suite against the whole cluster: the `tierfs://` store goes through the
 * client, the master's namespace and a worker's cache to the local root under store.
 */
import { TIERFS_CAPABILITIES, TierfsUnderStore } from '../../src/client/tierfs-store.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { describeUnderStoreContract } from './suite.js';

let cluster: Promise<TestCluster> | undefined;
let next = 0;

describeUnderStoreContract(
  'tierfs cluster',
  {
    async newStore() {
      cluster ??= startCluster();
      const running = await cluster;
      const root = `/contract-${next++}`;
      const client = running.client('admin');
      await client.mkdir(root);
      return new TierfsUnderStore(client, root, `tierfs://127.0.0.1${root}/`);
    },
    async cleanup() {
      await (await cluster)?.stop();
    },
  },
  TIERFS_CAPABILITIES,
);
