/** Bucket ownership controls and bucket policies: Get/Put/Delete of each, and GetBucketPolicyStatus. */
import type { ObjectOwnership } from './access.js';
import { readSmallBody } from './body.js';
import { parsePolicy } from './bucket-policy.js';
import { type S3Context, sendEmpty, sendXml } from './context.js';
import { S3Error } from './errors.js';
import { isPublicAcl } from './public-access-block.js';
import type { GatewayServices } from './services.js';
import { listOf, parseXml, textOf } from './xml.js';

const OWNERSHIPS: readonly ObjectOwnership[] = [
  'BucketOwnerEnforced',
  'BucketOwnerPreferred',
  'ObjectWriter',
];

/** InvalidArgument unless `value` is one of S3's object ownership settings. */
export function checkOwnership(value: string | undefined): ObjectOwnership {
  if (!OWNERSHIPS.includes(value as ObjectOwnership)) {
    throw new S3Error('InvalidArgument', `Object ownership must be one of ${OWNERSHIPS.join(', ')}`);
  }
  return value as ObjectOwnership;
}

export async function getBucketOwnershipControls(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  await layer.bucket(ctx.bucket!);
  const ownership = layer.metadata.settings.get(ctx.bucket!, 'ownership');
  if (ownership === undefined) {
    throw new S3Error('OwnershipControlsNotFoundError', 'The bucket ownership controls were not found');
  }
  sendXml(ctx, 'OwnershipControls', { Rule: { ObjectOwnership: ownership } });
}

export async function putBucketOwnershipControls(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  const body = parseXml((await readSmallBody(ctx.req, ctx.identity.payload)).toString(), 'OwnershipControls');
  const rules = listOf(body, 'Rule');
  const ownership = rules.length === 1 ? textOf(rules[0]!, 'ObjectOwnership') : undefined;
  if (!OWNERSHIPS.includes(ownership as ObjectOwnership)) {
    throw new S3Error(
      'MalformedXML',
      `OwnershipControls needs one Rule with ObjectOwnership ${OWNERSHIPS.join(', ')}`,
    );
  }
  await layer.bucket(ctx.bucket!);
  layer.metadata.settings.set(ctx.bucket!, 'ownership', ownership!);
  sendEmpty(ctx);
}

export async function deleteBucketOwnershipControls(
  ctx: S3Context,
  { layer }: GatewayServices,
): Promise<void> {
  await layer.bucket(ctx.bucket!);
  layer.metadata.settings.delete(ctx.bucket!, 'ownership');
  sendEmpty(ctx, 204);
}

export async function getBucketPolicy(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  await layer.bucket(ctx.bucket!);
  const text = layer.metadata.settings.get(ctx.bucket!, 'policy');
  if (text === undefined) throw new S3Error('NoSuchBucketPolicy', 'The bucket policy does not exist');
  ctx.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  ctx.res.end(text);
}

/** Stores the policy as sent once it parses into what the gateway enforces (see bucket-policy.ts). */
export async function putBucketPolicy(ctx: S3Context, { layer, access }: GatewayServices): Promise<void> {
  const text = (await readSmallBody(ctx.req, ctx.identity.payload)).toString();
  await layer.bucket(ctx.bucket!);
  const policy = parsePolicy(text, ctx.bucket!);
  if (policy.isPublic && access.publicAccessBlock(ctx.bucket!)?.BlockPublicPolicy) {
    throw new S3Error('AccessDenied', 'Access Denied: the bucket blocks public policies (BlockPublicPolicy)');
  }
  layer.metadata.settings.set(ctx.bucket!, 'policy', text);
  sendEmpty(ctx, 204);
}

export async function deleteBucketPolicy(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  await layer.bucket(ctx.bucket!);
  layer.metadata.settings.delete(ctx.bucket!, 'policy');
  sendEmpty(ctx, 204);
}

/**
 * GetBucketPolicyStatus: public when the policy allows everyone without a condition, or the
 * bucket's ACL grants a group (unless the bucket ignores public ACLs). A bucket without a policy
 * is answered too (`IsPublic` from its ACL), as on Ceph RGW; AWS answers NoSuchBucketPolicy there
 * and looks at the policy only.
 */
export async function getBucketPolicyStatus(
  ctx: S3Context,
  { layer, access }: GatewayServices,
): Promise<void> {
  const bucket = await layer.bucket(ctx.bucket!);
  const publicAcl =
    !access.publicAccessBlock(bucket.name)?.IgnorePublicAcls && isPublicAcl(bucket.acl, bucket.grants);
  sendXml(ctx, 'PolicyStatus', { IsPublic: access.policy(bucket.name)?.isPublic === true || publicAcl });
}
