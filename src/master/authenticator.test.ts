import { describe, expect, it } from 'vitest';
import { isTierfsError } from '../errors.js';
import type { Caller } from '../namespace/permissions.js';
import {
  type AuthenticationType,
  Authenticator,
  type AuthenticatorOptions,
  type AuthRequest,
  isLoopback,
} from './authenticator.js';
import { checkBindings, isLoopbackHost } from './bind-policy.js';

const SECRET = 'cluster-secret-0123456789';
const TOKENS: Record<string, Caller> = {
  'alice-token': { user: 'alice', groups: ['alice', 'eng'] },
  'ops-token': { user: 'olga', groups: ['olga', 'supergroup'] },
  'root-token': { user: 'admin', groups: ['admin'] },
};

function authenticator(type: AuthenticationType, more: Partial<AuthenticatorOptions> = {}) {
  return new Authenticator({
    type,
    superUser: 'admin',
    superGroup: 'supergroup',
    clusterSecret: SECRET,
    verifyToken: async (token) => TOKENS[token],
    simpleRemoteEnabled: false,
    ...more,
  });
}

function request(from: string, headers: Record<string, string> = {}, method = 'GET'): AuthRequest {
  return { method, headers, socket: { remoteAddress: from } };
}

const bearer = (token: string, more: Record<string, string> = {}) => ({
  authorization: `Bearer ${token}`,
  ...more,
});

/** `user:group,group`, or the error code. */
async function outcome(auth: Authenticator, req: AuthRequest): Promise<string> {
  try {
    const caller = await auth.authenticate(req);
    return `${caller.user}:${caller.groups.join(',')}`;
  } catch (error) {
    return isTierfsError(error) ? error.code : `thrown ${String(error)}`;
  }
}

const REMOTE = '10.1.2.3';
const LOCAL = '127.0.0.1';

describe('authenticator', () => {
  it('knows loopback addresses and loopback bind hosts', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['10.0.0.1', '::ffff:10.0.0.1', '', '1.127.0.0'].some(isLoopback)).toBe(false);
    expect(['127.0.0.1', 'localhost', '::1', '[::1]'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', 'master.example.com', ''].some(isLoopbackHost)).toBe(false);
  });

  it('TOKEN: no token is refused everywhere, loopback included; a token is its user', async () => {
    const auth = authenticator('TOKEN');
    expect(await outcome(auth, request(REMOTE))).toBe('UNAUTHENTICATED');
    expect(await outcome(auth, request(LOCAL))).toBe('UNAUTHENTICATED');
    expect(await outcome(auth, request(LOCAL, { 'x-tierfs-user': 'admin' }))).toBe('UNAUTHENTICATED');
    expect(await outcome(auth, request(REMOTE, bearer('alice-token')))).toBe('alice:alice,eng');
    expect(await outcome(auth, request(REMOTE, bearer('nope')))).toBe('UNAUTHENTICATED');
    expect(await outcome(auth, request(REMOTE, { authorization: 'alice-token' }))).toBe('UNAUTHENTICATED');
  });

  it('a non-superuser token cannot name another user or groups: the header is ignored', async () => {
    const auth = authenticator('TOKEN');
    const impersonating = bearer('alice-token', {
      'x-tierfs-user': 'admin',
      'x-tierfs-groups': 'supergroup',
    });
    expect(await outcome(auth, request(REMOTE, impersonating))).toBe('alice:alice,eng');
  });

  it('the superuser, a supergroup member and the cluster secret may impersonate', async () => {
    const auth = authenticator('TOKEN');
    const as = (token: string) => request(REMOTE, bearer(token, { 'x-tierfs-user': 'bob' }));
    expect(await outcome(auth, as('root-token'))).toBe('bob:bob');
    expect(await outcome(auth, as('ops-token'))).toBe('bob:bob');
    expect(await outcome(auth, as(SECRET))).toBe('bob:bob');
    expect(await outcome(auth, request(REMOTE, bearer(SECRET)))).toBe('admin:admin');
    expect(await outcome(auth, request(REMOTE, bearer('ops-token')))).toBe('olga:olga,supergroup');
    expect(await outcome(auth, request(REMOTE, bearer(`${SECRET}x`)))).toBe('UNAUTHENTICATED');
  });

  it('SIMPLE believes a named user (default anonymous) from loopback only, unless opted in', async () => {
    const simple = authenticator('SIMPLE');
    expect(await outcome(simple, request(LOCAL, { 'x-tierfs-user': 'bob' }))).toBe('bob:bob');
    expect(await outcome(simple, request('::1', { 'x-tierfs-user': 'bob', 'x-tierfs-groups': 'a,b' }))).toBe(
      'bob:a,b',
    );
    expect(await outcome(simple, request(LOCAL))).toBe('anonymous:anonymous');
    expect(await outcome(simple, request(REMOTE, { 'x-tierfs-user': 'admin' }))).toBe('UNAUTHENTICATED');
    expect(await outcome(simple, request(REMOTE))).toBe('UNAUTHENTICATED');
    expect(await outcome(simple, request(REMOTE, bearer('alice-token')))).toBe('alice:alice,eng');
    const opted = authenticator('SIMPLE', { simpleRemoteEnabled: true });
    expect(await outcome(opted, request(REMOTE, { 'x-tierfs-user': 'bob' }))).toBe('bob:bob');
  });

  it('NOSASL serves loopback only, opt-in or not', async () => {
    const nosasl = authenticator('NOSASL', { simpleRemoteEnabled: true });
    expect(await outcome(nosasl, request(LOCAL))).toBe('anonymous:anonymous');
    expect(await outcome(nosasl, request(REMOTE, { 'x-tierfs-user': 'bob' }))).toBe('UNAUTHENTICATED');
  });

  it('says what would be right', async () => {
    const fail = (auth: Authenticator, req: AuthRequest) => auth.authenticate(req).then(() => 'allowed');
    await expect(fail(authenticator('TOKEN'), request(LOCAL))).rejects.toThrow(
      /Authorization: Bearer <token>.*tierfs auth token create <user>/,
    );
    await expect(fail(authenticator('SIMPLE'), request(REMOTE))).rejects.toThrow(
      /tierfs\.security\.authentication\.simple\.remote\.enabled=true/,
    );
    await expect(fail(authenticator('TOKEN'), request(REMOTE, bearer('nope')))).rejects.toThrow(
      /unknown or revoked/,
    );
  });
});

describe('the web port', () => {
  const web = (type: AuthenticationType, adminToken?: string) =>
    authenticator(type, { acceptBasic: true, ...(adminToken ? { adminToken } : {}) });
  const basic = (password: string) => ({
    authorization: `Basic ${Buffer.from(`anyone:${password}`).toString('base64')}`,
  });

  it('the admin token is a superuser token that may impersonate; only on the port it is set for', async () => {
    expect(await outcome(web('TOKEN', 't'), request(REMOTE, bearer('t')))).toBe('admin:admin');
    expect(await outcome(web('TOKEN', 't'), request(REMOTE, bearer('t', { 'x-tierfs-user': 'bob' })))).toBe(
      'bob:bob',
    );
    expect(await outcome(authenticator('TOKEN'), request(REMOTE, bearer('t')))).toBe('UNAUTHENTICATED');
    expect(await outcome(web('SIMPLE', 't'), request(LOCAL, bearer('u')))).toBe('UNAUTHENTICATED');
  });

  it('with the admin token set, changes need a token even from loopback; reads follow the mode', async () => {
    const auth = web('SIMPLE', 't');
    expect(await outcome(auth, request(LOCAL, {}, 'POST'))).toBe('UNAUTHENTICATED');
    expect(await outcome(auth, request(LOCAL, { 'x-tierfs-user': 'admin' }, 'DELETE'))).toBe(
      'UNAUTHENTICATED',
    );
    expect(await outcome(auth, request(LOCAL, bearer('alice-token'), 'POST'))).toBe('alice:alice,eng');
    expect(await outcome(auth, request(LOCAL))).toBe('anonymous:anonymous');
    expect(await outcome(auth, request(REMOTE))).toBe('UNAUTHENTICATED');
    expect(await outcome(web('SIMPLE'), request(LOCAL, {}, 'POST'))).toBe('anonymous:anonymous');
  });

  it('takes a token as Basic password for reads only (a browser), never on the RPC port', async () => {
    const auth = web('TOKEN');
    expect(await outcome(auth, request(REMOTE, basic('alice-token')))).toBe('alice:alice,eng');
    expect(await outcome(auth, request(REMOTE, basic('alice-token'), 'POST'))).toBe('UNAUTHENTICATED');
    expect(await outcome(auth, request(REMOTE, basic('wrong')))).toBe('UNAUTHENTICATED');
    expect(await outcome(authenticator('TOKEN'), request(REMOTE, basic('alice-token')))).toBe(
      'UNAUTHENTICATED',
    );
  });
});

describe('where the master may listen', () => {
  const open = [{ key: 'tierfs.master.bind.host', host: '0.0.0.0' }];
  const local = [{ key: 'tierfs.master.bind.host', host: '127.0.0.1' }];

  it('SIMPLE beyond loopback needs the opt-in; NOSASL never; TOKEN always may', () => {
    expect(() => checkBindings('SIMPLE', false, open)).toThrow(
      /tierfs\.master\.bind\.host=0\.0\.0\.0.*tierfs\.security\.authentication\.type=TOKEN.*simple\.remote\.enabled=true/,
    );
    expect(() => checkBindings('SIMPLE', true, open)).not.toThrow();
    expect(() => checkBindings('NOSASL', true, open)).toThrow(/NOSASL/);
    expect(() => checkBindings('TOKEN', false, open)).not.toThrow();
    expect(() => checkBindings('SIMPLE', false, local)).not.toThrow();
  });
});

describe('tierfs.security.authentication.type', () => {
  it('refuses CUSTOM with one CONFIG_INVALID line naming TOKEN', async () => {
    const { Configuration } = await import('../config/configuration.js');
    const { SECURITY_AUTHENTICATION_TYPE } = await import('../config/keys/core.js');
    let failure: unknown;
    try {
      Configuration.of({ 'tierfs.security.authentication.type': 'CUSTOM' }).require(
        SECURITY_AUTHENTICATION_TYPE,
      );
    } catch (error) {
      failure = error;
    }
    expect(isTierfsError(failure, 'CONFIG_INVALID')).toBe(true);
    expect((failure as Error).message).toMatch(/'CUSTOM'.*not supported: use TOKEN/);
    expect((failure as Error).message).not.toContain('\n');
    expect(
      Configuration.of({ 'tierfs.security.authentication.type': 'token' }).require(
        SECURITY_AUTHENTICATION_TYPE,
      ),
    ).toBe('TOKEN');
  });
});
