/**
 * `open-list` is serialised by openListText (JSON.stringify of the wire statuses), not by fastify's
 * schema serializer: the JSON must be what that serializer wrote (an older client gets what it
 * got), with none of the namespace's own fields (childrenLoaded, ufsPath).
 */
import fastJsonStringify from 'fast-json-stringify';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { FileStatus, ListResult } from '../namespace/namespace.js';
import { addApiSchemas } from './api-schemas.js';
import { openListText, wireList, wireStatus } from './wire-status.js';

const status = (name: string, more: Partial<FileStatus> = {}): FileStatus =>
  ({
    path: `/m/d/${name}`,
    name,
    isDirectory: false,
    size: 4096,
    mtimeMs: 1_733_600_000_123,
    owner: 'u',
    group: 'g',
    mode: 0o644,
    state: 'COMPLETE',
    persistence: 'PERSISTED',
    contentId: `c-${name}`,
    ufsFingerprint: `"etag-${name}"`,
    syncedAtMs: 1_733_600_000_000,
    childrenLoaded: false,
    mountPoint: false,
    mountPath: '/m',
    ufsPath: `d/${name}`,
    ufsUri: `s3://b/p/d/${name}`,
    ...more,
  }) as FileStatus;

const page: ListResult = {
  entries: [
    status('a "quoted" \\ name'),
    status('no-fingerprint', { ufsFingerprint: undefined, persistence: 'NOT_PERSISTED' }),
    status('sub', { isDirectory: true, size: 0, childrenLoaded: true }),
    status('mnt', { mountPoint: true, mountPath: '/m/d/mnt', ufsPath: '', ufsUri: 'file:///srv/x' }),
  ],
  continuationToken: 'dG9rZW4',
};

// What fastify wrote for open-list (the route's response schema, with the shared FileStatus).
const app = Fastify();
addApiSchemas(app);
const fastifySerialized = fastJsonStringify(
  {
    type: 'object',
    properties: {
      entries: { type: 'array', items: { $ref: 'FileStatus#' } },
      continuationToken: { type: 'string' },
      capabilities: { type: 'array', items: { type: ['string', 'null'] } },
      pageCapabilities: { type: 'array', items: { type: 'string' } },
      unreadable: { type: 'array', items: { type: 'integer' } },
    },
    required: ['entries', 'capabilities'],
  } as never,
  { schema: app.getSchemas() as never },
);

describe('openListText', () => {
  it.each([
    ['per-file capabilities', { capabilities: ['cap-a', null, null, null] }],
    ['page capabilities', { capabilities: [], pageCapabilities: ['tok-0'], unreadable: [1] }],
  ])('writes the JSON fastify wrote, %s', (_, extra) => {
    const text = openListText(page, extra);
    expect(JSON.parse(text)).toEqual(JSON.parse(fastifySerialized({ ...wireList(page), ...extra })));
    const entries = JSON.parse(text).entries as Record<string, unknown>[];
    expect(entries.map((e) => Object.keys(e).sort())).toEqual(
      page.entries.map((e) =>
        Object.keys(wireStatus(e))
          .filter((k) => k !== 'ufsFingerprint' || e.ufsFingerprint !== undefined)
          .sort(),
      ),
    );
    expect(entries[1]).not.toHaveProperty('ufsFingerprint');
    for (const e of entries) {
      expect(e).not.toHaveProperty('childrenLoaded');
      expect(e).not.toHaveProperty('ufsPath');
    }
  });
});
