/**
 * Alluxio's read and write types, listed and parsed once for every process. Each type is declared
 * by the lowest layer that gives it meaning: read types by the page cache (what a read does to the
 * cache), write types by the namespace (what a write promises about persistence).
 */
import type { ReadType } from '../cache/range-reader.js';
import { TierfsError } from '../errors.js';
import type { WriteType } from '../namespace/namespace.js';

export type { ReadType, WriteType };

export const READ_TYPES: readonly ReadType[] = ['NO_CACHE', 'CACHE', 'CACHE_PROMOTE'];
export const WRITE_TYPES: readonly WriteType[] = ['MUST_CACHE', 'CACHE_THROUGH', 'THROUGH', 'ASYNC_THROUGH'];

function parseOneOf<T extends string>(list: readonly T[], value: unknown, name: string): T {
  const found = list.find((t) => t === String(value).toUpperCase());
  if (found === undefined) {
    throw new TierfsError(
      'INVALID_ARGUMENT',
      `${name} must be one of ${list.join(', ')}, got '${String(value)}'`,
    );
  }
  return found;
}

/** A read type in any letter case; INVALID_ARGUMENT naming `name` and the choices otherwise. */
export function parseReadType(value: unknown, name = 'readType'): ReadType {
  return parseOneOf(READ_TYPES, value, name);
}

/** A write type in any letter case; INVALID_ARGUMENT naming `name` and the choices otherwise. */
export function parseWriteType(value: unknown, name = 'writeType'): WriteType {
  return parseOneOf(WRITE_TYPES, value, name);
}
