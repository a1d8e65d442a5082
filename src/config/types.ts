/**
 * Value types of configuration properties: how a raw string from a file, the command line or the
 * environment becomes a typed value, and how the expected form is described when it does not.
 */

/** Thrown by a parser; the configuration layer adds the key, value, file and line. */
export class ValueError extends Error {}

export interface PropertyType<T> {
  /** Short name shown in docs and `conf list`: "bytes", "duration", "int", ... */
  readonly name: string;
  /** Completes "expected ...": e.g. "a byte size such as 64MB, 512KB or 1048576". */
  readonly expected: string;
  parse(raw: string): T;
}

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
  p: 1024 ** 5,
  pb: 1024 ** 5,
  pib: 1024 ** 5,
};

/** Alluxio's duration units (`50sec`, `5min`, `3day`, `30m`, `500ms`); a bare number is milliseconds. */
const DURATION_UNITS: Record<string, number> = {
  '': 1,
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

function numberWithUnit(raw: string, units: Record<string, number>, what: string): number {
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(raw);
  if (!match) throw new ValueError(`not ${what}`);
  const unit = units[match[2]!.toLowerCase()];
  if (unit === undefined) throw new ValueError(`unknown unit '${match[2]}'`);
  return Math.round(Number(match[1]) * unit);
}

/** Parses `64MB`, `512KB`, `1GB`, `5 MB` or a plain byte count (binary units, as Alluxio does). */
export function parseBytes(raw: string): number {
  const value = numberWithUnit(raw, BYTE_UNITS, 'a byte size');
  if (value < 0) throw new ValueError('a byte size cannot be negative');
  return value;
}

/** Parses `50sec`, `5min`, `3day`, `1h`, `500ms` or a plain number of milliseconds; `-1` stays -1. */
export function parseDuration(raw: string): number {
  return numberWithUnit(raw, DURATION_UNITS, 'a duration');
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(2)}${units[unit]}`;
}

export const string: PropertyType<string> = {
  name: 'string',
  expected: 'a string',
  parse: (raw) => raw,
};

export function int(range: { min?: number; max?: number } = {}): PropertyType<number> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
  const bounds = range.min !== undefined || range.max !== undefined ? ` between ${min} and ${max}` : '';
  return {
    name: 'int',
    expected: `an integer${bounds}`,
    parse(raw) {
      if (!/^\s*-?\d+\s*$/.test(raw)) throw new ValueError('not an integer');
      const value = Number(raw);
      if (value < min || value > max) throw new ValueError(`out of range`);
      return value;
    },
  };
}

export function float(range: { min?: number; max?: number } = {}): PropertyType<number> {
  const { min = -Infinity, max = Infinity } = range;
  return {
    name: 'float',
    expected: `a number${Number.isFinite(min) || Number.isFinite(max) ? ` between ${min} and ${max}` : ''}`,
    parse(raw) {
      const value = Number(raw.trim());
      if (raw.trim() === '' || !Number.isFinite(value)) throw new ValueError('not a number');
      if (value < min || value > max) throw new ValueError('out of range');
      return value;
    },
  };
}

export const bool: PropertyType<boolean> = {
  name: 'bool',
  expected: 'true or false',
  parse(raw) {
    const value = raw.trim().toLowerCase();
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw new ValueError('not a boolean');
  },
};

export function bytes(range: { min?: number } = {}): PropertyType<number> {
  const min = range.min ?? 0;
  return {
    name: 'bytes',
    expected: `a byte size such as 64MB, 512KB or 1048576${min > 0 ? ` (at least ${formatBytes(min)})` : ''}`,
    parse(raw) {
      const value = parseBytes(raw);
      if (value < min) throw new ValueError(`below the minimum of ${formatBytes(min)}`);
      return value;
    },
  };
}

/** Durations in milliseconds. `allowNegative` admits -1 style "never/unset" values. */
export function duration(options: { allowNegative?: boolean } = {}): PropertyType<number> {
  return {
    name: 'duration',
    expected: `a duration such as 50sec, 5min, 3day or 500ms${options.allowNegative ? ' (or -1)' : ''}`,
    parse(raw) {
      const value = parseDuration(raw);
      if (value < 0 && !options.allowNegative) throw new ValueError('a duration cannot be negative');
      return value;
    },
  };
}

export const mode: PropertyType<number> = {
  name: 'mode',
  expected: 'an octal permission mode such as 0700 or 0755',
  parse(raw) {
    if (!/^\s*0?[0-7]{3,4}\s*$/.test(raw)) throw new ValueError('not an octal mode');
    const value = Number.parseInt(raw.trim(), 8);
    if (value > 0o7777) throw new ValueError('out of range');
    return value;
  },
};

/** Case-insensitive choice; returns the canonical spelling. */
export function oneOf<const V extends string>(values: readonly V[]): PropertyType<V> {
  return {
    name: 'enum',
    expected: `one of ${values.join(', ')}`,
    parse(raw) {
      const found = values.find((v) => v.toLowerCase() === raw.trim().toLowerCase());
      if (found === undefined) throw new ValueError('not an allowed value');
      return found;
    },
  };
}

/** Comma-separated list; entries are trimmed and empty entries dropped. */
export function list<T = string>(item?: PropertyType<T>): PropertyType<T[]> {
  const of = item ?? (string as unknown as PropertyType<T>);
  return {
    name: 'list',
    expected: `a comma-separated list${item ? ` of ${of.expected}` : ''}`,
    parse: (raw) =>
      raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
        .map((s) => of.parse(s)),
  };
}
