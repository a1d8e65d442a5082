/**
 * Seed 002's credential order, highest first, each level shown to win over the next: mount
 * options, -D, the site file, AWS_ACCESS_KEY_ID/AWS_ACCESS_KEY + AWS_SECRET_ACCESS_KEY/
 * AWS_SECRET_KEY, the ~/.aws/credentials profile, instance metadata. Then the chosen credentials
 * against s3rver, which refuses unknown access keys.
 */
import { mkdtemp, rm, writeFile as writeText } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration } from '../../src/config/configuration.js';
import { readFile, writeFile } from '../../src/ufs/io.js';
import { parseUfsUri } from '../../src/ufs/registry.js';
import { resolveS3Credentials } from '../../src/ufs/s3/s3-credentials.js';
import { createS3UnderStore } from '../../src/ufs/s3/s3-store.js';
import { expectCode } from '../contract/suite.js';
import { type MetadataServer, startMetadataServer } from '../support/metadata-server.js';
import { type RunningS3rver, startS3rver, TEST_BUCKET } from '../support/s3rver.js';

let dir: string;
let metadata: MetadataServer;
let s3rver: RunningS3rver;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tierfs-credentials-'));
  await writeText(join(dir, 'tierfs-site.properties'), 'aws.accessKeyId=SITE\naws.secretKey=site-secret\n');
  await writeText(
    join(dir, 'credentials'),
    '[default]\naws_access_key_id = PROFILE\naws_secret_access_key = profile-secret\n',
  );
  metadata = await startMetadataServer('INSTANCE', 'instance-secret');
  s3rver = await startS3rver({ keys: [['INSTANCE', 'instance-secret']] });
});
afterAll(async () => {
  await metadata?.close();
  await s3rver?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The environment of a process with everything below the given level available. */
function environment(levels: {
  site?: boolean;
  env?: 'standard' | 'alternative';
  profile?: boolean;
}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    TIERFS_CONF_DIR: levels.site ? dir : join(dir, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: levels.profile ? join(dir, 'credentials') : join(dir, 'no-credentials'),
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_EC2_METADATA_SERVICE_ENDPOINT: metadata.endpoint,
  };
  if (levels.env === 'standard')
    Object.assign(env, { AWS_ACCESS_KEY_ID: 'ENV', AWS_SECRET_ACCESS_KEY: 'env-secret' });
  if (levels.env === 'alternative')
    Object.assign(env, { AWS_ACCESS_KEY: 'ENV2', AWS_SECRET_KEY: 'env2-secret' });
  return env;
}

async function resolvedKey(conf: Configuration, env: NodeJS.ProcessEnv): Promise<[string, string]> {
  const { source, credentials } = await resolveS3Credentials(conf, { env });
  return [source, credentials.accessKeyId];
}

describe('S3 credentials, highest first', () => {
  const everything = () => environment({ site: true, env: 'standard', profile: true });
  const systemProperties = { 'aws.accessKeyId': 'SYSPROP', 'aws.secretKey': 'sysprop-secret' };

  it('1. mount options win over -D', async () => {
    const conf = Configuration.load({ env: everything(), systemProperties, cwd: dir }).withOptions(
      { 'aws.accessKeyId': 'MOUNT', 'aws.secretKey': 'mount-secret' },
      '/mnt/s3',
    );
    expect(await resolvedKey(conf, everything())).toEqual(['configuration', 'MOUNT']);
  });

  it('2. -D wins over the site properties', async () => {
    const conf = Configuration.load({ env: everything(), systemProperties, cwd: dir });
    expect(await resolvedKey(conf, everything())).toEqual(['configuration', 'SYSPROP']);
  });

  it('3. the site properties win over the environment', async () => {
    const conf = Configuration.load({ env: everything(), cwd: dir });
    expect(await resolvedKey(conf, everything())).toEqual(['configuration', 'SITE']);
  });

  it('4. AWS_ACCESS_KEY_ID (or AWS_ACCESS_KEY) wins over the profile file', async () => {
    const env = environment({ env: 'standard', profile: true });
    expect(await resolvedKey(Configuration.load({ env, cwd: dir }), env)).toEqual(['configuration', 'ENV']);
    const alternative = environment({ env: 'alternative', profile: true });
    expect(await resolvedKey(Configuration.load({ env: alternative, cwd: dir }), alternative)).toEqual([
      'configuration',
      'ENV2',
    ]);
  });

  it('5. the ~/.aws/credentials profile wins over instance metadata', async () => {
    const env = environment({ profile: true });
    expect(await resolvedKey(Configuration.load({ env, cwd: dir }), env)).toEqual(['profile', 'PROFILE']);
  });

  it('6. instance metadata (IMDSv2) when nothing else is set', async () => {
    const env = environment({});
    metadata.requests.length = 0;
    expect(await resolvedKey(Configuration.load({ env, cwd: dir }), env)).toEqual([
      'instance-metadata',
      'INSTANCE',
    ]);
    expect(metadata.requests[0]).toBe('PUT /latest/api/token');
  });

  it('nothing at all is PERMISSION_DENIED with what to set', async () => {
    const env = { ...environment({}), AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9' };
    const error = await expectCode(
      resolveS3Credentials(Configuration.load({ env, cwd: dir }), { env }),
      'PERMISSION_DENIED',
    );
    expect(error.message).toContain('aws.accessKeyId');
  });

  it('the instance credentials are the ones the store signs with', async () => {
    const env = environment({});
    const conf = Configuration.load({ env, cwd: dir }).withOptions(
      {
        'tierfs.underfs.s3.endpoint': s3rver.endpoint,
        'tierfs.underfs.s3.disable.dns.buckets': 'true',
        'tierfs.underfs.s3.inherit.acl': 'false',
        'tierfs.tmp.dirs': join(dir, 'tmp'),
      },
      'test mount',
    );
    const store = await createS3UnderStore(parseUfsUri(`s3://${TEST_BUCKET}/imds/`), conf, {
      credentials: { env },
    });
    try {
      await writeFile(store, 'hello.txt', 'from the instance role');
      expect((await readFile(store, 'hello.txt')).toString()).toBe('from the instance role');
    } finally {
      await store.close();
    }
    const profileEnv = environment({ profile: true });
    const refused = await createS3UnderStore(
      parseUfsUri(`s3://${TEST_BUCKET}/imds/`),
      Configuration.load({ env: profileEnv, cwd: dir }).withOptions(
        { 'tierfs.underfs.s3.endpoint': s3rver.endpoint, 'tierfs.underfs.s3.disable.dns.buckets': 'true' },
        'test mount',
      ),
      { credentials: { env: profileEnv } },
    );
    try {
      // PROFILE is not a key s3rver knows: the profile was used, and S3 said 403.
      await expectCode(refused.getStatus('hello.txt'), 'PERMISSION_DENIED');
    } finally {
      await refused.close();
    }
  });
});
