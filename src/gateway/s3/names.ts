/** Bucket names and object keys, and how they map to paths in the store. */
import { type ObjectKeyPath, parseObjectKey } from '../common/object-keys.js';
import { S3Error, toS3Error } from './errors.js';

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isValidBucketName(name: string): boolean {
  return (
    BUCKET_NAME.test(name) &&
    !name.includes('..') &&
    !name.includes('.-') &&
    !name.includes('-.') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name)
  );
}

/** The rule isValidBucketName checks, as error messages state it. */
export const BUCKET_NAME_RULE =
  '3-63 characters: lower-case letters, digits, dots, hyphens, starting and ending with a letter or digit; no dot next to a dot or hyphen; not an IP address';

export function checkBucketName(name: string): void {
  if (!isValidBucketName(name)) {
    throw new S3Error(
      'InvalidBucketName',
      `The specified bucket is not valid: '${name}' (${BUCKET_NAME_RULE})`,
    );
  }
}

const MAX_KEY_BYTES = 1024;

/**
 * Maps a key to a path below the bucket directory (a key ending in `/` is a directory marker),
 * refusing with InvalidArgument keys a file system cannot hold faithfully (see parseObjectKey).
 */
export function objectPath(key: string): ObjectKeyPath {
  try {
    return parseObjectKey(key, MAX_KEY_BYTES);
  } catch (error) {
    throw toS3Error(error);
  }
}
