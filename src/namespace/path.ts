import { TierfsError } from '../errors.js';

/**
 * Normalizes a path of the tierfs namespace to `/a/b` form: absolute, no empty, `.` or trailing
 * segments. A relative path is taken from the root (as Alluxio's shell does: `kodo/` is `/kodo`);
 * a `..` segment or a NUL byte is refused.
 */
export function normalizeNamespacePath(path: string): string {
  if (typeof path !== 'string' || path === '') {
    throw new TierfsError('INVALID_ARGUMENT', 'a tierfs path is required, e.g. /data/file.csv');
  }
  if (path.includes('\0'))
    throw new TierfsError('INVALID_ARGUMENT', `path ${JSON.stringify(path)} contains a NUL byte`);
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) {
    throw new TierfsError(
      'INVALID_ARGUMENT',
      `path '${path}' contains a '..' segment; use an absolute path without '..'`,
    );
  }
  return `/${segments.join('/')}`;
}

/** True when `path` is `ancestor` or lies below it (both normalized). */
export function isUnder(path: string, ancestor: string): boolean {
  return ancestor === '/' || path === ancestor || path.startsWith(`${ancestor}/`);
}

/** `/a/b/c` → [`/`, `/a`, `/a/b`] */
export function ancestorsOf(path: string): string[] {
  const result = ['/'];
  const segments = path.split('/').filter((s) => s !== '');
  for (let i = 1; i < segments.length; i++) result.push(`/${segments.slice(0, i).join('/')}`);
  return path === '/' ? [] : result;
}

export function joinNamespacePath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}
