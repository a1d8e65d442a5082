/**
 * The files a gateway keeps its objects in, whatever the store: the local directory and the tierfs
 * namespace (TierfsUnderStore) are both UnderStores, and this is the little of one the object
 * model (object-model.ts) uses. Paths are the store's, `/`-separated; `''` is its root.
 */
import type { Readable } from 'node:stream';
import type { ListedName, UfsStatus, UfsWriteStream, UnderStore } from '../../ufs/contract.js';
import { type LayoutStore, underStoreLayout } from './key-layout.js';

export interface StoreFiles extends LayoutStore<UfsStatus> {
  /** Human-readable location for logs: the store's URI. */
  readonly description: string;
  /**
   * Reads `length` bytes (default: to the end) from `offset`; of the version whose fingerprint is
   * `version` only, when given (STALE when the file has another one).
   */
  open(path: string, range?: { offset: number; length: number }, version?: string): Promise<Readable>;
  /**
   * Starts writing the file at `path` (parents are created); visible only once the stream
   * finishes, when `written` names the bytes it wrote. Without overwrite an existing file is
   * ALREADY_EXISTS.
   */
  create(path: string, options?: { overwrite?: boolean; contentType?: string }): Promise<UfsWriteStream>;
  /** Deletes a file or an empty directory (DIRECTORY_NOT_EMPTY otherwise); recursive deletes everything. */
  delete(path: string, options?: { recursive?: boolean }): Promise<void>;
  /** The store's listing of names (UnderStore.listNames), when it has one. */
  names?(path: string): AsyncIterable<ListedName>;
}

export function storeFiles(store: UnderStore): StoreFiles {
  return {
    ...underStoreLayout(store),
    description: store.uri,
    open: (path, range, version) => store.open(path, { ...range, version }),
    create: (path, options = {}) =>
      store.create(path, { overwrite: options.overwrite ?? true, contentType: options.contentType }),
    delete: (path, options) => store.delete(path, options),
    ...(store.listNames ? { names: (path: string) => store.listNames!(path) } : {}),
  };
}
