/**
 * WHERE clauses the SQLite and the PostgreSQL transactions share, written once: each dialect
 * differs only in how a value is bound (`?` in order, or `$n`), how a list of strings is bound,
 * and how a boolean is stored. A clause adds its values to the statement's SqlValues as it names
 * their placeholders, so the values stay in the order the text asks for them.
 */
import { COLUMN_OF } from './inode-columns.js';
import { type Inode, type InodeGuard, type InodePatch, type NameRange, nameOf, parentOf } from './store.js';

export interface SqlDialect {
  /** The placeholder of the statement's `n`-th value (from 1). */
  placeholder(n: number): string;
  /** `column` is one of the strings of the list bound at `placeholder`. */
  inList(column: string, placeholder: string): string;
  /** A list of strings as the dialect binds it. */
  list(values: readonly string[]): unknown;
  /** A boolean as the dialect stores it. */
  bool(value: boolean): unknown;
}

export const SQLITE: SqlDialect = {
  placeholder: () => '?',
  inList: (column, placeholder) => `${column} IN (SELECT value FROM json_each(${placeholder}))`,
  list: (values) => JSON.stringify(values),
  bool: (value) => (value ? 1 : 0),
};

export const POSTGRES: SqlDialect = {
  placeholder: (n) => `$${n}`,
  inList: (column, placeholder) => `${column} = ANY(${placeholder}::text[])`,
  list: (values) => [...values],
  bool: (value) => value,
};

/** The values of one statement, bound in the dialect's style. */
export class SqlValues {
  readonly values: unknown[] = [];

  constructor(readonly dialect: SqlDialect) {}

  /** Adds `value`; its placeholder. */
  bind(value: unknown): string {
    this.values.push(value);
    return this.dialect.placeholder(this.values.length);
  }
}

/** An inode's row, in the order of INODE_COLUMNS. */
export function inodeValues(i: Inode, dialect: SqlDialect): unknown[] {
  return [
    i.path,
    parentOf(i.path),
    nameOf(i.path),
    dialect.bool(i.isDirectory),
    i.size,
    Math.trunc(i.mtimeMs),
    i.owner,
    i.group,
    i.mode,
    i.state,
    i.persistence,
    i.ufsFingerprint ?? null,
    i.contentId,
    Math.trunc(i.syncedAtMs),
    dialect.bool(i.childrenLoaded),
  ];
}

/** Bounds of the paths strictly below `path`: (`path/`, `path0`) in byte order ('0' follows '/'). */
export function descendantRange(path: string): [string, string] {
  return path === '/' ? ['/', '0'] : [`${path}/`, `${path}0`];
}

/** ` AND col = value` for each field of the guard. */
export function guardClause(guard: InodeGuard | undefined, sql: SqlValues): string {
  let clause = '';
  if (guard?.contentId !== undefined) clause += ` AND content_id = ${sql.bind(guard.contentId)}`;
  if (guard?.state !== undefined) clause += ` AND state = ${sql.bind(guard.state)}`;
  if (guard?.persistence !== undefined) clause += ` AND persistence = ${sql.bind(guard.persistence)}`;
  if (guard?.isDirectory !== undefined)
    clause += ` AND is_dir = ${sql.bind(sql.dialect.bool(guard.isDirectory))}`;
  return clause;
}

/**
 * The children of `parent` a listing no longer found: complete, persisted, synced before
 * `syncedBeforeMs`, not in `keep`, and (when given) within the listed name range.
 */
export function staleChildrenClause(
  sql: SqlValues,
  parent: string,
  syncedBeforeMs: number,
  keep: readonly string[],
  names: NameRange,
): string {
  let clause = `parent = ${sql.bind(parent)} AND state = 'COMPLETE' AND persistence = 'PERSISTED'
    AND synced_at_ms < ${sql.bind(Math.trunc(syncedBeforeMs))}
    AND NOT (${sql.dialect.inList('path', sql.bind(sql.dialect.list(keep)))})`;
  if (names.after !== undefined) clause += ` AND name > ${sql.bind(names.after)}`;
  if (names.upTo !== undefined) clause += ` AND name <= ${sql.bind(names.upTo)}`;
  return clause;
}

/** `col = value, ...` for each field `patch` sets (numbers as whole milliseconds, booleans as stored). */
export function assignments(patch: InodePatch, sql: SqlValues): string {
  return (Object.keys(patch) as (keyof InodePatch)[])
    .filter((k) => patch[k] !== undefined)
    .map((k) => `${COLUMN_OF[k]} = ${sql.bind(columnValue(patch[k], sql.dialect))}`)
    .join(', ');
}

function columnValue(value: unknown, dialect: SqlDialect): unknown {
  if (typeof value === 'boolean') return dialect.bool(value);
  if (typeof value === 'number') return Math.trunc(value);
  return value ?? null;
}
