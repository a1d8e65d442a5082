/**
 * A complete S3 server for the tests s3rver cannot serve as it is (ListMultipartUploads,
 * AbortMultipartUpload, bucket ACLs): tierfs's own S3 gateway over a local directory.
 */
import { ACCESS_KEY, SECRET_KEY, startGateway } from '../gateway/harness.js';

export interface CompleteS3Server {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  close(): Promise<void>;
}

export async function startCompleteS3Server(): Promise<CompleteS3Server> {
  const gateway = await startGateway();
  return {
    endpoint: gateway.endpoint,
    accessKeyId: ACCESS_KEY,
    secretAccessKey: SECRET_KEY,
    close: () => gateway.stop(),
  };
}
