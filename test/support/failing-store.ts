/**
 * A local directory whose file reads fail part way, for tests of reads that break mid-stream:
 * `failing-file://<N>/abs/dir` is the local store over /abs/dir, except that a read stream errors
 * (as a reset connection to a remote store would) when it reaches byte N of the file. Register it
 * in the process that runs the master and worker (see startCluster) by importing this module.
 */
import { Readable } from 'node:stream';
import type { UnderStore } from '../../src/ufs/contract.js';
import { FileSystem, registerUnderStore } from '../../src/ufs/registry.js';

export const FAILING_SCHEME = 'failing-file';

/** The URI of `dir` as a failing store whose reads fail at byte `failAt` of each file. */
export function failingStoreUri(dir: string, failAt: number): string {
  return `${FAILING_SCHEME}://${failAt}${dir}`;
}

/** Passes the bytes of `source` from file offset `start` on, and errors at file offset `failAt`. */
function failingAt(source: Readable, start: number, failAt: number): Readable {
  return Readable.from(
    (async function* () {
      let position = start;
      try {
        for await (const chunk of source as AsyncIterable<Buffer>) {
          if (position + chunk.length > failAt) {
            if (failAt > position) yield chunk.subarray(0, failAt - position);
            throw Object.assign(new Error(`injected failure at byte ${failAt}: read ECONNRESET`), {
              code: 'ECONNRESET',
            });
          }
          position += chunk.length;
          yield chunk;
        }
      } finally {
        source.destroy();
      }
    })(),
  );
}

registerUnderStore({
  schemes: [FAILING_SCHEME],
  description: 'test only: local files whose reads fail at a given byte',
  async create(uri, conf): Promise<UnderStore> {
    const failAt = Number(uri.authority);
    const local = await FileSystem.get(`file:///${uri.path}`, conf);
    return {
      uri: uri.href,
      scheme: FAILING_SCHEME,
      capabilities: local.capabilities,
      getStatus: (path) => local.getStatus(path),
      exists: (path) => local.exists(path),
      list: (path, options) => local.list(path, options),
      open: async (path, options) => failingAt(await local.open(path, options), options?.offset ?? 0, failAt),
      create: (path, options) => local.create(path, options),
      mkdirs: (path, options) => local.mkdirs(path, options),
      delete: (path, options) => local.delete(path, options),
      rename: (source, destination) => local.rename(source, destination),
      getSpace: () => local.getSpace(),
      close: () => local.close(),
    };
  },
});
