/**
 * An UnderStore that hands every call to the store of the user a caller-given function names at
 * the time of the call (the namespace S3 gateway: the user its request was authenticated as), or
 * to a default store when it names none (the gateway's own work outside any request). The stores
 * are made on first use and kept.
 */
import type { Readable } from 'node:stream';
import type {
  CreateOptions,
  DeleteOptions,
  ListOptions,
  ListPage,
  MkdirsOptions,
  OpenOptions,
  SpaceInfo,
  UfsStatus,
  UfsWriteStream,
  UnderStore,
  UnderStoreCapabilities,
} from '../ufs/contract.js';

export class PerUserUnderStore implements UnderStore {
  readonly uri: string;
  readonly scheme: string;
  readonly capabilities: UnderStoreCapabilities;
  private readonly stores = new Map<string, UnderStore>();

  constructor(
    private readonly fallback: UnderStore,
    private readonly userNow: () => string | undefined,
    private readonly storeOf: (user: string) => UnderStore,
  ) {
    this.uri = fallback.uri;
    this.scheme = fallback.scheme;
    this.capabilities = fallback.capabilities;
  }

  /** The store of the user acting now. */
  private get store(): UnderStore {
    const user = this.userNow();
    if (user === undefined) return this.fallback;
    let store = this.stores.get(user);
    if (!store) {
      store = this.storeOf(user);
      this.stores.set(user, store);
    }
    return store;
  }

  getStatus(path: string): Promise<UfsStatus> {
    return this.store.getStatus(path);
  }

  exists(path: string): Promise<boolean> {
    return this.store.exists(path);
  }

  list(path: string, options?: ListOptions): Promise<ListPage> {
    return this.store.list(path, options);
  }

  open(path: string, options?: OpenOptions): Promise<Readable> {
    return this.store.open(path, options);
  }

  create(path: string, options?: CreateOptions): Promise<UfsWriteStream> {
    return this.store.create(path, options);
  }

  mkdirs(path: string, options?: MkdirsOptions): Promise<void> {
    return this.store.mkdirs(path, options);
  }

  delete(path: string, options?: DeleteOptions): Promise<void> {
    return this.store.delete(path, options);
  }

  rename(source: string, destination: string): Promise<void> {
    return this.store.rename(source, destination);
  }

  getSpace(): Promise<SpaceInfo | undefined> {
    return this.store.getSpace();
  }

  async close(): Promise<void> {
    await Promise.all([this.fallback, ...this.stores.values()].map((store) => store.close()));
  }
}
