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
});
