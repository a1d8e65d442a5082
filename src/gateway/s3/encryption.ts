/**
 * The `x-amz-server-side-encryption` header (or POST form field) of a request. SSE-S3 (`AES256`,
 * what AWS applies by default) is taken: what protects data at rest is the store's business.
 * SSE-KMS is NotImplemented: there is no KMS here, and storing bytes a client believes protected by
 * a KMS key would be a lie. SSE-C (customer keys) is sse-c.ts's, and excludes this header.
 */
import { S3Error } from './errors.js';

const CUSTOMER = 'x-amz-server-side-encryption-customer-';

/**
 * InvalidArgument for an unknown method, one given together with SSE-C headers, or a KMS key id
 * without `aws:kms`; NotImplemented for SSE-KMS. `lookup` reads a header (or a POST form field).
 */
export function screenEncryption(lookup: (name: string) => string | undefined): void {
  const sse = lookup('x-amz-server-side-encryption');
  const kmsKey = lookup('x-amz-server-side-encryption-aws-kms-key-id');
  const customer = ['algorithm', 'key', 'key-md5'].some((name) => lookup(`${CUSTOMER}${name}`) !== undefined);
  if ((sse !== undefined || kmsKey !== undefined) && customer) {
    throw new S3Error(
      'InvalidArgument',
      `Server Side Encryption with Customer provided key is incompatible with the encryption method specified: give either x-amz-server-side-encryption or ${CUSTOMER}* headers, not both`,
    );
  }
  const kms = sse === 'aws:kms' || sse === 'aws:kms:dsse';
  if (sse !== undefined && sse !== 'AES256' && !kms) {
    throw new S3Error(
      'InvalidArgument',
      'The encryption method specified is not supported: x-amz-server-side-encryption must be AES256 (aws:kms is not implemented)',
    );
  }
  if (kmsKey !== undefined && !kms) {
    throw new S3Error(
      'InvalidArgument',
      `x-amz-server-side-encryption-aws-kms-key-id needs x-amz-server-side-encryption: aws:kms, not ${sse ?? 'none'}`,
    );
  }
  if (kms) {
    throw new S3Error(
      'NotImplemented',
      'Server-side encryption with KMS keys (x-amz-server-side-encryption: aws:kms) is not supported by the tierfs S3 gateway; AES256 (SSE-S3) and customer-provided keys (SSE-C) are',
    );
  }
}
