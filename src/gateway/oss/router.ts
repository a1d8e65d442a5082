/**
 * Runs the operation a request names (see operations.ts); a sub-resource the gateway does not
 * implement is NotImplemented before anything is read or written.
 */
import {
  deleteBucket,
  deleteMultipleObjects,
  getBucketInfo,
  getBucketLocation,
  listBuckets,
  listObjects,
  putBucket,
} from './bucket-handlers.js';
import { OssError } from './errors.js';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  initiateMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
} from './multipart-handlers.js';
import {
  copyObject,
  deleteObject,
  getAcl,
  getObject,
  getObjectMeta,
  putAcl,
  putObject,
} from './object-handlers.js';
import { type OperationName, type OssLevel, resolveOperation } from './operations.js';
import type { OssContext } from './request-context.js';

type Handler = (ctx: OssContext) => Promise<void>;

const HANDLERS: Readonly<Record<OperationName, Handler>> = {
  ListBuckets: listBuckets,
  PutBucket: putBucket,
  DeleteBucket: deleteBucket,
  GetBucketInfo: getBucketInfo,
  GetBucketLocation: getBucketLocation,
  GetBucketAcl: async (ctx) => getAcl(ctx, 'private'),
  PutBucketAcl: async (ctx) => putAcl(ctx, 'private'),
  ListObjects: listObjects,
  ListMultipartUploads: listMultipartUploads,
  DeleteMultipleObjects: deleteMultipleObjects,
  PutObject: async (ctx) =>
    ctx.headers['x-oss-copy-source'] !== undefined ? copyObject(ctx) : putObject(ctx),
  GetObject: async (ctx) => getObject(ctx, false),
  HeadObject: async (ctx) => getObject(ctx, true),
  GetObjectMeta: getObjectMeta,
  DeleteObject: deleteObject,
  GetObjectAcl: async (ctx) => {
    await ctx.backend.headObject(ctx.bucket!, ctx.key);
    getAcl(ctx, 'default');
  },
  PutObjectAcl: async (ctx) => {
    await ctx.backend.headObject(ctx.bucket!, ctx.key);
    await putAcl(ctx, 'default');
  },
  InitiateMultipartUpload: initiateMultipartUpload,
  UploadPart: uploadPart,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
};

/** Bucket operations that do not need the bucket to exist already. */
const WITHOUT_BUCKET_CHECK = new Set<OperationName>(['ListBuckets', 'PutBucket']);

export async function route(ctx: OssContext): Promise<void> {
  const level: OssLevel = ctx.bucket === undefined ? 'service' : ctx.key === '' ? 'bucket' : 'object';
  const resolved = resolveOperation(ctx.method, level, ctx.query);
  if (resolved.kind === 'not-implemented') {
    throw new OssError(
      'NotImplemented',
      `The ${resolved.subresource} sub-resource is not implemented by the tierfs OSS gateway.`,
    );
  }
  if (resolved.kind === 'method-not-allowed') throw new OssError('MethodNotAllowed');
  if (level === 'bucket' && !WITHOUT_BUCKET_CHECK.has(resolved.name)) {
    await ctx.backend.checkBucket(ctx.bucket!);
  }
  await HANDLERS[resolved.name](ctx);
}
