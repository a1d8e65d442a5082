/**
 * The UnderStore contract suite for the S3 store against tierfs's own S3 gateway (over a local
 * directory): a complete S3 server, where s3rver needs shims. Streaming uploads, so multipart
 * Create/UploadPart/Complete/Abort all run against the gateway.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Configuration } from '../../src/config/configuration.js';
import { OBJECT_STORE_CAPABILITIES } from '../../src/ufs/object/object-store.js';
import { parseUfsUri } from '../../src/ufs/registry.js';
import { createS3UnderStore } from '../../src/ufs/s3/s3-store.js';
import { ACCESS_KEY, type RunningGateway, SECRET_KEY, startGateway } from '../gateway/harness.js';
import { describeUnderStoreContract } from './suite.js';

let gateway: RunningGateway | undefined;
let roots = 0;
beforeAll(async () => {
  gateway = await startGateway();
  mkdirSync(join(gateway.root, 'contract'));
});
afterAll(() => gateway?.stop());

describeUnderStoreContract(
  's3 (streaming upload) against the tierfs S3 gateway',
  {
    async newStore() {
      const conf = Configuration.of({
        'tierfs.underfs.s3.endpoint': gateway!.endpoint,
        'tierfs.underfs.s3.disable.dns.buckets': 'true',
        'tierfs.underfs.s3.inherit.acl': 'false',
        'tierfs.underfs.s3.streaming.upload.enabled': 'true',
        'tierfs.underfs.s3.streaming.upload.partition.size': '5MB',
        // Long reads as several ranged GETs, each sent with If-Match.
        'tierfs.underfs.object.store.multi.range.chunk.size': '256KB',
        'aws.accessKeyId': ACCESS_KEY,
        'aws.secretKey': SECRET_KEY,
      });
      return createS3UnderStore(parseUfsUri(`s3://contract/root-${++roots}/`), conf);
    },
  },
  OBJECT_STORE_CAPABILITIES,
);
