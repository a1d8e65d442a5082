/**
 * What every daemon tells the master's web UI about itself (the master of its own, a worker
 * through `GET /internal/configuration` and `GET /internal/log` with the cluster secret): its
 * configuration as `tierfs conf list` shows it (secrets as ******) and the end of its log file.
 */
import { open } from 'node:fs/promises';
import { type Configuration, describeOrigin } from '../config/configuration.js';

export interface ConfigurationEntry {
  readonly key: string;
  /** `******` for secrets; absent when unset. */
  readonly value?: string;
  readonly secret: boolean;
  /** DEFAULT, SITE_PROPERTY /etc/tierfs/tierfs-site.properties:3, SYSTEM_PROPERTY, ... */
  readonly source?: string;
  readonly description?: string;
}

/** Every key with its value (secrets masked as `conf list` masks them) and where it came from. */
export function configurationListing(conf: Configuration): ConfigurationEntry[] {
  return conf.list({ includeUnset: true }).map((c) => ({
    key: c.key,
    ...(c.value === undefined ? {} : { value: c.value }),
    secret: c.secret,
    ...(c.origin ? { source: describeOrigin(c.origin) } : {}),
    ...(c.description ? { description: c.description } : {}),
  }));
}

export interface LogTail {
  readonly file: string;
  /** The last lines, from a line start; undefined when there is no log file. */
  readonly text?: string;
}

/** The last `bytes` of a log file, from the first whole line. */
export async function readLogTail(file: string, bytes = 64 * 1024): Promise<LogTail> {
  try {
    const handle = await open(file, 'r');
    try {
      const size = (await handle.stat()).size;
      const start = Math.max(0, size - bytes);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      const text = buffer.toString('utf8');
      return { file, text: start === 0 ? text : text.slice(text.indexOf('\n') + 1) };
    } finally {
      await handle.close();
    }
  } catch {
    return { file };
  }
}
