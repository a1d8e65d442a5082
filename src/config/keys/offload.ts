/**
 * Tiered-log offload, with Pulsar's `broker.conf` names (seed 003): the offload driver and its
 * bucket, sizes, ledger rollover, thresholds and deletion lag, plus the legacy `s3ManagedLedger*`
 * spellings used by the aws-s3 driver.
 */
import { defineProperty } from '../property.js';
import { bytes, int, oneOf, string } from '../types.js';

const FIVE_MB = 5 * 1024 * 1024;

// --- Driver -------------------------------------------------------------------------------------

export const MANAGED_LEDGER_OFFLOAD_DRIVER = defineProperty({
  key: 'managedLedgerOffloadDriver',
  type: string,
  description:
    'Offload driver, case-insensitive: aliyun-oss, aws-s3, S3, filesystem, ...; unset disables offload.',
});

export const OFFLOADERS_DIRECTORY = defineProperty({
  key: 'offloadersDirectory',
  type: string,
  default: 'offloaders',
  description: 'Directory the offloader drivers are loaded from, relative to the installation directory.',
});

export const MANAGED_LEDGER_OFFLOAD_BUCKET = defineProperty({
  key: 'managedLedgerOffloadBucket',
  type: string,
  description: 'Bucket offloaded ledgers are written to (required).',
});

export const MANAGED_LEDGER_OFFLOAD_REGION = defineProperty({
  key: 'managedLedgerOffloadRegion',
  type: string,
  description:
    'Region of the offload bucket; either it or the service endpoint must be set (except aliyun-oss).',
});

export const MANAGED_LEDGER_OFFLOAD_SERVICE_ENDPOINT = defineProperty({
  key: 'managedLedgerOffloadServiceEndpoint',
  type: string,
  description:
    'Endpoint of the offload store, e.g. http://oss-cn-hongkong.aliyuncs.com (required for aliyun-oss).',
});

// --- Sizes and concurrency ----------------------------------------------------------------------

export const MANAGED_LEDGER_OFFLOAD_READ_BUFFER_SIZE_IN_BYTES = defineProperty({
  key: 'managedLedgerOffloadReadBufferSizeInBytes',
  type: bytes({ min: 1 }),
  default: '1MB',
  description: 'Size of each ranged read when reading offloaded ledger data back.',
});

export const MANAGED_LEDGER_OFFLOAD_MAX_BLOCK_SIZE_IN_BYTES = defineProperty({
  key: 'managedLedgerOffloadMaxBlockSizeInBytes',
  type: bytes({ min: FIVE_MB }),
  default: '64MB',
  description: 'Maximum block (multipart part) size written when offloading a ledger; at least 5MB.',
});

export const MANAGED_LEDGER_OFFLOAD_MAX_THREADS = defineProperty({
  key: 'managedLedgerOffloadMaxThreads',
  type: int({ min: 1 }),
  default: '2',
  description: 'Threads that run ledger offloads.',
});

export const MANAGED_LEDGER_OFFLOAD_PREFETCH_ROUNDS = defineProperty({
  key: 'managedLedgerOffloadPrefetchRounds',
  type: int({ min: 1 }),
  default: '1',
  description: 'Rounds of entries read ahead from the ledger while offloading it.',
});

export const MANAGED_LEDGER_DATA_READ_PRIORITY = defineProperty({
  key: 'managedLedgerDataReadPriority',
  type: oneOf(['TIERED_STORAGE_FIRST', 'BOOKKEEPER_FIRST']),
  default: 'TIERED_STORAGE_FIRST',
  aliases: ['managedLedgerOffloadedReadPriority'],
  description:
    'For offloaded ledgers still held locally, read the offloaded copy first or the local copy first.',
});

export const MANAGED_LEDGER_INACTIVE_OFFLOADED_LEDGER_EVICTION_TIME_SECONDS = defineProperty({
  key: 'managedLedgerInactiveOffloadedLedgerEvictionTimeSeconds',
  type: int({ min: 0 }),
  default: '600',
  description: 'Seconds an idle read handle on an offloaded ledger is kept open.',
});

// --- Ledger rollover ----------------------------------------------------------------------------

export const MANAGED_LEDGER_MIN_LEDGER_ROLLOVER_TIME_MINUTES = defineProperty({
  key: 'managedLedgerMinLedgerRolloverTimeMinutes',
  type: int({ min: 0 }),
  default: '2',
  description: 'Minimum minutes between ledger rollovers of a topic.',
});

export const MANAGED_LEDGER_MAX_LEDGER_ROLLOVER_TIME_MINUTES = defineProperty({
  key: 'managedLedgerMaxLedgerRolloverTimeMinutes',
  type: int({ min: 0 }),
  default: '240',
  description: 'Maximum minutes a ledger stays open before it is rolled over.',
});

export const MANAGED_LEDGER_MAX_ENTRIES_PER_LEDGER = defineProperty({
  key: 'managedLedgerMaxEntriesPerLedger',
  type: int({ min: 1 }),
  default: '5000',
  description: 'Maximum entries appended to a ledger before it is rolled over.',
});

export const MANAGED_LEDGER_MAX_SIZE_PER_LEDGER_MBYTES = defineProperty({
  key: 'managedLedgerMaxSizePerLedgerMbytes',
  type: int({ min: 1 }),
  default: '2048',
  description: 'Maximum size of a ledger, in megabytes, before it is rolled over.',
});

// --- Thresholds and deletion lag ----------------------------------------------------------------

export const MANAGED_LEDGER_OFFLOAD_AUTO_TRIGGER_SIZE_THRESHOLD_BYTES = defineProperty({
  key: 'managedLedgerOffloadAutoTriggerSizeThresholdBytes',
  type: int(),
  default: '-1',
  description:
    'Offload automatically once a topic stores more bytes than this: 0 as soon as possible, <0 never.',
});

export const MANAGED_LEDGER_OFFLOAD_THRESHOLD_IN_SECONDS = defineProperty({
  key: 'managedLedgerOffloadThresholdInSeconds',
  type: int(),
  default: '-1',
  description: 'Offload a closed ledger automatically once it is older than this many seconds; <0 never.',
});

export const MANAGED_LEDGER_OFFLOAD_DELETION_LAG_MS = defineProperty({
  key: 'managedLedgerOffloadDeletionLagMs',
  type: int({ min: 0 }),
  default: '14400000',
  description: 'Milliseconds after a successful offload before the local copy of the ledger is deleted.',
});

// --- Legacy aws-s3 spellings --------------------------------------------------------------------

export const S3_MANAGED_LEDGER_OFFLOAD_REGION = defineProperty({
  key: 's3ManagedLedgerOffloadRegion',
  type: string,
  description: 'aws-s3 driver: region of the offload bucket (legacy name of managedLedgerOffloadRegion).',
});

export const S3_MANAGED_LEDGER_OFFLOAD_BUCKET = defineProperty({
  key: 's3ManagedLedgerOffloadBucket',
  type: string,
  description: 'aws-s3 driver: offload bucket (legacy name of managedLedgerOffloadBucket).',
});

export const S3_MANAGED_LEDGER_OFFLOAD_SERVICE_ENDPOINT = defineProperty({
  key: 's3ManagedLedgerOffloadServiceEndpoint',
  type: string,
  description:
    'aws-s3 driver: endpoint of the offload store (legacy name of managedLedgerOffloadServiceEndpoint).',
});

export const S3_MANAGED_LEDGER_OFFLOAD_MAX_BLOCK_SIZE_IN_BYTES = defineProperty({
  key: 's3ManagedLedgerOffloadMaxBlockSizeInBytes',
  type: bytes({ min: FIVE_MB }),
  default: '64MB',
  description: 'aws-s3 driver: maximum block size written when offloading; at least 5MB.',
});

export const S3_MANAGED_LEDGER_OFFLOAD_READ_BUFFER_SIZE_IN_BYTES = defineProperty({
  key: 's3ManagedLedgerOffloadReadBufferSizeInBytes',
  type: bytes({ min: 1 }),
  default: '1MB',
  description: 'aws-s3 driver: size of each ranged read of offloaded data.',
});

export const S3_MANAGED_LEDGER_OFFLOAD_CREDENTIAL_ID = defineProperty({
  key: 's3ManagedLedgerOffloadCredentialId',
  type: string,
  description: 'Access key ID for the offload store; unset means the role, then environment credentials.',
});

export const S3_MANAGED_LEDGER_OFFLOAD_CREDENTIAL_SECRET = defineProperty({
  key: 's3ManagedLedgerOffloadCredentialSecret',
  type: string,
  secret: true,
  description: 'Secret access key for the offload store, paired with s3ManagedLedgerOffloadCredentialId.',
});

export const S3_MANAGED_LEDGER_OFFLOAD_ROLE = defineProperty({
  key: 's3ManagedLedgerOffloadRole',
  type: string,
  description: 'aws-s3 driver: IAM role assumed through STS to get offload credentials.',
});

export const S3_MANAGED_LEDGER_OFFLOAD_ROLE_SESSION_NAME = defineProperty({
  key: 's3ManagedLedgerOffloadRoleSessionName',
  type: string,
  default: 'pulsar-s3-offload',
  description: 'aws-s3 driver: session name used when assuming s3ManagedLedgerOffloadRole.',
});
