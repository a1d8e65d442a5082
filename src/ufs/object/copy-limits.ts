/**
 * How big a server-side copy may be. One CopyObject moves at most 5 GiB on S3 and 1 GiB on OSS;
 * a larger object is copied as a multipart upload of UploadPartCopy parts (copyInParts in
 * object-store.ts). Internal constants, not configuration: a test lowers them to copy small
 * objects in parts, through real gateways, without writing gigabytes.
 */
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export const COPY_LIMITS = {
  /** Largest object one S3 CopyObject copies. */
  s3: 5 * GiB,
  /** Largest object one OSS CopyObject copies. */
  oss: 1 * GiB,
  /** Bytes per UploadPartCopy part, raised as needed to stay within 10,000 parts. */
  partSize: 512 * MiB,
  /** Parts copied at once. */
  parallelParts: 4,
};

/** Most parts a multipart upload may have (S3 and OSS). */
export const MAX_PARTS = 10_000;

/** The part size copying `size` bytes: COPY_LIMITS.partSize, or more so that it takes at most MAX_PARTS parts. */
export function copyPartSize(size: number): number {
  return Math.max(COPY_LIMITS.partSize, Math.ceil(size / MAX_PARTS));
}
