/** Which S3 operation a request is: by method, whether it names a bucket and key, and its subresources. */
import * as acls from './acl-handlers.js';
import * as bucketAccess from './bucket-access-handlers.js';
import * as buckets from './bucket-handlers.js';
import * as bucketTags from './bucket-tagging.js';
import { headerOf, type S3Context } from './context.js';
import * as cors from './cors-handlers.js';
import { screenEncryption } from './encryption.js';
import { S3Error } from './errors.js';
import * as multipart from './multipart-handlers.js';
import * as objects from './object-handlers.js';
import * as locks from './object-lock-handlers.js';
import { postObject } from './post-object.js';
import * as publicBlock from './public-access-block.js';
import type { GatewayServices } from './services.js';
import * as versions from './versioning-handlers.js';

export type Handler = (ctx: S3Context, services: GatewayServices) => Promise<void>;

export interface Operation {
  readonly name: string;
  readonly handler: Handler;
}

/** Subresources this gateway answers; any other one is NotImplemented rather than mistaken for a plain request. */
const KNOWN_SUBRESOURCES = new Set([
  'acl',
  'cors',
  'delete',
  'location',
  'tagging',
  'uploadId',
  'uploads',
  'partNumber',
  'list-type',
  'versioning',
  'versions',
  'versionId',
  'ownershipControls',
  'policy',
  'policyStatus',
  'attributes',
  'publicAccessBlock',
  'object-lock',
  'retention',
  'legal-hold',
]);
const SUBRESOURCES = new Set([
  ...KNOWN_SUBRESOURCES,
  'accelerate',
  'analytics',
  'cors',
  'encryption',
  'intelligent-tiering',
  'inventory',
  'lifecycle',
  'logging',
  'metrics',
  'notification',
  'object-lock',
  'ownershipControls',
  'policy',
  'policyStatus',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'restore',
  'retention',
  'legal-hold',
  'select',
  'torrent',
  'website',
  'attributes',
]);

const op = (name: string, handler: Handler): Operation => ({ name, handler });

export function route(ctx: S3Context): Operation {
  screenEncryption((name) => headerOf(ctx, name));
  const q = ctx.query;
  const unknown = [...q.keys()].find((name) => SUBRESOURCES.has(name) && !KNOWN_SUBRESOURCES.has(name));
  if (unknown !== undefined) {
    throw new S3Error(
      'NotImplemented',
      `The ${unknown} subresource is not implemented by the tierfs S3 gateway`,
    );
  }
  const { method } = ctx;
  if (ctx.bucket === undefined) {
    if (method === 'GET') return op('ListBuckets', buckets.listBuckets);
  } else if (ctx.key === undefined) {
    switch (method) {
      case 'GET':
        if (q.has('acl')) return op('GetBucketAcl', acls.getBucketAcl);
        if (q.has('policy')) return op('GetBucketPolicy', bucketAccess.getBucketPolicy);
        if (q.has('policyStatus')) return op('GetBucketPolicyStatus', bucketAccess.getBucketPolicyStatus);
        if (q.has('ownershipControls')) {
          return op('GetBucketOwnershipControls', bucketAccess.getBucketOwnershipControls);
        }
        if (q.has('cors')) return op('GetBucketCors', cors.getBucketCors);
        if (q.has('uploads')) return op('ListMultipartUploads', buckets.listMultipartUploads);
        if (q.has('location')) return op('GetBucketLocation', buckets.getBucketLocation);
        if (q.has('versioning')) return op('GetBucketVersioning', versions.getBucketVersioning);
        if (q.has('object-lock')) {
          return op('GetObjectLockConfiguration', locks.getObjectLockConfiguration);
        }
        if (q.has('versions')) return op('ListObjectVersions', versions.listObjectVersions);
        if (q.has('tagging')) return op('GetBucketTagging', bucketTags.getBucketTagging);
        if (q.has('publicAccessBlock')) return op('GetPublicAccessBlock', publicBlock.getPublicAccessBlock);
        if (q.get('list-type') === '2') return op('ListObjectsV2', buckets.listObjectsV2);
        return op('ListObjects', buckets.listObjectsV1);
      case 'HEAD':
        return op('HeadBucket', buckets.headBucket);
      case 'PUT':
        if (q.has('acl')) return op('PutBucketAcl', acls.putBucketAcl);
        if (q.has('versioning')) return op('PutBucketVersioning', versions.putBucketVersioning);
        if (q.has('object-lock')) {
          return op('PutObjectLockConfiguration', locks.putObjectLockConfiguration);
        }
        if (q.has('policy')) return op('PutBucketPolicy', bucketAccess.putBucketPolicy);
        if (q.has('ownershipControls')) {
          return op('PutBucketOwnershipControls', bucketAccess.putBucketOwnershipControls);
        }
        if (q.has('cors')) return op('PutBucketCors', cors.putBucketCors);
        if (q.has('tagging')) return op('PutBucketTagging', bucketTags.putBucketTagging);
        if (q.has('publicAccessBlock')) return op('PutPublicAccessBlock', publicBlock.putPublicAccessBlock);
        if (q.size === 0) return op('CreateBucket', buckets.createBucket);
        break;
      case 'DELETE':
        if (q.has('cors')) return op('DeleteBucketCors', cors.deleteBucketCors);
        if (q.has('tagging')) return op('DeleteBucketTagging', bucketTags.deleteBucketTagging);
        if (q.has('publicAccessBlock')) {
          return op('DeletePublicAccessBlock', publicBlock.deletePublicAccessBlock);
        }
        if (q.size === 0) return op('DeleteBucket', buckets.deleteBucket);
        if (q.has('policy')) return op('DeleteBucketPolicy', bucketAccess.deleteBucketPolicy);
        if (q.has('ownershipControls')) {
          return op('DeleteBucketOwnershipControls', bucketAccess.deleteBucketOwnershipControls);
        }
        break;
      case 'POST':
        if (q.has('delete')) return op('DeleteObjects', buckets.deleteObjects);
        if (q.size === 0) return op('PostObject', postObject);
        break;
    }
  } else {
    const copy = headerOf(ctx, 'x-amz-copy-source') !== undefined;
    switch (method) {
      case 'GET':
      case 'HEAD':
        if (method === 'GET' && q.has('acl')) return op('GetObjectAcl', acls.getObjectAcl);
        if (method === 'GET' && q.has('tagging')) return op('GetObjectTagging', objects.getObjectTagging);
        if (method === 'GET' && q.has('uploadId')) return op('ListParts', multipart.listParts);
        if (method === 'GET' && q.has('retention')) return op('GetObjectRetention', locks.getObjectRetention);
        if (method === 'GET' && q.has('legal-hold'))
          return op('GetObjectLegalHold', locks.getObjectLegalHold);
        if (method === 'GET' && q.has('attributes')) {
          return op('GetObjectAttributes', objects.getObjectAttributes);
        }
        return op(method === 'GET' ? 'GetObject' : 'HeadObject', objects.getObject);
      case 'PUT':
        if (q.has('tagging')) return op('PutObjectTagging', objects.putObjectTagging);
        if (q.has('acl')) return op('PutObjectAcl', acls.putObjectAcl);
        if (q.has('retention')) return op('PutObjectRetention', locks.putObjectRetention);
        if (q.has('legal-hold')) return op('PutObjectLegalHold', locks.putObjectLegalHold);
        if (q.has('uploadId') && q.has('partNumber')) {
          return copy
            ? op('UploadPartCopy', multipart.uploadPartCopy)
            : op('UploadPart', multipart.uploadPart);
        }
        return copy ? op('CopyObject', objects.copyObject) : op('PutObject', objects.putObject);
      case 'DELETE':
        if (q.has('tagging')) return op('DeleteObjectTagging', objects.deleteObjectTagging);
        if (q.has('uploadId')) return op('AbortMultipartUpload', multipart.abortMultipartUpload);
        return op('DeleteObject', objects.deleteObject);
      case 'POST':
        if (q.has('uploads')) return op('CreateMultipartUpload', multipart.createMultipartUpload);
        if (q.has('uploadId')) return op('CompleteMultipartUpload', multipart.completeMultipartUpload);
        break;
    }
  }
  throw new S3Error(
    'NotImplemented',
    `${method} ${ctx.bucket === undefined ? '/' : ctx.key === undefined ? 'bucket' : 'object'} with these parameters is not implemented by the tierfs S3 gateway`,
  );
}
