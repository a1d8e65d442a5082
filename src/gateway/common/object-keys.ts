/**
 * Object keys over a directory tree, for every gateway dialect: a key is a path below its bucket's
 * directory, and a key ending in `/` is a directory marker (the zero-byte object S3, OSS and Kodo
 * clients write to make a folder), held as the directory itself plus the gateway's record of it.
 * Keys a file system cannot hold faithfully are refused rather than rewritten, since they could
 * alias other keys or escape the root.
 */
import { Writable } from 'node:stream';
import { TierfsError } from '../../errors.js';

/** A key after checking: where it lives below the bucket, and whether it is a directory marker. */
export interface ObjectKeyPath {
  /** Path below the bucket directory, `/`-separated, without a trailing slash. */
  readonly path: string;
  /** The key ends in `/`: a directory marker. */
  readonly isMarker: boolean;
}

/**
 * Names the local store gives files being written (hidden from listings until renamed): a key
 * segment with this prefix could never be listed, so it is refused.
 */
const PARTIAL_PREFIX = '.tierfs-partial.';

/**
 * Inside the directory `d`: the bytes of the object `d` when `d` is also a prefix (the keys `a`
 * and `a/b` both exist). A file cannot also be a directory, so the object moves into it.
 */
export const OBJECT_FILE = '.tierfs-object';
/** Inside the directory `d`: the bytes of the marker `d/` when it has a body. */
export const MARKER_BODY_FILE = '.tierfs-marker-body';
/** A file on its way into (or out of) the directory of its own name; hidden from listings. */
export const MOVING_PREFIX = '.tierfs-moving.';

/** Whether a name in a bucket's tree is the gateway's own rather than a key segment. */
export function isReservedName(name: string): boolean {
  return (
    name === OBJECT_FILE ||
    name === MARKER_BODY_FILE ||
    name.startsWith(MOVING_PREFIX) ||
    name.startsWith(PARTIAL_PREFIX)
  );
}

/** Whether a key names a directory marker. */
export function isMarkerKey(key: string): boolean {
  return key.endsWith('/');
}

/**
 * Maps a key to its path, refusing (INVALID_ARGUMENT, reason InvalidObjectName) an empty key, one
 * over `maxBytes` of UTF-8 (when the protocol has a limit), a leading `/`, empty, `.` or `..`
 * segments, NUL bytes and segments named like the store's writes in progress (`.tierfs-partial.*`)
 * or the gateway's own files (isReservedName).
 */
export function parseObjectKey(key: string, maxBytes = Number.POSITIVE_INFINITY): ObjectKeyPath {
  const refuse = (why: string) =>
    new TierfsError('INVALID_ARGUMENT', why, { details: { reason: 'InvalidObjectName', Key: key } });
  if (key === '') throw refuse('The object key must not be empty');
  if (Buffer.byteLength(key) > maxBytes) throw refuse(`The object key is longer than ${maxBytes} bytes`);
  const isMarker = isMarkerKey(key);
  const path = isMarker ? key.slice(0, -1) : key;
  const bad = path
    .split('/')
    .find((s) => s === '' || s === '.' || s === '..' || s.includes('\0') || isReservedName(s));
  if (bad !== undefined) {
    const why =
      bad === ''
        ? 'an empty path segment (// or a leading /)'
        : bad.includes('\0')
          ? 'a NUL byte'
          : bad.startsWith(PARTIAL_PREFIX)
            ? `a segment starting with ${PARTIAL_PREFIX}, the name the store gives writes in progress (never listed)`
            : isReservedName(bad)
              ? `the segment '${bad}', a name the gateway keeps for its own files (never listed)`
              : `a '${bad}' segment`;
    throw refuse(`Object key ${JSON.stringify(key)} is not supported: it contains ${why}`);
  }
  return { path, isMarker };
}

/**
 * A sink for the body of a directory marker, which must be empty: a directory cannot hold bytes,
 * so any byte fails the write with INVALID_ARGUMENT before the marker is made.
 */
export function markerBodySink(): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (chunk.length === 0) callback();
      else
        callback(
          new TierfsError(
            'INVALID_ARGUMENT',
            'A key ending in / is a directory marker and must have an empty body',
          ),
        );
    },
  });
}
