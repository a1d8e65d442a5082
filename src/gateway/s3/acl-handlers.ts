/** Bucket and object ACLs: GetBucketAcl, PutBucketAcl, GetObjectAcl, PutObjectAcl. */
import { aclDocument, aclFromHeaders, type Grant, grantsFromPolicy } from './acl.js';
import { readSmallBody } from './body.js';
import { headerOf, type S3Context, sendEmpty, sendXml } from './context.js';
import { S3Error } from './errors.js';
import type { CannedAcl } from './metadata-store.js';
import { requested } from './object-handlers.js';
import type { GatewayServices } from './services.js';
import { parseXml } from './xml.js';

/** The ACL a PutBucketAcl/PutObjectAcl sets: from its headers, or its AccessControlPolicy body. */
async function requestedAcl(
  ctx: S3Context,
  { access }: GatewayServices,
): Promise<{ acl: CannedAcl; grants: Grant[] | undefined }> {
  const body = (await readSmallBody(ctx.req, ctx.identity.payload)).toString();
  const fromHeaders = aclFromHeaders(ctx.req.headers, access.users);
  const hasHeaders = fromHeaders.grants !== undefined || headerOf(ctx, 'x-amz-acl') !== undefined;
  if (body.trim() !== '') {
    if (hasHeaders)
      throw new S3Error('InvalidRequest', 'Send either ACL headers or an ACL document, not both');
    return { acl: 'private', grants: grantsFromPolicy(parseXml(body, 'AccessControlPolicy'), access.users) };
  }
  if (!hasHeaders) {
    throw new S3Error(
      'MalformedACLError',
      'Give the ACL as x-amz-acl, x-amz-grant-* headers or an AccessControlPolicy document',
    );
  }
  return fromHeaders;
}

export async function getBucketAcl(ctx: S3Context, { layer, access }: GatewayServices): Promise<void> {
  const bucket = await layer.bucket(ctx.bucket!, ctx.identity.user);
  sendXml(ctx, 'AccessControlPolicy', aclDocument(bucket.owner, access.bucketGrants(bucket)));
}

export async function putBucketAcl(ctx: S3Context, services: GatewayServices): Promise<void> {
  const { layer, access } = services;
  const bucket = await layer.bucket(ctx.bucket!, ctx.identity.user);
  const { acl, grants } = await requestedAcl(ctx, services);
  if (
    access.ownership(bucket.name) === 'BucketOwnerEnforced' &&
    (grants !== undefined || acl !== 'private')
  ) {
    throw new S3Error('AccessControlListNotSupported', 'The bucket does not allow ACLs');
  }
  access.checkPublicAcl(bucket.name, acl, grants);
  layer.setBucketAcl(bucket, acl, grants);
  sendEmpty(ctx);
}

export async function getObjectAcl(ctx: S3Context, services: GatewayServices): Promise<void> {
  const { layer, access } = services;
  const bucket = await layer.bucket(ctx.bucket!, '');
  const info = await requested(ctx, services);
  const owner = access.objectOwner(bucket, info) || ctx.identity.user;
  sendXml(
    ctx,
    'AccessControlPolicy',
    aclDocument(owner, access.objectGrants(bucket, { ...info, owner })),
    200,
    {
      ...layer.versions.versionHeader(info),
    },
  );
}

export async function putObjectAcl(ctx: S3Context, services: GatewayServices): Promise<void> {
  const { layer, access } = services;
  const info = await requested(ctx, services);
  const { acl, grants } = await requestedAcl(ctx, services);
  if (
    access.ownership(ctx.bucket!) === 'BucketOwnerEnforced' &&
    (grants !== undefined || acl !== 'private')
  ) {
    throw new S3Error('AccessControlListNotSupported', 'The bucket does not allow ACLs');
  }
  access.checkPublicAcl(ctx.bucket!, acl, grants);
  layer.updateAttributes(info, await layer.fingerprint(info), { acl, grants });
  sendEmpty(ctx, 200, layer.versions.versionHeader(info));
}
