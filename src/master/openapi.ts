/**
 * The OpenAPI 3 document of the admin REST API on the web port (`GET /api/v1/openapi.json`),
 * built from one table of endpoints so the document and docs/rest.md name the same things.
 */
import { VERSION } from '../version.js';

type FieldType = 'string' | 'boolean' | 'integer' | 'object';

interface Endpoint {
  readonly method: 'get' | 'post' | 'delete';
  readonly path: string;
  readonly summary: string;
  readonly query?: Readonly<Record<string, { type: FieldType; required?: boolean }>>;
  readonly body?: Readonly<Record<string, { type: FieldType; required?: boolean }>>;
  /** Answers something other than JSON. */
  readonly produces?: string;
  readonly status?: number;
}

const PATH = { path: { type: 'string', required: true } } as const;
const RECURSIVE = { recursive: { type: 'boolean' } } as const;

export const REST_ENDPOINTS: readonly Endpoint[] = [
  { method: 'get', path: '/api/v1/health', summary: 'Liveness: {status: "ok"}.' },
  { method: 'get', path: '/api/v1/cluster', summary: 'Version, start time, addresses and workers.' },
  {
    method: 'get',
    path: '/api/v1/overview',
    summary: 'The Overview page as JSON: capacity per tier, UFS capacity, persist queue, warnings.',
  },
  { method: 'get', path: '/api/v1/workers', summary: 'Workers with their tiers and state (LIVE or LOST).' },
  { method: 'get', path: '/api/v1/mounts', summary: 'The mount table, options with secrets masked.' },
  {
    method: 'post',
    path: '/api/v1/mounts',
    summary: 'Mounts an under store.',
    body: {
      ...PATH,
      ufsUri: { type: 'string', required: true },
      readOnly: { type: 'boolean' },
      shared: { type: 'boolean' },
      options: { type: 'object' },
    },
  },
  { method: 'post', path: '/api/v1/mounts/remove', summary: 'Unmounts a mount point.', body: PATH },
  { method: 'delete', path: '/api/v1/mounts', summary: 'Unmounts a mount point.', query: PATH },
  {
    method: 'get',
    path: '/api/v1/paths/status',
    summary: 'Status of a file or directory.',
    query: { ...PATH, syncIntervalMs: { type: 'integer' }, cached: { type: 'boolean' } },
  },
  {
    method: 'get',
    path: '/api/v1/paths/list',
    summary: 'One page of a directory.',
    query: {
      ...PATH,
      pageSize: { type: 'integer' },
      continuationToken: { type: 'string' },
      cached: { type: 'boolean' },
    },
  },
  {
    method: 'get',
    path: '/api/v1/paths/cached',
    summary: "Bytes of a file, or of each file in a directory, held in the workers' caches.",
    query: PATH,
  },
  {
    method: 'post',
    path: '/api/v1/paths/mkdir',
    summary: 'Creates a directory.',
    body: { ...PATH, ...RECURSIVE, allowExists: { type: 'boolean' } },
  },
  {
    method: 'post',
    path: '/api/v1/paths/delete',
    summary: 'Deletes a file or directory.',
    body: { ...PATH, ...RECURSIVE },
  },
  {
    method: 'post',
    path: '/api/v1/paths/rename',
    summary: 'Renames a file or directory within a mount.',
    body: { source: { type: 'string', required: true }, destination: { type: 'string', required: true } },
  },
  {
    method: 'post',
    path: '/api/v1/paths/set-attribute',
    summary: 'chmod, chown, chgrp, and the modification time.',
    body: {
      ...PATH,
      ...RECURSIVE,
      mode: { type: 'integer' },
      owner: { type: 'string' },
      group: { type: 'string' },
      mtimeMs: { type: 'integer' },
    },
  },
  {
    method: 'post',
    path: '/api/v1/paths/load-metadata',
    summary: 'Loads metadata from the under store.',
    body: { ...PATH, ...RECURSIVE },
  },
  { method: 'post', path: '/api/v1/paths/free', summary: 'Drops cached pages under a path.', body: PATH },
  { method: 'post', path: '/api/v1/paths/persist', summary: 'Queues persistence of a file.', body: PATH },
  {
    method: 'post',
    path: '/api/v1/paths/load',
    summary: 'Starts a load job (reads every file under the path into the cache); answers 202 with the job.',
    body: PATH,
    status: 202,
  },
  { method: 'get', path: '/api/v1/jobs', summary: 'Recent jobs, newest first.' },
  { method: 'get', path: '/api/v1/jobs/{id}', summary: 'One job with its progress.' },
  {
    method: 'get',
    path: '/api/v1/configuration',
    summary: 'Every property: value (secrets masked), source and description.',
  },
  { method: 'get', path: '/api/v1/metrics', summary: 'The in-memory samples behind the Metrics page.' },
  { method: 'get', path: '/api/v1/openapi.json', summary: 'This document.' },
  // User tokens (docs/security.md): the superuser only.
  {
    method: 'post',
    path: '/api/v1/auth/tokens',
    summary: 'Creates a user token; the answer is the only place the token ever appears.',
    body: { user: { type: 'string', required: true }, groups: { type: 'object' } },
  },
  {
    method: 'get',
    path: '/api/v1/auth/tokens',
    summary: 'Tokens: id, user, groups, created (never the token).',
  },
  {
    method: 'post',
    path: '/api/v1/auth/tokens/revoke',
    summary: 'Revokes a token by id.',
    body: { id: { type: 'string', required: true } },
  },
  { method: 'delete', path: '/api/v1/auth/tokens/{id}', summary: 'Revokes a token by id.' },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics of the master.',
    produces: 'text/plain',
  },
  // The tiered log (docs/tiered-logs.md), when tierfs.log.enabled.
  {
    method: 'get',
    path: '/api/v1/topics',
    summary: 'Topics of the tiered log, of one namespace or all.',
    query: { namespace: { type: 'string' } },
  },
  {
    method: 'post',
    path: '/api/v1/topics/messages',
    summary: 'Appends messages to a topic; answers their positions (ledgerId:entryId).',
    body: {
      topic: { type: 'string', required: true },
      messages: { type: 'object', required: true },
      encoding: { type: 'string' },
    },
  },
  {
    method: 'get',
    path: '/api/v1/topics/messages',
    summary: 'Reads messages (base64) from a position, offloaded ledgers included.',
    query: { topic: { type: 'string', required: true }, from: { type: 'string' }, max: { type: 'integer' } },
  },
  {
    method: 'get',
    path: '/api/v1/topics/ledgers',
    summary: 'The ledgers of a topic with their offload context.',
    query: { topic: { type: 'string', required: true } },
  },
  {
    method: 'post',
    path: '/api/v1/topics/offload',
    summary: 'Offloads the oldest ledgers until at most sizeThreshold stays local.',
    body: { topic: { type: 'string', required: true }, sizeThreshold: { type: 'string', required: true } },
  },
  {
    method: 'get',
    path: '/api/v1/topics/offload-status',
    summary: 'Status of the last offload of a topic: NOT_RUN, RUNNING, SUCCESS or ERROR with the reason.',
    query: { topic: { type: 'string', required: true } },
  },
  {
    method: 'get',
    path: '/api/v1/namespaces/policies',
    summary: 'Offload threshold, deletion lag and retention of a namespace.',
    query: { namespace: { type: 'string', required: true } },
  },
  {
    method: 'post',
    path: '/api/v1/namespaces/offload-threshold',
    summary: 'Sets the offload threshold of a namespace (10M; 0 as soon as possible; -1 disabled).',
    body: { namespace: { type: 'string', required: true }, size: { type: 'string', required: true } },
  },
  {
    method: 'post',
    path: '/api/v1/namespaces/retention',
    summary: 'Sets the retention of a namespace: size and time (ms); -1 or absent for no limit.',
    body: {
      namespace: { type: 'string', required: true },
      size: { type: 'string' },
      timeMs: { type: 'integer' },
    },
  },
];

function schemaOf(fields: Readonly<Record<string, { type: FieldType; required?: boolean }>>) {
  const required = Object.entries(fields)
    .filter(([, f]) => f.required)
    .map(([name]) => name);
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, { type: f.type }])),
    ...(required.length > 0 ? { required } : {}),
  };
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const e of REST_ENDPOINTS) {
    const parameters = [
      ...(e.path.includes('{id}')
        ? [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }]
        : []),
      ...Object.entries(e.query ?? {}).map(([name, f]) => ({
        name,
        in: 'query',
        required: f.required === true,
        schema: { type: f.type },
      })),
    ];
    const content = e.produces ?? 'application/json';
    paths[e.path] ??= {};
    paths[e.path]![e.method] = {
      summary: e.summary,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(e.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(e.body) } } } }
        : {}),
      security: [{ bearerToken: [] }],
      responses: {
        [String(e.status ?? 200)]: { description: 'OK', content: { [content]: {} } },
        default: {
          description: 'An error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'tierfs master REST API',
      version: VERSION,
      description:
        'Admin API on the master web port. Every call is authenticated (docs/security.md): a bearer token ' +
        '(a user token, tierfs.web.admin.token or the cluster secret), or under SIMPLE authentication a ' +
        'user named in x-tierfs-user from loopback. See docs/rest.md.',
    },
    paths,
    components: {
      securitySchemes: { bearerToken: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: { type: 'string' },
            message: { type: 'string' },
            retryable: { type: 'boolean', description: 'Whether the same call may succeed if tried again.' },
            details: {
              type: 'object',
              additionalProperties: true,
              description: 'Structured facts, never secrets.',
            },
          },
        },
      },
    },
  };
}
