/**
 * S3 credentials in seed 002's order, highest first:
 *
 *   1-4. `aws.accessKeyId` / `aws.secretKey` (or `s3a.*`): mount options, then -D, then the site
 *        file, then AWS_ACCESS_KEY_ID|AWS_ACCESS_KEY / AWS_SECRET_ACCESS_KEY|AWS_SECRET_KEY; the
 *        Configuration layers give exactly this precedence.
 *   5.   the profile in ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE respected)
 *   6.   EC2 instance metadata (IMDS; AWS_EC2_METADATA_SERVICE_ENDPOINT moves it)
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { Configuration } from '../../config/configuration.js';
import { AWS_ACCESS_KEY_ID, AWS_SECRET_KEY } from '../../config/keys/s3.js';
import { TierfsError } from '../../errors.js';

export type CredentialSource = 'configuration' | 'profile' | 'instance-metadata';

export interface ResolvedCredentials {
  readonly source: CredentialSource;
  readonly credentials: AwsCredentialIdentity;
}

export interface CredentialChainOptions {
  /** Defaults to process.env; read for the profile file, the profile name and the IMDS endpoint. */
  readonly env?: NodeJS.ProcessEnv;
  /** IMDS timeout per request (ms). */
  readonly metadataTimeoutMs?: number;
}

/** Resolves credentials once per call, walking the chain; rejects PERMISSION_DENIED when none is found. */
export async function resolveS3Credentials(
  conf: Configuration,
  options: CredentialChainOptions = {},
): Promise<ResolvedCredentials> {
  const accessKeyId = conf.get(AWS_ACCESS_KEY_ID);
  const secretAccessKey = conf.get(AWS_SECRET_KEY);
  if (accessKeyId && secretAccessKey) {
    return { source: 'configuration', credentials: { accessKeyId, secretAccessKey } };
  }
  const env = options.env ?? process.env;
  const { fromIni, fromInstanceMetadata } = await import('@aws-sdk/credential-providers');
  try {
    const credentials = await fromIni({
      filepath: env.AWS_SHARED_CREDENTIALS_FILE,
      configFilepath: env.AWS_CONFIG_FILE,
      profile: env.AWS_PROFILE,
      ignoreCache: true,
    })();
    return { source: 'profile', credentials };
  } catch {
    // No profile: try the instance.
  }
  try {
    const credentials = await withEnv(env, 'AWS_EC2_METADATA_SERVICE_ENDPOINT', () =>
      fromInstanceMetadata({ timeout: options.metadataTimeoutMs ?? 1000, maxRetries: 0 })(),
    );
    return { source: 'instance-metadata', credentials };
  } catch (error) {
    throw new TierfsError(
      'PERMISSION_DENIED',
      'No S3 credentials found: set aws.accessKeyId and aws.secretKey (mount option, -D or site properties), ' +
        'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile in ~/.aws/credentials, or run on an EC2 ' +
        'instance with an instance profile.',
      { cause: error },
    );
  }
}

/** A provider for the S3 client: resolves on first use and again when the credentials expire. */
export function s3CredentialProvider(
  conf: Configuration,
  options: CredentialChainOptions = {},
): AwsCredentialIdentityProvider {
  let cached: Promise<AwsCredentialIdentity> | undefined;
  return () => {
    const expired = (c: AwsCredentialIdentity) =>
      c.expiration !== undefined && c.expiration.getTime() - Date.now() < 60_000;
    const current = cached;
    if (current) {
      return current.then((c) => (expired(c) ? refresh() : c));
    }
    return refresh();
    function refresh(): Promise<AwsCredentialIdentity> {
      cached = resolveS3Credentials(conf, options).then((r) => r.credentials);
      cached.catch(() => {
        cached = undefined;
      });
      return cached;
    }
  };
}

/** The SDK reads the IMDS endpoint from process.env; let a given env decide it for this call. */
async function withEnv<T>(env: NodeJS.ProcessEnv, name: string, run: () => Promise<T>): Promise<T> {
  if (env === process.env || env[name] === process.env[name]) return run();
  const saved = process.env[name];
  if (env[name] === undefined) delete process.env[name];
  else process.env[name] = env[name];
  try {
    return await run();
  } finally {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  }
}
