/**
 * The tiered log (src/log/): where topics live, whether the master runs it, and retention. The
 * offload and rollover keys keep Pulsar's names and live in offload.ts.
 */
import { defineProperty } from '../property.js';
import { bool, bytes, duration, string } from '../types.js';

export const LOG_ENABLED = defineProperty({
  key: 'tierfs.log.enabled',
  type: bool,
  default: 'true',
  description: 'Whether the master runs the tiered log (topics, offload) and serves its REST endpoints.',
});

export const LOG_DATA_DIR = defineProperty({
  key: 'tierfs.log.data.dir',
  type: string,
  default: '${tierfs.work.dir}/log',
  description: 'Directory holding the local ledgers and metadata of every topic (tenant/namespace/topic).',
});

export const LOG_RETENTION_SIZE = defineProperty({
  key: 'tierfs.log.retention.size',
  type: bytes(),
  description:
    'Default retention size of a topic: closed ledgers (local or offloaded) beyond it are deleted, oldest first; unset keeps all.',
});

export const LOG_RETENTION_TIME = defineProperty({
  key: 'tierfs.log.retention.time',
  type: duration(),
  description:
    'Default retention time of a topic: closed ledgers closed longer ago than this are deleted; unset keeps all.',
});

export const LOG_RETENTION_CHECK_INTERVAL = defineProperty({
  key: 'tierfs.log.retention.check.interval',
  type: duration(),
  default: '2min',
  description:
    'How often retention and the offload deletion lag are applied (also after every rollover and offload).',
});
