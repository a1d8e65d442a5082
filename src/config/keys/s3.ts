/**
 * Amazon S3 and S3-compatible stores: credentials (`aws.*`, also accepted as `s3a.*`) and the
 * `tierfs.underfs.s3.*` driver settings.
 */
import { defineProperty } from '../property.js';
import { bool, bytes, duration, int, mode, string } from '../types.js';

const FIVE_MB = 5 * 1024 * 1024;

// --- Credentials --------------------------------------------------------------------------------

export const AWS_ACCESS_KEY_ID = defineProperty({
  key: 'aws.accessKeyId',
  type: string,
  aliases: ['s3a.accessKeyId'],
  fallbackEnv: ['AWS_ACCESS_KEY_ID', 'AWS_ACCESS_KEY'],
  description: 'AWS access key ID for S3; falls back to AWS_ACCESS_KEY_ID/AWS_ACCESS_KEY, then profile.',
});

export const AWS_SECRET_KEY = defineProperty({
  key: 'aws.secretKey',
  type: string,
  aliases: ['s3a.secretKey'],
  secret: true,
  fallbackEnv: ['AWS_SECRET_ACCESS_KEY', 'AWS_SECRET_KEY'],
  description:
    'AWS secret access key for S3; falls back to AWS_SECRET_ACCESS_KEY/AWS_SECRET_KEY, then profile.',
});

// --- Endpoint, region, addressing ---------------------------------------------------------------

export const UNDERFS_S3_ENDPOINT = defineProperty({
  key: 'tierfs.underfs.s3.endpoint',
  type: string,
  description: 'Endpoint of a non-Amazon S3 service (host[:port] or URL, e.g. http://localhost:9000).',
});

export const UNDERFS_S3_ENDPOINT_REGION = defineProperty({
  key: 'tierfs.underfs.s3.endpoint.region',
  type: string,
  description: 'Signing region used together with tierfs.underfs.s3.endpoint.',
});

export const UNDERFS_S3_REGION = defineProperty({
  key: 'tierfs.underfs.s3.region',
  type: string,
  description: 'AWS region of the bucket; unset means detect it from the bucket.',
});

export const UNDERFS_S3_DISABLE_DNS_BUCKETS = defineProperty({
  key: 'tierfs.underfs.s3.disable.dns.buckets',
  type: bool,
  default: 'false',
  description: 'Use path-style requests (endpoint/bucket/key) instead of bucket.endpoint host names.',
});

export const UNDERFS_S3_PROXY_HOST = defineProperty({
  key: 'tierfs.underfs.s3.proxy.host',
  type: string,
  description: 'Host of an HTTP proxy to reach S3 through.',
});

export const UNDERFS_S3_PROXY_PORT = defineProperty({
  key: 'tierfs.underfs.s3.proxy.port',
  type: int({ min: 0, max: 65535 }),
  description: 'Port of the HTTP proxy to reach S3 through.',
});

export const UNDERFS_S3_SECURE_HTTP_ENABLED = defineProperty({
  key: 'tierfs.underfs.s3.secure.http.enabled',
  type: bool,
  default: 'false',
  description: 'Whether to talk to S3 over HTTPS (always on when server-side encryption is enabled).',
});

// --- Security -----------------------------------------------------------------------------------

export const UNDERFS_S3_SERVER_SIDE_ENCRYPTION_ENABLED = defineProperty({
  key: 'tierfs.underfs.s3.server.side.encryption.enabled',
  type: bool,
  default: 'false',
  description: 'Whether objects are written with S3 server-side encryption (SSE-S3); implies HTTPS.',
});

export const UNDERFS_S3_SIGNER_ALGORITHM = defineProperty({
  key: 'tierfs.underfs.s3.signer.algorithm',
  type: string,
  description: 'Request signer; S3SignerType forces v2 signatures for providers without SigV4.',
});

// --- Threads, timeouts, connections -------------------------------------------------------------

export const UNDERFS_S3_ADMIN_THREADS_MAX = defineProperty({
  key: 'tierfs.underfs.s3.admin.threads.max',
  type: int({ min: 1 }),
  default: '20',
  description: 'Maximum concurrent S3 metadata operations.',
});

export const UNDERFS_S3_UPLOAD_THREADS_MAX = defineProperty({
  key: 'tierfs.underfs.s3.upload.threads.max',
  type: int({ min: 1 }),
  default: '20',
  description: 'Maximum concurrent S3 uploads (upload parts on workers, renames on the master).',
});

export const UNDERFS_S3_THREADS_MAX = defineProperty({
  key: 'tierfs.underfs.s3.threads.max',
  type: int({ min: 1 }),
  default: '40',
  description: 'Maximum S3 connections; raised to admin.threads.max + upload.threads.max if smaller.',
});

export const UNDERFS_S3_REQUEST_TIMEOUT = defineProperty({
  key: 'tierfs.underfs.s3.request.timeout',
  type: duration(),
  default: '1min',
  description: 'Timeout of one S3 request from start to end.',
});

export const UNDERFS_S3_SOCKET_TIMEOUT = defineProperty({
  key: 'tierfs.underfs.s3.socket.timeout',
  type: duration(),
  default: '50sec',
  description: 'Timeout waiting for data on an open S3 connection.',
});

export const UNDERFS_S3_CONNECTION_TTL = defineProperty({
  key: 'tierfs.underfs.s3.connection.ttl',
  type: duration({ allowNegative: true }),
  default: '-1',
  description: 'How long a pooled S3 connection may be reused; -1 means without limit.',
});

export const UNDERFS_S3_MAX_ERROR_RETRY = defineProperty({
  key: 'tierfs.underfs.s3.max.error.retry',
  type: int({ min: 0 }),
  description: 'Retries of a failed retryable S3 request; unset means the SDK default.',
});

// --- Directories and listing --------------------------------------------------------------------

export const UNDERFS_S3_DIRECTORY_SUFFIX = defineProperty({
  key: 'tierfs.underfs.s3.directory.suffix',
  type: string,
  default: '/',
  description: 'Suffix of the zero-byte objects that mark directories.',
});

export const UNDERFS_S3_LIST_OBJECTS_V1 = defineProperty({
  key: 'tierfs.underfs.s3.list.objects.v1',
  type: bool,
  default: 'false',
  description: 'Whether to list with ListObjects (v1, marker) instead of ListObjectsV2 (continuation token).',
});

export const UNDERFS_S3_BULK_DELETE_ENABLED = defineProperty({
  key: 'tierfs.underfs.s3.bulk.delete.enabled',
  type: bool,
  default: 'true',
  description: 'Whether recursive deletes use DeleteObjects batches instead of one request per object.',
});

// --- Permissions --------------------------------------------------------------------------------

export const UNDERFS_S3_DEFAULT_MODE = defineProperty({
  key: 'tierfs.underfs.s3.default.mode',
  type: mode,
  default: '0700',
  description: 'Permission mode of files and directories of an S3 mount before bucket ACLs are applied.',
});

export const UNDERFS_S3_INHERIT_ACL = defineProperty({
  key: 'tierfs.underfs.s3.inherit.acl',
  type: bool,
  default: 'true',
  description: 'Whether the owner and mode of an S3 mount are derived from the bucket owner and bucket ACL.',
});

export const UNDERFS_S3_OWNER_ID_TO_USERNAME_MAPPING = defineProperty({
  key: 'tierfs.underfs.s3.owner.id.to.username.mapping',
  type: string,
  description: 'Maps S3 canonical user IDs to tierfs user names, as "id1=user1;id2=user2".',
});

// --- Uploads ------------------------------------------------------------------------------------

export const UNDERFS_S3_INTERMEDIATE_UPLOAD_CLEAN_AGE = defineProperty({
  key: 'tierfs.underfs.s3.intermediate.upload.clean.age',
  type: duration(),
  default: '3day',
  description: 'UFS cleanup aborts S3 multipart uploads started longer ago than this.',
});

export const UNDERFS_S3_STREAMING_UPLOAD_ENABLED = defineProperty({
  key: 'tierfs.underfs.s3.streaming.upload.enabled',
  type: bool,
  default: 'false',
  description: 'Upload S3 files part by part while they are written, buffering parts in temp files.',
});

export const UNDERFS_S3_STREAMING_UPLOAD_PARTITION_SIZE = defineProperty({
  key: 'tierfs.underfs.s3.streaming.upload.partition.size',
  type: bytes({ min: FIVE_MB }),
  default: '64MB',
  description: 'Part size of S3 streaming uploads (at least 5MB).',
});

export const UNDERFS_S3_MULTIPART_UPLOAD_ENABLED = defineProperty({
  key: 'tierfs.underfs.s3.multipart.upload.enabled',
  type: bool,
  default: 'true',
  description:
    'Upload S3 files part by part while they are written, buffering parts in memory (at most ' +
    '(threads + 1) × partition size per file). Turning streaming upload on picks streaming unless ' +
    'this is set too; false (with streaming off) stages the whole file in a temp file. A file ' +
    'smaller than one part goes up with one PUT.',
});

export const UNDERFS_S3_MULTIPART_UPLOAD_PARTITION_SIZE = defineProperty({
  key: 'tierfs.underfs.s3.multipart.upload.partition.size',
  type: bytes({ min: FIVE_MB }),
  default: '8MB',
  description: 'Part size of S3 in-memory multipart uploads (at least 5MB).',
});

export const UNDERFS_S3_MULTIPART_UPLOAD_THREADS = defineProperty({
  key: 'tierfs.underfs.s3.multipart.upload.threads',
  type: int({ min: 1 }),
  default: '4',
  description: 'Parts of one file uploading at once in an S3 in-memory multipart upload.',
});

// --- Troubleshooting ----------------------------------------------------------------------------

export const UNDERFS_S3_DEBUG_LOGGING_ENABLED = defineProperty({
  key: 'tierfs.underfs.s3.debug.logging.enabled',
  type: bool,
  default: 'false',
  description:
    'Log every S3 request at debug level (operation, bucket, key, status, latency, bytes; never credentials).',
});
