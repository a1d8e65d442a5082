/**
 * The lines of a daemon's log file (pino's JSON, one object a line) as the Logs page shows them:
 * time, level name, message and the other fields; a line that is not JSON is kept as its message.
 */

export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LevelName = keyof typeof LEVELS;

export interface LogLine {
  /** Epoch milliseconds, when the line has a time. */
  readonly timeMs?: number;
  /** Pino's number (30 = info); undefined for a line that is not JSON. */
  readonly level?: number;
  readonly levelName: string;
  readonly message: string;
  /** The other fields as `key=value` (values JSON when not strings). */
  readonly fields: readonly string[];
}

const RESERVED = new Set(['time', 'level', 'msg', 'pid', 'hostname', 'v']);

export function levelName(level: number): string {
  const found = Object.entries(LEVELS).find(([, n]) => n === level);
  return found ? found[0] : `level ${level}`;
}

export function parseLogLine(line: string): LogLine {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return { levelName: '–', message: line, fields: [] };
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return { levelName: '–', message: line, fields: [] };
  }
  const r = record as Record<string, unknown>;
  const level = typeof r.level === 'number' ? r.level : undefined;
  const fields = Object.entries(r)
    .filter(([key]) => !RESERVED.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return {
    ...(typeof r.time === 'number' ? { timeMs: r.time } : {}),
    ...(level === undefined ? {} : { level }),
    levelName: level === undefined ? '–' : levelName(level),
    message: typeof r.msg === 'string' ? r.msg : '',
    fields,
  };
}

/** The lines of a log's text at or above a level (lines without a level are kept). */
export function logLines(text: string, minimum: number): LogLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(parseLogLine)
    .filter((l) => l.level === undefined || l.level >= minimum);
}
