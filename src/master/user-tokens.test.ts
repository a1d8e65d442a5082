import { describe, expect, it } from 'vitest';
import { SqliteMetaStore } from '../meta/sqlite-store.js';
import { UserTokens } from './user-tokens.js';

describe('user tokens', () => {
  it('are kept as hashes, verify to their user until revoked, and refuse anything altered', async () => {
    const meta = new SqliteMetaStore(':memory:');
    const tokens = new UserTokens(meta);
    const created = await tokens.create('alice', ['alice', 'eng']);
    expect(created.token).toMatch(/^tierfs_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    expect(created.token).toContain(created.id);
    const stored = await meta.getToken(created.id);
    expect(JSON.stringify(stored)).not.toContain(created.token.slice(16));
    expect(JSON.stringify(await tokens.list())).not.toContain(created.token.slice(16));
    expect(await tokens.verify(created.token)).toEqual({ user: 'alice', groups: ['alice', 'eng'] });
    const last = created.token.at(-1) === 'A' ? 'B' : 'A';
    expect(await tokens.verify(`${created.token.slice(0, -1)}${last}`)).toBeUndefined();
    expect(await tokens.verify('tierfs_00000000_x')).toBeUndefined();
    await tokens.revoke(created.id);
    expect(await tokens.verify(created.token)).toBeUndefined();
    await expect(tokens.revoke(created.id)).rejects.toThrow(/no token with id/);
    await expect(tokens.create('bad user')).rejects.toThrow(/not a valid user name/);
    await meta.close();
  });
});

describe('token lifetimes', () => {
  it('an expired token is refused with an error saying when it expired; a live one can be refreshed', async () => {
    const meta = new SqliteMetaStore(':memory:');
    const tokens = new UserTokens(meta, 60_000);
    const lasting = await tokens.create('bob');
    expect(lasting.expiresMs! - lasting.createdMs).toBe(60_000);
    expect((await tokens.list()).map((t) => t.expiresMs)).toEqual([lasting.expiresMs]);

    const brief = await tokens.create('alice', ['eng'], 50);
    expect(await tokens.verify(brief.token)).toEqual({ user: 'alice', groups: ['eng'] });
    await new Promise((resolve) => setTimeout(resolve, 80));
    await expect(tokens.verify(brief.token)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringMatching(
        new RegExp(`token ${brief.id} of alice expired at ${new Date(brief.expiresMs!).toISOString()}`),
      ),
    });
    await expect(tokens.refresh(brief.token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });

    const refreshed = await tokens.refresh(lasting.token);
    expect(refreshed.id).not.toBe(lasting.id);
    expect([refreshed.user, refreshed.groups]).toEqual(['bob', ['bob']]);
    expect(await tokens.verify(refreshed.token)).toEqual({ user: 'bob', groups: ['bob'] });
    expect(await tokens.verify(lasting.token)).toBeUndefined();

    const forever = await tokens.create('carol', [], 0);
    expect(forever.expiresMs).toBeUndefined();
    await expect(tokens.create('dave', [], -1)).rejects.toThrow(/lifetime is a whole number of milliseconds/);
    await meta.close();
  });
});
