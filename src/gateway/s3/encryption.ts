/**
 * Server-side encryption a request asks for. The gateway encrypts nothing: a request asking for a
 * customer key (SSE-C) or KMS is NotImplemented, since storing (or answering) plain bytes to a
 * client that asked for its own key or a KMS key would tell it they are protected. SSE-S3
 * (`AES256`, the default AWS applies anyway) is taken: what protects data at rest is the store's
 * business.
 */
import { S3Error } from './errors.js';

const CUSTOMER_KEY_HEADERS = [
  'x-amz-server-side-encryption-customer-algorithm',
  'x-amz-copy-source-server-side-encryption-customer-algorithm',
];

/** Throws NotImplemented for SSE-C or SSE-KMS; `lookup` reads a header (or a POST form field). */
export function refuseEncryption(lookup: (name: string) => string | undefined): void {
  const customer = CUSTOMER_KEY_HEADERS.find((name) => lookup(name) !== undefined);
  if (customer !== undefined) {
    throw new S3Error(
      'NotImplemented',
      `Server-side encryption with customer-provided keys (${customer}) is not supported by the tierfs S3 gateway; it stores objects as the under store keeps them`,
    );
  }
  const sse = lookup('x-amz-server-side-encryption');
  if (sse?.startsWith('aws:kms') || lookup('x-amz-server-side-encryption-aws-kms-key-id') !== undefined) {
    throw new S3Error(
      'NotImplemented',
      'Server-side encryption with KMS keys (x-amz-server-side-encryption: aws:kms) is not supported by the tierfs S3 gateway; AES256 (SSE-S3) is taken',
    );
  }
}
