/**
 * Options given in files rather than on a command line, where `ps` shows them to every user:
 * `fs mount --option-file FILE` (`key=value` lines, read as a Java properties file) and
 * `--option key=@FILE` (the value is the file's content). No message here repeats a value or a
 * line of a file: either may be a secret.
 */
import { readFileSync } from 'node:fs';
import { TierfsError } from '../errors.js';
import { parseProperties } from './properties-file.js';

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory, not a file'
          : code === 'EACCES'
            ? 'permission denied'
            : (error as Error).message;
    throw new TierfsError('INVALID_ARGUMENT', `${what}: cannot read ${file}: ${reason}`, { cause: error });
  }
}

/** The first key character not escaped by a backslash that ends a key: `=`, `:` or whitespace. */
function hasSeparator(line: string): boolean {
  let escaped = false;
  for (const c of line.replace(/^[ \t\f]+/, '')) {
    if (!escaped && (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f')) return true;
    escaped = c === '\\' ? !escaped : false;
  }
  return false;
}

/**
 * The `key=value` entries of an option file (Java properties syntax: `#` and `!` comments, `\`
 * continuations and escapes, `key: value` and `key value` too); the last of a repeated key wins.
 * A line that is not an entry is an error naming the file and the line, not its text.
 */
export function readOptionFile(file: string): Record<string, string> {
  const what = `--option-file ${file}`;
  const text = readText(file, '--option-file');
  let entries: ReturnType<typeof parseProperties>;
  try {
    entries = parseProperties(text);
  } catch (error) {
    // The parser's message names the line (a bad \uXXXX escape) without its text.
    throw new TierfsError('INVALID_ARGUMENT', `${what}: ${(error as Error).message}`, { cause: error });
  }
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const options: Record<string, string> = {};
  for (const entry of entries) {
    if (entry.key === '' || !hasSeparator(lines[entry.line - 1] ?? '')) {
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `${what}: line ${entry.line} is not key=value; write one property a line as key=value (e.g. aws.secretKey=...), comments start with #`,
      );
    }
    options[entry.key] = entry.value;
  }
  return options;
}

/**
 * The value of `--option key=VALUE`: VALUE itself, or for `@FILE` the content of FILE without its
 * trailing newline (`@@text` is the literal `@text`).
 */
export function optionValue(key: string, value: string): string {
  if (!value.startsWith('@')) return value;
  if (value.startsWith('@@')) return value.slice(1);
  const file = value.slice(1);
  const what = `--option ${key}=@${file}`;
  if (file === '') {
    throw new TierfsError(
      'INVALID_ARGUMENT',
      `${what}: expected a file name after @, as in ${key}=@/path/to/file`,
    );
  }
  const content = readText(file, what).replace(/\r?\n$/, '');
  if (content === '') throw new TierfsError('INVALID_ARGUMENT', `${what}: ${file} is empty`);
  return content;
}
