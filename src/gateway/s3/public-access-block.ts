/**
 * Public access blocks (Put/Get/DeletePublicAccessBlock) of a bucket, kept as JSON among its
 * settings, and what each of the four switches means here (enforced in access.ts and the ACL and
 * policy handlers):
 * - BlockPublicAcls: a request that sets a public ACL (`public-read`, `public-read-write`,
 *   `authenticated-read`, or a grant to the AllUsers or AuthenticatedUsers group) is AccessDenied;
 * - IgnorePublicAcls: grants to those two groups give nothing;
 * - BlockPublicPolicy: PutBucketPolicy with a public policy (an Allow for `*` without a condition)
 *   is AccessDenied;
 * - RestrictPublicBuckets: while the policy is public, its Allows count for the bucket owner only.
 */
import type { Grant } from './acl.js';
import { readSmallBody } from './body.js';
import { type S3Context, sendEmpty, sendXml } from './context.js';
import { S3Error } from './errors.js';
import type { CannedAcl } from './metadata-store.js';
import type { GatewayServices } from './services.js';
import { parseXml, textOf } from './xml.js';

export interface PublicAccessBlock {
  readonly BlockPublicAcls: boolean;
  readonly IgnorePublicAcls: boolean;
  readonly BlockPublicPolicy: boolean;
  readonly RestrictPublicBuckets: boolean;
}

const SWITCHES = [
  'BlockPublicAcls',
  'IgnorePublicAcls',
  'BlockPublicPolicy',
  'RestrictPublicBuckets',
] as const;

const PUBLIC_CANNED: ReadonlySet<string> = new Set([
  'public-read',
  'public-read-write',
  'authenticated-read',
]);

/** Whether an ACL (canned, or explicit grants) opens a resource to a group. */
export function isPublicAcl(acl: CannedAcl | undefined, grants: readonly Grant[] | undefined): boolean {
  if (grants) return grants.some((g) => g.grantee.type === 'Group');
  return acl !== undefined && PUBLIC_CANNED.has(acl);
}

export function parsePublicAccessBlock(text: string): PublicAccessBlock {
  const body = parseXml(text, 'PublicAccessBlockConfiguration');
  const entries = SWITCHES.map((name) => {
    const value = textOf(body, name);
    if (value !== undefined && value !== 'true' && value !== 'false') {
      throw new S3Error('MalformedXML', `${name} must be true or false, not '${value}'`);
    }
    return [name, value === 'true'] as const;
  });
  return Object.fromEntries(entries) as unknown as PublicAccessBlock;
}

export async function putPublicAccessBlock(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  const body = await readSmallBody(ctx.req, ctx.identity.payload);
  await layer.bucket(ctx.bucket!);
  const block = parsePublicAccessBlock(body.toString('utf8'));
  layer.metadata.settings.set(ctx.bucket!, 'publicAccessBlock', JSON.stringify(block));
  sendEmpty(ctx);
}

export async function getPublicAccessBlock(
  ctx: S3Context,
  { layer, access }: GatewayServices,
): Promise<void> {
  await layer.bucket(ctx.bucket!);
  const block = access.publicAccessBlock(ctx.bucket!);
  if (!block) {
    throw new S3Error(
      'NoSuchPublicAccessBlockConfiguration',
      'The public access block configuration was not found',
    );
  }
  sendXml(ctx, 'PublicAccessBlockConfiguration', { ...block });
}

export async function deletePublicAccessBlock(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  await layer.bucket(ctx.bucket!);
  layer.metadata.settings.delete(ctx.bucket!, 'publicAccessBlock');
  sendEmpty(ctx, 204);
}
