/**
 * The UnderStore contract suite against the S3 store on s3rver, default (buffered) uploads. The
 * streaming mode runs in s3-streaming.test.ts, in parallel.
 */
import { OBJECT_STORE_CAPABILITIES } from '../../src/ufs/object/object-store.js';
import { describeS3Contract } from '../support/s3-contract.js';

describeS3Contract('s3 (buffered upload)', {}, OBJECT_STORE_CAPABILITIES);
