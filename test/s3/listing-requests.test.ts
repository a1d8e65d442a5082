/**
 * One listing request per page: a page that a directory's own marker (or a key it skips) leaves
 * short of the page size comes back short, with a token, instead of waiting for a second request
 * to top it up (a round trip per listing on the master's cold path). Every entry still comes once.
 */
import { describe, expect, it } from 'vitest';
import { writeFile } from '../../src/ufs/io.js';
import { parseUfsUri } from '../../src/ufs/registry.js';
import { createS3UnderStore } from '../../src/ufs/s3/s3-store.js';
import { s3rverConfiguration, TEST_BUCKET } from '../support/s3rver.js';
import { withS3rverBehindProxy } from '../support/s3rver-behind-proxy.js';

const fixture = withS3rverBehindProxy();

/** ListObjectsV2 requests of the listing itself since request `from` (not the lookup's max-keys=1). */
const pageRequests = (from: number) =>
  fixture.proxy.requests
    .slice(from)
    .filter((r) => r.method === 'GET' && r.query.get('list-type') === '2' && r.query.get('max-keys') !== '1');

describe('S3 listing pages', () => {
  it('take one request each when the marker of the directory takes a place', async () => {
    const store = await createS3UnderStore(
      parseUfsUri(`s3://${TEST_BUCKET}/listing-requests-${process.pid}/`),
      s3rverConfiguration(fixture.proxy.endpoint, { 'tierfs.underfs.listing.length': '3' }),
    );
    try {
      await store.mkdirs('d'); // the marker `d/` sorts first and comes back in the first request
      const names = ['1', '2', '3', '4', '5', '6', '7'];
      for (const name of names) await writeFile(store, `d/${name}`, name);

      const listed: string[] = [];
      let token: string | undefined;
      let pages = 0;
      const from = fixture.proxy.requests.length;
      do {
        const page = await store.list('d', { pageSize: 3, continuationToken: token });
        expect(page.entries.length).toBeLessThanOrEqual(3);
        listed.push(...page.entries.map((e) => e.name));
        token = page.continuationToken;
        pages++;
      } while (token);

      expect(listed).toEqual(names);
      // 8 keys (the marker and 7 files), 3 a request: 3 requests, one per page.
      expect(pageRequests(from).length).toBe(pages);
      expect(pages).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('look the directory up with the first page: the HEAD of its path, no max-keys=1 listing of its own', async () => {
    const store = await createS3UnderStore(
      parseUfsUri(`s3://${TEST_BUCKET}/listing-lookup-${process.pid}/`),
      s3rverConfiguration(fixture.proxy.endpoint),
    );
    try {
      await store.mkdirs('d');
      for (const name of ['1', '2']) await writeFile(store, `d/${name}`, name);
      await writeFile(store, 'f', 'a file');

      const from = fixture.proxy.requests.length;
      const page = await store.list('d');
      const sent = fixture.proxy.requests.slice(from);
      expect(page.entries.map((e) => e.name)).toEqual(['1', '2']);
      // What getStatus says of it, brought with the page: a caller need not ask again.
      expect(page.directory).toEqual(await store.getStatus('d'));
      expect(sent.map((r) => r.method).sort()).toEqual(['GET', 'HEAD']);
      expect(sent.find((r) => r.method === 'GET')!.query.get('max-keys')).not.toBe('1');

      // A file and a missing path are still told apart from an empty listing.
      await expect(store.list('f')).rejects.toMatchObject({ code: 'NOT_A_DIRECTORY' });
      await expect(store.list('missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await store.close();
    }
  });
});
