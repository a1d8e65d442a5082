/**
 * Paths as `tierfs fs` takes them: absolute (`/data/x`), relative to the root as in Alluxio's shell
 * (`kodo/` is `/kodo`), or `tierfs://host:port/path` URIs naming the master to ask.
 */
import { TierfsError } from '../errors.js';
import { normalizeNamespacePath } from '../namespace/path.js';

export interface TierfsPath {
  /** The namespace path, `/a/b` form. */
  readonly path: string;
  /** `http://host:port` of the master named by a `tierfs://` URI, if any. */
  readonly master?: string;
}

const URI = /^tierfs:\/\/([^/]*)(\/.*)?$/i;

export function parseTierfsPath(raw: string): TierfsPath {
  const match = URI.exec(raw);
  if (!match) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `${raw} is not a tierfs path (expected /path or tierfs://host:port/path)`,
      );
    }
    return { path: normalizeNamespacePath(raw) };
  }
  const authority = match[1]!;
  return {
    path: normalizeNamespacePath(match[2] ?? '/'),
    ...(authority ? { master: `http://${authority}` } : {}),
  };
}

/** `/a/b` joined with `c/d` (a relative path below it). */
export function joinPath(parent: string, child: string): string {
  const tail = child.split('/').filter((s) => s !== '');
  return tail.length === 0 ? parent : `${parent === '/' ? '' : parent}/${tail.join('/')}`;
}

/** The last segment of a namespace path (empty for the root). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
