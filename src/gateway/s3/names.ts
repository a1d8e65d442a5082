/** Bucket names and object keys, and how they map to paths in the store. */
import { S3Error } from './errors.js';

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isValidBucketName(name: string): boolean {
  return BUCKET_NAME.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
}

export function checkBucketName(name: string): void {
  if (!isValidBucketName(name)) {
    throw new S3Error(
      'InvalidBucketName',
      `The specified bucket is not valid: '${name}' (3-63 characters: lower-case letters, digits, dots, hyphens)`,
    );
  }
}

/** A key after checking: where it lives in the bucket directory, and whether it is a directory marker. */
export interface ObjectPath {
  /** Path below the bucket directory, `/`-separated, without a trailing slash. */
  readonly path: string;
  /** The key ends in `/`: a directory marker. */
  readonly isMarker: boolean;
}

const MAX_KEY_BYTES = 1024;

/**
 * Maps a key to a path, refusing keys a file system cannot hold faithfully: a leading `/`, empty,
 * `.` or `..` segments and NUL bytes. Such keys could alias other keys or escape the root, so
 * they are refused rather than rewritten.
 */
export function objectPath(key: string): ObjectPath {
  if (key === '') throw new S3Error('InvalidArgument', 'The object key must not be empty');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new S3Error('InvalidArgument', `The object key is longer than ${MAX_KEY_BYTES} bytes`);
  }
  const isMarker = key.endsWith('/');
  const path = isMarker ? key.slice(0, -1) : key;
  const segments = path.split('/');
  const bad = segments.find((s) => s === '' || s === '.' || s === '..' || s.includes('\0'));
  if (bad !== undefined) {
    const why =
      bad === ''
        ? 'an empty path segment (// or a leading /)'
        : bad.includes('\0')
          ? 'a NUL byte'
          : `a '${bad}' segment`;
    throw new S3Error(
      'InvalidArgument',
      `Object key ${JSON.stringify(key)} is not supported: it contains ${why}`,
    );
  }
  return { path, isMarker };
}
