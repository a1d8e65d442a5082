/**
 * The tiered log over HTTP, `/api/v1/topics/...` and `/api/v1/namespaces/...`, JSON in and out.
 * Topic and namespace names travel in the query or body (they contain slashes). Served on the RPC
 * port (what the CLI calls) and on the web port's admin REST API alike.
 */
import type { FastifyRequest } from 'fastify';
import { TierfsError } from '../errors.js';
import { type ConsumeResponse, type OffloadResponse, type ProduceResponse, sizeOf } from '../log/log-api.js';
import { formatPosition, parsePosition } from '../log/position.js';
import type { TopicStore } from '../log/topic-store.js';
import { bodyOf, field, queryOf, type RouteSpec, requiredString } from './routes.js';

const MAX_CONSUME = 10_000;

function countOf(request: FastifyRequest): number {
  const raw = queryOf(request).max;
  const max = raw === undefined ? 100 : Number(raw);
  if (!Number.isSafeInteger(max) || max < 1 || max > MAX_CONSUME) {
    throw new TierfsError('INVALID_ARGUMENT', `'max' must be an integer from 1 to ${MAX_CONSUME}`);
  }
  return max;
}

export function logRoutes(store: TopicStore): RouteSpec[] {
  return [
    {
      method: 'GET',
      url: '/api/v1/topics',
      handler: async (request) => ({
        topics: await store.listTopics(field(queryOf(request), 'namespace', 'string')),
      }),
    },
    {
      method: 'POST',
      url: '/api/v1/topics/messages',
      handler: async (request): Promise<ProduceResponse> => {
        const body = bodyOf(request);
        const messages = body.messages;
        if (!Array.isArray(messages) || messages.some((m) => typeof m !== 'string')) {
          throw new TierfsError('INVALID_ARGUMENT', "'messages' must be an array of strings");
        }
        const encoding = field(body, 'encoding', 'string') ?? 'utf8';
        if (encoding !== 'utf8' && encoding !== 'base64') {
          throw new TierfsError('INVALID_ARGUMENT', "'encoding' must be utf8 or base64");
        }
        const payloads = (messages as string[]).map((m) => Buffer.from(m, encoding));
        const positions = await store.append(requiredString(body, 'topic'), payloads);
        return { positions: positions.map(formatPosition) };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/topics/messages',
      handler: async (request): Promise<ConsumeResponse> => {
        const query = queryOf(request);
        const from = parsePosition(field(query, 'from', 'string') ?? '0:0');
        const entries = await store.readRange(requiredString(query, 'topic'), from, countOf(request));
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
      handler: async (request) => ({
        ledgers: (await store.topic(requiredString(queryOf(request), 'topic'))).ledgers(),
      }),
    },
    {
      method: 'POST',
      url: '/api/v1/topics/offload',
      handler: async (request): Promise<OffloadResponse> => {
        const body = bodyOf(request);
        const topic = requiredString(body, 'topic');
        const threshold = sizeOf(body.sizeThreshold, 'sizeThreshold');
        const triggered = await store.triggerOffload(topic, threshold);
        if (!triggered) return { triggered: false, topic: (await store.topic(topic)).name.persistent };
        return { triggered: true, topic: triggered.topic, before: `${formatPosition(triggered.before)}:-1` };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/topics/offload-status',
      handler: async (request) => store.offloadStatus(requiredString(queryOf(request), 'topic')),
    },
    {
      method: 'GET',
      url: '/api/v1/namespaces/policies',
      handler: async (request) => store.namespacePolicies(requiredString(queryOf(request), 'namespace')),
    },
    {
      method: 'POST',
      url: '/api/v1/namespaces/offload-threshold',
      handler: async (request) => {
        const body = bodyOf(request);
        return store.setOffloadThreshold(requiredString(body, 'namespace'), sizeOf(body.size, 'size'));
      },
    },
    {
      method: 'POST',
      url: '/api/v1/namespaces/retention',
      handler: async (request) => {
        const body = bodyOf(request);
        const size = body.size === undefined ? undefined : sizeOf(body.size, 'size');
        const time = field(body, 'timeMs', 'number');
        return store.setRetention(requiredString(body, 'namespace'), {
          sizeBytes: size !== undefined && size >= 0 ? size : undefined,
          timeMs: time !== undefined && time >= 0 ? time : undefined,
        });
      },
    },
  ];
}
