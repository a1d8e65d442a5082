/**
 * Qiniu Kodo: credentials (`fs.kodo.*`) and the `tierfs.underfs.kodo.*` driver settings.
 */
import { defineProperty } from '../property.js';
import { bytes, duration, int, string } from '../types.js';

export const FS_KODO_ACCESSKEY = defineProperty({
  key: 'fs.kodo.accesskey',
  type: string,
  aliases: ['fs.kodo.accessKey'],
  description: 'Qiniu AccessKey for Kodo (from Qiniu Console, Key Management).',
});

export const FS_KODO_SECRETKEY = defineProperty({
  key: 'fs.kodo.secretkey',
  type: string,
  secret: true,
  description: 'Qiniu SecretKey for Kodo; signs upload tokens, management requests and download URLs.',
});

export const UNDERFS_KODO_ENDPOINT = defineProperty({
  key: 'tierfs.underfs.kodo.endpoint',
  type: string,
  description: 'Source download (io) host of the bucket region, e.g. iovip.qbox.me (z0) or iovip-z1.qbox.me.',
});

export const UNDERFS_KODO_DOWNLOADHOST = defineProperty({
  key: 'tierfs.underfs.kodo.downloadhost',
  type: string,
  description:
    'Domain bound to the bucket; sent as Host when reading objects and used to sign download URLs.',
});

export const UNDERFS_KODO_REQUESTS_MAX = defineProperty({
  key: 'tierfs.underfs.kodo.requests.max',
  type: int({ min: 1 }),
  default: '64',
  description: 'Maximum concurrent HTTP requests to Kodo.',
});

export const UNDERFS_KODO_CONNECT_TIMEOUT = defineProperty({
  key: 'tierfs.underfs.kodo.connect.timeout',
  type: duration(),
  default: '50sec',
  description: 'Timeout for opening a connection to Kodo.',
});

export const UNDERFS_KODO_UP_HOST = defineProperty({
  key: 'tierfs.underfs.kodo.up.host',
  type: string,
  description: 'Upload host (host[:port] or URL); unset means derived from the bucket region.',
});

export const UNDERFS_KODO_RS_HOST = defineProperty({
  key: 'tierfs.underfs.kodo.rs.host',
  type: string,
  description: 'Management (rs: stat, copy, move, delete, batch) host; unset means derived from the region.',
});

export const UNDERFS_KODO_RSF_HOST = defineProperty({
  key: 'tierfs.underfs.kodo.rsf.host',
  type: string,
  description: 'Listing (rsf) host; unset means derived from the bucket region.',
});

export const UNDERFS_KODO_RESUMABLE_UPLOAD_THRESHOLD = defineProperty({
  key: 'tierfs.underfs.kodo.resumable.upload.threshold',
  type: bytes(),
  default: '4MB',
  description:
    'Files larger than this are uploaded with resumable (multipart) upload instead of a form upload.',
});

export const UNDERFS_KODO_RESUMABLE_UPLOAD_PART_SIZE = defineProperty({
  key: 'tierfs.underfs.kodo.resumable.upload.part.size',
  type: bytes({ min: 1024 * 1024 }),
  default: '4MB',
  description: 'Part size of Kodo resumable uploads (1MB to 1GB; at most 10000 parts).',
});

export const UNDERFS_KODO_RESUMABLE_UPLOAD_CONCURRENCY = defineProperty({
  key: 'tierfs.underfs.kodo.resumable.upload.concurrency',
  type: int({ min: 1 }),
  default: '3',
  description: 'Concurrent part uploads of one Kodo resumable upload.',
});

export const UNDERFS_KODO_DIRECTORY_SUFFIX = defineProperty({
  key: 'tierfs.underfs.kodo.directory.suffix',
  type: string,
  default: '/',
  description:
    "Suffix of the zero-byte objects that mark directories (Alluxio's 'dir/' by default; e.g. _$folder$ for stores that refuse keys ending in /).",
});
