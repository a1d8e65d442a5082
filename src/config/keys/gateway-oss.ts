/** The OSS gateway (`tierfs gateway --protocol oss`): address, users, state directory, single-bucket mode. */
import { defineProperty } from '../property.js';
import { bytes, int, list, string } from '../types.js';

export const GATEWAY_OSS_BIND_HOST = defineProperty({
  key: 'tierfs.gateway.oss.bind.host',
  type: string,
  default: '127.0.0.1',
  description: 'Address the OSS gateway listens on (--host).',
});

export const GATEWAY_OSS_PORT = defineProperty({
  key: 'tierfs.gateway.oss.port',
  type: int({ min: 0, max: 65535 }),
  default: '39996',
  description: 'Port of the OSS gateway (--port); 0 picks a free port.',
});

export const GATEWAY_OSS_USERS = defineProperty({
  key: 'tierfs.gateway.oss.users',
  type: list(),
  secret: true,
  description:
    'Users of the OSS gateway as AccessKeyId:AccessKeySecret pairs, comma-separated; with no users (here or in the users file) requests are not authenticated.',
});

export const GATEWAY_OSS_USERS_FILE = defineProperty({
  key: 'tierfs.gateway.oss.users.file',
  type: string,
  description: 'File of OSS gateway users, one AccessKeyId:AccessKeySecret per line (# starts a comment).',
});

export const GATEWAY_OSS_STATE_DIR = defineProperty({
  key: 'tierfs.gateway.oss.state.dir',
  type: string,
  default: '${tierfs.work.dir}/gateway/oss',
  description:
    'Local directory for the OSS gateway state: object metadata database and staged multipart parts.',
});

export const GATEWAY_OSS_BUCKET = defineProperty({
  key: 'tierfs.gateway.oss.bucket',
  type: string,
  description:
    'Single-bucket mode (--bucket): the root is served as this one bucket; unset means every top-level directory is a bucket.',
});

export const GATEWAY_OSS_HOSTNAMES = defineProperty({
  key: 'tierfs.gateway.oss.hostnames',
  type: list(),
  default: '',
  description:
    'Host names of the gateway itself, so that Host: <name> is not read as <bucket>.<domain> (virtual-hosted style).',
});

export const GATEWAY_OSS_MULTIPART_MIN_PART_SIZE = defineProperty({
  key: 'tierfs.gateway.oss.multipart.min.part.size',
  type: bytes(),
  default: '100KB',
  description: 'Smallest part, other than the last, the OSS gateway accepts in CompleteMultipartUpload.',
});
