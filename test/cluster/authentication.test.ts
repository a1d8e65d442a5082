/**
 * Authentication seen from another machine: a master bound to 0.0.0.0 in TOKEN mode, inside a
 * network namespace this test makes (`unshare -n`, an extra address 10.77.0.1 on its `lo`), called
 * from 10.77.0.1. The calls are made by test/support/netns-auth-probe.mjs (on dist/: build first),
 * which prints what it saw as JSON.
 */
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const PROBE = fileURLToPath(new URL('../support/netns-auth-probe.mjs', import.meta.url));

interface Answer {
  readonly status: number;
  readonly body: unknown;
}
interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}
interface Probe {
  routes: { port: string; method: string; url: string; statuses: number[]; leaked: boolean }[];
  created: { code: number; stdoutLines: number; stderr: string };
  alicePrefix: string;
  listed: { code: number; stdout: string; showsToken: boolean };
  asAlice: Record<string, Answer>;
  asDaemon: Answer;
  cliWithToken: CliRun;
  cliWithoutToken: CliRun;
  refreshed: { code: number; stdoutLines: number; stderr: string; sameToken: boolean };
  cliWithOldToken: { code: number; stderr: string };
  cliWithRefreshedToken: { code: number; stdout: string };
  simple: CliRun;
}

function unshareAvailable(): string | undefined {
  try {
    execFileSync('unshare', ['-n', 'true'], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `\`unshare -n\` does not work here (${(error as Error).message.split('\n')[0]}): this test needs util-linux's unshare and root (or CAP_SYS_ADMIN) to make a network namespace`;
  }
}

let probe: Probe;

beforeAll(async () => {
  const missing = unshareAvailable();
  if (missing) throw new Error(missing);
  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      'unshare',
      ['-n', process.execPath, PROBE],
      { maxBuffer: 16 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`the probe failed: ${stderr}`)) : resolve(stdout)),
    );
  });
  probe = JSON.parse(output) as Probe;
}, 150_000);

describe('a master bound to 0.0.0.0 in TOKEN mode, called from 10.77.0.1', () => {
  it('refuses every route of the RPC and web ports without a token, with a wrong one and with a named user', () => {
    const ports = new Set(probe.routes.map((r) => r.port));
    expect(ports).toEqual(new Set(['rpc', 'web']));
    // The routes are the master's own list, not a hand-picked few: these are among them.
    const listed = probe.routes.map((r) => `${r.port} ${r.method} ${r.url}`);
    expect(listed).toEqual(
      expect.arrayContaining([
        'rpc POST /api/v1/mounts',
        'rpc POST /api/v1/paths/open',
        'rpc POST /api/v1/workers/heartbeat',
        'rpc GET /api/v1/topics/messages',
        'rpc POST /api/v1/auth/tokens',
        'web DELETE /api/v1/mounts',
        'web GET /browse',
        'web GET /metrics',
        'web GET /api/v1/configuration',
      ]),
    );
    expect(probe.routes.length).toBeGreaterThan(60);
    const accepted = probe.routes.filter((r) => r.statuses.some((s) => s !== 401));
    expect(accepted).toEqual([]);
    expect(probe.routes.filter((r) => r.leaked)).toEqual([]);
  });

  it('acts as the user of a token on both ports; x-tierfs-user from a non-superuser token is ignored', () => {
    const { asAlice } = probe;
    expect(asAlice.rpcMkdir).toMatchObject({ status: 200, body: { path: '/alice-rpc', owner: 'alice' } });
    expect(asAlice.webMkdir).toMatchObject({ status: 200, body: { path: '/alice-web', owner: 'alice' } });
    expect(asAlice.impersonatingMkdir).toMatchObject({
      status: 200,
      body: { owner: 'alice', group: 'alice' },
    });
    for (const name of ['rpcPrivate', 'webPrivate', 'impersonatingPrivate']) {
      expect(asAlice[name], name).toMatchObject({
        status: 403,
        body: { code: 'PERMISSION_DENIED', message: expect.stringContaining('user=alice') },
      });
    }
    expect(asAlice.mount).toMatchObject({ status: 403, body: { code: 'PERMISSION_DENIED' } });
    expect(asAlice.tokens).toMatchObject({ status: 403, body: { code: 'PERMISSION_DENIED' } });
    expect(asAlice.browsePrivate?.status).toBe(403);
    expect(probe.asDaemon).toMatchObject({ status: 200, body: { entries: [] } });
  });

  it('`tierfs auth token create` prints the token once; list never shows it; the CLI uses TIERFS_TOKEN', () => {
    expect(probe.created).toMatchObject({ code: 0, stdoutLines: 1 });
    expect(probe.created.stderr).toMatch(/^Created token [0-9a-f]{8} for alice/);
    expect(probe.alicePrefix).toBe('tierfs_');
    expect(probe.listed.code).toBe(0);
    expect(probe.listed.stdout).toMatch(
      /^ID\s+USER\s+GROUPS\s+CREATED\s+EXPIRES\n[0-9a-f]{8}\s+alice\s+alice\s+\d{4}-\S+\s+\d{4}-/,
    );
    expect(probe.listed.showsToken).toBe(false);
    expect(probe.cliWithToken.code).toBe(0);
    expect(probe.cliWithToken.stdout).toMatch(/alice\s+alice\s.*\/alice-rpc/);
    expect(probe.cliWithoutToken.code).toBe(1);
    expect(probe.cliWithoutToken.stderr).toMatch(
      /^tierfs: authentication is TOKEN: send Authorization: Bearer/,
    );
    expect(probe.cliWithoutToken.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('`tierfs auth token refresh` trades the token it logs in with for a new one; the old one is revoked', () => {
    expect(probe.refreshed).toMatchObject({ code: 0, stdoutLines: 1, sameToken: false });
    expect(probe.refreshed.stderr).toMatch(/^Refreshed: token [0-9a-f]{8} for alice \(expires \d{4}-/);
    expect(probe.cliWithOldToken.code).toBe(1);
    expect(probe.cliWithOldToken.stderr).toMatch(/unknown or revoked/);
    expect(probe.cliWithRefreshedToken.code).toBe(0);
    expect(probe.cliWithRefreshedToken.stdout).toMatch(/alice-rpc/);
  });

  it('in SIMPLE, the master refuses to start beyond loopback and says so in one line', () => {
    expect(probe.simple.code).toBe(1);
    const lines = probe.simple.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^tierfs: the master refuses to listen beyond loopback \(tierfs\.master\.bind\.host=0\.0\.0\.0\) with tierfs\.security\.authentication\.type=SIMPLE.*tierfs\.security\.authentication\.simple\.remote\.enabled=true/,
    );
  });
});
