/**
 * Server-side encryption a request asks for besides SSE-C (sse-c.ts). SSE-KMS is NotImplemented:
 * there is no KMS here, and storing bytes a client believes protected by a KMS key would be a lie.
 * SSE-S3 (`AES256`, what AWS applies by default) is taken: what protects data at rest is the
 * store's business.
 */
import { S3Error } from './errors.js';

/** Throws NotImplemented for SSE-KMS; `lookup` reads a header (or a POST form field). */
export function refuseKms(lookup: (name: string) => string | undefined): void {
  const sse = lookup('x-amz-server-side-encryption');
  if (sse?.startsWith('aws:kms') || lookup('x-amz-server-side-encryption-aws-kms-key-id') !== undefined) {
    throw new S3Error(
      'NotImplemented',
      'Server-side encryption with KMS keys (x-amz-server-side-encryption: aws:kms) is not supported by the tierfs S3 gateway; AES256 (SSE-S3) and customer-provided keys (SSE-C) are',
    );
  }
}
