/**
 * The continuation token of an object-store listing. It names the listed directory and mode (a
 * token from another listing, or another store, is refused) and the position of the last entry
 * returned: the key, common prefix or implied directory (`a/b/`) it came from, relative to the
 * listed prefix. Keys are listed in UTF-8 byte order and every directory's keys are contiguous in
 * that order, so the position alone tells which implied directories a later page has already
 * reported: exactly those whose `dir/` prefix the position starts with. Nothing else is carried,
 * however many pages the listing has.
 */
import { TierfsError } from '../../errors.js';

export interface ListCursor {
  readonly dir: string;
  readonly recursive: boolean;
  /** Position of the last entry returned, relative to the listed prefix. */
  readonly after: string;
}

const TOKEN_PREFIX = 'obj1.';

export function encodeCursor(cursor: ListCursor): string {
  const json = JSON.stringify([cursor.dir, cursor.recursive, cursor.after]);
  return `${TOKEN_PREFIX}${Buffer.from(json).toString('base64url')}`;
}

export function decodeCursor(token: string): ListCursor {
  if (typeof token === 'string' && token.startsWith(TOKEN_PREFIX)) {
    try {
      const [dir, recursive, after] = JSON.parse(
        Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'),
      ) as unknown[];
      if (typeof dir === 'string' && typeof recursive === 'boolean' && typeof after === 'string') {
        return { dir, recursive, after };
      }
    } catch {
      // Fall through to the error below.
    }
  }
  throw new TierfsError('INVALID_ARGUMENT', 'malformed continuation token');
}

/** Compares keys the way object stores order them: by their UTF-8 bytes. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
