/** The UnderStore contract suite against the S3 store on s3rver, streaming (multipart) uploads. */
import { OBJECT_STORE_CAPABILITIES } from '../../src/ufs/object/object-store.js';
import { describeS3Contract } from '../support/s3-contract.js';

describeS3Contract(
  's3 (streaming upload, 5MB partitions)',
  {
    'tierfs.underfs.s3.streaming.upload.enabled': 'true',
    'tierfs.underfs.s3.streaming.upload.partition.size': '5MB',
  },
  OBJECT_STORE_CAPABILITIES,
);
