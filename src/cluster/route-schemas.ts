/**
 * How a tierfs HTTP route declares its JSON schemas: the helpers (object, string, ... and `operation`,
 * which adds the ErrorBody answers), and the validator options of every tierfs port. Fastify
 * validates requests and serializes answers from these schemas; on the master's web port
 * @fastify/swagger also documents them (master/openapi.ts). ErrorBody is the one shared schema
 * every port adds (`addErrorSchema`); the master's named wire shapes are in master/api-schemas.ts.
 */
import type { FastifyInstance, FastifySchema } from 'fastify';

export type Schema = Record<string, unknown>;

const str = (description?: string): Schema => ({ type: 'string', ...(description ? { description } : {}) });
const int = (description?: string): Schema => ({ type: 'integer', ...(description ? { description } : {}) });
const bool = (description?: string): Schema => ({ type: 'boolean', ...(description ? { description } : {}) });
/** A schema added to the app with this `$id`. */
const ref = (id: string): Schema => ({ $ref: `${id}#` });

/** An object of these properties, the ones named in `required` always present. */
export function object(properties: Record<string, Schema>, required: readonly string[] = []): Schema {
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required: [...required] } : {}),
  };
}

export const ErrorBody = {
  $id: 'ErrorBody',
  description: 'Every failure: a stable code, one sentence saying what was wrong and what would be right.',
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: str('INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED, ALREADY_EXISTS, ...'),
    message: str(),
    retryable: bool('Whether the same call may succeed if tried again.'),
    details: {
      type: 'object',
      description: 'Structured facts (never secrets), e.g. the path a STALE read was for.',
      additionalProperties: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
    },
  },
};

/** Adds ErrorBody, which every operation's failure answers refer to. */
export function addErrorSchema(app: FastifyInstance): void {
  app.addSchema(ErrorBody);
}

/**
 * Fastify's validator options for tierfs's ports: scalars are coerced (query strings are text:
 * `cached=true`, `max=10`), but a scalar is never wrapped into a list (fastify's default), so
 * `"messages": "one"` is refused rather than read as `["one"]`.
 */
export const VALIDATION_OPTIONS = { customOptions: { coerceTypes: true } } as const;

export const schemas = {
  ref,
  str,
  int,
  bool,
  object,
  strings: (description?: string): Schema => ({
    type: 'array',
    items: { type: 'string' },
    ...(description ? { description } : {}),
  }),
  /** A namespace path, `/` or `/a/b`. */
  path: (): Schema => str('Namespace path, `/` or `/a/b`.'),
  empty: (): Schema => ({ type: 'object', description: 'Nothing more to say.', properties: {} }),
};

export interface Operation {
  readonly operationId: string;
  readonly tags: readonly string[];
  readonly summary: string;
  readonly description?: string;
  readonly querystring?: Schema;
  readonly params?: Schema;
  readonly body?: Schema;
  /** The success answer's schema, JSON; `status` when not 200. */
  readonly response: Schema;
  readonly status?: number;
  /** The success answer is this content type (its schema a string), not JSON. */
  readonly produces?: string;
}

/** The fastify schema of an operation: its request parts, its answer, and ErrorBody for failures. */
export function operation(op: Operation): FastifySchema {
  const success = op.produces
    ? { description: 'OK', content: { [op.produces]: { schema: op.response } } }
    : { description: 'OK', ...op.response };
  const error = { description: 'The failure (ErrorBody).', ...ref('ErrorBody') };
  return {
    operationId: op.operationId,
    tags: [...op.tags],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(op.querystring ? { querystring: op.querystring } : {}),
    ...(op.params ? { params: op.params } : {}),
    ...(op.body ? { body: op.body } : {}),
    response: { [String(op.status ?? 200)]: success, '4xx': error, '5xx': error },
  } as FastifySchema;
}
