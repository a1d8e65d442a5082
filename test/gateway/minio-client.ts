/** MinIO's JS client (`minio`) for a test file's S3 gateway, signed as alice. */
import * as Minio from 'minio';
import type { S3GatewayFixture } from './fixture.js';
import { ACCESS_KEY, SECRET_KEY } from './harness.js';

export function minioClient(
  gw: Pick<S3GatewayFixture, 'port'>,
  options: Partial<Minio.ClientOptions> = {},
): Minio.Client {
  return new Minio.Client({
    endPoint: '127.0.0.1',
    port: gw.port,
    useSSL: false,
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    region: 'us-east-1',
    ...options,
  });
}
