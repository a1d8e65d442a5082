/**
 * The Kodo gateway (`tierfs gateway --protocol kodo`): its address, users, state and limits.
 */
import { defineProperty } from '../property.js';
import { bool, bytes, duration, int, list, string } from '../types.js';

export const GATEWAY_KODO_BIND_HOST = defineProperty({
  key: 'tierfs.gateway.kodo.bind.host',
  type: string,
  default: '127.0.0.1',
  description: 'Address the Kodo gateway listens on (`--host` overrides it).',
});

export const GATEWAY_KODO_PORT = defineProperty({
  key: 'tierfs.gateway.kodo.port',
  type: int({ min: 0, max: 65535 }),
  default: '39998',
  description:
    'Port of the Kodo gateway (`--port` overrides it); it serves the up, rs, rsf, io, api and uc hosts.',
});

export const GATEWAY_KODO_USER = defineProperty({
  key: 'tierfs.gateway.kodo.user.{accessKey}',
  type: string,
  secret: true,
  description:
    'Secret key of the Kodo gateway user with this access key; unset for every key means the one user ' +
    'fs.kodo.accesskey / fs.kodo.secretkey.',
});

export const GATEWAY_KODO_STATE_DIR = defineProperty({
  key: 'tierfs.gateway.kodo.state.dir',
  type: string,
  default: '${tierfs.work.dir}/gateway/kodo',
  description:
    'Directory of the Kodo gateway state: object metadata (hash, MIME type) and staged upload parts.',
});

export const GATEWAY_KODO_DOMAINS = defineProperty({
  key: 'tierfs.gateway.kodo.domains',
  type: list(),
  default: '',
  description:
    'Download domains as domain=bucket pairs: a GET whose Host is the domain serves /<key> from the bucket.',
});

export const GATEWAY_KODO_PUBLIC_READ = defineProperty({
  key: 'tierfs.gateway.kodo.public.read',
  type: bool,
  default: 'false',
  description: 'Serve downloads without a signed URL (public buckets); signed URLs are still checked.',
});

export const GATEWAY_KODO_REGION = defineProperty({
  key: 'tierfs.gateway.kodo.region',
  type: string,
  default: 'z0',
  description: 'Region id the Kodo gateway reports to region queries (/v4/query).',
});

export const GATEWAY_KODO_UPLOAD_EXPIRY = defineProperty({
  key: 'tierfs.gateway.kodo.upload.expiry',
  type: duration(),
  default: '7day',
  description: 'How long an unfinished resumable upload and its staged parts are kept.',
});

export const GATEWAY_KODO_PART_SIZE_MIN = defineProperty({
  key: 'tierfs.gateway.kodo.part.size.min',
  type: bytes(),
  default: '1MB',
  description: 'Smallest resumable-upload part accepted at Complete, other than the last one.',
});

export const GATEWAY_KODO_PART_SIZE_MAX = defineProperty({
  key: 'tierfs.gateway.kodo.part.size.max',
  type: bytes({ min: 1024 * 1024 }),
  default: '1GB',
  description: 'Largest resumable-upload part accepted.',
});
