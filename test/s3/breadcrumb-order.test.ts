/**
 * Breadcrumbs written behind a listing's answer (src/ufs/object/object-store.ts): the listing of a
 * directory without a marker does not wait for the PUT of its marker; a delete or rename of the
 * directory waits for that PUT, so no marker lands after its directory is gone; a PUT that fails
 * leaves the directory implicit and the next listing writes it; close() waits for the PUTs.
 * s3rver behind the recording fault proxy, whose `hold` keeps the marker's PUT back.
 */
import { describe, expect, it } from 'vitest';
import { writeFile } from '../../src/ufs/io.js';
import type { ObjectUnderStore } from '../../src/ufs/object/object-store.js';
import { parseUfsUri } from '../../src/ufs/registry.js';
import { createS3UnderStore } from '../../src/ufs/s3/s3-store.js';
import { eventually } from '../support/eventually.js';
import type { SeenRequest } from '../support/fault-proxy.js';
import { rawKeys, rootPrefixOf, s3rverConfiguration, s3rverStore } from '../support/s3rver.js';
import { withS3rverBehindProxy } from '../support/s3rver-behind-proxy.js';

const env = withS3rverBehindProxy();

/** A store on its own prefix with `dir/a.txt` and `dir/b.txt` (no marker for `dir`). */
async function storeWithImplicitDir(): Promise<{ store: ObjectUnderStore; prefix: string }> {
  const store = await s3rverStore(env.proxy.endpoint);
  for (const name of ['a.txt', 'b.txt']) await writeFile(store, `dir/${name}`, name);
  return { store, prefix: rootPrefixOf(store) };
}

const isMarkerPut = (prefix: string) => (r: SeenRequest) =>
  r.method === 'PUT' && r.path.split('?')[0]!.endsWith(`/${prefix}dir/`);

/** A hold on the marker's PUT, and the function that lets it go on. */
function holdMarkerPut(prefix: string): () => void {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  env.proxy.rules.push({ match: isMarkerPut(prefix), fault: 'hold', release: released });
  return release;
}

describe('breadcrumbs behind the listing', () => {
  it('a listing is answered while the PUT of its directory marker is still held; close() waits for the PUT', async () => {
    const { store, prefix } = await storeWithImplicitDir();
    const release = holdMarkerPut(prefix);
    let closed = false;
    try {
      // A listing that waited for the held PUT would not be answered at all.
      const page = await Promise.race([
        store.list('dir'),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('the listing waited for the marker PUT')), 5_000),
        ),
      ]);
      expect(page.entries.map((e) => e.path)).toEqual(['dir/a.txt', 'dir/b.txt']);
      expect(page.directory?.isDirectory).toBe(true);
      // The PUT reaches the proxy and waits there: the marker is not written yet.
      await eventually(
        () => env.proxy.requests.filter(isMarkerPut(prefix)).length === 1,
        'the PUT to reach the proxy',
      );
      expect(await rawKeys(env.server, prefix)).toEqual(['dir/a.txt', 'dir/b.txt']);
      const closing = store.close().then(() => {
        closed = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(closed).toBe(false);
      release();
      await closing;
      expect(await rawKeys(env.server, prefix)).toEqual(['dir/', 'dir/a.txt', 'dir/b.txt']);
    } finally {
      release();
      if (!closed) await store.close();
    }
  });

  it.each(['delete', 'rename'] as const)(
    'a %s of the directory waits for its breadcrumb: no marker lands after it',
    async (operation) => {
      const { store, prefix } = await storeWithImplicitDir();
      const release = holdMarkerPut(prefix);
      try {
        await store.list('dir');
        const done =
          operation === 'delete' ? store.delete('dir', { recursive: true }) : store.rename('dir', 'moved');
        // The PUT goes on once the operation ends, or after 200 ms if it waits for the PUT.
        void Promise.race([done.catch(() => undefined), new Promise((r) => setTimeout(r, 200))]).then(
          release,
        );
        await done;
        await eventually(
          () => env.proxy.requests.filter(isMarkerPut(prefix)).every((r) => r.ended !== undefined),
          'the held PUT to end',
        );
        expect(await rawKeys(env.server, prefix)).toEqual(
          operation === 'delete' ? [] : ['moved/', 'moved/a.txt', 'moved/b.txt'],
        );
      } finally {
        release();
        await store.close();
      }
    },
  );

  it('a marker PUT that fails leaves the directory implicit and the listing whole; the next listing writes it', async () => {
    const { store, prefix } = await storeWithImplicitDir();
    env.proxy.rules.push({ match: isMarkerPut(prefix), fault: 'error500', times: 100 });
    try {
      const page = await store.list('dir');
      expect(page.entries.map((e) => e.path)).toEqual(['dir/a.txt', 'dir/b.txt']);
      await eventually(
        () => env.proxy.requests.some((r) => isMarkerPut(prefix)(r) && r.status === 500),
        'the failed PUT',
      );
      await store.close(); // waits for the PUT's retries to give up
      expect(await rawKeys(env.server, prefix)).toEqual(['dir/a.txt', 'dir/b.txt']);
    } finally {
      env.proxy.rules.length = 0;
    }
    // Another store on the same prefix (as after a restart) lists it again and writes the marker.
    const again = await createS3UnderStore(parseUfsUri(store.uri), s3rverConfiguration(env.proxy.endpoint));
    try {
      expect((await again.list('dir')).entries).toHaveLength(2);
    } finally {
      await again.close();
    }
    expect(await rawKeys(env.server, prefix)).toEqual(['dir/', 'dir/a.txt', 'dir/b.txt']);
  });
});
