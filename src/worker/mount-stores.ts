/**
 * The worker's view of the mount table: under stores opened with each mount's options, fetched
 * from the master's internal endpoint (the only place mount credentials travel) and refreshed
 * when a request names a mount the worker does not know yet, or when the heartbeat says the table
 * changed (`warm`: then every mount's store is opened ahead of the first read, whose time would
 * otherwise include loading the store's driver, e.g. the AWS SDK, and making its client).
 */

import { clusterHeaders } from '../cluster/auth.js';
import type { Masters } from '../cluster/masters.js';
import type { MountInfo } from '../cluster/wire.js';
import type { Configuration } from '../config/configuration.js';
import { TierfsError } from '../errors.js';
import type { StoreLayer, UnderStore } from '../ufs/contract.js';
import { FileSystem } from '../ufs/registry.js';

export class MountStores {
  private mounts = new Map<string, MountInfo>();
  private readonly stores = new Map<string, Promise<UnderStore>>();

  constructor(
    private readonly conf: Configuration,
    private readonly masters: Masters,
    private readonly clusterToken: string,
    private readonly layer: StoreLayer = (store) => store,
  ) {}

  /** The mount at `mountPath`, asking the master again when it is not known here. */
  private async mount(mountPath: string): Promise<MountInfo> {
    let mount = this.mounts.get(mountPath);
    if (!mount) {
      await this.refresh();
      mount = this.mounts.get(mountPath);
      if (!mount) throw new TierfsError('NOT_FOUND', `${mountPath} is not a mount point (any more)`);
    }
    return mount;
  }

  /** Whether the mount at `mountPath` is read-only (the master's word, refreshed when unknown). */
  async isReadOnly(mountPath: string): Promise<boolean> {
    return (await this.mount(mountPath)).readOnly;
  }

  /** The under store of the mount at `mountPath`. */
  async store(mountPath: string): Promise<UnderStore> {
    const mount = await this.mount(mountPath);
    const key = storeKey(mount);
    let store = this.stores.get(key);
    if (!store) {
      // A read-only mount's store is opened read-only too: a third guard after the master and the worker.
      store = FileSystem.get(mount.ufsUri, this.conf.withOptions(mount.options, mount.path), {
        readOnly: mount.readOnly,
      }).then(this.layer);
      store.catch(() => this.stores.delete(key));
      this.stores.set(key, store);
    }
    return store;
  }

  /**
   * Fetches the mount table and opens the store of every mount not opened yet. A store that cannot
   * be opened is left to the first read, which reports why.
   */
  async warm(): Promise<void> {
    await this.refresh();
    await Promise.all([...this.mounts.keys()].map((path) => this.store(path).catch(() => undefined)));
  }

  /** Mount paths whose under store is open (or opening) here. */
  openMounts(): string[] {
    return [...this.stores.keys()].map((key) => key.slice(0, key.indexOf('\0')));
  }

  /**
   * Fetches the mount table; closes the stores of mounts that went or changed (another store, mode
   * or options at the path), as the master's mount table does.
   */
  async refresh(): Promise<void> {
    const list = await this.masters.call<MountInfo[]>('GET', '/api/v1/internal/mounts', {
      headers: clusterHeaders(this.clusterToken),
    });
    this.mounts = new Map(list.map((m) => [m.path, m]));
    const current = new Set(list.map(storeKey));
    const gone = [...this.stores].filter(([key]) => !current.has(key));
    for (const [key] of gone) this.stores.delete(key);
    await closeAll(gone.map(([, store]) => store));
  }

  async close(): Promise<void> {
    const stores = [...this.stores.values()];
    this.stores.clear();
    await closeAll(stores);
  }
}

/** What a store is opened for: the same key means the same store may serve the mount. */
function storeKey(mount: MountInfo): string {
  return `${mount.path}\0${mount.ufsUri}\0${mount.readOnly}\0${JSON.stringify(mount.options)}`;
}

async function closeAll(stores: readonly Promise<UnderStore>[]): Promise<void> {
  await Promise.all(stores.map((s) => s.then((store) => store.close()).catch(() => undefined)));
}
