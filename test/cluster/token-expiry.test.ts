/**
 * User tokens expire: a master in TOKEN mode with a short token lifetime
 * (`tierfs.security.authentication.token.lifetime`) issues tokens that work, can be refreshed by
 * their holder over HTTP (the old one revoked), and once expired are refused with an
 * UNAUTHENTICATED error saying when the token expired.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TierfsClient } from '../../src/client/client.js';
import { callJson } from '../../src/cluster/rpc.js';
import { layoutOf } from '../../src/config/layout.js';
import type { CreatedToken } from '../../src/master/user-tokens.js';
import { startCluster, type TestCluster } from '../support/cluster.js';

let cluster: TestCluster;
let secret: string;
beforeAll(async () => {
  cluster = await startCluster({
    'tierfs.security.authentication.type': 'TOKEN',
    'tierfs.security.authentication.token.lifetime': '3s',
  });
  secret = readFileSync(layoutOf(cluster.conf).clusterTokenFile, 'utf8').trim();
});
afterAll(() => cluster?.stop());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('user tokens with a lifetime', () => {
  it('work until they expire, refresh into a new one, and are refused with a clear error once expired', async () => {
    const master = cluster.master.rpcAddress;
    const created = await callJson<CreatedToken>('POST', `${master}/api/v1/auth/tokens`, {
      headers: bearer(secret),
      body: { user: 'alice' },
    });
    expect(created.expiresMs! - created.createdMs).toBe(3000);
    const alice = new TierfsClient({ masterAddress: master, token: created.token });
    expect((await alice.getStatus('/')).isDirectory).toBe(true);

    const refreshed = await callJson<CreatedToken>('POST', `${master}/api/v1/auth/tokens/refresh`, {
      headers: bearer(created.token),
      body: {},
    });
    expect([refreshed.user, refreshed.id === created.id]).toEqual(['alice', false]);
    await expect(alice.getStatus('/')).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringMatching(/unknown or revoked/),
    });
    const renewed = new TierfsClient({ masterAddress: master, token: refreshed.token });
    expect((await renewed.getStatus('/')).isDirectory).toBe(true);

    await new Promise((resolve) => setTimeout(resolve, refreshed.expiresMs! - Date.now() + 100));
    await expect(renewed.getStatus('/')).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringMatching(
        new RegExp(
          `token ${refreshed.id} of alice expired at ${new Date(refreshed.expiresMs!).toISOString()}`,
        ),
      ),
    });
    // An expired token cannot refresh itself either.
    await expect(
      callJson('POST', `${master}/api/v1/auth/tokens/refresh`, {
        headers: bearer(refreshed.token),
        body: {},
      }),
    ).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/expired at/) });
  });
});
