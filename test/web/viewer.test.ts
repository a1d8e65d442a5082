/**
 * The web UI acts as its viewer: browse and preview as the user of the token the browser sends
 * (HTTP Basic, the token as password), the anonymous user without one; every answer carries a
 * Content-Security-Policy; /login asks the browser for credentials.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '../support/cluster.js';

let cluster: TestCluster;
let bobToken: string;
let aliceToken: string;
const BOB_TEXT = 'only bob may read this';

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await request(`${cluster.master.webAddress}${path}`, { headers });
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
}

const basic = (token: string) => ({
  authorization: `Basic ${Buffer.from(`viewer:${token}`).toString('base64')}`,
});

async function createToken(user: string): Promise<string> {
  // SIMPLE on loopback: the caller names the superuser.
  const response = await request(`${cluster.master.webAddress}/api/v1/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tierfs-user': 'admin' },
    body: JSON.stringify({ user }),
  });
  expect(response.headers['cache-control']).toBe('no-store');
  return ((await response.body.json()) as { token: string }).token;
}

beforeAll(async () => {
  cluster = await startCluster();
  const write = async (user: string, path: string, text: string, mode: number) =>
    pipeline(Readable.from([Buffer.from(text)]), await cluster.client(user).createFile(path, { mode }));
  await write('bob', '/bob.txt', BOB_TEXT, 0o600);
  await write('bob', '/public.txt', 'everyone may read this', 0o644);
  bobToken = await createToken('bob');
  aliceToken = await createToken('alice');
});
afterAll(() => cluster.stop());

describe('the web UI as its viewer', () => {
  it('previews a 0600 file for its owner only; anonymous viewers see world-readable files', async () => {
    const anonymous = await get('/browse?path=/bob.txt');
    expect(anonymous.status).toBe(200);
    expect(anonymous.text).not.toContain(BOB_TEXT);
    expect(anonymous.text).toMatch(/No preview: Permission denied: user=anonymous/);
    const alice = await get('/browse?path=/bob.txt', basic(aliceToken));
    expect(alice.text).not.toContain(BOB_TEXT);
    expect(alice.text).toMatch(/No preview: Permission denied: user=alice/);
    const bob = await get('/browse?path=/bob.txt', basic(bobToken));
    expect(bob.text).toContain(BOB_TEXT);
    expect((await get('/browse?path=/public.txt')).text).toContain('everyone may read this');
  });

  it('refuses a wrong token instead of falling back to anonymous, and Basic credentials for changes', async () => {
    const wrong = await get('/browse?path=/public.txt', basic('tierfs_00000000_wrong'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic realm=/);
    const change = await request(`${cluster.master.webAddress}/api/v1/paths/mkdir`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...basic(bobToken) },
      body: JSON.stringify({ path: '/by-basic' }),
    });
    expect(change.statusCode).toBe(401);
    await change.body.dump();
  });

  it('/login challenges a browser without credentials and lets one with a token in', async () => {
    const challenge = await get('/login');
    expect(challenge.status).toBe(401);
    expect(challenge.headers['www-authenticate']).toMatch(/^Basic realm="tierfs/);
    const signedIn = await get('/login', basic(bobToken));
    expect(signedIn.status).toBe(302);
    expect(signedIn.headers.location).toBe('/overview');
  });

  it('sends a Content-Security-Policy without inline script or style on every answer', async () => {
    for (const path of ['/overview', '/browse', '/charts', '/logs', '/nope', '/api/v1/health', '/metrics']) {
      const csp = String((await get(path)).headers['content-security-policy']);
      expect(csp, path).toContain("default-src 'none'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("style-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain('unsafe-inline');
    }
    const pages = await Promise.all(['/overview', '/workers', '/charts'].map((p) => get(p)));
    for (const page of pages) {
      expect(page.text).not.toMatch(/\sstyle=|<script>|<script(?![^>]*\ssrc=)|\son[a-z]+=/);
    }
  });
});
