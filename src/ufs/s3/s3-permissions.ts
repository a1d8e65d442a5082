/**
 * Owner, group and mode of an S3 mount (seed 002, "Identity and Access Control of S3 Objects").
 *
 * With inherit.acl (the default) the account owner comes from ListBuckets and the bucket ACL's
 * grants to that owner set the owner bits: READ 0500, WRITE 0200, FULL_CONTROL 0700. The owner
 * name comes from owner.id.to.username.mapping ("id1=user1;id2=user2"), else the display name,
 * else the canonical id; the group is the owner. Otherwise, or when the ACL cannot be read (one
 * warning), the mode is default.mode (0700) and the owner empty. Per-object ACLs are ignored.
 */
import { GetBucketAclCommand, ListBucketsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Configuration } from '../../config/configuration.js';
import {
  UNDERFS_S3_DEFAULT_MODE,
  UNDERFS_S3_INHERIT_ACL,
  UNDERFS_S3_OWNER_ID_TO_USERNAME_MAPPING,
} from '../../config/keys/s3.js';
import { TierfsError } from '../../errors.js';
import { ufsLog } from '../log.js';
import type { ObjectPermissions } from '../object/object-store.js';
import { toS3Error } from './s3-errors.js';

const GRANT_BITS: Record<string, number> = { READ: 0o500, WRITE: 0o200, FULL_CONTROL: 0o700 };

export function parseOwnerMapping(text: string | undefined): Map<string, string> {
  const mapping = new Map<string, string>();
  for (const pair of (text ?? '').split(';')) {
    if (pair.trim() === '') continue;
    const at = pair.indexOf('=');
    if (at <= 0) {
      throw new TierfsError(
        'CONFIG_INVALID',
        `tierfs.underfs.s3.owner.id.to.username.mapping: '${pair}' is not id=user (expected "id1=user1;id2=user2")`,
      );
    }
    mapping.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
  }
  return mapping;
}

export interface AclGrant {
  readonly granteeId?: string;
  readonly permission?: string;
}

/** The owner bits the grants to `ownerId` give. */
export function modeFromGrants(grants: readonly AclGrant[], ownerId: string): number {
  let mode = 0;
  for (const grant of grants) {
    if (grant.granteeId === ownerId) mode |= GRANT_BITS[grant.permission ?? ''] ?? 0;
  }
  return mode;
}

export async function s3Permissions(
  client: S3Client,
  bucket: string,
  conf: Configuration,
): Promise<ObjectPermissions> {
  const defaults: ObjectPermissions = { owner: '', group: '', mode: conf.get(UNDERFS_S3_DEFAULT_MODE)! };
  const mapping = parseOwnerMapping(conf.get(UNDERFS_S3_OWNER_ID_TO_USERNAME_MAPPING));
  if (!conf.get(UNDERFS_S3_INHERIT_ACL)) return defaults;
  try {
    const account = await client.send(new ListBucketsCommand({})).catch((error) => {
      throw toS3Error(error, 'ListBuckets', bucket);
    });
    const acl = await client.send(new GetBucketAclCommand({ Bucket: bucket })).catch((error) => {
      throw toS3Error(error, 'GetBucketAcl', bucket);
    });
    const id = account.Owner?.ID ?? acl.Owner?.ID ?? '';
    const owner = mapping.get(id) || account.Owner?.DisplayName || acl.Owner?.DisplayName || id;
    const grants = (acl.Grants ?? []).map((g) => ({ granteeId: g.Grantee?.ID, permission: g.Permission }));
    return { owner, group: owner, mode: modeFromGrants(grants, id) };
  } catch (error) {
    ufsLog.warn(
      'could not read the S3 bucket owner and ACL; using tierfs.underfs.s3.default.mode (set tierfs.underfs.s3.inherit.acl=false to skip this)',
      { bucket, error: error instanceof Error ? error.message : String(error) },
    );
    return defaults;
  }
}
