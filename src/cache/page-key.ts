/**
 * File identities. The caller names a file by a string that changes whenever the content may have
 * changed (UFS path plus fingerprint, see `fileKeyOf`); the store hashes it into a fileId that
 * names the file's directory on disk. A new fingerprint is a new key, so stale pages are never
 * found for the new content.
 */
import { createHash } from 'node:crypto';

/** The file key for a UFS path at one fingerprint (UfsStatus.fingerprint). */
export function fileKeyOf(ufsPath: string, fingerprint: string): string {
  return JSON.stringify([ufsPath, fingerprint]);
}

/** 32 hex digits naming the file's page directory. */
export function fileIdOf(fileKey: string): string {
  return createHash('sha256').update(fileKey).digest('hex').slice(0, 32);
}

/** The bucket (sub-directory) of a file's pages, from the first 32 bits of its fileId. */
export function bucketOf(fileId: string, buckets: number): number {
  return Number.parseInt(fileId.slice(0, 8), 16) % buckets;
}

/** Which of `count` DISK directories holds a file's pages, from the next 32 bits of its fileId. */
export function dirIndexOf(fileId: string, count: number): number {
  return Number.parseInt(fileId.slice(8, 16), 16) % count;
}
