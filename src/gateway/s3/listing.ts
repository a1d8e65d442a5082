/**
 * Lists a bucket in S3 key order (UTF-8 byte order) over a store that lists directories in any
 * order: a depth-first walk that sorts one directory at a time, starting at the deepest directory
 * the prefix names, skipping whole directories that sort before the marker and rolling
 * directories up into common prefixes without entering them. Memory holds one directory listing
 * per level, never the whole bucket.
 */
import type { BackendEntry } from './backend.js';
import type { ObjectLayer } from './object-layer.js';

export type ListItem =
  | { readonly kind: 'object'; readonly key: string; readonly entry: BackendEntry | undefined }
  | { readonly kind: 'prefix'; readonly prefix: string };

export interface ListQuery {
  readonly prefix: string;
  readonly delimiter: string;
  /** Only keys (and common prefixes) sorting after this one. */
  readonly after: string;
}

export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function isSafePath(path: string): boolean {
  return (
    path === '' || path.split('/').every((s) => s !== '' && s !== '.' && s !== '..' && !s.includes('\0'))
  );
}

export async function* listKeys(
  layer: ObjectLayer,
  bucket: string,
  query: ListQuery,
): AsyncGenerator<ListItem> {
  const { prefix, delimiter, after } = query;
  const slash = prefix.lastIndexOf('/');
  const startDir = slash < 0 ? '' : prefix.slice(0, slash);
  if (!isSafePath(startDir)) return;
  const start = await layer.backend.stat(startDir === '' ? bucket : `${bucket}/${startDir}`);
  if (!start?.isDirectory) return;
  let lastPrefix: string | undefined;

  const rollUp = (key: string): string | undefined => {
    if (delimiter === '') return undefined;
    const at = key.indexOf(delimiter, prefix.length);
    return at < 0 ? undefined : key.slice(0, at + delimiter.length);
  };

  async function* visit(dir: string): AsyncGenerator<ListItem> {
    const base = dir === '' ? '' : `${dir}/`;
    const children: { key: string; entry: BackendEntry }[] = [];
    for await (const entry of layer.backend.children(dir === '' ? bucket : `${bucket}/${dir}`)) {
      children.push({ key: `${base}${entry.name}${entry.isDirectory ? '/' : ''}`, entry });
    }
    children.sort((a, b) => compareKeys(a.key, b.key));
    for (const { key, entry } of children) {
      if (entry.isDirectory) {
        if (!key.startsWith(prefix) && !prefix.startsWith(key)) continue;
        // Every key below sorts after `key`; all of them sort before the marker when it is past the
        // directory without being inside it.
        if (compareKeys(key, after) < 0 && !after.startsWith(key)) continue;
        if (key.startsWith(prefix)) {
          const common = rollUp(key);
          if (common !== undefined) {
            if (common !== lastPrefix && compareKeys(common, after) > 0) {
              lastPrefix = common;
              yield { kind: 'prefix', prefix: common };
            }
            continue;
          }
          if (compareKeys(key, after) > 0 && layer.hasMarker(bucket, key.slice(0, -1))) {
            yield { kind: 'object', key, entry: undefined };
          }
        }
        yield* visit(key.slice(0, -1));
      } else {
        if (!key.startsWith(prefix) || compareKeys(key, after) <= 0) continue;
        const common = rollUp(key);
        if (common === undefined) {
          yield { kind: 'object', key, entry };
        } else if (common !== lastPrefix) {
          lastPrefix = common;
          yield { kind: 'prefix', prefix: common };
        }
      }
    }
  }

  // The marker of the directory the prefix names (`dir/` listed with prefix `dir/`) comes first.
  if (startDir !== '' && `${startDir}/`.startsWith(prefix) && compareKeys(`${startDir}/`, after) > 0) {
    if (layer.hasMarker(bucket, startDir)) yield { kind: 'object', key: `${startDir}/`, entry: undefined };
  }
  yield* visit(startDir);
}
