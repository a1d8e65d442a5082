/**
 * Where under stores report what is worth a line: request traces when debug logging is on, and
 * warnings (an unreadable bucket ACL, a failed abort). A JSON line on stderr by default; daemons
 * and tests install their own sink. Callers never pass credentials in fields.
 */
export type UfsLogLevel = 'debug' | 'warn';

export interface UfsLogRecord {
  readonly level: UfsLogLevel;
  readonly msg: string;
  readonly [field: string]: string | number | boolean | undefined;
}

export type UfsLogSink = (record: UfsLogRecord) => void;

const stderrSink: UfsLogSink = (record) => {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
};

let sink: UfsLogSink = stderrSink;

/** Installs a sink and returns the previous one (pass undefined to restore stderr). */
export function setUfsLogSink(next: UfsLogSink | undefined): UfsLogSink {
  const previous = sink;
  sink = next ?? stderrSink;
  return previous;
}

type Fields = Readonly<Record<string, string | number | boolean | undefined>>;

export const ufsLog = {
  debug(msg: string, fields: Fields = {}): void {
    sink({ ...fields, level: 'debug', msg });
  },
  warn(msg: string, fields: Fields = {}): void {
    sink({ ...fields, level: 'warn', msg });
  },
};
