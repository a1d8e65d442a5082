/**
 * Run inside a fresh network namespace (`unshare -n node netns-auth-probe.mjs`) by
 * test/cluster/authentication.test.ts: brings `lo` up with an extra address 10.77.0.1, starts a
 * master from dist/ bound to 0.0.0.0 in TOKEN mode, and calls it from 10.77.0.1 (not loopback):
 * every route of both ports without a token and with a wrong one, then as a user token's user,
 * with the real `tierfs` CLI as well. Prints one JSON object with what it saw.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { Agent, request } from 'undici';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'tierfs.js');
const REMOTE = '10.77.0.1';
const { Configuration } = await import(join(ROOT, 'dist/config/configuration.js'));
const { formatCluster } = await import(join(ROOT, 'dist/master/format.js'));
const { Master } = await import(join(ROOT, 'dist/master/master.js'));
const { layoutOf } = await import(join(ROOT, 'dist/config/layout.js'));

execFileSync('ip', ['link', 'set', 'lo', 'up']);
execFileSync('ip', ['addr', 'add', `${REMOTE}/32`, 'dev', 'lo']);

const home = mkdtempSync(join(tmpdir(), 'tierfs-netns-'));
const values = {
  'tierfs.work.dir': home,
  'tierfs.master.mount.table.root.ufs': join(home, 'underFSStorage'),
  'tierfs.master.hostname': REMOTE,
  'tierfs.master.bind.host': '0.0.0.0',
  'tierfs.master.web.bind.host': '0.0.0.0',
  'tierfs.master.rpc.port': '0',
  'tierfs.master.web.port': '0',
  'tierfs.proxy.s3.enabled': 'false',
  'tierfs.log.enabled': 'true',
  'tierfs.log.data.dir': join(home, 'log'),
  'tierfs.security.authentication.type': 'TOKEN',
};
const log = pino({ level: 'silent' });
const conf = Configuration.of(values);
await formatCluster(conf);
const secret = readFileSync(layoutOf(conf).clusterTokenFile, 'utf8').trim();
const master = await Master.start(conf, { log, superUser: 'admin' });
const ports = { rpc: master.rpcAddress, web: master.webAddress };
// Every call leaves from 10.77.0.1: the master sees a caller that is not on loopback.
const dispatcher = new Agent({ connect: { localAddress: REMOTE } });

async function call(port, method, url, { token, body, headers = {} } = {}) {
  const response = await request(`${ports[port]}${url}`, {
    method,
    dispatcher,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.body.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.statusCode, body: parsed };
}

/** A plausible request for a route: its path parameters filled, a JSON body for changes. */
function sample(route) {
  const url = route.url.replace(/:(\w+)/g, 'x').replace(/\*$/, 'x');
  const withQuery = url.includes('?') ? url : `${url}?path=/`;
  const body = ['POST', 'PUT', 'DELETE', 'PATCH'].includes(route.method) ? { path: '/' } : undefined;
  return { url: withQuery, body };
}

const unauthenticated = [];
for (const route of master.routes) {
  if (route.method === 'OPTIONS') continue;
  const { url, body } = sample(route);
  const none = await call(route.port, route.method, url, { body });
  const wrong = await call(route.port, route.method, url, { body, token: 'tierfs_0000_wrong' });
  const named = await call(route.port, route.method, url, { body, headers: { 'x-tierfs-user': 'admin' } });
  unauthenticated.push({
    port: route.port,
    method: route.method,
    url: route.url,
    statuses: [none.status, wrong.status, named.status],
    leaked: [none, wrong, named].some((r) => JSON.stringify(r.body).includes(secret)),
  });
}

/** Runs the real CLI from this host; a daemon that starts instead of refusing is stopped after 20s. */
function tierfs(args, env = {}) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        BIN,
        `-Dtierfs.work.dir=${home}`,
        `-Dtierfs.master.hostname=${REMOTE}`,
        `-Dtierfs.master.rpc.port=${new URL(ports.rpc).port}`,
        ...args,
      ],
      { env: { PATH: process.env.PATH, HOME: home, ...env }, timeout: 20_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (error.code ?? 1) : 0,
          stdout,
          stderr: error?.killed ? `${stderr}(still running after 20s: killed)` : stderr,
        }),
    );
  });
}

// The CLI on this host makes a token with the cluster secret `format` wrote; it prints the token.
const created = await tierfs(['auth', 'token', 'create', 'alice']);
const alice = created.stdout.trim();
const listed = await tierfs(['auth', 'token', 'list']);

// The superuser (a daemon with the cluster secret) makes a private directory.
await call('rpc', 'POST', '/api/v1/paths/mkdir', { token: secret, body: { path: '/private' } });
await call('rpc', 'POST', '/api/v1/paths/set-attribute', {
  token: secret,
  body: { path: '/private', mode: 0o700 },
});

const asAlice = {
  rpcMkdir: await call('rpc', 'POST', '/api/v1/paths/mkdir', { token: alice, body: { path: '/alice-rpc' } }),
  webMkdir: await call('web', 'POST', '/api/v1/paths/mkdir', { token: alice, body: { path: '/alice-web' } }),
  impersonatingMkdir: await call('rpc', 'POST', '/api/v1/paths/mkdir', {
    token: alice,
    body: { path: '/alice-as-admin' },
    headers: { 'x-tierfs-user': 'admin', 'x-tierfs-groups': 'supergroup' },
  }),
  rpcPrivate: await call('rpc', 'GET', '/api/v1/paths/list?path=/private', { token: alice }),
  webPrivate: await call('web', 'GET', '/api/v1/paths/list?path=/private', { token: alice }),
  impersonatingPrivate: await call('rpc', 'GET', '/api/v1/paths/list?path=/private', {
    token: alice,
    headers: { 'x-tierfs-user': 'admin' },
  }),
  mount: await call('rpc', 'POST', '/api/v1/mounts', {
    token: alice,
    body: { path: '/private/etc', ufsUri: '/etc' },
  }),
  tokens: await call('rpc', 'GET', '/api/v1/auth/tokens', { token: alice }),
  browsePrivate: await call('web', 'GET', '/browse?path=/private', { token: alice }),
};
const asDaemon = await call('rpc', 'GET', '/api/v1/paths/list?path=/private', { token: secret });
const cliWithToken = await tierfs(['fs', 'ls', '/'], { TIERFS_TOKEN: alice });
const cliWithoutToken = await tierfs(['fs', 'ls', '/']);
// alice trades her token for a new one: the old one stops working, the new one works.
const refreshed = await tierfs(['auth', 'token', 'refresh'], { TIERFS_TOKEN: alice });
const cliWithOldToken = await tierfs(['fs', 'ls', '/'], { TIERFS_TOKEN: alice });
const cliWithRefreshedToken = await tierfs(['fs', 'ls', '/'], { TIERFS_TOKEN: refreshed.stdout.trim() });

await master.stop();

// SIMPLE bound beyond loopback: the real daemon refuses to start, in one line.
const simple = await tierfs([
  '-Dtierfs.security.authentication.type=SIMPLE',
  '-Dtierfs.master.bind.host=0.0.0.0',
  `-Dtierfs.master.mount.table.root.ufs=${join(home, 'underFSStorage')}`,
  '-Dtierfs.proxy.s3.enabled=false',
  '-Dtierfs.master.web.port=0',
  '-Dtierfs.master.rpc.port=0',
  'process',
  'master',
]);

console.log(
  JSON.stringify({
    routes: unauthenticated,
    created: {
      code: created.code,
      stdoutLines: created.stdout.trim().split('\n').length,
      stderr: created.stderr,
    },
    refreshed: {
      code: refreshed.code,
      stdoutLines: refreshed.stdout.trim().split('\n').length,
      stderr: refreshed.stderr,
      sameToken: refreshed.stdout.trim() === alice,
    },
    cliWithOldToken: { code: cliWithOldToken.code, stderr: cliWithOldToken.stderr },
    cliWithRefreshedToken: { code: cliWithRefreshedToken.code, stdout: cliWithRefreshedToken.stdout },
    alicePrefix: alice.slice(0, 7),
    listed: { code: listed.code, stdout: listed.stdout, showsToken: listed.stdout.includes(alice) },
    asAlice,
    asDaemon,
    cliWithToken,
    cliWithoutToken,
    simple,
  }),
);
rmSync(home, { recursive: true, force: true });
process.exit(0);
