/**
 * The mount table: which under store backs which part of the namespace. The root mount comes from
 * configuration (`tierfs.master.mount.table.root.*`); nested mounts are recorded in the metadata
 * store. Resolution takes the longest mount point that is a prefix of the path.
 *
 * The values of secret options (`aws.secretKey`, `fs.oss.accessKeySecret`, ...) are recorded
 * encrypted with the install's secret key (`<metastore dir>/secret-key`, see secret-box.ts) and
 * decrypted here when the table loads; the table in memory holds them plain, for the stores.
 *
 * Several masters share the mounts through the store: each keeps the table in memory and, before
 * serving a request, `refresh` compares the store's mount generation (one row) with the one it
 * loaded, reloading only when another master mounted or unmounted something.
 */
import { existsSync } from 'node:fs';
import { type Configuration, isSecret } from '../config/configuration.js';
import {
  MASTER_MOUNT_TABLE_ROOT_READONLY,
  MASTER_MOUNT_TABLE_ROOT_SHARED,
  MASTER_MOUNT_TABLE_ROOT_UFS,
} from '../config/keys/core.js';
import { layoutOf } from '../config/layout.js';
import { SecretBox } from '../config/secret-box.js';
import { TierfsError } from '../errors.js';
import type { MetaStore, MountRecord } from '../meta/store.js';
import type { StoreLayer, UnderStore } from '../ufs/contract.js';
import { FileSystem, parseUfsUri } from '../ufs/registry.js';
import { isUnder } from './path.js';

export interface MountPoint extends MountRecord {
  readonly isRoot: boolean;
}

export interface Resolution {
  readonly mount: MountPoint;
  /** Path inside the mount's under store (`''` for the mount point itself). */
  readonly ufsPath: string;
}

const ROOT_OPTION_PREFIX = 'tierfs.master.mount.table.root.option.';

/** `s3://b/d` and `s3://b/d/` compare equal; `file:` URIs by their absolute path. */
function canonicalUri(uri: string): string {
  const href = parseUfsUri(uri).href;
  return href.endsWith('/') ? href : `${href}/`;
}

/** What `MountTable.sealStoredSecrets` did. */
export interface SecretSealing {
  /** The key file, which this call created (an install formatted before secrets were encrypted). */
  readonly keyFile: string;
  readonly keyCreated: boolean;
  /** Mount points whose plain secret options were encrypted. */
  readonly mounts: readonly string[];
}

/** The additional authenticated data of a sealed option: it opens only for this mount and key. */
function sealContext(mountPath: string, key: string): string {
  return JSON.stringify(['mount-option', mountPath, key]);
}

/**
 * The install's secret key: the key file when there is one; a new one beside the cluster token of
 * an install formatted without it; none for a namespace outside a formatted install (an in-memory
 * store in tests or embedding), whose mounts then live in that store only.
 */
function secretKeyOf(conf: Configuration): { box?: SecretBox; keyFile: string; created: boolean } {
  const layout = layoutOf(conf);
  const keyFile = layout.secretKeyFile;
  if (existsSync(keyFile)) return { box: SecretBox.fromFile(keyFile), keyFile, created: false };
  if (!existsSync(layout.clusterTokenFile)) return { keyFile, created: false };
  try {
    return { box: SecretBox.create(keyFile), keyFile, created: true };
  } catch (error) {
    // Another process created it in between.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return { box: SecretBox.fromFile(keyFile), keyFile, created: false };
    }
    throw error;
  }
}

export class MountTable {
  private mounts: MountPoint[] = [];
  private readonly stores = new Map<string, Promise<UnderStore>>();
  /** The store's mount generation the table was loaded at. */
  private generation = -1;
  private checking: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  private constructor(
    private readonly conf: Configuration,
    private readonly meta: MetaStore,
    private readonly layer: StoreLayer,
    private readonly box: SecretBox | undefined,
    private readonly keyFile: string,
    private readonly root: MountPoint,
  ) {}

  /**
   * Makes sure the install has its secret key and that no mount's secret option is stored plain:
   * creates the key of an install formatted before secrets were encrypted, and encrypts the plain
   * secrets such an install recorded. Does nothing the second time. `load` calls it; the master's
   * daemon calls it first to log what it did.
   */
  static async sealStoredSecrets(conf: Configuration, meta: MetaStore): Promise<SecretSealing> {
    const { box, keyFile, created } = secretKeyOf(conf);
    const sealed: string[] = [];
    if (box) {
      for (const record of await meta.listMounts()) {
        const plain = Object.entries(record.options).some(([k, v]) => isSecret(k) && !SecretBox.isSealed(v));
        if (!plain) continue;
        const options = sealOptions(box, record.path, record.options);
        // Updated in place, never removed and added again: a crash between the two would lose the
        // mount (secure_delete wipes the old row's plain values).
        await meta.updateMountOptions(record.path, options);
        sealed.push(record.path);
      }
    }
    return { keyFile, keyCreated: created, mounts: sealed };
  }

  static async load(
    conf: Configuration,
    meta: MetaStore,
    layer: StoreLayer = (store) => store,
  ): Promise<MountTable> {
    await MountTable.sealStoredSecrets(conf, meta);
    const { box, keyFile } = secretKeyOf(conf);
    const rootUfs = conf.require(MASTER_MOUNT_TABLE_ROOT_UFS);
    // A relative local path is relative to where the configuration was loaded, not to process.cwd().
    const rootUri = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(rootUfs) ? rootUfs : conf.resolvePath(rootUfs);
    const root: MountPoint = {
      path: '/',
      ufsUri: canonicalUri(rootUri),
      readOnly: conf.require(MASTER_MOUNT_TABLE_ROOT_READONLY),
      shared: conf.require(MASTER_MOUNT_TABLE_ROOT_SHARED),
      options: conf.withPrefix(ROOT_OPTION_PREFIX),
      createdMs: 0,
      isRoot: true,
    };
    const table = new MountTable(conf, meta, layer, box, keyFile, root);
    await table.reload(await meta.mountGeneration());
    return table;
  }

  /**
   * Brings the table up to date with the store: one read of the mount generation, and a reload
   * when it moved. A call that arrives while a check runs waits for the next one, so it sees
   * every change committed before it was made. Nothing to check on a store of one master.
   */
  refresh(): Promise<void> {
    if (!this.meta.shared) return Promise.resolve();
    if (!this.checking) {
      this.checking = this.check().finally(() => {
        this.checking = undefined;
      });
      return this.checking;
    }
    this.queued ??= this.checking
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.refresh();
      });
    return this.queued;
  }

  private async check(): Promise<void> {
    const generation = await this.meta.mountGeneration();
    if (generation !== this.generation) await this.reload(generation);
  }

  /** Loads the nested mounts from the store; closes the stores of mounts that went or changed. */
  private async reload(generation: number): Promise<void> {
    const stored = (await this.meta.listMounts()).map((m) => ({
      ...m,
      options: openOptions(this.box, this.keyFile, m.path, m.options),
      isRoot: false,
    }));
    const previous = new Map(this.mounts.map((m) => [m.path, m]));
    this.mounts = [this.root, ...stored];
    this.sort();
    this.generation = generation;
    for (const [path, old] of previous) {
      const now = this.get(path);
      if (now && now.ufsUri === old.ufsUri && now.createdMs === old.createdMs) continue;
      const store = this.stores.get(path);
      this.stores.delete(path);
      await store?.then((s) => s.close()).catch(() => undefined);
    }
  }

  /** Every mount point, root first. */
  list(): MountPoint[] {
    return [...this.mounts].sort((a, b) => a.path.localeCompare(b.path));
  }

  get(path: string): MountPoint | undefined {
    return this.mounts.find((m) => m.path === path);
  }

  resolve(path: string): Resolution {
    const mount = this.mounts.find((m) => isUnder(path, m.path))!;
    const ufsPath = mount.path === '/' ? path.slice(1) : path.slice(mount.path.length + 1);
    return { mount, ufsPath };
  }

  /** The under store of a mount, created on first use with the mount's options over the configuration. */
  store(mount: MountPoint): Promise<UnderStore> {
    let store = this.stores.get(mount.path);
    if (!store) {
      store = FileSystem.get(mount.ufsUri, this.storeConfiguration(mount), { readOnly: mount.readOnly }).then(
        this.layer,
      );
      store.catch(() => this.stores.delete(mount.path));
      this.stores.set(mount.path, store);
    }
    return store;
  }

  /**
   * Records a nested mount after checking it: the path is not a mount point already, its UFS URI
   * neither contains nor lies inside another mount's, and the store answers with these options.
   * Nothing is recorded when a check fails.
   */
  async add(record: Omit<MountRecord, 'createdMs'>): Promise<MountPoint> {
    await this.refresh();
    if (record.path === '/')
      throw new TierfsError('INVALID_ARGUMENT', 'the root is mounted by configuration, not by fs mount');
    if (this.get(record.path))
      throw new TierfsError('ALREADY_EXISTS', `${record.path} is already a mount point`);
    const ufsUri = canonicalUri(record.ufsUri);
    for (const other of this.mounts) {
      if (ufsUri.startsWith(other.ufsUri) || other.ufsUri.startsWith(ufsUri)) {
        throw new TierfsError(
          'INVALID_ARGUMENT',
          `cannot mount ${record.ufsUri} at ${record.path}: it overlaps ${other.ufsUri} mounted at ${other.path}`,
        );
      }
    }
    const mount: MountPoint = { ...record, ufsUri, createdMs: Date.now(), isRoot: false };
    await this.probe(mount);
    const options = this.box ? sealOptions(this.box, record.path, record.options) : record.options;
    await this.meta.addMount({ ...record, ufsUri, options, createdMs: mount.createdMs });
    this.mounts.push(mount);
    this.sort();
    return mount;
  }

  async remove(path: string): Promise<void> {
    if (path === '/') throw new TierfsError('INVALID_ARGUMENT', 'the root mount cannot be unmounted');
    await this.refresh();
    if (!this.get(path)) throw new TierfsError('NOT_FOUND', `${path} is not a mount point`);
    const inner = this.mounts.find((m) => m.path !== path && isUnder(m.path, path));
    if (inner)
      throw new TierfsError('CONFLICT', `cannot unmount ${path}: ${inner.path} is mounted inside it`);
    await this.meta.removeMount(path);
    this.mounts = this.mounts.filter((m) => m.path !== path);
    const store = this.stores.get(path);
    this.stores.delete(path);
    await store?.then((s) => s.close()).catch(() => undefined);
  }

  async close(): Promise<void> {
    const stores = [...this.stores.values()];
    this.stores.clear();
    await Promise.all(stores.map((s) => s.then((store) => store.close()).catch(() => undefined)));
  }

  private storeConfiguration(mount: MountPoint): Configuration {
    return this.conf.withOptions(mount.options, mount.isRoot ? 'root mount' : mount.path);
  }

  /** Opens the store, reads and lists its root: bad credentials, a missing bucket or directory fail here. */
  private async probe(mount: MountPoint): Promise<void> {
    let store: UnderStore | undefined;
    try {
      store = await FileSystem.get(mount.ufsUri, this.storeConfiguration(mount));
      const root = await store.getStatus('');
      if (!root.isDirectory) {
        throw new TierfsError('NOT_A_DIRECTORY', `${mount.ufsUri} is a file, not a directory`);
      }
      // A store may know its root exists without asking; a listing makes it prove the credentials.
      await store.list('', { pageSize: 1 });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const code = error instanceof TierfsError ? error.code : 'UNAVAILABLE';
      throw new TierfsError(code, `cannot mount ${mount.ufsUri} at ${mount.path}: ${reason}`, {
        cause: error,
      });
    } finally {
      await store?.close();
    }
  }

  private sort(): void {
    this.mounts.sort((a, b) => b.path.length - a.path.length);
  }
}

/** A copy of a mount's options with the value of every secret key sealed. */
function sealOptions(
  box: SecretBox,
  mountPath: string,
  options: Readonly<Record<string, string>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(options).map(([k, v]) => [
      k,
      isSecret(k) && !SecretBox.isSealed(v) ? box.seal(v, sealContext(mountPath, k)) : v,
    ]),
  );
}

/** A stored mount's options with its sealed secrets opened; a value is never part of an error. */
function openOptions(
  box: SecretBox | undefined,
  keyFile: string,
  mountPath: string,
  options: Readonly<Record<string, string>>,
): Record<string, string> {
  const opened: Record<string, string> = {};
  for (const [k, v] of Object.entries(options)) {
    if (!isSecret(k) || !SecretBox.isSealed(v)) {
      opened[k] = v;
      continue;
    }
    if (!box) {
      throw new TierfsError(
        'CONFIG_INVALID',
        `cannot decrypt option '${k}' of mount ${mountPath}: the secret key ${keyFile} is missing; restore the secret-key file that belongs to this metadata store`,
      );
    }
    const value = box.open(v, sealContext(mountPath, k));
    if (value === undefined) {
      throw new TierfsError(
        'CONFIG_INVALID',
        `cannot decrypt option '${k}' of mount ${mountPath}: ${keyFile} is not the key it was encrypted with; restore the secret-key file that belongs to this metadata store`,
      );
    }
    opened[k] = value;
  }
  return opened;
}
