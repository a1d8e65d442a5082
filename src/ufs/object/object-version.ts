/**
 * The version of an object, as its fingerprint names it: `<etag>-<size>-<mtime s>`. The etag (an
 * S3/OSS ETag without quotes, a Kodo hash) names the bytes; the size goes with it. A read pinned to
 * a version sends the etag with every GET (If-Match, or a comparison with the answer's ETag where
 * the store takes no If-Match), so no byte of another version is served.
 */
import { TierfsError } from '../../errors.js';
import type { ObjectInfo } from './object-client.js';

export interface ObjectVersion {
  /** Undefined for a store without entity tags: then the whole fingerprint must match. */
  readonly etag: string | undefined;
  readonly size: number;
  readonly fingerprint: string;
}

/** The fingerprint of an object (a listed one and a HEAD of it agree: mtime in whole seconds). */
export function objectFingerprint(info: ObjectInfo): string {
  return `${info.etag ?? ''}-${info.size}-${Math.floor(info.mtimeMs / 1000)}`;
}

/** Parses a fingerprint given as an open's version; INVALID_ARGUMENT when it is not one. */
export function parseObjectVersion(fingerprint: string): ObjectVersion {
  // The etag may itself hold dashes (multipart ETags end in `-<parts>`): split from the right.
  const match = /^(.*)-(\d+)-(\d+)$/.exec(fingerprint);
  if (!match) {
    throw new TierfsError(
      'INVALID_ARGUMENT',
      `'${fingerprint}' is not a version of an object (<etag>-<size>-<mtime seconds>)`,
    );
  }
  const [, etag, size] = match as unknown as [string, string, string];
  return { etag: etag === '' ? undefined : etag, size: Number(size), fingerprint };
}

/** Whether the object is of that version: same etag and size (same fingerprint without an etag). */
export function isVersion(info: ObjectInfo, version: ObjectVersion): boolean {
  if (version.etag === undefined) return objectFingerprint(info) === version.fingerprint;
  return info.etag === version.etag && info.size === version.size;
}

/**
 * For a client's getObject: PRECONDITION_FAILED unless the answer's ETag (quoted or not, as sent)
 * is the one the read is pinned to. A missing ETag is UNSUPPORTED when `required` (a pinned read
 * from a store that takes no If-Match, where the answer's ETag is the only proof); otherwise it is
 * left to the If-Match the store evaluated, or served unchecked.
 */
export function checkAnsweredEtag(
  expected: string | undefined,
  answered: string | undefined,
  required: boolean,
  where: string,
): void {
  if (expected === undefined) return;
  if (answered === undefined || answered === '') {
    if (!required) return;
    throw new TierfsError(
      'UNSUPPORTED',
      `${where}: the download answer carried no ETag, so its version cannot be checked`,
    );
  }
  const tag = answered.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  if (tag !== expected) {
    throw new TierfsError('PRECONDITION_FAILED', `${where}: answered ETag ${tag}, expected ${expected}`, {
      details: { expected, found: tag },
    });
  }
}
