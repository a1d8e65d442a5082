/**
 * A store that replaces a file right before the next open of it reaches the store underneath: the
 * race of an object replaced between a gateway's HEAD of it and its read, made certain. Or right
 * after a write of it, before anyone looks at it: the race of another writer between a gateway's
 * write and its record of what it wrote.
 */
import type { Readable } from 'node:stream';
import type {
  CreateOptions,
  OpenOptions,
  UfsStatus,
  UfsWriteStream,
  UnderStore,
} from '../../src/ufs/contract.js';
import { writeFile } from '../../src/ufs/io.js';

export interface ReplacingStore {
  /** Wraps the gateway's store. */
  wrap(store: UnderStore): UnderStore;
  /** The next open of a path ending in `path` first replaces the file with `data`. */
  replaceBeforeNextOpen(path: string, data: Buffer): void;
  /** Whether the replacement asked for has happened. */
  readonly replaced: boolean;
  /**
   * The next file written at a path ending in `path` is replaced with `data` once written: at the
   * first getStatus of it, or at `settle` when nothing looked.
   */
  replaceAfterNextWrite(path: string, data: Buffer): void;
  /** Makes a replacement after a write happen now, if the write happened and nothing looked yet. */
  settle(): Promise<void>;
}

export function replacingStore(): ReplacingStore {
  let pending: { path: string; data: Buffer } | undefined;
  let afterWrite: { suffix: string; data: Buffer; written?: string; store?: UnderStore } | undefined;
  const replaceWritten = async () => {
    const replace = afterWrite;
    if (!replace?.written || !replace.store) return;
    afterWrite = undefined;
    await writeFile(replace.store, replace.written, replace.data, { overwrite: true });
  };
  return {
    wrap: (store) =>
      new Proxy(store, {
        get(target, property, receiver) {
          if (property === 'create') {
            return async (path: string, options?: CreateOptions): Promise<UfsWriteStream> => {
              const out = await target.create(path, options);
              if (afterWrite && !afterWrite.written && path.endsWith(afterWrite.suffix)) {
                const replace = afterWrite;
                out.once('finish', () => {
                  replace.written = path;
                  replace.store = target;
                });
              }
              return out;
            };
          }
          if (property === 'getStatus') {
            return async (path: string): Promise<UfsStatus> => {
              if (afterWrite?.written === path) await replaceWritten();
              return target.getStatus(path);
            };
          }
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
      return pending === undefined && afterWrite === undefined;
    },
    replaceAfterNextWrite(path, data) {
      afterWrite = { suffix: path, data };
    },
    settle: replaceWritten,
  };
}
