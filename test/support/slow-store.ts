/**
 * A local directory whose persists are slow, for races with a persist in flight without big files:
 * `slow-file://<ms>/abs/dir` is the local store over /abs/dir, except that a write to a temporary
 * object (ufs/temporary.ts) finishes `ms` after its last byte, and moving a temporary object into
 * place starts `ms` after it was asked for. Each phase is announced on `slowStoreEvents` before it
 * waits ('writing' and 'committing', with the final path for the latter), so a test can act in the
 * middle of it. Register it in the process that runs the master and worker by importing this module.
 */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { UfsWriteStream, UnderStore } from '../../src/ufs/contract.js';
import { FileSystem, registerUnderStore } from '../../src/ufs/registry.js';
import { isTemporaryPath } from '../../src/ufs/temporary.js';

export const SLOW_SCHEME = 'slow-file';

/** 'writing' (ufsPath of the temporary object) and 'committing' (source, destination). */
export const slowStoreEvents = new EventEmitter();

/** The URI of `dir` as a slow store whose temporary writes and commits each take `ms` longer. */
export function slowStoreUri(dir: string, ms: number): string {
  return `${SLOW_SCHEME}://${ms}${dir}`;
}

/** Passes writes to `inner`, and finishes `delayMs` after the last one. */
function slowFinish(inner: UfsWriteStream, delayMs: number): UfsWriteStream {
  const outer = new Writable({
    write(chunk, _encoding, callback) {
      if (inner.write(chunk)) callback();
      else inner.once('drain', () => callback());
    },
    final(callback) {
      sleep(delayMs)
        .then(() => {
          inner.end();
          return finished(inner);
        })
        .then(() => callback(), callback);
    },
    destroy(error, callback) {
      inner.once('close', () => callback(error));
      inner.destroy(error ?? undefined);
      if (inner.closed) callback(error);
    },
  });
  // What the inner write produced, once it committed (before this stream's 'finish').
  return Object.defineProperty(outer, 'written', { get: () => inner.written }) as UfsWriteStream;
}

registerUnderStore({
  schemes: [SLOW_SCHEME],
  description: 'test only: local files whose persists are slow',
  async create(uri, conf): Promise<UnderStore> {
    const delayMs = Number(uri.authority);
    const local = await FileSystem.get(`file:///${uri.path}`, conf);
    return {
      uri: uri.href,
      scheme: SLOW_SCHEME,
      capabilities: local.capabilities,
      getStatus: (path) => local.getStatus(path),
      exists: (path) => local.exists(path),
      list: (path, options) => local.list(path, options),
      open: (path, options) => local.open(path, options),
      async create(path, options) {
        const stream = await local.create(path, options);
        if (!isTemporaryPath(path)) return stream;
        slowStoreEvents.emit('writing', path);
        return slowFinish(stream, delayMs);
      },
      mkdirs: (path, options) => local.mkdirs(path, options),
      delete: (path, options) => local.delete(path, options),
      async rename(source, destination) {
        if (isTemporaryPath(source)) {
          slowStoreEvents.emit('committing', source, destination);
          await sleep(delayMs);
        }
        return local.rename(source, destination);
      },
      getSpace: () => local.getSpace(),
      cleanup: local.cleanup ? () => local.cleanup!() : undefined,
      close: () => local.close(),
    };
  },
});
