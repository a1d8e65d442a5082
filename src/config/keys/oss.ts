/**
 * Aliyun OSS: the Hadoop-style `fs.oss.*` keys (credentials and endpoint, as Alluxio and Flink's
 * hadoop-aliyun plugin write them) and the `tierfs.underfs.oss.*` driver settings.
 */
import { defineProperty } from '../property.js';
import { bool, bytes, duration, int, list, mode, oneOf, string } from '../types.js';

/** OSS refuses parts (other than the last) smaller than this at CompleteMultipartUpload. */
const OSS_MIN_PART = 100 * 1024;

// --- fs.oss.*: endpoint and credentials ---------------------------------------------------------

export const FS_OSS_ENDPOINT = defineProperty({
  key: 'fs.oss.endpoint',
  type: string,
  description: 'Endpoint of the OSS region holding the bucket, e.g. oss-cn-shanghai.aliyuncs.com (required).',
});

export const FS_OSS_ACCESS_KEY_ID = defineProperty({
  key: 'fs.oss.accessKeyId',
  type: string,
  fallbackEnv: ['ALIYUN_OSS_ACCESS_KEY_ID'],
  description:
    'Aliyun AccessKey ID for OSS; falls back to the ALIYUN_OSS_ACCESS_KEY_ID environment variable.',
});

export const FS_OSS_ACCESS_KEY_SECRET = defineProperty({
  key: 'fs.oss.accessKeySecret',
  type: string,
  secret: true,
  fallbackEnv: ['ALIYUN_OSS_ACCESS_KEY_SECRET'],
  description: 'Aliyun AccessKey secret for OSS; falls back to the ALIYUN_OSS_ACCESS_KEY_SECRET variable.',
});

export const FS_OSS_SECURITY_TOKEN = defineProperty({
  key: 'fs.oss.securityToken',
  type: string,
  secret: true,
  description: 'STS security token sent with temporary AccessKey credentials.',
});

export const FS_OSS_CREDENTIALS_PROVIDER = defineProperty({
  key: 'fs.oss.credentials.provider',
  type: string,
  description:
    'Name of a credentials provider; unset means use the accessKeyId/accessKeySecret/securityToken keys.',
});

export const FS_OSS_IMPL = defineProperty({
  key: 'fs.oss.impl',
  type: string,
  description:
    "Hadoop's FileSystem class for oss:// (seen in core-site.xml); accepted and ignored by tierfs.",
});

// --- fs.oss.*: connections ----------------------------------------------------------------------

export const FS_OSS_CONNECTION_MAXIMUM = defineProperty({
  key: 'fs.oss.connection.maximum',
  type: int({ min: 1 }),
  default: '32',
  description: 'Maximum concurrent HTTP connections to OSS.',
});

export const FS_OSS_CONNECTION_SECURE_ENABLED = defineProperty({
  key: 'fs.oss.connection.secure.enabled',
  type: bool,
  default: 'true',
  description: 'Whether to talk to OSS over HTTPS (set false for a local emulator).',
});

export const FS_OSS_CONNECTION_ESTABLISH_TIMEOUT = defineProperty({
  key: 'fs.oss.connection.establish.timeout',
  type: int({ min: 0 }),
  default: '50000',
  description: 'Timeout for opening a connection to OSS, in milliseconds.',
});

export const FS_OSS_CONNECTION_TIMEOUT = defineProperty({
  key: 'fs.oss.connection.timeout',
  type: int({ min: 0 }),
  default: '200000',
  description: 'Timeout waiting for data on an open OSS connection (socket timeout), in milliseconds.',
});

export const FS_OSS_ATTEMPTS_MAXIMUM = defineProperty({
  key: 'fs.oss.attempts.maximum',
  type: int({ min: 0 }),
  default: '10',
  description: 'Maximum retries of a failed OSS request.',
});

export const FS_OSS_PROXY_HOST = defineProperty({
  key: 'fs.oss.proxy.host',
  type: string,
  description: 'Host of an HTTP proxy to reach OSS through.',
});

export const FS_OSS_PROXY_PORT = defineProperty({
  key: 'fs.oss.proxy.port',
  type: int({ min: 0, max: 65535 }),
  description: 'Port of the OSS proxy; unset means 443 with HTTPS, else 80.',
});

export const FS_OSS_PROXY_USERNAME = defineProperty({
  key: 'fs.oss.proxy.username',
  type: string,
  description: 'User name for authenticating to the OSS proxy.',
});

export const FS_OSS_PROXY_PASSWORD = defineProperty({
  key: 'fs.oss.proxy.password',
  type: string,
  secret: true,
  description: 'Password for authenticating to the OSS proxy.',
});

export const FS_OSS_PROXY_DOMAIN = defineProperty({
  key: 'fs.oss.proxy.domain',
  type: string,
  description: 'Windows domain for NTLM authentication to the OSS proxy.',
});

export const FS_OSS_PROXY_WORKSTATION = defineProperty({
  key: 'fs.oss.proxy.workstation',
  type: string,
  description: 'Windows workstation name for NTLM authentication to the OSS proxy.',
});

export const FS_OSS_CNAME_SUPPORT_ENABLED = defineProperty({
  key: 'fs.oss.cname.support.enabled',
  type: bool,
  default: 'true',
  description: 'Whether the endpoint may be a custom domain (CNAME) bound to the bucket.',
});

// --- fs.oss.*: listing --------------------------------------------------------------------------

export const FS_OSS_PAGING_MAXIMUM = defineProperty({
  key: 'fs.oss.paging.maximum',
  type: int({ min: 1, max: 1000 }),
  default: '1000',
  description: 'Objects requested per OSS listing page (1 to 1000).',
});

export const FS_OSS_LIST_VERSION = defineProperty({
  key: 'fs.oss.list.version',
  type: int(),
  default: '2',
  description:
    'OSS listing API: 1 for ListObjects (marker), 2 for ListObjectsV2; other values warn and use 2.',
});

// --- fs.oss.*: uploads and downloads ------------------------------------------------------------

export const FS_OSS_MULTIPART_UPLOAD_SIZE = defineProperty({
  key: 'fs.oss.multipart.upload.size',
  type: bytes({ min: OSS_MIN_PART }),
  default: '104857600',
  description: 'Part size of OSS multipart uploads, in bytes (at least 100KB; at most 10000 parts per file).',
});

export const FS_OSS_MULTIPART_UPLOAD_THRESHOLD = defineProperty({
  key: 'fs.oss.multipart.upload.threshold',
  type: bytes(),
  default: '20971520',
  description: 'Deprecated: files at least this large were uploaded in parts, in bytes.',
});

export const FS_OSS_MULTIPART_DOWNLOAD_SIZE = defineProperty({
  key: 'fs.oss.multipart.download.size',
  type: bytes({ min: 1 }),
  default: '524288',
  description: 'Size of each ranged GET when reading an OSS object ahead, in bytes.',
});

export const FS_OSS_MULTIPART_DOWNLOAD_THREADS = defineProperty({
  key: 'fs.oss.multipart.download.threads',
  type: int({ min: 1 }),
  default: '10',
  description: 'Concurrent ranged GETs used to read ahead an OSS object.',
});

export const FS_OSS_MULTIPART_DOWNLOAD_AHEAD_PART_MAX_NUMBER = defineProperty({
  key: 'fs.oss.multipart.download.ahead.part.max.number',
  type: int({ min: 0 }),
  default: '4',
  description: 'Maximum parts read ahead of the current position of an OSS input stream.',
});

export const FS_OSS_MAX_TOTAL_TASKS = defineProperty({
  key: 'fs.oss.max.total.tasks',
  type: int({ min: 1 }),
  default: '128',
  description: 'Maximum OSS upload and copy tasks queued or running at once.',
});

export const FS_OSS_UPLOAD_ACTIVE_BLOCKS = defineProperty({
  key: 'fs.oss.upload.active.blocks',
  type: int({ min: 1 }),
  default: '4',
  description: 'Maximum parts of one output stream being buffered or uploaded at once.',
});

export const FS_OSS_FAST_UPLOAD_BUFFER = defineProperty({
  key: 'fs.oss.fast.upload.buffer',
  type: oneOf(['disk', 'array', 'bytebuffer', 'array_disk', 'bytebuffer_disk']),
  default: 'disk',
  description:
    'Where upload parts are buffered: disk, array, bytebuffer, or memory then disk (array_disk, ...).',
});

export const FS_OSS_BUFFER_DIR = defineProperty({
  key: 'fs.oss.buffer.dir',
  type: list(),
  description: 'Comma-separated local directories for buffered upload parts; unset means <tmp dir>/oss.',
});

export const FS_OSS_BLOCK_SIZE = defineProperty({
  key: 'fs.oss.block.size',
  type: bytes({ min: 1 }),
  default: '67108864',
  description: 'Block size reported for OSS files, in bytes.',
});

export const FS_OSS_ACL_DEFAULT = defineProperty({
  key: 'fs.oss.acl.default',
  type: string,
  description:
    'If set, the bucket ACL (private, public-read, public-read-write) applied when the store opens.',
});

export const FS_OSS_SERVER_SIDE_ENCRYPTION_ALGORITHM = defineProperty({
  key: 'fs.oss.server-side-encryption-algorithm',
  type: string,
  description: 'Server-side encryption algorithm for written objects (e.g. AES256); unset means none.',
});

export const FS_OSS_MAX_COPY_THREADS = defineProperty({
  key: 'fs.oss.max.copy.threads',
  type: int({ min: 1 }),
  default: '25',
  description: 'Concurrent object copies used to rename OSS directories.',
});

export const FS_OSS_MAX_COPY_TASKS_PER_DIR = defineProperty({
  key: 'fs.oss.max.copy.tasks.per.dir',
  type: int({ min: 1 }),
  default: '5',
  description: 'Maximum concurrent object copies while renaming one OSS directory.',
});

// --- tierfs.underfs.oss.*: connections ----------------------------------------------------------

export const UNDERFS_OSS_CONNECTION_MAX = defineProperty({
  key: 'tierfs.underfs.oss.connection.max',
  type: int({ min: 1 }),
  default: '1024',
  description: 'Maximum concurrent HTTP connections of the OSS driver.',
});

export const UNDERFS_OSS_CONNECTION_TIMEOUT = defineProperty({
  key: 'tierfs.underfs.oss.connection.timeout',
  type: duration(),
  default: '50sec',
  description: 'Timeout for opening a connection to OSS.',
});

export const UNDERFS_OSS_CONNECTION_TTL = defineProperty({
  key: 'tierfs.underfs.oss.connection.ttl',
  type: duration({ allowNegative: true }),
  default: '-1',
  description: 'How long a pooled OSS connection may be reused; -1 means without limit.',
});

export const UNDERFS_OSS_SOCKET_TIMEOUT = defineProperty({
  key: 'tierfs.underfs.oss.socket.timeout',
  type: duration(),
  default: '50sec',
  description: 'Timeout waiting for data on an open OSS connection.',
});

export const UNDERFS_OSS_RETRY_MAX = defineProperty({
  key: 'tierfs.underfs.oss.retry.max',
  type: int({ min: 0 }),
  default: '3',
  description: 'Maximum retries of a failed OSS request.',
});

export const UNDERFS_OSS_PROTOCOL = defineProperty({
  key: 'tierfs.underfs.oss.protocol',
  type: oneOf(['http', 'https']),
  default: 'http',
  description: 'Protocol used to talk to the OSS endpoint: http or https.',
});

export const UNDERFS_OSS_PATH_STYLE_ACCESS = defineProperty({
  key: 'tierfs.underfs.oss.path.style.access',
  type: bool,
  default: 'false',
  description:
    'Address the bucket in the path (http://endpoint/bucket/key) instead of the host name; for emulators ' +
    'such as the tierfs OSS gateway on localhost.',
});

export const UNDERFS_OSS_DIRECTORY_SUFFIX = defineProperty({
  key: 'tierfs.underfs.oss.directory.suffix',
  type: oneOf(['/', '_$folder$']),
  default: '/',
  description:
    "Suffix of OSS directory marker objects: '/' (dir/, as hadoop-aliyun and the S3 driver write them) or " +
    "'_$folder$' (dir_$folder$, as Alluxio's OSS driver writes them).",
});

export const UNDERFS_OSS_PROXY_HOST = defineProperty({
  key: 'tierfs.underfs.oss.proxy.host',
  type: string,
  description: 'Host of an HTTP proxy the OSS driver connects through.',
});

export const UNDERFS_OSS_PROXY_PORT = defineProperty({
  key: 'tierfs.underfs.oss.proxy.port',
  type: int({ min: 0, max: 65535 }),
  default: '0',
  description: 'Port of the HTTP proxy the OSS driver connects through (0 when no proxy is set).',
});

// --- tierfs.underfs.oss.*: STS ------------------------------------------------------------------

export const UNDERFS_OSS_ECS_RAM_ROLE = defineProperty({
  key: 'tierfs.underfs.oss.ecs.ram.role',
  type: string,
  description: 'RAM role of the ECS instance whose temporary STS credentials are used for OSS.',
});

export const UNDERFS_OSS_STS_ENABLED = defineProperty({
  key: 'tierfs.underfs.oss.sts.enabled',
  type: bool,
  default: 'false',
  description: 'Whether OSS credentials are STS tokens fetched for the ECS RAM role instead of fs.oss keys.',
});

export const UNDERFS_OSS_STS_ECS_METADATA_SERVICE_ENDPOINT = defineProperty({
  key: 'tierfs.underfs.oss.sts.ecs.metadata.service.endpoint',
  type: string,
  default: 'http://100.100.100.200/latest/meta-data/ram/security-credentials/',
  description: 'ECS metadata service URL the STS credentials of the RAM role are fetched from.',
});

export const UNDERFS_OSS_STS_TOKEN_REFRESH_INTERVAL_MS = defineProperty({
  key: 'tierfs.underfs.oss.sts.token.refresh.interval.ms',
  type: duration(),
  default: '30m',
  description: 'How long before expiry STS credentials are refreshed (a duration, despite the .ms name).',
});

// --- tierfs.underfs.oss.*: uploads --------------------------------------------------------------

export const UNDERFS_OSS_INTERMEDIATE_UPLOAD_CLEAN_AGE = defineProperty({
  key: 'tierfs.underfs.oss.intermediate.upload.clean.age',
  type: duration(),
  default: '3day',
  description: 'UFS cleanup aborts OSS multipart uploads started longer ago than this.',
});

export const UNDERFS_OSS_STREAMING_UPLOAD_ENABLED = defineProperty({
  key: 'tierfs.underfs.oss.streaming.upload.enabled',
  type: bool,
  default: 'false',
  description: 'Upload OSS files part by part while they are written, buffering parts in temp files.',
});

export const UNDERFS_OSS_STREAMING_UPLOAD_PARTITION_SIZE = defineProperty({
  key: 'tierfs.underfs.oss.streaming.upload.partition.size',
  type: bytes({ min: OSS_MIN_PART }),
  default: '64MB',
  description: 'Part size of OSS streaming uploads (at least 100KB, the OSS minimum part).',
});

export const UNDERFS_OSS_STREAMING_UPLOAD_THREADS = defineProperty({
  key: 'tierfs.underfs.oss.streaming.upload.threads',
  type: int({ min: 1 }),
  default: '20',
  description: 'Concurrent part uploads of OSS streaming uploads.',
});

export const UNDERFS_OSS_MULTIPART_UPLOAD_ENABLED = defineProperty({
  key: 'tierfs.underfs.oss.multipart.upload.enabled',
  type: bool,
  default: 'false',
  description: 'Upload OSS files part by part while they are written, buffering parts in memory.',
});

export const UNDERFS_OSS_MULTIPART_UPLOAD_THREADS = defineProperty({
  key: 'tierfs.underfs.oss.multipart.upload.threads',
  type: int({ min: 1 }),
  default: '20',
  description: 'Concurrent part uploads of OSS multipart uploads.',
});

export const UNDERFS_OSS_MULTIPART_UPLOAD_PARTITION_SIZE = defineProperty({
  key: 'tierfs.underfs.oss.multipart.upload.partition.size',
  type: bytes({ min: OSS_MIN_PART }),
  default: '64MB',
  aliases: ['tierfs.underfs.oss.multipart.upload.part.size'],
  description:
    'Part size of OSS multipart uploads (at least 100KB); wins over fs.oss.multipart.upload.size when both are set.',
});

// --- tierfs.underfs.oss.*: permissions ----------------------------------------------------------

export const UNDERFS_OSS_DEFAULT_MODE = defineProperty({
  key: 'tierfs.underfs.oss.default.mode',
  type: mode,
  default: '0700',
  description: 'Permission mode of files and directories of an OSS mount.',
});

export const UNDERFS_OSS_OWNER_ID_TO_USERNAME_MAPPING = defineProperty({
  key: 'tierfs.underfs.oss.owner.id.to.username.mapping',
  type: string,
  description: 'Maps OSS owner IDs to tierfs user names, as "id1=user1;id2=user2".',
});
