/**
 * Flink's legacy `flink-conf.yaml`, read as Flink's GlobalConfiguration reads it: not YAML, but one
 * `key: value` per line. Anything after `#` is a comment; a line without `: ` (colon and space) or
 * with an empty key or value is skipped with a warning naming its line, as Flink warns; a later
 * line for the same key wins.
 */
import type { ConfigEntry } from './properties-file.js';

export interface ParsedFlinkConf {
  readonly entries: ConfigEntry[];
  readonly problems: { readonly line: number; readonly message: string }[];
}

/** The line's key for a message, never its value (which may be a secret). */
function shownKey(content: string): string {
  const colon = content.indexOf(':');
  return colon > 0 ? `'${content.slice(0, colon)}:...'` : 'the line';
}

export function parseFlinkConf(text: string): ParsedFlinkConf {
  const entries: ConfigEntry[] = [];
  const problems: { line: number; message: string }[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const content = (raw.split('#', 1)[0] ?? '').trim();
    if (content === '') return;
    const separator = content.indexOf(': ');
    if (separator < 0) {
      problems.push({
        line,
        message: `${shownKey(content)} is not a key-value pair (missing space after ':'?): Flink skips this line, and so does tierfs`,
      });
      return;
    }
    const key = content.slice(0, separator).trim();
    const value = content.slice(separator + 2).trim();
    if (key === '' || value === '') {
      problems.push({
        line,
        message: `${key === '' ? 'the line' : `'${key}'`} has an empty key or value: Flink skips this line, and so does tierfs`,
      });
      return;
    }
    entries.push({ key, value, line });
  });
  return { entries, problems };
}
