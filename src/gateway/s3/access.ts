/**
 * Who may do what: every request is checked here before its handler runs, against the bucket
 * policy (an explicit Deny refuses, an Allow grants), the resource's owner (who may do anything
 * the policy does not deny) and its ACL grants. Ownership controls decide whose ACLs count:
 * with `BucketOwnerEnforced` ACLs are disabled and the bucket owner owns every object.
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  aclFromHeaders,
  cannedGrants,
  type Grant,
  grantsAllow,
  type Permission,
  type Requester,
} from './acl.js';
import { tagsFromHeader } from './attributes.js';
import type { Identity } from './auth.js';
import { type BucketPolicy, evaluatePolicy, parsePolicy } from './bucket-policy.js';
import type { BucketSettings } from './bucket-settings.js';
import { headerOf, type S3Context } from './context.js';
import { S3Error } from './errors.js';
import type { CannedAcl } from './metadata-store.js';
import { isValidBucketName } from './names.js';
import type { BucketInfo, ObjectInfo, ObjectLayer } from './object-layer.js';
import { HEADER_CONDITION_KEYS } from './policy-conditions.js';
import { isPublicAcl, type PublicAccessBlock } from './public-access-block.js';

export type ObjectOwnership = 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter';

/** What an operation needs: a permission on its bucket or on its object, and its policy action. */
interface Need {
  readonly bucket?: Permission | 'owner';
  readonly object?: Permission;
  readonly action: string;
  /** The action when the request names a version. */
  readonly versionAction?: string;
}

const read = (action: string, versionAction?: string): Need => ({ object: 'READ', action, versionAction });
const write = (action: string): Need => ({ bucket: 'WRITE', action });
const owner = (action: string): Need => ({ bucket: 'owner', action });

const NEEDS: Readonly<Record<string, Need>> = {
  DeleteBucket: owner('s3:DeleteBucket'),
  HeadBucket: { bucket: 'READ', action: 's3:ListBucket' },
  GetBucketLocation: owner('s3:GetBucketLocation'),
  GetBucketVersioning: owner('s3:GetBucketVersioning'),
  PutBucketVersioning: owner('s3:PutBucketVersioning'),
  ListObjectVersions: { bucket: 'READ', action: 's3:ListBucketVersions' },
  ListObjects: { bucket: 'READ', action: 's3:ListBucket' },
  ListObjectsV2: { bucket: 'READ', action: 's3:ListBucket' },
  ListMultipartUploads: { bucket: 'READ', action: 's3:ListBucketMultipartUploads' },
  GetBucketAcl: { bucket: 'READ_ACP', action: 's3:GetBucketAcl' },
  PutBucketAcl: { bucket: 'WRITE_ACP', action: 's3:PutBucketAcl' },
  GetBucketPolicy: owner('s3:GetBucketPolicy'),
  PutBucketPolicy: owner('s3:PutBucketPolicy'),
  DeleteBucketPolicy: owner('s3:DeleteBucketPolicy'),
  GetBucketPolicyStatus: owner('s3:GetBucketPolicyStatus'),
  GetBucketOwnershipControls: owner('s3:GetBucketOwnershipControls'),
  PutBucketOwnershipControls: owner('s3:PutBucketOwnershipControls'),
  DeleteBucketOwnershipControls: owner('s3:PutBucketOwnershipControls'),
  // DeleteObjects checks each key as a DeleteObject in its handler.
  DeleteObjects: write('s3:DeleteObject'),
  PutObject: write('s3:PutObject'),
  CopyObject: write('s3:PutObject'),
  DeleteObject: { bucket: 'WRITE', action: 's3:DeleteObject', versionAction: 's3:DeleteObjectVersion' },
  CreateMultipartUpload: write('s3:PutObject'),
  UploadPart: write('s3:PutObject'),
  UploadPartCopy: write('s3:PutObject'),
  CompleteMultipartUpload: write('s3:PutObject'),
  AbortMultipartUpload: write('s3:AbortMultipartUpload'),
  ListParts: write('s3:ListMultipartUploadParts'),
  GetObject: read('s3:GetObject', 's3:GetObjectVersion'),
  HeadObject: read('s3:GetObject', 's3:GetObjectVersion'),
  GetObjectAttributes: read('s3:GetObjectAttributes', 's3:GetObjectVersionAttributes'),
  GetObjectTagging: read('s3:GetObjectTagging', 's3:GetObjectVersionTagging'),
  PutObjectTagging: {
    object: 'WRITE_ACP',
    action: 's3:PutObjectTagging',
    versionAction: 's3:PutObjectVersionTagging',
  },
  DeleteObjectTagging: {
    object: 'WRITE_ACP',
    action: 's3:DeleteObjectTagging',
    versionAction: 's3:DeleteObjectVersionTagging',
  },
  // Bucket CORS is the bucket owner's to configure (the preflight itself is never signed, and is
  // answered before any check: server.ts).
  GetBucketCors: owner('s3:GetBucketCORS'),
  PutBucketCors: owner('s3:PutBucketCORS'),
  DeleteBucketCors: owner('s3:PutBucketCORS'),
  GetBucketTagging: owner('s3:GetBucketTagging'),
  PutBucketTagging: owner('s3:PutBucketTagging'),
  DeleteBucketTagging: owner('s3:PutBucketTagging'),
  GetPublicAccessBlock: owner('s3:GetBucketPublicAccessBlock'),
  PutPublicAccessBlock: owner('s3:PutBucketPublicAccessBlock'),
  DeletePublicAccessBlock: owner('s3:PutBucketPublicAccessBlock'),
  GetObjectLockConfiguration: owner('s3:GetBucketObjectLockConfiguration'),
  PutObjectLockConfiguration: owner('s3:PutBucketObjectLockConfiguration'),
  GetObjectRetention: read('s3:GetObjectRetention'),
  PutObjectRetention: { object: 'WRITE_ACP', action: 's3:PutObjectRetention' },
  GetObjectLegalHold: read('s3:GetObjectLegalHold'),
  PutObjectLegalHold: { object: 'WRITE_ACP', action: 's3:PutObjectLegalHold' },
  GetObjectAcl: { object: 'READ_ACP', action: 's3:GetObjectAcl', versionAction: 's3:GetObjectVersionAcl' },
  PutObjectAcl: { object: 'WRITE_ACP', action: 's3:PutObjectAcl', versionAction: 's3:PutObjectVersionAcl' },
};

const POLICY_OPERATIONS = new Set([
  'GetBucketPolicy',
  'PutBucketPolicy',
  'DeleteBucketPolicy',
  'GetBucketPolicyStatus',
]);

/**
 * Operations checked by their handler rather than before it: a form upload (PostObject) is signed
 * by the policy in its body, so who sends it is known only once the form is read (see
 * authorizeFormUpload).
 */
const CHECKED_BY_HANDLER = new Set(['PostObject']);

/** Operations whose requests may carry an ACL for what they create. */
const ACL_WRITES = new Set(['CreateBucket', 'PutObject', 'CopyObject', 'CreateMultipartUpload']);

function denied(): S3Error {
  return new S3Error('AccessDenied', 'Access Denied');
}

export class AccessControl {
  private readonly policies = new Map<string, { text: string; policy: BucketPolicy }>();
  /** The object a request's check resolved, handed once to its handler (saves a second lookup). */
  private readonly resolved = new WeakMap<S3Context, ObjectInfo>();

  constructor(
    private readonly layer: ObjectLayer,
    /** The user names of the configured access keys (the canonical ids grants may name). */
    readonly users: ReadonlySet<string>,
  ) {}

  ownership(bucket: string): ObjectOwnership {
    return (
      (this.layer.metadata.settings.get(bucket, 'ownership') as ObjectOwnership | undefined) ?? 'ObjectWriter'
    );
  }

  /** The parsed policy of a bucket (cached by its text), or undefined. */
  policy(bucket: string): BucketPolicy | undefined {
    const text = this.layer.metadata.settings.get(bucket, 'policy');
    if (text === undefined) return undefined;
    const cached = this.policies.get(bucket);
    if (cached?.text === text) return cached.policy;
    const policy = parsePolicy(text, bucket);
    this.policies.set(bucket, { text, policy });
    return policy;
  }

  /** The bucket's public access block (public-access-block.ts), or undefined. */
  publicAccessBlock(bucket: string): PublicAccessBlock | undefined {
    const text = this.layer.metadata.settings.get(bucket, 'publicAccessBlock');
    return text === undefined ? undefined : (JSON.parse(text) as PublicAccessBlock);
  }

  /** AccessDenied for an ACL that opens a resource to a group while the bucket blocks public ACLs. */
  checkPublicAcl(bucket: string, acl: CannedAcl | undefined, grants: readonly Grant[] | undefined): void {
    if (this.publicAccessBlock(bucket)?.BlockPublicAcls && isPublicAcl(acl, grants)) {
      throw new S3Error('AccessDenied', 'Access Denied: the bucket blocks public ACLs (BlockPublicAcls)');
    }
  }

  /** The grants that count: without the group grants while the bucket ignores public ACLs. */
  private effective(bucket: string, grants: readonly Grant[]): readonly Grant[] {
    if (!this.publicAccessBlock(bucket)?.IgnorePublicAcls) return grants;
    return grants.filter((g) => g.grantee.type !== 'Group');
  }

  /**
   * Who owns an object `writer` writes with the canned ACL `acl`: the bucket owner when ACLs are
   * disabled, or under BucketOwnerPreferred with `bucket-owner-full-control`; else the writer.
   */
  ownerOfNewObject(bucket: string, writer: string, acl: string): string {
    const ownership = this.ownership(bucket);
    const bucketOwner = this.layer.metadata.getBucket(bucket)?.owner;
    if (!bucketOwner) return writer;
    if (ownership === 'BucketOwnerEnforced') return bucketOwner;
    if (ownership === 'BucketOwnerPreferred' && acl === 'bucket-owner-full-control') return bucketOwner;
    return writer;
  }

  /**
   * What a bucket's ACL gives `user`. As in S3 the owner's READ and WRITE come from the grants
   * (an ACL without the owner takes them away), READ_ACP and WRITE_ACP are always theirs. A bucket
   * the gateway did not create is every signed user's, with every permission.
   */
  bucketAllows(bucket: BucketInfo, user: Requester, permission: Permission): boolean {
    if (bucket.owner === '') return user !== undefined;
    if ((permission === 'READ_ACP' || permission === 'WRITE_ACP') && this.isBucketOwner(bucket, user))
      return true;
    return grantsAllow(this.effective(bucket.name, this.bucketGrants(bucket)), user, permission);
  }

  /** What an object's ACL gives `user`, by the same rules (its owner: see objectOwner). */
  objectAllows(bucket: BucketInfo, info: ObjectInfo, user: Requester, permission: Permission): boolean {
    const owner = this.objectOwner(bucket, info);
    if (owner === '') return user !== undefined;
    if ((permission === 'READ_ACP' || permission === 'WRITE_ACP') && owner === user) return true;
    return grantsAllow(this.effective(bucket.name, this.objectGrants(bucket, info)), user, permission);
  }

  /** Whether `user` owns the bucket (one the gateway did not create is every signed user's). */
  isBucketOwner(bucket: BucketInfo, user: Requester): boolean {
    return user !== undefined && (bucket.owner === '' || bucket.owner === user);
  }

  /** The effective owner of an object (the bucket's when ACLs are disabled or it is unknown). */
  objectOwner(bucket: BucketInfo, info: ObjectInfo): string {
    if (info.owner === '' || this.ownership(bucket.name) === 'BucketOwnerEnforced') return bucket.owner;
    return info.owner;
  }

  bucketGrants(bucket: BucketInfo): readonly Grant[] {
    if (this.ownership(bucket.name) === 'BucketOwnerEnforced') return cannedGrants('private', bucket.owner);
    return bucket.grants ?? cannedGrants(bucket.acl, bucket.owner);
  }

  objectGrants(bucket: BucketInfo, info: ObjectInfo): readonly Grant[] {
    const owner = this.objectOwner(bucket, info);
    if (this.ownership(bucket.name) === 'BucketOwnerEnforced') return cannedGrants('private', owner);
    return info.grants ?? cannedGrants(info.acl, owner, bucket.owner);
  }

  /** Refuses a request that carries an ACL when the bucket's ACLs are disabled. */
  checkAclAllowed(ctx: S3Context, bucket: string, headers: IncomingHttpHeaders = ctx.req.headers): void {
    if (this.ownership(bucket) !== 'BucketOwnerEnforced') return;
    const value = headers['x-amz-acl'];
    const acl = Array.isArray(value) ? value[0] : value;
    const grants = Object.keys(headers).some((name) => name.startsWith('x-amz-grant-'));
    if (grants || (acl !== undefined && acl !== 'bucket-owner-full-control' && acl !== 'private')) {
      throw new S3Error('AccessControlListNotSupported', 'The bucket does not allow ACLs');
    }
  }

  /**
   * What the bucket's policy says of a request: `info` is the object it addresses when it exists
   * (its tags are `s3:ExistingObjectTag/*`), `headers` those its condition keys are read from.
   */
  private policySays(
    bucket: string,
    ctx: S3Context,
    action: string,
    key?: string,
    info?: ObjectInfo,
    headers: IncomingHttpHeaders = ctx.req.headers,
  ): 'Allow' | 'Deny' | undefined {
    const policy = this.policy(bucket);
    if (!policy) return undefined;
    const user = requesterOf(ctx);
    const said = evaluatePolicy(policy, {
      user,
      action,
      resource: key === undefined ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}`,
      values: conditionValues(ctx, headers, info),
    });
    // RestrictPublicBuckets: a public policy allows nothing to anyone but the bucket owner.
    if (said === 'Allow' && policy.isPublic && this.publicAccessBlock(bucket)?.RestrictPublicBuckets) {
      const owner = this.layer.metadata.getBucket(bucket)?.owner;
      if (user === undefined || (owner !== '' && owner !== user)) return undefined;
    }
    return said;
  }

  /** The bucket settings (a write's object lock defaults are read there). */
  get settings(): BucketSettings {
    return this.layer.metadata.settings;
  }

  /**
   * Whether a request may bypass GOVERNANCE retention on `key`: it says so
   * (`x-amz-bypass-governance-retention: true`) and the bucket policy allows the requester
   * s3:BypassGovernanceRetention, or the requester owns the bucket and the policy does not deny it.
   */
  mayBypassGovernance(ctx: S3Context, key: string): boolean {
    if (headerOf(ctx, 'x-amz-bypass-governance-retention')?.toLowerCase() !== 'true') return false;
    const bucket = ctx.bucket!;
    const said = this.policySays(bucket, ctx, 's3:BypassGovernanceRetention', key);
    if (said === 'Deny') return false;
    if (said === 'Allow') return true;
    const user = requesterOf(ctx);
    const owner = this.layer.metadata.getBucket(bucket)?.owner ?? '';
    return user !== undefined && (owner === '' || owner === user);
  }

  /** Checks `operation` (a router name) before its handler runs; AccessDenied when not allowed. */
  async authorize(ctx: S3Context, operation: string): Promise<void> {
    const user = requesterOf(ctx);
    if (ctx.bucket !== undefined && operation !== 'CreateBucket' && !isValidBucketName(ctx.bucket)) {
      // No bucket, whatever lies at that path (a directory made with mkdir, the versions area):
      // InvalidBucketName or NoSuchBucket before any handler can reach into it.
      await this.layer.bucket(ctx.bucket, '');
    }
    if (CHECKED_BY_HANDLER.has(operation)) return;
    if (ctx.bucket === undefined) return; // ListBuckets: an anonymous requester is answered no bucket
    if (operation === 'CreateBucket') {
      if (user === undefined) throw denied(); // any signed user
      return;
    }
    // An operation without an entry is the bucket owner's: a new route fails closed.
    const need = NEEDS[operation] ?? owner(`s3:${operation}`);
    let bucket: BucketInfo;
    try {
      bucket = await this.layer.bucket(ctx.bucket, '');
    } catch {
      return; // the handler answers NoSuchBucket
    }
    // x-amz-expected-bucket-owner: the caller's guard against writing to or reading from a bucket
    // someone else owns. Owners are gateway user names; a bucket of unknown owner passes.
    const expectedOwner = headerOf(ctx, 'x-amz-expected-bucket-owner');
    if (expectedOwner !== undefined && bucket.owner !== '' && bucket.owner !== expectedOwner) throw denied();
    if (ACL_WRITES.has(operation)) {
      this.checkAclAllowed(ctx, bucket.name);
      const asked = aclFromHeaders(ctx.req.headers, this.users);
      this.checkPublicAcl(
        bucket.name,
        headerOf(ctx, 'x-amz-acl') === undefined ? undefined : asked.acl,
        asked.grants,
      );
    }
    const versioned = ctx.query.get('versionId') !== undefined;
    const action = versioned && need.versionAction ? need.versionAction : need.action;
    if (need.object !== undefined && ctx.key !== undefined) {
      const info = await this.checkObject(
        ctx,
        bucket,
        ctx.key,
        ctx.query.get('versionId'),
        need.object,
        action,
      );
      if (info) this.resolved.set(ctx, info);
      return;
    }
    // The owner can always manage the policy, so a Deny cannot lock them out for good.
    if (POLICY_OPERATIONS.has(operation) && this.isBucketOwner(bucket, user)) return;
    const said = this.policySays(bucket.name, ctx, action, ctx.key);
    if (said === 'Deny') throw denied();
    if (said === 'Allow') return;
    if (need.bucket === 'owner' || need.bucket === undefined) {
      if (this.isBucketOwner(bucket, user)) return;
      throw denied();
    }
    if (!this.bucketAllows(bucket, user, need.bucket)) throw denied();
  }

  /**
   * Checks a permission on an object (for its own operation, or as a copy source). A missing
   * object is AccessDenied unless the requester may list the bucket, as in S3, so the handler's
   * 404 tells nothing to whoever may not know.
   */
  async checkObject(
    ctx: S3Context,
    bucket: BucketInfo,
    key: string,
    versionId: string | undefined,
    permission: Permission,
    action: string,
  ): Promise<ObjectInfo | undefined> {
    const user = requesterOf(ctx);
    let info: ObjectInfo | undefined;
    try {
      info = await this.layer.versions.resolve(bucket.name, key, versionId);
    } catch (error) {
      if (!(error instanceof S3Error) || error.status !== 404) throw error;
    }
    const said = this.policySays(bucket.name, ctx, action, key, info);
    if (said === 'Deny') throw denied();
    if (!info) {
      const list = this.policySays(bucket.name, ctx, 's3:ListBucket');
      if (list === 'Deny') throw denied();
      if (said === 'Allow' || list === 'Allow') return;
      if (this.bucketAllows(bucket, user, 'READ')) return;
      throw denied();
    }
    if (said === 'Allow') return info;
    if (this.objectAllows(bucket, info, user, permission)) return info;
    throw denied();
  }

  /**
   * A form upload (POST object) as the PutObject of `key` by `identity`, the signer of its policy
   * (or anonymous for an unsigned form): the bucket policy, then WRITE on the bucket's ACL, as for
   * PutObject. `headers` are the form's fields as request headers (its ACL, refused when the
   * bucket's ACLs are disabled).
   */
  async authorizeFormUpload(
    ctx: S3Context,
    identity: Identity,
    key: string,
    headers: IncomingHttpHeaders,
  ): Promise<void> {
    const signed: S3Context = { ...ctx, identity, key };
    const bucket = await this.layer.bucket(ctx.bucket!, '');
    this.checkAclAllowed(signed, bucket.name, headers);
    const asked = aclFromHeaders(headers, this.users);
    this.checkPublicAcl(bucket.name, asked.acl, asked.grants);
    const said = this.policySays(bucket.name, signed, 's3:PutObject', key, undefined, headers);
    if (said === 'Deny') throw denied();
    if (said === 'Allow') return;
    if (!this.bucketAllows(bucket, requesterOf(signed), 'WRITE')) throw denied();
  }

  /** The object the check of this request resolved, once (a retry looks it up again). */
  takeResolved(ctx: S3Context): ObjectInfo | undefined {
    const info = this.resolved.get(ctx);
    this.resolved.delete(ctx);
    return info;
  }

  /** The copy source of CopyObject/UploadPartCopy: the requester needs READ on it. */
  async checkCopySource(
    ctx: S3Context,
    bucket: string,
    key: string,
    versionId: string | undefined,
  ): Promise<void> {
    if (!isValidBucketName(bucket)) await this.layer.bucket(bucket, ''); // throws: no bucket to read
    let info: BucketInfo;
    try {
      info = await this.layer.bucket(bucket, '');
    } catch {
      return;
    }
    await this.checkObject(
      ctx,
      info,
      key,
      versionId,
      'READ',
      versionId ? 's3:GetObjectVersion' : 's3:GetObject',
    );
  }

  /** Checks one key of a DeleteObjects request as a DeleteObject. */
  async checkDelete(ctx: S3Context, key: string, versionId: string | undefined): Promise<void> {
    const bucket = await this.layer.bucket(ctx.bucket!, '');
    const said = this.policySays(
      bucket.name,
      ctx,
      versionId ? 's3:DeleteObjectVersion' : 's3:DeleteObject',
      key,
    );
    if (said === 'Deny') throw denied();
    if (said === 'Allow') return;
    if (!this.bucketAllows(bucket, requesterOf(ctx), 'WRITE')) throw denied();
  }
}

/** The requester as ACLs see it: undefined for an unsigned request. */
export function requesterOf(ctx: S3Context): Requester {
  return ctx.identity.accessKey === undefined ? undefined : ctx.identity.user;
}

/**
 * A request's values of the policy condition keys (policy-conditions.ts): headers, query
 * parameters, the requester, and the tags of the object it addresses (`s3:ExistingObjectTag/<tag>`)
 * or of an `x-amz-tagging` header (`s3:RequestObjectTag/<tag>`).
 */
function conditionValues(ctx: S3Context, headers: IncomingHttpHeaders, info: ObjectInfo | undefined) {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  return (written: string): string | undefined => {
    const key = written.toLowerCase();
    if (HEADER_CONDITION_KEYS.has(key)) return header(key.slice(3));
    if (key.startsWith('s3:existingobjecttag/')) {
      const tag = written.slice('s3:ExistingObjectTag/'.length);
      return info?.tags.find((t) => t.key === tag)?.value;
    }
    if (key.startsWith('s3:requestobjecttag/')) {
      const tag = written.slice('s3:RequestObjectTag/'.length);
      try {
        return tagsFromHeader(headers).find((t) => t.key === tag)?.value;
      } catch {
        return undefined; // the handler refuses the malformed header
      }
    }
    switch (key) {
      case 'aws:sourceip':
        return ctx.req.socket.remoteAddress ?? '';
      case 'aws:referer':
        return header('referer');
      case 'aws:useragent':
        return header('user-agent');
      case 'aws:securetransport':
        return String('encrypted' in ctx.req.socket && ctx.req.socket.encrypted === true);
      case 'aws:username':
        return requesterOf(ctx);
      case 's3:x-amz-copy-source': {
        // As `bucket/key`: decoded, without a leading slash or a ?versionId.
        const value = header('x-amz-copy-source');
        if (value === undefined) return undefined;
        const path = value.split('?')[0]!;
        try {
          return decodeURIComponent(path).replace(/^\//, '');
        } catch {
          return path.replace(/^\//, '');
        }
      }
      case 's3:prefix':
      case 's3:delimiter':
      case 's3:max-keys':
        return ctx.query.get(key.slice(3));
      case 's3:versionid':
        return ctx.query.get('versionId');
      default:
        return undefined;
    }
  };
}
