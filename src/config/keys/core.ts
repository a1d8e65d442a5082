/**
 * Core properties: installation directories, master and worker addresses, the worker cache (page
 * store and tiered store), client read/write defaults, the root mount and the S3 gateway.
 */
import { defineProperty } from '../property.js';
import { bool, bytes, duration, float, int, list, mode, oneOf, string, ValueError } from '../types.js';

const port = int({ min: 0, max: 65535 });

// --- Installation and directories ---------------------------------------------------------------

export const HOME = defineProperty({
  key: 'tierfs.home',
  type: string,
  default: '.',
  env: ['TIERFS_HOME'],
  description: 'Installation directory of tierfs; the other directories default to paths under it.',
});

export const CONF_DIR = defineProperty({
  key: 'tierfs.conf.dir',
  type: string,
  default: '${tierfs.home}/conf',
  env: ['TIERFS_CONF_DIR'],
  description:
    'Directory holding tierfs-site.properties (or alluxio-site.properties) and other configuration.',
});

export const SITE_CONF_DIR = defineProperty({
  key: 'tierfs.site.conf.dir',
  type: list(),
  default: '${tierfs.conf.dir},/etc/tierfs',
  description: 'Directories searched in order for the site properties file; the first file found is loaded.',
});

export const FLINK_CONF_DIR = defineProperty({
  key: 'tierfs.flink.conf.dir',
  type: string,
  env: ['FLINK_CONF_DIR'],
  description:
    "Flink's configuration directory: its config.yaml (or else flink-conf.yaml) is read as a configuration source below the site file, for the keys tierfs knows (fs.oss.*, ...).",
});

export const FS_HDFS_HADOOPCONF = defineProperty({
  key: 'fs.hdfs.hadoopconf',
  type: string,
  description:
    "Flink's option naming Hadoop's configuration directory: its core-site.xml is read as a configuration source below flink-conf.yaml. Wins over tierfs.hadoop.conf.dir.",
});

export const HADOOP_CONF_DIR = defineProperty({
  key: 'tierfs.hadoop.conf.dir',
  type: string,
  env: ['HADOOP_CONF_DIR'],
  description:
    "Hadoop's configuration directory when fs.hdfs.hadoopconf is unset (else ${HADOOP_HOME}/etc/hadoop, then ${HADOOP_HOME}/conf): its core-site.xml is a configuration source.",
});

export const CONF_VALIDATION_ENABLED = defineProperty({
  key: 'tierfs.conf.validation.enabled',
  type: bool,
  default: 'true',
  description: 'Whether unknown keys and invalid values are reported when the configuration is loaded.',
});

export const WORK_DIR = defineProperty({
  key: 'tierfs.work.dir',
  type: string,
  default: '${tierfs.home}',
  env: ['TIERFS_WORK_DIR'],
  description: 'Directory for data tierfs writes at run time: metastore, logs and the local under storage.',
});

export const LOGS_DIR = defineProperty({
  key: 'tierfs.logs.dir',
  type: string,
  default: '${tierfs.work.dir}/logs',
  env: ['TIERFS_LOGS_DIR'],
  description: 'Directory the master, worker and gateway processes write their log files to.',
});

export const TMP_DIRS = defineProperty({
  key: 'tierfs.tmp.dirs',
  type: list(),
  default: '/tmp',
  description: 'Comma-separated local directories for temporary files, e.g. staged object-store uploads.',
});

// --- Security -----------------------------------------------------------------------------------

/** Alluxio's authentication types tierfs serves; CUSTOM (a pluggable provider class) has no TS twin. */
const AUTHENTICATION_TYPES = oneOf(['NOSASL', 'SIMPLE', 'TOKEN']);

export const SECURITY_AUTHENTICATION_TYPE = defineProperty({
  key: 'tierfs.security.authentication.type',
  type: {
    ...AUTHENTICATION_TYPES,
    parse(raw) {
      if (raw.trim().toUpperCase() === 'CUSTOM') {
        throw new ValueError(
          "CUSTOM (Alluxio's pluggable provider class) is not supported: use TOKEN, bearer tokens made by " +
            '`tierfs auth token create <user>`',
        );
      }
      return AUTHENTICATION_TYPES.parse(raw);
    },
  },
  default: 'SIMPLE',
  description:
    'How callers prove who they are: SIMPLE (the caller names its user, believed from loopback only), TOKEN ' +
    '(every call carries `Authorization: Bearer <token>` from `tierfs auth token create`) or NOSASL (tests on ' +
    'one machine: loopback only).',
});

export const SECURITY_AUTHENTICATION_SIMPLE_REMOTE_ENABLED = defineProperty({
  key: 'tierfs.security.authentication.simple.remote.enabled',
  type: bool,
  default: 'false',
  description:
    'Under SIMPLE, also believe the user named by callers on other machines. Off by default: without it a ' +
    'master bound beyond loopback refuses to start in SIMPLE.',
});

export const SECURITY_LOGIN_USERNAME = defineProperty({
  key: 'tierfs.security.login.username',
  type: string,
  description:
    'User name a client presents to tierfs (SIMPLE), or impersonates with a superuser token; unset means the ' +
    'operating-system user. The user the master runs as is the superuser.',
});

export const SECURITY_LOGIN_TOKEN = defineProperty({
  key: 'tierfs.security.login.token',
  type: string,
  secret: true,
  env: ['TIERFS_TOKEN'],
  description:
    'The token a client sends as `Authorization: Bearer` (from `tierfs auth token create <user>`). Set it in ' +
    'the environment (TIERFS_TOKEN) or a 0600 site file, not with -D on a command line.',
});

export const SECURITY_AUTHORIZATION_PERMISSION_ENABLED = defineProperty({
  key: 'tierfs.security.authorization.permission.enabled',
  type: bool,
  default: 'true',
  description: 'Whether the namespace checks POSIX-style owner, group and mode permissions.',
});

export const SECURITY_AUTHORIZATION_PERMISSION_UMASK = defineProperty({
  key: 'tierfs.security.authorization.permission.umask',
  type: mode,
  default: '022',
  description: 'Umask applied to the mode of files and directories created through tierfs (octal).',
});

export const SECURITY_AUTHORIZATION_PERMISSION_SUPERGROUP = defineProperty({
  key: 'tierfs.security.authorization.permission.supergroup',
  type: string,
  default: 'supergroup',
  description: 'Members of this group bypass permission checks (the super-user group).',
});

export const SECURITY_AUTHENTICATION_TOKEN_LIFETIME = defineProperty({
  key: 'tierfs.security.authentication.token.lifetime',
  type: duration(),
  default: '30d',
  description:
    'How long a user token made by `tierfs auth token create` (or refreshed by `tierfs auth token refresh`) ' +
    'is accepted; an expired token is refused with UNAUTHENTICATED saying when it expired. `create --lifetime` ' +
    'sets another for one token; 0 makes tokens that never expire. Tokens made before tokens expired never do.',
});

export const SECURITY_AUTHORIZATION_CAPABILITY_LIFETIME = defineProperty({
  key: 'tierfs.security.authorization.capability.lifetime',
  type: duration(),
  default: '1h',
  description:
    'How long a capability the master signs for an open or a create stays valid at the workers; a read or ' +
    'write must start within it (a stream already running is not cut).',
});

// --- Master -------------------------------------------------------------------------------------

export const MASTER_HOSTNAME = defineProperty({
  key: 'tierfs.master.hostname',
  type: string,
  default: 'localhost',
  env: ['TIERFS_MASTER_HOSTNAME'],
  description: 'Host name clients and workers use to reach the master.',
});

export const MASTER_BIND_HOST = defineProperty({
  key: 'tierfs.master.bind.host',
  type: string,
  default: '127.0.0.1',
  description:
    'Address the master RPC server listens on (loopback by default; 0.0.0.0 to serve other machines).',
});

export const MASTER_RPC_PORT = defineProperty({
  key: 'tierfs.master.rpc.port',
  type: port,
  default: '19998',
  description: 'Port of the master RPC (metadata) API.',
});

export const MASTER_RPC_ADDRESSES = defineProperty({
  key: 'tierfs.master.rpc.addresses',
  type: list(),
  env: ['TIERFS_MASTER_RPC_ADDRESSES'],
  description:
    'Every master of the cluster, host:port,host:port (masters sharing one PostgreSQL metadata store): ' +
    'clients, workers, the CLI and the gateways use the first that answers and move to the next when ' +
    'one fails. Unset: the one master at tierfs.master.hostname and tierfs.master.rpc.port.',
});

export const MASTER_NODE_OPTIONS = defineProperty({
  key: 'tierfs.master.node.options',
  type: string,
  default: '',
  env: ['TIERFS_MASTER_NODE_OPTIONS'],
  description:
    'Node.js options of the master process started by `tierfs start` (appended to NODE_OPTIONS, so they ' +
    'win). Empty: Node.js defaults. Listing a never-listed directory of a million objects makes ' +
    'short-lived garbage that an uncapped heap lets grow to ~470 MB RSS; --max-old-space-size=224 keeps ' +
    'the master under 300 MB there, but a load holds ~50 MB of names per million entries, so a cap that ' +
    'low fails on directories of several million: size it for the largest directory you list.',
});

export const WORKER_NODE_OPTIONS = defineProperty({
  key: 'tierfs.worker.node.options',
  type: string,
  default: '',
  env: ['TIERFS_WORKER_NODE_OPTIONS'],
  description:
    'Node.js options of the worker process started by `tierfs start` (appended to NODE_OPTIONS, so they ' +
    'win), e.g. --max-old-space-size=256. Empty: Node.js defaults (page data lives outside the V8 heap).',
});

export const MASTER_WEB_BIND_HOST = defineProperty({
  key: 'tierfs.master.web.bind.host',
  type: string,
  default: '127.0.0.1',
  description: 'Address the master web UI and admin REST API listen on.',
});

export const MASTER_WEB_PORT = defineProperty({
  key: 'tierfs.master.web.port',
  type: port,
  default: '19999',
  description: 'Port of the master web UI and admin REST API (/api/v1).',
});

export const WEB_ADMIN_TOKEN = defineProperty({
  key: 'tierfs.web.admin.token',
  type: string,
  secret: true,
  description:
    'A superuser token for the master web port (UI and REST /api/v1). When set, every change (POST, DELETE) on ' +
    'the web port needs a token (this one or a user token), even from loopback; reads follow ' +
    'tierfs.security.authentication.type.',
});

export const MASTER_METRICS_SAMPLE_INTERVAL = defineProperty({
  key: 'tierfs.master.metrics.sample.interval',
  type: duration(),
  default: '5sec',
  description:
    "How often the master samples the workers' throughput, cache hits and UFS operations for the Metrics page " +
    '(the last 360 samples are kept in memory).',
});

export const MASTER_METASTORE = defineProperty({
  key: 'tierfs.master.metastore',
  type: oneOf(['SQLITE', 'POSTGRESQL']),
  default: 'SQLITE',
  description: 'Metadata store: SQLITE (embedded, one master) or POSTGRESQL (shared by several masters).',
});

export const MASTER_METASTORE_DIR = defineProperty({
  key: 'tierfs.master.metastore.dir',
  type: string,
  default: '${tierfs.work.dir}/metastore',
  description: 'Directory of the embedded SQLite metadata store (inodes, mount table, jobs).',
});

export const MASTER_METASTORE_POSTGRESQL_URL = defineProperty({
  key: 'tierfs.master.metastore.postgresql.url',
  type: string,
  secret: true,
  description: 'PostgreSQL connection URL of the shared metadata store (may embed a password).',
});

export const MASTER_METASTORE_POSTGRESQL_POOL_SIZE = defineProperty({
  key: 'tierfs.master.metastore.postgresql.pool.size',
  type: int({ min: 1, max: 1000 }),
  default: '16',
  description: 'Connections each master keeps to the PostgreSQL metadata store.',
});

export const MASTER_PERSISTENCE_SCHEDULER_INTERVAL = defineProperty({
  key: 'tierfs.master.persistence.scheduler.interval',
  type: duration(),
  default: '1s',
  description: 'How often the master schedules queued ASYNC_THROUGH files for persistence to the UFS.',
});

export const MASTER_PERSISTENCE_CHECKER_INTERVAL = defineProperty({
  key: 'tierfs.master.persistence.checker.interval',
  type: duration(),
  default: '1s',
  description: 'How often the master checks running persistence jobs and completes or retries them.',
});

export const MASTER_PERSISTENCE_LEASE_DURATION = defineProperty({
  key: 'tierfs.master.persistence.lease.duration',
  type: duration(),
  default: '2min',
  description:
    'How long a master holds a persist task it claimed (renewed while it works): a task of a master that stopped is taken over once its lease expires.',
});

export const MASTER_PERSISTENCE_TEMPORARY_CLEAN_AGE = defineProperty({
  key: 'tierfs.master.persistence.temporary.clean.age',
  type: duration(),
  default: '1h',
  description:
    'Temporary objects of persists and of CACHE_THROUGH/THROUGH writes (.tierfs-persist.* and .tierfs-write.* beside their file) older than this (and than tierfs.security.authorization.capability.lifetime), and no longer owned by a running persist or commit, are removed when the master starts and every clean interval.',
});

export const MASTER_PERSISTENCE_TEMPORARY_CLEAN_INTERVAL = defineProperty({
  key: 'tierfs.master.persistence.temporary.clean.interval',
  type: duration(),
  default: '15min',
  description: 'How often the master sweeps leftover temporary objects of persists.',
});

export const WORKER_STAGING_CLEAN_AGE = defineProperty({
  key: 'tierfs.worker.staging.clean.age',
  type: duration(),
  default: '1h',
  description:
    'Staged ASYNC_THROUGH copies older than this whose content no file holds any more (replaced or deleted before they were persisted) are removed when the worker starts and every clean interval.',
});

export const WORKER_STAGING_CLEAN_INTERVAL = defineProperty({
  key: 'tierfs.worker.staging.clean.interval',
  type: duration(),
  default: '15min',
  description: 'How often the worker sweeps leftover staged copies.',
});

// --- Root mount ---------------------------------------------------------------------------------

export const MASTER_MOUNT_TABLE_ROOT_UFS = defineProperty({
  key: 'tierfs.master.mount.table.root.ufs',
  type: string,
  default: '${tierfs.work.dir}/underFSStorage',
  aliases: ['tierfs.underfs.address', 'tierfs.dora.client.ufs.root'],
  description:
    'Under storage URI mounted at the root of the namespace, e.g. s3://bucket/dir or oss://bucket/.',
});

export const MASTER_MOUNT_TABLE_ROOT_ALLUXIO = defineProperty({
  key: 'tierfs.master.mount.table.root.alluxio',
  type: string,
  default: '/',
  description: 'Namespace path of the root mount point.',
});

export const MASTER_MOUNT_TABLE_ROOT_READONLY = defineProperty({
  key: 'tierfs.master.mount.table.root.readonly',
  type: bool,
  default: 'false',
  description: 'Whether the root mount is read-only (writes fail and no directory markers are written).',
});

export const MASTER_MOUNT_TABLE_ROOT_SHARED = defineProperty({
  key: 'tierfs.master.mount.table.root.shared',
  type: bool,
  default: 'true',
  description: "Whether the root mount is shared: the owner's permission bits are granted to all users.",
});

export const MASTER_MOUNT_TABLE_ROOT_OPTION = defineProperty({
  key: 'tierfs.master.mount.table.root.option.{key}',
  type: string,
  description: 'A UFS option for the root mount, e.g. tierfs.master.mount.table.root.option.aws.accessKeyId.',
});

// --- Worker -------------------------------------------------------------------------------------

export const WORKER_HOSTNAME = defineProperty({
  key: 'tierfs.worker.hostname',
  type: string,
  description: 'Host name the worker registers with; unset means the local host name.',
});

export const WORKER_BIND_HOST = defineProperty({
  key: 'tierfs.worker.bind.host',
  type: string,
  default: '127.0.0.1',
  description: 'Address the worker data API listens on.',
});

export const WORKER_RPC_PORT = defineProperty({
  key: 'tierfs.worker.rpc.port',
  type: port,
  default: '29999',
  description: 'Port of the worker data API (ranged reads, streamed writes).',
});

export const WORKER_WEB_BIND_HOST = defineProperty({
  key: 'tierfs.worker.web.bind.host',
  type: string,
  default: '127.0.0.1',
  description:
    "Address the worker's web page listens on (beyond loopback only under TOKEN, as the master's).",
});

export const WORKER_WEB_PORT = defineProperty({
  key: 'tierfs.worker.web.port',
  type: port,
  default: '30000',
  description:
    "Port of the worker's own web page (its tiers, pages, hit ratio and under store calls; see docs/ui.md).",
});

export const WORKER_DATA_FOLDER = defineProperty({
  key: 'tierfs.worker.data.folder',
  type: string,
  default: '/tierfsworker/',
  description: 'Sub-directory of every cache directory where the worker keeps its data; cleared by format.',
});

// --- Worker page store (the cache) --------------------------------------------------------------

export const WORKER_PAGE_STORE_TYPE = defineProperty({
  key: 'tierfs.worker.page.store.type',
  type: oneOf(['LOCAL', 'MEM']),
  default: 'LOCAL',
  description: 'Where cached pages live: LOCAL (files in the page store directories) or MEM (in memory).',
});

export const WORKER_PAGE_STORE_DIRS = defineProperty({
  key: 'tierfs.worker.page.store.dirs',
  type: list(),
  default: '${tierfs.work.dir}/cache',
  description: 'Comma-separated directories of the LOCAL page store.',
});

export const WORKER_PAGE_STORE_SIZES = defineProperty({
  key: 'tierfs.worker.page.store.sizes',
  type: list(bytes()),
  default: '512MB',
  description: 'Capacity of each page store directory, in the order of tierfs.worker.page.store.dirs.',
});

export const WORKER_PAGE_STORE_PAGE_SIZE = defineProperty({
  key: 'tierfs.worker.page.store.page.size',
  type: bytes({ min: 1 }),
  default: '1MB',
  description: 'Size of one cached page; files are cached and evicted in pages of this size.',
});

export const WORKER_PAGE_STORE_OVERHEAD = defineProperty({
  key: 'tierfs.worker.page.store.overhead',
  type: float({ min: 0, max: 1 }),
  default: '0.1',
  description: 'Fraction of each page store size reserved for file-system overhead (0 to 1).',
});

export const WORKER_PAGE_STORE_LOCAL_STORE_FILE_BUCKETS = defineProperty({
  key: 'tierfs.worker.page.store.local.store.file.buckets',
  type: int({ min: 1 }),
  default: '1000',
  description: 'Number of sub-directories the LOCAL page store spreads cached files over.',
});

export const WORKER_PAGE_STORE_EVICTOR_TYPE = defineProperty({
  key: 'tierfs.worker.page.store.evictor.type',
  type: oneOf(['LRU', 'LFU']),
  default: 'LRU',
  description: 'Page eviction policy when the cache is full: LRU (least recently used) or LFU.',
});

// --- Worker tiered store ------------------------------------------------------------------------

export const WORKER_RAMDISK_SIZE = defineProperty({
  key: 'tierfs.worker.ramdisk.size',
  type: bytes(),
  default: '1GB',
  description: 'Memory the worker may use for its MEM tier; the default quota of tier level 0.',
});

export const WORKER_TIEREDSTORE_LEVELS = defineProperty({
  key: 'tierfs.worker.tieredstore.levels',
  type: int({ min: 1, max: 2 }),
  default: '2',
  description:
    'Number of cache tiers on a worker: 2 (the default) puts a MEM tier of tierfs.worker.ramdisk.size in front of the DISK page store.',
});

export const WORKER_TIEREDSTORE_LEVEL0_ALIAS = defineProperty({
  key: 'tierfs.worker.tieredstore.level0.alias',
  type: string,
  default: 'MEM',
  description: 'Name of the top cache tier (MEM is kept in memory; other names are disk tiers).',
});

export const WORKER_TIEREDSTORE_LEVEL0_DIRS_PATH = defineProperty({
  key: 'tierfs.worker.tieredstore.level0.dirs.path',
  type: list(),
  default: '/dev/shm/tierfs',
  description:
    'Directory of the top cache tier; for MEM, on a RAM disk (tmpfs). Each worker keeps its pages in a sub-directory named after its id, checked at start to have room for level0.dirs.quota and removed when the worker stops.',
});

export const WORKER_TIEREDSTORE_LEVEL0_DIRS_QUOTA = defineProperty({
  key: 'tierfs.worker.tieredstore.level0.dirs.quota',
  type: list(bytes()),
  default: '${tierfs.worker.ramdisk.size}',
  description: 'Capacity of each top-tier directory, in the order of level0.dirs.path.',
});

export const WORKER_TIEREDSTORE_LEVEL0_WATERMARK_HIGH_RATIO = defineProperty({
  key: 'tierfs.worker.tieredstore.level0.watermark.high.ratio',
  type: float({ min: 0, max: 1 }),
  default: '0.95',
  description: 'Usage ratio of the top tier above which background eviction starts.',
});

export const WORKER_TIEREDSTORE_LEVEL0_WATERMARK_LOW_RATIO = defineProperty({
  key: 'tierfs.worker.tieredstore.level0.watermark.low.ratio',
  type: float({ min: 0, max: 1 }),
  default: '0.7',
  description: 'Usage ratio of the top tier that background eviction brings it back down to.',
});

export const WORKER_TIEREDSTORE_LEVEL1_ALIAS = defineProperty({
  key: 'tierfs.worker.tieredstore.level1.alias',
  type: string,
  default: 'SSD',
  description: 'Name of the second cache tier (a disk tier below MEM).',
});

export const WORKER_TIEREDSTORE_LEVEL1_DIRS_PATH = defineProperty({
  key: 'tierfs.worker.tieredstore.level1.dirs.path',
  type: list(),
  default: '/mnt/ssd',
  description: 'Comma-separated directories of the second cache tier.',
});

export const WORKER_TIEREDSTORE_LEVEL1_DIRS_QUOTA = defineProperty({
  key: 'tierfs.worker.tieredstore.level1.dirs.quota',
  type: list(bytes()),
  description: 'Capacity of each second-tier directory, in the order of level1.dirs.path.',
});

export const WORKER_TIEREDSTORE_LEVEL1_WATERMARK_HIGH_RATIO = defineProperty({
  key: 'tierfs.worker.tieredstore.level1.watermark.high.ratio',
  type: float({ min: 0, max: 1 }),
  default: '0.95',
  description: 'Usage ratio of the second tier above which background eviction starts.',
});

export const WORKER_TIEREDSTORE_LEVEL1_WATERMARK_LOW_RATIO = defineProperty({
  key: 'tierfs.worker.tieredstore.level1.watermark.low.ratio',
  type: float({ min: 0, max: 1 }),
  default: '0.7',
  description: 'Usage ratio of the second tier that background eviction brings it back down to.',
});

// --- Client (user) ------------------------------------------------------------------------------

export const USER_FILE_READTYPE_DEFAULT = defineProperty({
  key: 'tierfs.user.file.readtype.default',
  type: oneOf(['NO_CACHE', 'CACHE', 'CACHE_PROMOTE']),
  default: 'CACHE',
  description: 'Read type when none is given: NO_CACHE, CACHE, or CACHE_PROMOTE (also move to the top tier).',
});

export const USER_FILE_WRITETYPE_DEFAULT = defineProperty({
  key: 'tierfs.user.file.writetype.default',
  type: oneOf(['MUST_CACHE', 'CACHE_THROUGH', 'THROUGH', 'ASYNC_THROUGH']),
  default: 'CACHE_THROUGH',
  description: 'Write type when none is given: MUST_CACHE, CACHE_THROUGH, THROUGH or ASYNC_THROUGH.',
});

export const USER_FILE_METADATA_SYNC_INTERVAL = defineProperty({
  key: 'tierfs.user.file.metadata.sync.interval',
  type: duration({ allowNegative: true }),
  default: '-1',
  description: 'Re-sync metadata with the UFS when older than this: -1 never, 0 on every access.',
});

export const USER_FILE_METADATA_LOAD_TYPE = defineProperty({
  key: 'tierfs.user.file.metadata.load.type',
  type: oneOf(['ONCE', 'ALWAYS', 'NEVER']),
  default: 'ONCE',
  description: 'When a path missing from the namespace is looked up in the UFS: ONCE, ALWAYS or NEVER.',
});

export const USER_BLOCK_SIZE_BYTES_DEFAULT = defineProperty({
  key: 'tierfs.user.block.size.bytes.default',
  type: bytes({ min: 1 }),
  default: '64MB',
  description: 'Block size recorded for new files; also the default ranged-GET chunk size on object stores.',
});

export const USER_CONSISTENT_HASH_VIRTUAL_NODE_COUNT_PER_WORKER = defineProperty({
  key: 'tierfs.user.consistent.hash.virtual.node.count.per.worker',
  type: int({ min: 1 }),
  default: '100',
  description: 'Virtual nodes per worker on the consistent-hash ring that picks the worker for a file.',
});

export const USER_RPC_HEALTH_CHECK_AFTER = defineProperty({
  key: 'tierfs.user.rpc.health.check.after',
  type: duration(),
  default: '2s',
  description:
    'A call to a master (from a client, the CLI, a gateway or a worker) with no answer after this long asks ' +
    "that master's health route, and again every this long while it waits: a master that does not answer " +
    'its health check within tierfs.user.rpc.health.check.timeout counts as hung, and work moves to the next ' +
    'of tierfs.master.rpc.addresses (the call itself too when it is safe to send twice). A master that answers ' +
    'is waited for up to the call timeout (60 s). 0 turns the checks off; with one master they never run.',
});

export const USER_RPC_HEALTH_CHECK_TIMEOUT = defineProperty({
  key: 'tierfs.user.rpc.health.check.timeout',
  type: duration(),
  default: '2s',
  description:
    "How long a master's health check (see tierfs.user.rpc.health.check.after) may take before the master " +
    'counts as hung.',
});

export const USER_SHORT_CIRCUIT_ENABLED = defineProperty({
  key: 'tierfs.user.short.circuit.enabled',
  type: bool,
  default: 'true',
  description:
    "A client on a worker's host reads cached page files straight from the worker's tiers (short-circuit) when it may read them, instead of over the data port.",
});

// --- S3 gateway (proxy) -------------------------------------------------------------------------

export const PROXY_WEB_BIND_HOST = defineProperty({
  key: 'tierfs.proxy.web.bind.host',
  type: string,
  default: '127.0.0.1',
  description: 'Address the S3-compatible gateway listens on.',
});

export const PROXY_WEB_PORT = defineProperty({
  key: 'tierfs.proxy.web.port',
  type: port,
  default: '39999',
  description: 'Port of the S3-compatible gateway (served under /api/v1/s3).',
});

export const PROXY_S3_WRITETYPE = defineProperty({
  key: 'tierfs.proxy.s3.writetype',
  type: oneOf(['MUST_CACHE', 'CACHE_THROUGH', 'THROUGH', 'ASYNC_THROUGH']),
  default: 'CACHE_THROUGH',
  description: 'Write type the S3 gateway uses for objects it writes into the namespace.',
});

export const PROXY_S3_COMPLETE_MULTIPART_UPLOAD_MIN_PART_SIZE = defineProperty({
  key: 'tierfs.proxy.s3.complete.multipart.upload.min.part.size',
  type: bytes(),
  default: '5MB',
  description: 'Smallest part, other than the last, the S3 gateway accepts in CompleteMultipartUpload.',
});

export const MASTER_WORKER_TIMEOUT = defineProperty({
  key: 'tierfs.master.worker.timeout',
  type: duration(),
  default: '10sec',
  description: 'A worker that sends no heartbeat for this long is marked LOST and gets no new files.',
});

export const WORKER_HEARTBEAT_INTERVAL = defineProperty({
  key: 'tierfs.worker.heartbeat.interval',
  type: duration(),
  default: '1sec',
  description: 'How often a worker reports itself and its cache usage to the master.',
});

export const PROXY_S3_USERS = defineProperty({
  key: 'tierfs.proxy.s3.users',
  type: list(),
  secret: true,
  env: ['TIERFS_PROXY_S3_USERS'],
  description:
    'S3 gateway credentials, comma-separated accessKey:secretKey[:user]; user is the tierfs user the key acts as (default: the access key).',
});

export const PROXY_S3_ANONYMOUS_ENABLED = defineProperty({
  key: 'tierfs.proxy.s3.anonymous.enabled',
  type: bool,
  default: 'false',
  description:
    'Whether the S3 gateway serves unsigned (anonymous) requests; they may do only what bucket and object ACLs grant AllUsers and bucket policies allow "*".',
});

export const PROXY_S3_DOMAIN = defineProperty({
  key: 'tierfs.proxy.s3.domain',
  type: list(),
  default: '',
  description:
    'Domains for virtual-hosted-style S3 addressing: a request to <bucket>.<domain> addresses that bucket.',
});

export const PROXY_S3_STATE_DIR = defineProperty({
  key: 'tierfs.proxy.s3.state.dir',
  type: string,
  default: '${tierfs.work.dir}/gateway/s3',
  description:
    'Local directory of the S3 gateway state: the object metadata database and staged multipart parts.',
});

export const PROXY_S3_MAX_CLOCK_SKEW = defineProperty({
  key: 'tierfs.proxy.s3.max.clock.skew',
  type: duration(),
  default: '15min',
  description:
    'Largest difference between a signed request time and the gateway clock (RequestTimeTooSkewed).',
});

export const PROXY_S3_ENABLED = defineProperty({
  key: 'tierfs.proxy.s3.enabled',
  type: bool,
  default: 'true',
  description:
    'Whether the master process also serves the S3 API over the tierfs namespace on tierfs.proxy.web.port (buckets are top-level directories).',
});
