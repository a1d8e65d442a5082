/**
 * S3 access control lists: grants (a grantee and a permission) from canned ACLs, `x-amz-grant-*`
 * headers and AccessControlPolicy documents, what a grant list allows a requester, and the
 * document GetBucketAcl/GetObjectAcl answer. Canonical user ids are the gateway's user names.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from './errors.js';
import { CANNED_ACLS, type CannedAcl } from './metadata-store.js';
import { childOf, listOf, textOf, type XmlNode } from './xml.js';

export const PERMISSIONS = ['FULL_CONTROL', 'READ', 'WRITE', 'READ_ACP', 'WRITE_ACP'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
const GROUPS = [ALL_USERS, AUTHENTICATED_USERS];

export type Grantee =
  | { readonly type: 'CanonicalUser'; readonly id: string }
  | { readonly type: 'Group'; readonly uri: string };

export interface Grant {
  readonly grantee: Grantee;
  readonly permission: Permission;
}

/** Who asks: a user name, or undefined for an anonymous (unsigned) request. */
export type Requester = string | undefined;

/** The grants a canned ACL stands for, on a resource owned by `owner` in a bucket owned by `bucketOwner`. */
export function cannedGrants(acl: CannedAcl, owner: string, bucketOwner = owner): Grant[] {
  const user = (id: string, permission: Permission): Grant => ({
    grantee: { type: 'CanonicalUser', id },
    permission,
  });
  const group = (uri: string, permission: Permission): Grant => ({
    grantee: { type: 'Group', uri },
    permission,
  });
  const grants = [user(owner, 'FULL_CONTROL')];
  switch (acl) {
    case 'public-read':
      grants.push(group(ALL_USERS, 'READ'));
      break;
    case 'public-read-write':
      grants.push(group(ALL_USERS, 'READ'), group(ALL_USERS, 'WRITE'));
      break;
    case 'authenticated-read':
      grants.push(group(AUTHENTICATED_USERS, 'READ'));
      break;
    case 'bucket-owner-read':
      if (bucketOwner !== owner) grants.push(user(bucketOwner, 'READ'));
      break;
    case 'bucket-owner-full-control':
      if (bucketOwner !== owner) grants.push(user(bucketOwner, 'FULL_CONTROL'));
      break;
  }
  return grants;
}

/** Whether `grants` give `requester` the permission (FULL_CONTROL gives every one). */
export function grantsAllow(grants: readonly Grant[], requester: Requester, permission: Permission): boolean {
  return grants.some((grant) => {
    if (grant.permission !== permission && grant.permission !== 'FULL_CONTROL') return false;
    const g = grant.grantee;
    if (g.type === 'CanonicalUser') return requester !== undefined && g.id === requester;
    return g.uri === ALL_USERS || (g.uri === AUTHENTICATED_USERS && requester !== undefined);
  });
}

function one(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Checks a grantee a client named: a configured user, or one of the two groups. */
function checkGrantee(grantee: Grantee, users: ReadonlySet<string>): Grantee {
  if (grantee.type === 'CanonicalUser' && !users.has(grantee.id)) {
    throw new S3Error('InvalidArgument', `Invalid id: '${grantee.id}' is not a user of this gateway`);
  }
  if (grantee.type === 'Group' && !GROUPS.includes(grantee.uri)) {
    throw new S3Error('InvalidArgument', `Invalid group uri '${grantee.uri}': use ${GROUPS.join(' or ')}`);
  }
  return grantee;
}

function byEmail(): never {
  throw new S3Error(
    'UnresolvableGrantByEmailAddress',
    'The e-mail address you provided does not match any account on record: grant to id="<user>" instead',
  );
}

/** The order RGW reads `x-amz-grant-*` headers in, so grants keep that order (see aclDocument). */
const HEADER_ORDER: readonly Permission[] = ['READ', 'WRITE', 'READ_ACP', 'WRITE_ACP', 'FULL_CONTROL'];

/** Grants from `x-amz-grant-*` headers (`id="u", uri="..."`), or undefined when there are none. */
export function grantsFromHeaders(
  headers: IncomingHttpHeaders,
  users: ReadonlySet<string>,
): Grant[] | undefined {
  const grants: Grant[] = [];
  let any = false;
  for (const permission of HEADER_ORDER) {
    const value = one(headers, `x-amz-grant-${permission.toLowerCase().replace('_', '-')}`);
    if (value === undefined) continue;
    any = true;
    for (const part of value.split(',')) {
      const m = /^\s*(id|uri|emailAddress)\s*=\s*"?([^"]*)"?\s*$/i.exec(part);
      if (!m)
        throw new S3Error(
          'InvalidArgument',
          `Invalid grant '${part.trim()}': expected id="..." or uri="..."`,
        );
      const kind = m[1]!.toLowerCase();
      if (kind === 'emailaddress') byEmail();
      const grantee: Grantee =
        kind === 'id' ? { type: 'CanonicalUser', id: m[2]! } : { type: 'Group', uri: m[2]! };
      grants.push({ grantee: checkGrantee(grantee, users), permission });
    }
  }
  if (any && one(headers, 'x-amz-acl') !== undefined) {
    throw new S3Error('InvalidRequest', 'Specifying both Canned ACLs and Header Grants is not allowed');
  }
  return any ? grants : undefined;
}

/** The grants of an AccessControlPolicy document (a PutBucketAcl/PutObjectAcl body). */
export function grantsFromPolicy(policy: XmlNode, users: ReadonlySet<string>): Grant[] {
  const list = policy.AccessControlList === undefined ? {} : childOf(policy, 'AccessControlList');
  return listOf(list, 'Grant').map((grant) => {
    const permission = textOf(grant, 'Permission') as Permission;
    if (!PERMISSIONS.includes(permission)) {
      throw new S3Error(
        'MalformedACLError',
        `Invalid permission '${permission}': use one of ${PERMISSIONS.join(', ')}`,
      );
    }
    const node = childOf(grant, 'Grantee');
    const id = textOf(node, 'ID');
    const uri = textOf(node, 'URI');
    if (textOf(node, 'EmailAddress') !== undefined) byEmail();
    if (id === undefined && uri === undefined)
      throw new S3Error('MalformedACLError', 'A Grantee needs an ID or a URI');
    const grantee: Grantee = id !== undefined ? { type: 'CanonicalUser', id } : { type: 'Group', uri: uri! };
    return { grantee: checkGrantee(grantee, users), permission };
  });
}

/** The ACL a write or a Put*Acl asks for in its headers: a canned one, or explicit grants. */
export function aclFromHeaders(
  headers: IncomingHttpHeaders,
  users: ReadonlySet<string>,
): { acl: CannedAcl; grants: Grant[] | undefined } {
  const grants = grantsFromHeaders(headers, users);
  const canned = one(headers, 'x-amz-acl');
  return { acl: canned === undefined ? 'private' : cannedFromHeader(canned), grants };
}

/** The canned ACL of an `x-amz-acl` header (InvalidArgument for another value). */
export function cannedFromHeader(value: string): CannedAcl {
  if (!(CANNED_ACLS as readonly string[]).includes(value)) {
    throw new S3Error(
      'InvalidArgument',
      `Unsupported canned ACL '${value}'; use one of ${CANNED_ACLS.join(', ')}`,
    );
  }
  return value as CannedAcl;
}

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

/** A grant's place in an answered ACL: group grants first, then users by id (RGW's order). */
const grantOrder = (grant: Grant) => (grant.grantee.type === 'Group' ? '' : grant.grantee.id);

/**
 * The AccessControlPolicy document of an owner and its grants. The grants are listed as Ceph RGW
 * lists them (it keeps them in a map keyed by grantee id, a group's id being empty): group grants
 * first, then each user's, a grantee's own grants in the order they were given. S3 documents no
 * order; ceph/s3-tests' `check_grants` compares in this one.
 */
export function aclDocument(owner: string, grants: readonly Grant[]): XmlNode {
  const ordered = [...grants].sort((a, b) => {
    const [x, y] = [grantOrder(a), grantOrder(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return {
    Owner: { ID: owner, DisplayName: owner },
    AccessControlList: {
      Grant: ordered.map((grant) => ({
        Grantee:
          grant.grantee.type === 'CanonicalUser'
            ? {
                '@_xmlns:xsi': XSI,
                '@_xsi:type': 'CanonicalUser',
                ID: grant.grantee.id,
                DisplayName: grant.grantee.id,
              }
            : { '@_xmlns:xsi': XSI, '@_xsi:type': 'Group', URI: grant.grantee.uri },
        Permission: grant.permission,
      })),
    },
  };
}
