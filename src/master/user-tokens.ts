/**
 * User tokens for TOKEN authentication: `tierfs_<id>_<secret>`, where the id is short and public
 * (listed, named by revoke) and the secret is 32 random bytes. The metadata store keeps only the
 * SHA-256 of the whole token, so a copy of the database lets nobody in. A token expires after its
 * lifetime (`tierfs.security.authentication.token.lifetime` unless its creator gives another);
 * its holder may trade it, while it lives, for a new one with a fresh lifetime (`refresh`).
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
  /** When it stops being accepted; absent: never. */
  readonly expiresMs?: number;
}

export interface CreatedToken extends TokenInfo {
  /** The token itself: shown this once, never stored. */
  readonly token: string;
}

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function infoOf(record: TokenRecord): TokenInfo {
  return {
    id: record.id,
    user: record.user,
    groups: [...record.groups],
    createdMs: record.createdMs,
    ...(record.expiresMs === undefined ? {} : { expiresMs: record.expiresMs }),
  };
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
  /** `lifetimeMs`: how long a token lives unless its creator says otherwise; 0: forever. */
  constructor(
    private readonly meta: MetaStore,
    private readonly lifetimeMs = 0,
  ) {}

  /** Makes a token for a user (its groups default to the user's own name), living `lifetimeMs`. */
  async create(
    user: string,
    groups: readonly string[] = [],
    lifetimeMs = this.lifetimeMs,
  ): Promise<CreatedToken> {
    checkName('user', user);
    for (const group of groups) checkName('group', group);
    if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs < 0) {
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `a token lifetime is a whole number of milliseconds, 0 for none, got ${lifetimeMs}`,
      );
    }
    const id = randomBytes(4).toString('hex');
    const token = `tierfs_${id}_${randomBytes(32).toString('base64url')}`;
    const now = Date.now();
    const record: TokenRecord = {
      id,
      hash: hashOf(token),
      user,
      groups: groups.length > 0 ? [...new Set(groups)] : [user],
      createdMs: now,
      ...(lifetimeMs > 0 ? { expiresMs: now + lifetimeMs } : {}),
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

  /**
   * The caller a presented token stands for; undefined for anything that is not a token made here
   * and not revoked. An expired one is refused with UNAUTHENTICATED saying so.
   */
  async verify(token: string): Promise<Caller | undefined> {
    const record = await this.recordOf(token);
    if (!record) return undefined;
    if (record.expiresMs !== undefined && record.expiresMs <= Date.now()) {
      throw new TierfsError(
        'UNAUTHENTICATED',
        `the token ${record.id} of ${record.user} expired at ${new Date(record.expiresMs).toISOString()}: ` +
          'ask the superuser for a new one (`tierfs auth token create`), and refresh it before it expires ' +
          '(`tierfs auth token refresh`)',
      );
    }
    return { user: record.user, groups: [...record.groups] };
  }

  /**
   * A new token for the holder of a live one, for the same user and groups with a fresh lifetime
   * (the configured one); the presented token is revoked.
   */
  async refresh(token: string): Promise<CreatedToken> {
    const caller = await this.verify(token);
    const record = await this.recordOf(token);
    if (!caller || !record) {
      throw new TierfsError(
        'UNAUTHENTICATED',
        'only a valid user token can be refreshed (Authorization: Bearer <token>)',
      );
    }
    const created = await this.create(record.user, record.groups);
    await this.meta.removeToken(record.id);
    return created;
  }

  private async recordOf(token: string): Promise<TokenRecord | undefined> {
    const id = TOKEN_PATTERN.exec(token)?.[1];
    if (id === undefined) return undefined;
    const record = await this.meta.getToken(id);
    if (!record) return undefined;
    const presented = Buffer.from(hashOf(token), 'hex');
    const stored = Buffer.from(record.hash, 'hex');
    if (presented.length !== stored.length || !timingSafeEqual(presented, stored)) return undefined;
    return record;
  }
}
