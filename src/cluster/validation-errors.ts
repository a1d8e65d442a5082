/**
 * A request fastify refused against its route's JSON schema, said as one INVALID_ARGUMENT sentence
 * naming the field, where it was (body, query string, path) and what would be right:
 *
 *   'path' is required in the query string (a string)
 *   'recursive' in the body must be a boolean, got "yes"
 *   'max' in the query string must be at most 10000, got 20000
 */
import { TierfsError } from '../errors.js';

/** The part of an ajv error this needs (fastify hands ajv's errors over as `error.validation`). */
export interface SchemaViolation {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: Record<string, unknown>;
  readonly message?: string;
}

type Schema = Record<string, unknown>;

const WHERE: Record<string, string> = {
  body: 'the body',
  querystring: 'the query string',
  params: 'the path',
  headers: 'the headers',
};

/** The schema of the value at a JSON pointer, following `properties` and `items`. */
function schemaAt(schema: Schema | undefined, pointer: string): Schema | undefined {
  let current = schema;
  for (const part of pointer.split('/').slice(1)) {
    if (!current) return undefined;
    const name = part.replace(/~1/g, '/').replace(/~0/g, '~');
    const properties = current.properties as Record<string, Schema> | undefined;
    if (properties?.[name]) current = properties[name];
    else if (current.items && typeof current.items === 'object') current = current.items as Schema;
    else if (current.additionalProperties && typeof current.additionalProperties === 'object') {
      current = current.additionalProperties as Schema;
    } else return undefined;
  }
  return current;
}

const ARTICLE = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

/** What a schema expects, in words: "a string", "a list of strings", "one of utf8, base64". */
export function expected(schema: Schema | undefined): string | undefined {
  if (!schema) return undefined;
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.join(', ')}`;
  if (Array.isArray(schema.anyOf)) {
    const choices = (schema.anyOf as Schema[]).map(expected).filter((e) => e !== undefined);
    return choices.length > 0 ? choices.join(' or ') : undefined;
  }
  const type = schema.type;
  if (type === 'array') {
    const item = expected(schema.items as Schema | undefined);
    return item ? `a list of ${item.replace(/^an? /, '')}s` : 'a list';
  }
  if (type === 'object') {
    return schema.additionalProperties && typeof schema.additionalProperties === 'object'
      ? `an object of ${(expected(schema.additionalProperties as Schema) ?? 'value').replace(/^an? /, '')} values`
      : 'a JSON object';
  }
  if (typeof type === 'string') return ARTICLE(type === 'integer' ? 'integer' : type);
  return undefined;
}

function fieldName(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function valueAt(data: unknown, pointer: string): unknown {
  let current = data;
  for (const part of pointer.split('/').slice(1)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return current;
}

const shown = (value: unknown) => (value === undefined ? 'nothing' : JSON.stringify(value));

/** The one sentence for the first violation of a request part (`context`: body, querystring, params). */
export function describeViolation(
  violation: SchemaViolation,
  context: string,
  schema: Schema | undefined,
  data: unknown,
): string {
  const where = WHERE[context] ?? `the ${context}`;
  const { keyword, instancePath, params } = violation;
  if (keyword === 'required') {
    const name = String(params.missingProperty);
    const full = instancePath === '' ? name : `${fieldName(instancePath)}.${name}`;
    const want = expected(schemaAt(schema, `${instancePath}/${name}`));
    return `'${full}' is required in ${where}${want ? ` (${want})` : ''}`;
  }
  const target = schemaAt(schema, instancePath);
  const got = shown(valueAt(data, instancePath));
  if (instancePath === '') {
    return `${where} must be ${expected(target) ?? 'valid'}, got ${got.length > 60 ? `${got.slice(0, 60)}...` : got}`;
  }
  const name = `'${fieldName(instancePath)}' in ${where}`;
  switch (keyword) {
    case 'type':
    case 'enum':
    case 'anyOf':
      return `${name} must be ${expected(target) ?? violation.message}, got ${got}`;
    case 'minimum':
    case 'maximum':
      return `${name} must be ${keyword === 'minimum' ? 'at least' : 'at most'} ${String(params.limit)}, got ${got}`;
    case 'minLength':
      return `${name} must not be empty`;
    case 'additionalProperties':
      return `${name} has an unknown field '${String(params.additionalProperty)}'`;
    default:
      return `${name} ${violation.message ?? 'is invalid'}, got ${got}`;
  }
}

/** The INVALID_ARGUMENT for a fastify validation error, or undefined when the error is not one. */
export function validationFailure(
  error: unknown,
  schemaOf: (context: string) => Schema | undefined,
  dataOf: (context: string) => unknown,
): TierfsError | undefined {
  const { validation, validationContext } = error as {
    validation?: readonly SchemaViolation[];
    validationContext?: string;
  };
  const first = validation?.[0];
  if (!first || !validationContext) return undefined;
  return new TierfsError(
    'INVALID_ARGUMENT',
    describeViolation(first, validationContext, schemaOf(validationContext), dataOf(validationContext)),
  );
}
