/**
 * The UnderStore contract suite for the OSS driver (the real ali-oss client) against tierfs's own
 * OSS gateway over a local directory: once buffered (the default: a temp file, then one PUT or
 * parts) and once with in-memory multipart uploads (InitiateMultipartUpload/UploadPart/Complete/
 * Abort while the file is written), path style; then streaming through the IP endpoint (ali-oss
 * rewrites Host to <bucket>.oss-cn-hangzhou.aliyuncs.com). All with the driver's default `dir/`
 * markers, which the gateway holds and lists as OSS does (empty directories stay visible); the
 * `_$folder$` suffix is exercised in test/oss/oss-store.test.ts.
 */
import { afterAll, beforeAll } from 'vitest';
import { Configuration } from '../../src/config/configuration.js';
import { OBJECT_STORE_CAPABILITIES } from '../../src/ufs/object/object-store.js';
import { createOssUnderStore } from '../../src/ufs/oss/oss-store.js';
import { parseUfsUri } from '../../src/ufs/registry.js';
import { AK, BUCKET, type RunningGateway, SECRET, startGateway } from '../gateway/oss-support.js';
import { describeUnderStoreContract } from './suite.js';

let gateway: RunningGateway | undefined;
let roots = 0;
beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(() => gateway?.stop());

function ossStore(options: Record<string, string>, pathStyle = true) {
  const endpoint = pathStyle ? `localhost:${gateway!.port}` : gateway!.endpoint;
  const conf = Configuration.of({
    'fs.oss.endpoint': endpoint,
    'fs.oss.accessKeyId': AK,
    'fs.oss.accessKeySecret': SECRET,
    'fs.oss.connection.secure.enabled': 'false',
    'tierfs.underfs.oss.path.style.access': String(pathStyle),
    ...options,
  });
  return createOssUnderStore(parseUfsUri(`oss://${BUCKET}/contract-${++roots}/`), conf);
}

describeUnderStoreContract(
  'oss (buffered upload) against the tierfs OSS gateway',
  {
    newStore: () =>
      ossStore({
        'tierfs.underfs.oss.multipart.upload.partition.size': '1MB',
        // Long reads as several ranged GETs, each sent with If-Match.
        'tierfs.underfs.object.store.multi.range.chunk.size': '256KB',
      }),
  },
  OBJECT_STORE_CAPABILITIES,
);

describeUnderStoreContract(
  'oss (in-memory multipart upload) against the tierfs OSS gateway',
  {
    newStore: () =>
      ossStore({
        'tierfs.underfs.oss.multipart.upload.enabled': 'true',
        'tierfs.underfs.oss.multipart.upload.partition.size': '1MB',
        'tierfs.underfs.oss.multipart.upload.threads': '4',
      }),
  },
  OBJECT_STORE_CAPABILITIES,
);

describeUnderStoreContract(
  'oss (streaming upload, IP endpoint with Host rewrite) against the tierfs OSS gateway',
  {
    newStore: () =>
      ossStore(
        {
          'tierfs.underfs.oss.streaming.upload.enabled': 'true',
          'tierfs.underfs.oss.streaming.upload.partition.size': '1MB',
        },
        false,
      ),
  },
  OBJECT_STORE_CAPABILITIES,
);
