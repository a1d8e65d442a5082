/**
 * The tiered log over HTTP, `/api/v1/topics/...` and `/api/v1/namespaces/...`, JSON in and out.
 * Topic and namespace names travel in the query or body (they contain slashes). Served on the RPC
 * port (what the CLI calls) and on the web port's admin REST API alike.
 */
import type { ConsumeResponse, OffloadResponse, ProduceResponse } from '../log/log-api.js';
import { sizeOf } from '../log/log-api.js';
import { formatPosition, parsePosition } from '../log/position.js';
import type { TopicStore } from '../log/topic-store.js';
import { operation, schemas } from './api-schemas.js';
import { bodyOf, queryOf, type RouteSpec } from './routes.js';

const MAX_CONSUME = 10_000;

const { ref, str, int, object } = schemas;
const TOPIC = str('persistent://tenant/namespace/topic, or tenant/namespace/topic.');
const NAMESPACE = str('tenant/namespace');
const TOPIC_ONLY = object({ topic: TOPIC }, ['topic']);

export function logRoutes(store: TopicStore): RouteSpec[] {
  return [
    {
      method: 'GET',
      url: '/api/v1/topics',
      schema: operation({
        operationId: 'listTopics',
        tags: ['log'],
        summary: 'Topics of the tiered log, of one namespace or all.',
        querystring: object({ namespace: NAMESPACE }),
        response: object({ topics: schemas.strings() }, ['topics']),
      }),
      handler: async (request) => ({
        topics: await store.listTopics(queryOf<{ namespace?: string }>(request).namespace),
      }),
    },
    {
      method: 'POST',
      url: '/api/v1/topics/messages',
      schema: operation({
        operationId: 'produceMessages',
        tags: ['log'],
        summary: 'Appends messages to a topic; answers their positions (ledgerId:entryId).',
        body: object(
          {
            topic: TOPIC,
            messages: schemas.strings(),
            encoding: { type: 'string', enum: ['utf8', 'base64'], description: 'utf8 by default.' },
          },
          ['topic', 'messages'],
        ),
        response: object({ positions: schemas.strings('`L:E` of each message, in order.') }, ['positions']),
      }),
      handler: async (request): Promise<ProduceResponse> => {
        const body = bodyOf<{ topic: string; messages: string[]; encoding?: 'utf8' | 'base64' }>(request);
        const payloads = body.messages.map((m) => Buffer.from(m, body.encoding ?? 'utf8'));
        const positions = await store.append(body.topic, payloads);
        return { positions: positions.map(formatPosition) };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/topics/messages',
      schema: operation({
        operationId: 'consumeMessages',
        tags: ['log'],
        summary: 'Reads messages (base64) from a position, offloaded ledgers included.',
        querystring: object(
          {
            topic: TOPIC,
            from: str('`L:E`, 0:0 by default.'),
            max: { ...int('Messages at most.'), minimum: 1, maximum: MAX_CONSUME, default: 100 },
          },
          ['topic'],
        ),
        response: object(
          {
            entries: {
              type: 'array',
              items: object({ position: str(), data: str('Base64 payload.') }, ['position', 'data']),
            },
            next: str('Where the next read starts.'),
          },
          ['entries', 'next'],
        ),
      }),
      handler: async (request): Promise<ConsumeResponse> => {
        const query = queryOf<{ topic: string; from?: string; max: number }>(request);
        const from = parsePosition(query.from ?? '0:0');
        const entries = await store.readRange(query.topic, from, query.max);
        const last = entries.at(-1);
        return {
          entries: entries.map((e) => ({ position: formatPosition(e), data: e.payload.toString('base64') })),
          next: last
            ? formatPosition({ ledgerId: last.ledgerId, entryId: last.entryId + 1 })
            : formatPosition(from),
        };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/topics/ledgers',
      schema: operation({
        operationId: 'listLedgers',
        tags: ['log'],
        summary: 'The ledgers of a topic with their offload context.',
        querystring: TOPIC_ONLY,
        response: object({ ledgers: { type: 'array', items: ref('LedgerInfo') } }, ['ledgers']),
      }),
      handler: async (request) => ({
        ledgers: (await store.topic(queryOf<{ topic: string }>(request).topic)).ledgers(),
      }),
    },
    {
      method: 'POST',
      url: '/api/v1/topics/offload',
      schema: operation({
        operationId: 'triggerOffload',
        tags: ['log'],
        summary: 'Offloads the oldest ledgers until at most sizeThreshold stays local.',
        body: object({ topic: TOPIC, sizeThreshold: schemas.size() }, ['topic', 'sizeThreshold']),
        response: object(
          {
            triggered: schemas.bool(),
            topic: str('persistent://tenant/ns/topic'),
            before: str('`L:0:-1`: messages before it are offloaded.'),
          },
          ['triggered', 'topic'],
        ),
      }),
      handler: async (request): Promise<OffloadResponse> => {
        const body = bodyOf<{ topic: string; sizeThreshold: string | number }>(request);
        const threshold = sizeOf(body.sizeThreshold, 'sizeThreshold');
        const triggered = await store.triggerOffload(body.topic, threshold);
        if (!triggered) return { triggered: false, topic: (await store.topic(body.topic)).name.persistent };
        return { triggered: true, topic: triggered.topic, before: `${formatPosition(triggered.before)}:-1` };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/topics/offload-status',
      schema: operation({
        operationId: 'getOffloadStatus',
        tags: ['log'],
        summary: 'Status of the last offload of a topic: NOT_RUN, RUNNING, SUCCESS or ERROR with the reason.',
        querystring: TOPIC_ONLY,
        response: ref('OffloadStatus'),
      }),
      handler: async (request) => store.offloadStatus(queryOf<{ topic: string }>(request).topic),
    },
    {
      method: 'GET',
      url: '/api/v1/namespaces/policies',
      schema: operation({
        operationId: 'getNamespacePolicies',
        tags: ['log'],
        summary: 'Offload threshold, deletion lag and retention of a namespace.',
        querystring: object({ namespace: NAMESPACE }, ['namespace']),
        response: ref('NamespacePolicies'),
      }),
      handler: async (request) => store.namespacePolicies(queryOf<{ namespace: string }>(request).namespace),
    },
    {
      method: 'POST',
      url: '/api/v1/namespaces/offload-threshold',
      schema: operation({
        operationId: 'setOffloadThreshold',
        tags: ['log'],
        summary: 'Sets the offload threshold of a namespace (10M; 0 as soon as possible; -1 disabled).',
        body: object({ namespace: NAMESPACE, size: schemas.size() }, ['namespace', 'size']),
        response: ref('NamespacePolicies'),
      }),
      handler: async (request) => {
        const body = bodyOf<{ namespace: string; size: string | number }>(request);
        return store.setOffloadThreshold(body.namespace, sizeOf(body.size, 'size'));
      },
    },
    {
      method: 'POST',
      url: '/api/v1/namespaces/retention',
      schema: operation({
        operationId: 'setRetention',
        tags: ['log'],
        summary: 'Sets the retention of a namespace: size and time (ms); -1 or absent for no limit.',
        body: object({ namespace: NAMESPACE, size: schemas.size(), timeMs: int() }, ['namespace']),
        response: ref('NamespacePolicies'),
      }),
      handler: async (request) => {
        const body = bodyOf<{ namespace: string; size?: string | number; timeMs?: number }>(request);
        const size = body.size === undefined ? undefined : sizeOf(body.size, 'size');
        const time = body.timeMs;
        return store.setRetention(body.namespace, {
          sizeBytes: size !== undefined && size >= 0 ? size : undefined,
          timeMs: time !== undefined && time >= 0 ? time : undefined,
        });
      },
    },
  ];
}
