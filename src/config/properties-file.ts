/**
 * A reader for Java `.properties` files that follows `java.util.Properties.load(Reader)` and also
 * reports the line on which each entry starts, so configuration errors can point at the file.
 *
 * Deliberate points of Java compatibility (see the Javadoc of `Properties.load(Reader)`):
 * - Whitespace means space, tab and form feed only (`' '`, `'\t'`, `'\f'`), as in Java.
 * - Trailing whitespace of a value is KEPT, as Java keeps it: `a = b  ` gives the value `'b  '`.
 *   Only whitespace before the key and around the separator is skipped.
 * - A comment line (`#` or `!` after leading whitespace) never continues, even when it ends in a
 *   backslash; a continuation line is never a comment, even when it starts with `#` or `!`.
 * - A backslash at the very end of the input (an unfinished continuation) is dropped.
 * - An empty key is allowed (`=x` gives key `''`), as in Java.
 * - `\uXXXX` needs exactly four hex digits; anything else throws (Java throws
 *   IllegalArgumentException "Malformed \uxxxx encoding.").
 *
 * One extension: a leading UTF-8 byte order mark is ignored (Java would make it part of the first key).
 *
 * Duplicate keys are all returned, in file order; the consumer decides that the last one wins.
 */

export interface ConfigEntry {
  key: string;
  value: string;
  /** 1-based line on which the entry's logical line starts. */
  line: number;
}

function isWhitespace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\f';
}

function skipLeadingWhitespace(line: string): string {
  let i = 0;
  while (isWhitespace(line[i])) i++;
  return line.slice(i);
}

function trailingBackslashes(text: string): number {
  let count = 0;
  while (count < text.length && text[text.length - 1 - count] === '\\') count++;
  return count;
}

const SIMPLE_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

/** Resolves backslash escapes like Java's `Properties.loadConvert`. */
function loadConvert(text: string, line: number): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i++]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    if (i >= text.length) break; // a lone trailing backslash (cannot come from a logical line) is dropped
    const next = text[i++]!;
    if (next === 'u') {
      const hex = text.slice(i, i + 4);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        throw new Error(`Malformed \\uxxxx encoding '\\u${hex}' in properties at line ${line}`);
      }
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 4;
    } else {
      out += SIMPLE_ESCAPES[next] ?? next;
    }
  }
  return out;
}

/** Splits one logical line into key and value like Java's `Properties.load0`. */
function splitEntry(logical: string, line: number): ConfigEntry {
  let keyEnd = 0;
  let valueStart = logical.length;
  let hasSeparator = false;
  let precedingBackslash = false;
  while (keyEnd < logical.length) {
    const c = logical[keyEnd]!;
    if (!precedingBackslash && (c === '=' || c === ':')) {
      valueStart = keyEnd + 1;
      hasSeparator = true;
      break;
    }
    if (!precedingBackslash && isWhitespace(c)) {
      valueStart = keyEnd + 1;
      break;
    }
    precedingBackslash = c === '\\' ? !precedingBackslash : false;
    keyEnd++;
  }
  // Skip whitespace around the separator, and one `=` or `:` after whitespace (`key = value`).
  while (valueStart < logical.length) {
    const c = logical[valueStart]!;
    if (!isWhitespace(c)) {
      if (hasSeparator || (c !== '=' && c !== ':')) break;
      hasSeparator = true;
    }
    valueStart++;
  }
  return {
    key: loadConvert(logical.slice(0, keyEnd), line),
    value: loadConvert(logical.slice(valueStart), line),
    line,
  };
}

export function parseProperties(text: string): ConfigEntry[] {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = source.split(/\r\n|\r|\n/);
  const entries: ConfigEntry[] = [];
  let index = 0;
  while (index < lines.length) {
    const startLine = index + 1;
    let segment = skipLeadingWhitespace(lines[index++]!);
    if (segment === '' || segment.startsWith('#') || segment.startsWith('!')) continue;
    let logical = segment;
    // An odd number of trailing backslashes means the last one escapes the line break.
    while (trailingBackslashes(segment) % 2 === 1) {
      logical = logical.slice(0, -1);
      if (index >= lines.length) break;
      segment = skipLeadingWhitespace(lines[index++]!);
      logical += segment;
    }
    entries.push(splitEntry(logical, startLine));
  }
  return entries;
}
