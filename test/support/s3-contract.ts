/** Runs the contract suite against S3 stores on an s3rver started for the calling test file. */
import { afterAll, beforeAll } from 'vitest';
import type { UnderStoreCapabilities } from '../../src/ufs/contract.js';
import { parseUfsUri } from '../../src/ufs/registry.js';
import { createS3UnderStore } from '../../src/ufs/s3/s3-store.js';
import { describeUnderStoreContract } from '../contract/suite.js';
import { type RunningS3rver, s3rverConfiguration, startS3rver, TEST_BUCKET } from './s3rver.js';

export function describeS3Contract(
  name: string,
  options: Record<string, string>,
  capabilities: UnderStoreCapabilities,
): void {
  let server: RunningS3rver | undefined;
  let roots = 0;
  beforeAll(async () => {
    server = await startS3rver();
  });
  afterAll(async () => {
    await server?.close();
  });
  describeUnderStoreContract(
    name,
    {
      async newStore() {
        const uri = parseUfsUri(`s3://${TEST_BUCKET}/contract-${++roots}/`);
        return createS3UnderStore(uri, s3rverConfiguration(server!.endpoint, options), {
          readOnly: capabilities.readOnly,
        });
      },
    },
    capabilities,
  );
}
