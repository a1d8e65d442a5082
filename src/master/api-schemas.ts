/**
 * The JSON schemas of the master's API: the shapes of cluster/wire.ts (and of the tiered log's and
 * the tokens' answers) as named schemas, and the helpers routes declare their requests and answers
 * with (cluster/route-schemas.ts). Fastify validates requests and serializes answers from them;
 * @fastify/swagger turns the same schemas into the OpenAPI document (`components.schemas`, named by
 * `$id`).
 *
 * The serializer writes only the properties a schema names: a field added to a wire type must be
 * added here too (test/web/openapi.test.ts fails on an answer with a field its schema lacks).
 */
import type { FastifyInstance } from 'fastify';
import { WRITE_TYPES } from '../cluster/io-types.js';
import { schemas as base, ErrorBody, object, type Schema } from '../cluster/route-schemas.js';

export { operation, VALIDATION_OPTIONS } from '../cluster/route-schemas.js';

const { str, int, bool, ref } = base;

const FileStatus = {
  $id: 'FileStatus',
  description: 'A file or directory of the namespace.',
  ...object(
    {
      path: str('Absolute namespace path, `/` or `/a/b`.'),
      name: str("Last path component ('' for the root)."),
      isDirectory: bool(),
      size: int(),
      mtimeMs: int(),
      owner: str(),
      group: str(),
      mode: int('POSIX permission bits.'),
      persistence: { type: 'string', enum: ['PERSISTED', 'NOT_PERSISTED', 'TO_BE_PERSISTED'] },
      state: { type: 'string', enum: ['COMPLETE', 'INCOMPLETE'] },
      syncedAtMs: int('When tierfs last synced the entry with the under store.'),
      contentId: str('Identity of the content (changes with every new version of a file).'),
      ufsFingerprint: str("The under store's fingerprint of the version tierfs knows."),
      mountPoint: bool('The path is a mount point.'),
      mountPath: str('The mount the path belongs to.'),
      ufsUri: str('Where the data lives (or will live) in the under store.'),
      cachedBytes: int("Bytes of the file in the workers' caches, when asked for with `cached=true`."),
    },
    [
      'path',
      'name',
      'isDirectory',
      'size',
      'mtimeMs',
      'owner',
      'group',
      'mode',
      'persistence',
      'state',
      'syncedAtMs',
      'contentId',
      'mountPoint',
      'mountPath',
      'ufsUri',
    ],
  ),
};

const ListResult = {
  $id: 'ListResult',
  description: 'One page of a directory; `continuationToken` asks for the next.',
  ...object({ entries: { type: 'array', items: ref('FileStatus') }, continuationToken: str() }, ['entries']),
};

const TierUsage = {
  $id: 'TierUsage',
  ...object({ alias: str(), capacityBytes: int(), usedBytes: int() }, [
    'alias',
    'capacityBytes',
    'usedBytes',
  ]),
};

const WorkerInfo = {
  $id: 'WorkerInfo',
  ...object(
    {
      id: str(),
      address: str("`http://host:port` of the worker's data API."),
      startedMs: int(),
      lastHeartbeatMs: int(),
      tiers: { type: 'array', items: ref('TierUsage') },
      state: { type: 'string', enum: ['LIVE', 'LOST'] },
    },
    ['id', 'address', 'startedMs', 'lastHeartbeatMs', 'tiers', 'state'],
  ),
};

const MountInfo = {
  $id: 'MountInfo',
  ...object(
    {
      path: str(),
      ufsUri: str(),
      readOnly: bool(),
      shared: bool(),
      options: {
        type: 'object',
        description: 'Mount options, secrets masked as `******`.',
        additionalProperties: { type: 'string' },
      },
    },
    ['path', 'ufsUri', 'readOnly', 'shared', 'options'],
  ),
};

const clusterInfoProperties = {
  version: str(),
  startedMs: int(),
  masterAddress: str("The master's RPC address."),
  webAddress: str("The master's web address."),
  workers: { type: 'array', items: ref('WorkerInfo') },
};
const clusterInfoRequired = ['version', 'startedMs', 'masterAddress', 'webAddress', 'workers'];

const ClusterInfo = { $id: 'ClusterInfo', ...object(clusterInfoProperties, clusterInfoRequired) };

const ClusterOverview = {
  $id: 'ClusterOverview',
  description: 'What the Overview page shows.',
  ...object(
    {
      ...clusterInfoProperties,
      uptimeMs: int(),
      tiers: {
        type: 'array',
        description: 'Cache capacity of the live workers, summed per tier.',
        items: object({ alias: str(), capacityBytes: int(), usedBytes: int(), freeBytes: int() }, [
          'alias',
          'capacityBytes',
          'usedBytes',
          'freeBytes',
        ]),
      },
      ufs: object({ uri: str(), capacityBytes: int(), usedBytes: int(), freeBytes: int() }, ['uri']),
      persistQueue: object({ pending: int(), running: int(), failed: int() }, [
        'pending',
        'running',
        'failed',
      ]),
      warnings: { type: 'array', items: str() },
    },
    [...clusterInfoRequired, 'uptimeMs', 'tiers', 'ufs', 'persistQueue', 'warnings'],
  ),
};

const JobRecord = {
  $id: 'JobRecord',
  ...object(
    {
      id: str(),
      type: str('load'),
      state: { type: 'string', enum: ['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] },
      detail: {
        type: 'object',
        description: 'The request, progress counters and the error, by job type.',
        additionalProperties: true,
      },
      createdMs: int(),
      updatedMs: int(),
    },
    ['id', 'type', 'state', 'detail', 'createdMs', 'updatedMs'],
  ),
};

const ConfigurationEntry = {
  $id: 'ConfigurationEntry',
  ...object(
    {
      key: str(),
      value: str('`******` for secrets; absent when unset.'),
      secret: bool(),
      source: str('DEFAULT, SITE_PROPERTY /etc/tierfs/tierfs-site.properties:3, SYSTEM_PROPERTY, ...'),
      description: str(),
    },
    ['key', 'secret'],
  ),
};

const MetricsSample = {
  $id: 'MetricsSample',
  description: "One sample of the cluster's totals.",
  ...object(
    {
      timeMs: int(),
      workers: int(),
      cacheHits: int(),
      cacheMisses: int(),
      cacheBytesRead: int(),
      cacheEvictions: int(),
      ufsBytesRead: int(),
      ufsOperations: int(),
      bytesWritten: int('File bytes clients wrote through the workers.'),
    },
    [
      'timeMs',
      'workers',
      'cacheHits',
      'cacheMisses',
      'cacheBytesRead',
      'cacheEvictions',
      'ufsBytesRead',
      'ufsOperations',
      'bytesWritten',
    ],
  ),
};

const tokenProperties = {
  id: str(),
  user: str(),
  groups: { type: 'array', items: str() },
  createdMs: int(),
  expiresMs: int('When the token stops being accepted (absent: never).'),
};
const TokenInfo = { $id: 'TokenInfo', ...object(tokenProperties, ['id', 'user', 'groups', 'createdMs']) };
const CreatedToken = {
  $id: 'CreatedToken',
  description: 'The one answer the token ever appears in.',
  ...object({ ...tokenProperties, token: str() }, ['id', 'user', 'groups', 'createdMs', 'token']),
};

const LedgerInfo = {
  $id: 'LedgerInfo',
  ...object(
    {
      ledgerId: int(),
      entries: int(),
      size: int('Payload bytes.'),
      createdMs: int(),
      closedMs: int('0 while the ledger is open (the current ledger).'),
      offload: object(
        {
          uuid: str(),
          complete: bool(),
          driver: object({ driver: str(), bucket: str(), endpoint: str(), region: str() }, [
            'driver',
            'bucket',
          ]),
          offloadedMs: int(),
        },
        ['uuid', 'complete', 'driver'],
      ),
      localDeleted: bool('The local copy was deleted after the offload deletion lag.'),
    },
    ['ledgerId', 'entries', 'size', 'createdMs', 'closedMs'],
  ),
};

const OffloadStatus = {
  $id: 'OffloadStatus',
  ...object(
    {
      state: { type: 'string', enum: ['NOT_RUN', 'RUNNING', 'SUCCESS', 'ERROR'] },
      firstUnoffloaded: object({ ledgerId: int(), entryId: int() }, ['ledgerId', 'entryId']),
      error: str('ERROR: `Error offloading: <cause>`.'),
      trigger: { type: 'string', enum: ['manual', 'threshold'] },
      updatedMs: int(),
    },
    ['state', 'updatedMs'],
  ),
};

const NamespacePolicies = {
  $id: 'NamespacePolicies',
  ...object({
    offloadThresholdBytes: int('> 0: offload past this many bytes; 0: as soon as possible; < 0: disabled.'),
    offloadDeletionLagMs: int(),
    retentionSizeBytes: int(),
    retentionTimeMs: int(),
  }),
};

const SHARED_SCHEMAS = [
  ErrorBody,
  FileStatus,
  ListResult,
  TierUsage,
  WorkerInfo,
  MountInfo,
  ClusterInfo,
  ClusterOverview,
  JobRecord,
  ConfigurationEntry,
  MetricsSample,
  TokenInfo,
  CreatedToken,
  LedgerInfo,
  OffloadStatus,
  NamespacePolicies,
];

/** Adds the named schemas to an app, before any route refers to them. */
export function addApiSchemas(app: FastifyInstance): void {
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
}

/** The helpers of cluster/route-schemas.ts, and the master's own request shapes. */
export const schemas = {
  ...base,
  /** A size: bytes, or text such as `10M` or `512KB`; `-1` disables. */
  size: (): Schema => ({
    anyOf: [{ type: 'integer' }, { type: 'string', minLength: 1 }],
    description: 'Bytes, or a size such as 10M, 512KB, 0 or -1.',
  }),
  /** Any letter case (the handler parses it and names the choices when it is none of them). */
  writeType: (): Schema =>
    str(`One of ${WRITE_TYPES.join(', ')} (any letter case); CACHE_THROUGH by default.`),
};
