/**
 * User tokens for TOKEN authentication: `tierfs_<id>_<secret>`, where the id is short and public
 * (listed, named by revoke) and the secret is 32 random bytes. The metadata store keeps only the
 * SHA-256 of the whole token, so a copy of the database lets nobody in.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { TierfsError } from '../errors.js';
import type { MetaStore, TokenRecord } from '../meta/store.js';
import type { Caller } from '../namespace/permissions.js';

const TOKEN_PATTERN = /^tierfs_([0-9a-f]{8})_[A-Za-z0-9_-]{43}$/;
const USER_PATTERN = /^[^\s,:/]{1,128}$/;

/** What `list` shows and `create` answers: never the hash. */
export interface TokenInfo {
  readonly id: string;
  readonly user: string;
  readonly groups: readonly string[];
  readonly createdMs: number;
}

export interface CreatedToken extends TokenInfo {
  /** The token itself: shown this once, never stored. */
  readonly token: string;
}

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function infoOf(record: TokenRecord): TokenInfo {
  return { id: record.id, user: record.user, groups: [...record.groups], createdMs: record.createdMs };
}

function checkName(kind: string, name: string): string {
  if (!USER_PATTERN.test(name)) {
    throw new TierfsError(
      'INVALID_ARGUMENT',
      `'${name}' is not a valid ${kind} name (1 to 128 characters, no spaces, commas, colons or slashes)`,
    );
  }
  return name;
}

export class UserTokens {
  constructor(private readonly meta: MetaStore) {}

  /** Makes a token for a user (its groups default to the user's own name). */
  async create(user: string, groups: readonly string[] = []): Promise<CreatedToken> {
    checkName('user', user);
    for (const group of groups) checkName('group', group);
    const id = randomBytes(4).toString('hex');
    const token = `tierfs_${id}_${randomBytes(32).toString('base64url')}`;
    const record: TokenRecord = {
      id,
      hash: hashOf(token),
      user,
      groups: groups.length > 0 ? [...new Set(groups)] : [user],
      createdMs: Date.now(),
    };
    await this.meta.putToken(record);
    return { ...infoOf(record), token };
  }

  async list(): Promise<TokenInfo[]> {
    return (await this.meta.listTokens()).map(infoOf);
  }

  async revoke(id: string): Promise<void> {
    if (!(await this.meta.removeToken(id))) throw new TierfsError('NOT_FOUND', `no token with id ${id}`);
  }

  /** The caller a presented token stands for; undefined for anything that is not a live token. */
  async verify(token: string): Promise<Caller | undefined> {
    const id = TOKEN_PATTERN.exec(token)?.[1];
    if (id === undefined) return undefined;
    const record = await this.meta.getToken(id);
    if (!record) return undefined;
    const presented = Buffer.from(hashOf(token), 'hex');
    const stored = Buffer.from(record.hash, 'hex');
    if (presented.length !== stored.length || !timingSafeEqual(presented, stored)) return undefined;
    return { user: record.user, groups: [...record.groups] };
  }
}
