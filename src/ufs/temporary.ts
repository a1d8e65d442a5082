/**
 * Where tierfs writes objects that are not files yet: a persist (`.tierfs-persist.<uuid>`) and a
 * CACHE_THROUGH or THROUGH write (`.tierfs-write.<uuid>`) write the data of a file under a hidden
 * sibling name (in the same directory, so the final move stays within one directory of one store),
 * then move it over the file once the master confirms the file still holds that content. The
 * namespace never shows these names; the metadata store records each one before it is written, and
 * the master sweeps those that outlive their writer.
 */
import { randomUUID } from 'node:crypto';

const PREFIXES = { persist: '.tierfs-persist.', write: '.tierfs-write.' } as const;

/** A fresh temporary path beside an under store path (both relative to the mount's root). */
export function temporaryPathFor(ufsPath: string, kind: keyof typeof PREFIXES = 'persist'): string {
  const slash = ufsPath.lastIndexOf('/');
  return `${ufsPath.slice(0, slash + 1)}${PREFIXES[kind]}${randomUUID()}`;
}

/** Whether a name (one path segment) is one of tierfs's temporary objects. */
export function isTemporaryName(name: string): boolean {
  return name.startsWith(PREFIXES.persist) || name.startsWith(PREFIXES.write);
}

/** Whether an under store path names a temporary object. */
export function isTemporaryPath(ufsPath: string): boolean {
  return isTemporaryName(ufsPath.slice(ufsPath.lastIndexOf('/') + 1));
}
