/**
 * A store that replaces a file right before the next open of it reaches the store underneath: the
 * race of an object replaced between a gateway's HEAD of it and its read, made certain.
 */
import type { Readable } from 'node:stream';
import type { OpenOptions, UnderStore } from '../../src/ufs/contract.js';
import { writeFile } from '../../src/ufs/io.js';

export interface ReplacingStore {
  /** Wraps the gateway's store. */
  wrap(store: UnderStore): UnderStore;
  /** The next open of a path ending in `path` first replaces the file with `data`. */
  replaceBeforeNextOpen(path: string, data: Buffer): void;
  /** Whether the replacement asked for has happened. */
  readonly replaced: boolean;
}

export function replacingStore(): ReplacingStore {
  let pending: { path: string; data: Buffer } | undefined;
  return {
    wrap: (store) =>
      new Proxy(store, {
        get(target, property, receiver) {
          if (property !== 'open') return Reflect.get(target, property, receiver);
          return async (path: string, options?: OpenOptions): Promise<Readable> => {
            const replace = pending;
            if (replace && path.endsWith(replace.path)) {
              pending = undefined;
              await writeFile(target, path, replace.data, { overwrite: true });
            }
            return target.open(path, options);
          };
        },
      }),
    replaceBeforeNextOpen(path, data) {
      pending = { path, data };
    },
    get replaced() {
      return pending === undefined;
    },
  };
}
