import { TierfsError } from '../errors.js';

/**
 * Turns a user-supplied path into the contract's form: relative to the store root, `/`-separated,
 * no leading or trailing slash, no empty or `.` segments; `''` is the root. A `..` segment or a NUL
 * byte is refused outright: nothing may address anything outside the root it was given.
 */
export function normalizeUfsPath(path: string): string {
  if (typeof path !== 'string') {
    throw new TierfsError('INVALID_ARGUMENT', `path must be a string, got ${typeof path}`);
  }
  if (path.includes('\0')) {
    throw new TierfsError('INVALID_ARGUMENT', `path ${JSON.stringify(path)} contains a NUL byte`);
  }
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) {
    throw new TierfsError(
      'INVALID_ARGUMENT',
      `path '${path}' contains a '..' segment; paths must stay inside the mount root`,
    );
  }
  return segments.join('/');
}

/** Parent of a normalized path (`''` for top-level entries and for the root). */
export function parentPath(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function joinPath(...parts: string[]): string {
  return normalizeUfsPath(parts.filter((p) => p !== '').join('/'));
}

/** True when `path` is `ancestor` or lies below it (both normalized). */
export function isSameOrDescendant(path: string, ancestor: string): boolean {
  return ancestor === '' || path === ancestor || path.startsWith(`${ancestor}/`);
}
