/** Bucket tags: Put/Get/DeleteBucketTagging, kept as JSON among the bucket's settings. */
import { tagSetXml, tagsFromXml } from './attributes.js';
import { readSmallBody } from './body.js';
import { type S3Context, sendEmpty, sendXml } from './context.js';
import { S3Error } from './errors.js';
import type { Tag } from './metadata-store.js';
import type { GatewayServices } from './services.js';

/** S3's limit on a bucket's tags (an object's is 10). */
const MAX_BUCKET_TAGS = 50;

export async function putBucketTagging(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  await layer.bucket(ctx.bucket!);
  const body = await readSmallBody(ctx.req, ctx.identity.payload);
  const tags = tagsFromXml(body.toString('utf8'), MAX_BUCKET_TAGS, 'Bucket');
  layer.metadata.settings.set(ctx.bucket!, 'tagging', JSON.stringify(tags));
  // 200, not the 204 of AWS's documentation: MinIO's JS client takes only 200 (the AWS SDKs take both).
  sendEmpty(ctx);
}

export async function getBucketTagging(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  await layer.bucket(ctx.bucket!);
  const text = layer.metadata.settings.get(ctx.bucket!, 'tagging');
  if (text === undefined) throw new S3Error('NoSuchTagSet', 'The TagSet does not exist');
  const tags = JSON.parse(text) as Tag[];
  sendXml(ctx, 'Tagging', tagSetXml(tags));
}

export async function deleteBucketTagging(ctx: S3Context, { layer }: GatewayServices): Promise<void> {
  await layer.bucket(ctx.bucket!);
  layer.metadata.settings.delete(ctx.bucket!, 'tagging');
  sendEmpty(ctx, 204);
}
