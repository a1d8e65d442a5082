/**
 * Properties shared by every under storage (UFS) driver: listing, cleanup of abandoned uploads, the
 * object-store base (directory markers, rename/delete thread pool, ranged reads, upload timeouts)
 * and retries for eventually consistent stores.
 */
import { defineProperty } from '../property.js';
import { bool, bytes, duration, int } from '../types.js';

export const UNDERFS_LISTING_LENGTH = defineProperty({
  key: 'tierfs.underfs.listing.length',
  type: int({ min: 1, max: 1000 }),
  default: '1000',
  description: 'Entries requested per UFS listing page; also the batch size of bulk deletes.',
});

export const UNDERFS_CLEANUP_ENABLED = defineProperty({
  key: 'tierfs.underfs.cleanup.enabled',
  type: bool,
  default: 'true',
  description:
    'Whether the master removes what interrupted writes left in writable mounts: multipart uploads of object stores and partial files of local directories, each older than its clean age.',
});

export const UNDERFS_CLEANUP_INTERVAL = defineProperty({
  key: 'tierfs.underfs.cleanup.interval',
  type: duration(),
  default: '1day',
  description:
    'How often UFS cleanup runs (it also runs when the master starts); `tierfs gateway` sweeps its root at start and at this interval, and the S3 gateway its versions area (.tierfs-versions/) for copies no version names.',
});

export const UNDERFS_LOCAL_PARTIAL_CLEAN_AGE = defineProperty({
  key: 'tierfs.underfs.local.partial.clean.age',
  type: duration(),
  default: '1h',
  description:
    'UFS cleanup removes the partial files (.tierfs-partial.*) of writes to local directories older than this: what a killed worker or gateway left mid-write. The periodic sweep of the S3 gateway versions area takes unrecorded copies only past this age too.',
});

export const UNDERFS_OBJECT_STORE_SERVICE_THREADS = defineProperty({
  key: 'tierfs.underfs.object.store.service.threads',
  type: int({ min: 1 }),
  default: '20',
  description: 'Concurrent copy and delete operations used to rename or delete object-store directories.',
});

export const UNDERFS_OBJECT_STORE_BREADCRUMBS_ENABLED = defineProperty({
  key: 'tierfs.underfs.object.store.breadcrumbs.enabled',
  type: bool,
  default: 'true',
  description: 'Whether listing a prefix without a directory marker writes the zero-byte marker object.',
});

export const UNDERFS_OBJECT_STORE_WRITE_COMMIT_COPY = defineProperty({
  key: 'tierfs.underfs.object.store.write.commit.copy',
  type: bool,
  default: 'true',
  description:
    "Whether CACHE_THROUGH and THROUGH writes to an object store are committed by the master only once it decided the write completes, so a failed write leaves nothing at the key and a write that lost the path to another never replaces it. A write of one request (up to a multipart partition) goes to a temporary key `.tierfs-write.<uuid>` beside the file and is copied over it (S3 and OSS: one CopyObject; Kodo: one forced move): 2 requests on the write's path, the temporary key deleted in a batch shortly after (tierfs.underfs.object.store.write.commit.delete.interval). A larger write is a multipart upload to the file's own key, left open until the master completes it (CompleteMultipartUpload is the commit: no copy, no size limit) or aborts it. Off: writes go straight to the key.",
});

export const UNDERFS_OBJECT_STORE_WRITE_COMMIT_DELETE_INTERVAL = defineProperty({
  key: 'tierfs.underfs.object.store.write.commit.delete.interval',
  type: duration(),
  default: '1s',
  description:
    "How long the temporary keys `.tierfs-write.<uuid>` of committed writes (tierfs.underfs.object.store.write.commit.copy) wait before they are deleted together (S3 DeleteObjects, OSS DeleteMultipleObjects; at once when 1000 are waiting, and when the store is closed): until then they can be seen in the bucket. A crash leaves them to the master's sweeper. 0 deletes each one right after its copy, on the write's path (one request more per write).",
});

export const UNDERFS_OBJECT_STORE_SKIP_PARENT_DIRECTORY_CREATION = defineProperty({
  key: 'tierfs.underfs.object.store.skip.parent.directory.creation',
  type: bool,
  default: 'true',
  description: 'Whether creating an object skips writing directory markers for its missing parents.',
});

export const UNDERFS_OBJECT_STORE_MOUNT_SHARED_PUBLICLY = defineProperty({
  key: 'tierfs.underfs.object.store.mount.shared.publicly',
  type: bool,
  default: 'false',
  description: "Whether an object-store mount grants the owner's permission bits to all users.",
});

export const UNDERFS_OBJECT_STORE_MULTI_RANGE_CHUNK_SIZE = defineProperty({
  key: 'tierfs.underfs.object.store.multi.range.chunk.size',
  type: bytes({ min: 1 }),
  description:
    'Largest byte range fetched by one ranged GET when reading an object; unset (the default), a read is one GET whatever its length (no new request, on a connection whose congestion window starts over, every block).',
});

export const UNDERFS_OBJECT_STORE_STREAMING_UPLOAD_PART_TIMEOUT = defineProperty({
  key: 'tierfs.underfs.object.store.streaming.upload.part.timeout',
  type: duration(),
  description: 'Timeout for uploading one part of a streaming upload; unset means no timeout.',
});

export const UNDERFS_OBJECT_STORE_MULTIPART_UPLOAD_TIMEOUT = defineProperty({
  key: 'tierfs.underfs.object.store.multipart.upload.timeout',
  type: duration(),
  description: 'Timeout for uploading one part of an in-memory multipart upload; unset means no timeout.',
});

export const UNDERFS_EVENTUAL_CONSISTENCY_RETRY_BASE_SLEEP = defineProperty({
  key: 'tierfs.underfs.eventual.consistency.retry.base.sleep',
  type: duration(),
  default: '50ms',
  description: 'First back-off delay when retrying a UFS operation that may fail from eventual consistency.',
});

export const UNDERFS_EVENTUAL_CONSISTENCY_RETRY_MAX_SLEEP = defineProperty({
  key: 'tierfs.underfs.eventual.consistency.retry.max.sleep',
  type: duration(),
  default: '30sec',
  description: 'Largest back-off delay between eventual-consistency retries.',
});

export const UNDERFS_EVENTUAL_CONSISTENCY_RETRY_MAX_NUM = defineProperty({
  key: 'tierfs.underfs.eventual.consistency.retry.max.num',
  type: int({ min: 0 }),
  default: '0',
  description: 'Maximum eventual-consistency retries of a UFS operation (0 disables them).',
});
