/**
 * The UnderStore contract suite against the S3 store on s3rver, default (in-memory multipart) uploads, reads
 * in ranged GETs of 256 KB (so a long read is several GETs, each pinned to the version). The
 * streaming mode runs in s3-streaming.test.ts, in parallel.
 */
import { OBJECT_STORE_CAPABILITIES } from '../../src/ufs/object/object-store.js';
import { describeS3Contract } from '../support/s3-contract.js';

describeS3Contract(
  's3 (in-memory multipart upload, 256 KB ranged reads)',
  { 'tierfs.underfs.object.store.multi.range.chunk.size': '256KB' },
  OBJECT_STORE_CAPABILITIES,
);
