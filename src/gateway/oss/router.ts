/** Picks the operation for a request from its method, bucket/key and sub-resources. */
import { deleteMultipleObjects, listObjects, putBucket } from './bucket-handlers.js';
import { OssError } from './errors.js';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  initiateMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
} from './multipart-handlers.js';
import { copyObject, deleteObject, getAcl, getObject, getObjectMeta, putObject } from './object-handlers.js';
import { type OssContext, readSmallBody, sendEmpty } from './request-context.js';

export async function route(ctx: OssContext): Promise<void> {
  const q = ctx.query;
  const m = ctx.method;
  if (ctx.bucket === undefined) {
    throw new OssError('MethodNotAllowed', 'Service-level operations (ListBuckets) are not supported.');
  }
  if (ctx.key === '') {
    if (m === 'PUT' && q.has('acl')) return readSmallBody(ctx).then(() => sendEmpty(ctx, 200));
    if (m === 'PUT') return putBucket(ctx);
    await ctx.backend.checkBucket(ctx.bucket);
    if (m === 'GET' && q.has('acl')) return getAcl(ctx, 'private');
    if (m === 'GET' && q.has('uploads')) return listMultipartUploads(ctx);
    if (m === 'GET') return listObjects(ctx);
    if (m === 'POST' && q.has('delete')) return deleteMultipleObjects(ctx);
    throw new OssError('MethodNotAllowed');
  }
  switch (m) {
    case 'GET':
      if (q.has('acl')) {
        await ctx.backend.headObject(ctx.bucket, ctx.key);
        return getAcl(ctx, 'default');
      }
      if (q.has('uploadId')) return listParts(ctx);
      return getObject(ctx, false);
    case 'HEAD':
      return q.has('objectMeta') ? getObjectMeta(ctx) : getObject(ctx, true);
    case 'PUT':
      if (q.has('acl')) {
        await ctx.backend.headObject(ctx.bucket, ctx.key);
        return sendEmpty(ctx, 200);
      }
      if (q.has('uploadId') && q.has('partNumber')) return uploadPart(ctx);
      if (ctx.headers['x-oss-copy-source'] !== undefined) return copyObject(ctx);
      return putObject(ctx);
    case 'POST':
      if (q.has('uploads')) return initiateMultipartUpload(ctx);
      if (q.has('uploadId')) return completeMultipartUpload(ctx);
      break;
    case 'DELETE':
      return q.has('uploadId') ? abortMultipartUpload(ctx) : deleteObject(ctx);
  }
  throw new OssError('MethodNotAllowed');
}
