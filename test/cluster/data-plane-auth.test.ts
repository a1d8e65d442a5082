/**
 * The worker's data port serves capabilities, not claims: every way a caller without the right
 * capability might read or write through it is refused, logged, and changes nothing.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ListedFile, TierfsClient } from '../../src/client/client.js';
import { CAPABILITY_HEADER, USER_HEADER } from '../../src/cluster/auth.js';
import { UNKNOWN_PAGE } from '../../src/cluster/batch-read.js';
import {
  type Capability,
  CapabilitySigner,
  decodeCapability,
  decodePageCapability,
  macOf,
  type PageFile,
  type WriteCapability,
} from '../../src/cluster/capability.js';
import type { OpenFileResponse, OpenListResult } from '../../src/cluster/wire.js';
import { layoutOf } from '../../src/config/layout.js';
import { readStream } from '../../src/ufs/io.js';
import { MAX_PAGES } from '../../src/worker/page-capabilities.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';

let cluster: TestCluster;
let admin: TierfsClient;
let mallory: TierfsClient;
let signer: CapabilitySigner;
let readOnlyDir: string;

async function write(client: TierfsClient, path: string, text: string, writeType = 'CACHE_THROUGH') {
  const out = await client.createFile(path, { writeType: writeType as never, overwrite: true });
  await pipeline(Readable.from([Buffer.from(text)]), out);
}

const text = async (client: TierfsClient, path: string) =>
  (await readStream(await client.openFile(path))).toString();

/** A capability as the master hands it out, to the user named. */
async function opened(path: string, user: string): Promise<OpenFileResponse> {
  const response = await request(`${cluster.master.rpcAddress}/api/v1/paths/open`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [USER_HEADER]: user },
    body: JSON.stringify({ path }),
  });
  expect(response.statusCode).toBe(200);
  return (await response.body.json()) as OpenFileResponse;
}

/** A raw request to the worker's data port; the status and the error code it answered. */
async function data(
  method: 'GET' | 'PUT',
  query: Record<string, string | number>,
  capability?: string,
  body?: string,
): Promise<{ status: number; code?: string; text: string }> {
  const search = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
  const response = await request(`${cluster.worker.address}/data?${search}`, {
    method,
    headers: {
      ...(capability === undefined ? {} : { [CAPABILITY_HEADER]: capability }),
      ...(body === undefined ? {} : { 'content-type': 'application/octet-stream' }),
    },
    ...(body === undefined ? {} : { body }),
  });
  const out = await response.body.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(out) as { code?: string }).code;
  } catch {
    code = undefined;
  }
  return { status: response.statusCode, code, text: out };
}

/** A token with the payload changed and the original MAC kept. */
function tampered(token: string, change: Partial<Capability>): string {
  const [prefix, , mac] = token.split('.');
  const payload = Buffer.from(JSON.stringify({ ...decodeCapability(token), ...change })).toString(
    'base64url',
  );
  return `${prefix}.${payload}.${mac}`;
}

/** A listing page with page capabilities, as the master hands it to the user named. */
async function openList(path: string, user: string): Promise<OpenListResult> {
  const response = await request(`${cluster.master.rpcAddress}/api/v1/paths/open-list`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [USER_HEADER]: user },
    body: JSON.stringify({ path, pageCapability: true }),
  });
  expect(response.statusCode).toBe(200);
  return (await response.body.json()) as OpenListResult;
}

/** A page token with its files changed and the original MAC kept. */
function tamperedPage(token: string, change: (files: (PageFile | null)[]) => void): string {
  const [prefix, , mac] = token.split('.');
  const page = decodePageCapability(token);
  const files = [...page.files];
  change(files);
  return `${prefix}.${Buffer.from(JSON.stringify({ ...page, files })).toString('base64url')}.${mac}`;
}

/** mallory's file capability for her own file, which is no page capability. */
let ownCapability = '';
const own = () => ownCapability;

const refusals = () =>
  readFileSync(join(cluster.home, 'test.log'), 'utf8').split('data request refused').length - 1;

beforeAll(async () => {
  cluster = await startCluster();
  admin = cluster.client();
  mallory = cluster.client('mallory');
  signer = new CapabilitySigner(readFileSync(layoutOf(cluster.conf).clusterTokenFile, 'utf8').trim());
  await admin.mkdir('/home', { recursive: true });
  await admin.setAttribute('/home', { mode: 0o777 });
  await write(admin, '/victim.csv', '1,100');
  await admin.setAttribute('/victim.csv', { mode: 0o600 });
  expect(await text(admin, '/victim.csv')).toBe('1,100'); // cached now
  await write(mallory, '/home/mallory.csv', 'mine');
  ownCapability = (await opened('/home/mallory.csv', 'mallory')).capability;
  readOnlyDir = join(cluster.home, 'readonly-store');
  mkdirSync(readOnlyDir);
  writeFileSync(join(readOnlyDir, 'kept.txt'), 'kept');
  await admin.mount('/ro', `file://${readOnlyDir}`, { readOnly: true });
});
afterAll(() => cluster.stop());

describe("the worker's data port", () => {
  it('refuses a read without a capability, and logs it', async () => {
    const victim = await admin.getStatus('/victim.csv');
    const before = refusals();
    const answer = await data('GET', { contentId: victim.contentId, offset: 0, length: 5 });
    expect(answer).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(answer.text).not.toContain('1,100');
    // The log is written asynchronously (pino): the refusal's line arrives shortly after the answer.
    await eventually(() => refusals() === before + 1, 'the refusal to be logged');
  });

  it('refuses forged capabilities: a changed payload, another secret, garbage', async () => {
    const victim = await admin.getStatus('/victim.csv');
    const own = await opened('/home/mallory.csv', 'mallory');
    const forgeries = [
      tampered(own.capability, { path: '/victim.csv', contentId: victim.contentId, size: 5 }),
      new CapabilitySigner('another cluster secret of enough length').sign({
        ...(decodeCapability(own.capability) as Capability & { access: 'read' }),
        contentId: victim.contentId,
        path: '/victim.csv',
      }),
      'v1.e30.AAAA',
      'not a capability',
    ];
    for (const forged of forgeries) {
      const answer = await data('GET', { contentId: victim.contentId, offset: 0, length: 5 }, forged);
      expect(answer).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
      expect(answer.text).not.toContain('1,100');
    }
  });

  it('refuses an expired capability', async () => {
    const own = await opened('/home/mallory.csv', 'mallory');
    const expired = signer.sign({ ...decodeCapability(own.capability), expiresMs: Date.now() - 1 });
    const answer = await data('GET', { contentId: own.status.contentId, offset: 0, length: 4 }, expired);
    expect(answer).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(answer.text).toContain('expired');
  });

  it('refuses a capability used for another content id than the one it names', async () => {
    const victim = await admin.getStatus('/victim.csv');
    const own = await opened('/home/mallory.csv', 'mallory');
    const answer = await data('GET', { contentId: victim.contentId, offset: 0, length: 5 }, own.capability);
    expect(answer).toMatchObject({ status: 403, code: 'PERMISSION_DENIED' });
  });

  it('refuses a write with a read capability, and nothing changes', async () => {
    const own = await opened('/home/mallory.csv', 'mallory');
    const answer = await data('PUT', { contentId: own.status.contentId }, own.capability, 'overwritten');
    expect(answer).toMatchObject({ status: 403, code: 'PERMISSION_DENIED' });
    expect(await text(mallory, '/home/mallory.csv')).toBe('mine');
    expect(readFileSync(join(cluster.ufs, 'home', 'mallory.csv'), 'utf8')).toBe('mine');
  });

  it('refuses a write to a read-only mount even with a validly signed capability', async () => {
    const capability: WriteCapability = {
      access: 'write',
      path: '/ro/kept.txt',
      mountPath: '/ro',
      ufsPath: 'kept.txt',
      contentId: 'c0ffee00c0ffee00c0ffee00c0ffee00',
      writeType: 'THROUGH',
      user: 'admin',
      expiresMs: Date.now() + 60_000,
    };
    const answer = await data(
      'PUT',
      { contentId: capability.contentId },
      signer.sign(capability),
      'clobbered',
    );
    expect(answer).toMatchObject({ status: 403, code: 'READ_ONLY' });
    expect(readFileSync(join(readOnlyDir, 'kept.txt'), 'utf8')).toBe('kept');
  });

  it("cannot poison another file's cache: the victim keeps reading its own bytes", async () => {
    const victim = await admin.getStatus('/victim.csv');
    // Mallory may not open the victim's file at all.
    await expect(mallory.openFile('/victim.csv')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    // Her own write capability, aimed at the victim's content id, is refused...
    const create = await request(`${cluster.master.rpcAddress}/api/v1/paths/create-file`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [USER_HEADER]: 'mallory' },
      body: JSON.stringify({ path: '/home/poison.csv', writeType: 'MUST_CACHE' }),
    });
    const { capability } = (await create.body.json()) as { capability: string };
    const aimed = await data('PUT', { contentId: victim.contentId }, capability, '1,999999');
    expect(aimed).toMatchObject({ status: 403, code: 'PERMISSION_DENIED' });
    // ...and so is the same capability rewritten to name the victim's content id.
    const rewritten = tampered(capability, { contentId: victim.contentId, path: '/victim.csv' });
    expect(await data('PUT', { contentId: victim.contentId }, rewritten, '1,999999')).toMatchObject({
      status: 401,
    });
    expect(await text(admin, '/victim.csv')).toBe('1,100');
    expect(readFileSync(join(cluster.ufs, 'victim.csv'), 'utf8')).toBe('1,100');
  });

  it('takes a write capability once: a replay after the file completed is refused', async () => {
    const create = await request(`${cluster.master.rpcAddress}/api/v1/paths/create-file`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [USER_HEADER]: 'mallory' },
      body: JSON.stringify({ path: '/home/once.csv', writeType: 'MUST_CACHE' }),
    });
    const { status, capability } = (await create.body.json()) as {
      status: { contentId: string };
      capability: string;
    };
    const first = await data('PUT', { contentId: status.contentId }, capability, 'first');
    expect(first.status).toBe(200);
    const { receipt } = JSON.parse(first.text) as { receipt: string };
    const complete = await request(`${cluster.master.rpcAddress}/api/v1/paths/complete-file`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [USER_HEADER]: 'mallory' },
      body: JSON.stringify({ capability, receipt }),
    });
    expect(complete.statusCode).toBe(200);
    await complete.body.text();
    expect(await data('PUT', { contentId: status.contentId }, capability, 'again')).toMatchObject({
      status: 409,
      code: 'CONFLICT',
    });
    expect(await text(mallory, '/home/once.csv')).toBe('first');
  });
});

describe('batched reads (POST /data/batch)', () => {
  /** The frames of a batch answer by read index: the bytes, or the error code. */
  async function batch(
    reads: object[],
    pages?: string[],
  ): Promise<{ status: number; raw: string; frames: Map<number, string> }> {
    const response = await request(`${cluster.worker.address}/data/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reads, ...(pages ? { pages } : {}) }),
    });
    const body = Buffer.from(await response.body.arrayBuffer());
    const frames = new Map<number, string>();
    if (response.statusCode !== 200) return { status: response.statusCode, raw: body.toString(), frames };
    for (let at = 0; at < body.length; ) {
      const headerLength = body.readUInt32BE(at);
      const header = JSON.parse(body.subarray(at + 4, at + 4 + headerLength).toString()) as {
        i: number;
        length?: number;
        error?: { code: string };
      };
      at += 4 + headerLength;
      const bytes = body.subarray(at, at + (header.length ?? 0));
      at += header.length ?? 0;
      frames.set(header.i, header.error ? `error ${header.error.code}` : bytes.toString());
    }
    return { status: 200, raw: body.toString(), frames };
  }

  it("checks each read's capability: the good one is served, every forged or misused one refused and logged", async () => {
    const victim = await admin.getStatus('/victim.csv');
    const own = await opened('/home/mallory.csv', 'mallory');
    const read = (capability: string, contentId: string) => ({ capability, contentId, offset: 0, length: 5 });
    const writeCapability = signer.sign({
      ...(decodeCapability(own.capability) as Capability),
      access: 'write',
      writeType: 'MUST_CACHE',
    } as WriteCapability);
    const before = refusals();
    const answer = await batch([
      read(own.capability, own.status.contentId),
      read(
        tampered(own.capability, { path: '/victim.csv', contentId: victim.contentId, size: 5 }),
        victim.contentId,
      ),
      read(own.capability, victim.contentId),
      read(
        signer.sign({ ...decodeCapability(own.capability), expiresMs: Date.now() - 1 }),
        own.status.contentId,
      ),
      read(writeCapability, own.status.contentId),
      { contentId: victim.contentId, offset: 0, length: 5 },
    ]);
    expect(answer.status).toBe(200);
    expect([...answer.frames.entries()].sort((a, b) => a[0] - b[0])).toEqual([
      [0, 'mine'],
      [1, 'error UNAUTHENTICATED'],
      [2, 'error PERMISSION_DENIED'],
      [3, 'error UNAUTHENTICATED'],
      [4, 'error PERMISSION_DENIED'],
      [5, 'error UNAUTHENTICATED'],
    ]);
    expect(answer.raw).not.toContain('1,100');
    await eventually(() => refusals() === before + 5, 'the five refusals to be logged');
  });

  it('takes page capabilities: a read names one by MAC and index once a batch brought it; a forged, unknown or unrelated one, or a file it does not grant, is refused', async () => {
    const root = await openList('/', 'mallory');
    const home = await openList('/home', 'mallory');
    expect(root.capabilities).toEqual([]);
    const victimAt = root.entries.findIndex((e) => e.path === '/victim.csv');
    const mineAt = home.entries.findIndex((e) => e.path === '/home/mallory.csv');
    const victim = root.entries[victimAt]!;
    const mine = home.entries[mineAt]!;
    const [rootToken] = root.pageCapabilities!;
    const [homeToken] = home.pageCapabilities!;
    // mallory may not read the victim: the page grants nothing at its index.
    expect(decodePageCapability(rootToken!).files[victimAt]).toBeNull();
    const named = (token: string, index: number, contentId: string) => ({
      page: macOf(token),
      index,
      contentId,
      offset: 0,
      length: 5,
    });
    const before = refusals();
    // Named before any batch brought it: the worker does not hold it, and says so.
    const unknown = await batch([named(homeToken!, mineAt, mine.contentId)]);
    expect(unknown.frames.get(0)).toBe('error UNAUTHENTICATED');
    expect(unknown.raw).toContain(UNKNOWN_PAGE);
    // Brought once, then named by its MAC alone.
    expect((await batch([named(homeToken!, mineAt, mine.contentId)], [homeToken!])).frames.get(0)).toBe(
      'mine',
    );
    expect((await batch([named(homeToken!, mineAt, mine.contentId)])).frames.get(0)).toBe('mine');
    // A page token with its payload changed to grant the victim: a MAC not known yet, and forged.
    const grant: PageFile = {
      ...decodePageCapability(homeToken!).files[mineAt]!,
      path: '/victim.csv',
      contentId: victim.contentId,
    };
    const forgedRoot = tamperedPage(rootToken!, (files) => {
      files[victimAt] = grant;
    });
    // The same change to a page the worker holds: it serves what it checked, not what is presented.
    const forgedHome = tamperedPage(homeToken!, (files) => {
      files[mineAt] = grant;
    });
    const refused = await batch(
      [
        named(forgedRoot, victimAt, victim.contentId),
        named(forgedHome, mineAt, victim.contentId),
        named(homeToken!, mineAt, victim.contentId),
        named(homeToken!, mineAt + 1000, victim.contentId),
        named(own(), 0, mine.contentId),
      ],
      [forgedRoot, forgedHome, own()],
    );
    expect(refused.status).toBe(200);
    expect([...refused.frames.entries()].sort((a, b) => a[0] - b[0])).toEqual([
      [0, 'error UNAUTHENTICATED'],
      [1, 'error PERMISSION_DENIED'],
      [2, 'error PERMISSION_DENIED'],
      [3, 'error PERMISSION_DENIED'],
      [4, 'error UNAUTHENTICATED'],
    ]);
    expect(refused.raw).not.toContain('1,100');
    // The real root page, brought at last: still no victim in it.
    const victimRead = await batch([named(rootToken!, victimAt, victim.contentId)], [rootToken!]);
    expect(victimRead.frames.get(0)).toBe('error PERMISSION_DENIED');
    await eventually(() => refusals() === before + 7, 'the seven refusals to be logged');
  });

  it('a client whose page capability the worker no longer holds sends it again, and opens nothing', async () => {
    const files: ListedFile[] = [];
    for await (const file of mallory.listForRead('/home')) files.push(file);
    const mine = files.find((f) => f.status.path === '/home/mallory.csv')!;
    expect(mine.capability).toBeUndefined();
    expect(mine.page).toBeDefined();
    expect((await readStream(await mallory.readListed(mine))).toString()).toBe('mine');
    // Other page capabilities push it out of the worker's (bounded) store of them.
    const filler = (n: number) =>
      signer.signPage({
        access: 'read-page',
        user: 'mallory',
        expiresMs: Date.now() + 60_000 + n,
        files: [],
      });
    for (let from = 0; from < MAX_PAGES; from += 64) {
      const tokens = Array.from({ length: 64 }, (_, k) => filler(from + k));
      await batch([{ page: macOf(tokens[0]!), index: 0, contentId: 'x', offset: 0, length: 1 }], tokens);
    }
    const opens = vi.spyOn(mallory, 'openFile');
    expect((await readStream(await mallory.readListed(mine))).toString()).toBe('mine');
    expect(opens).not.toHaveBeenCalled();
    opens.mockRestore();
  });

  it('listForRead gives no page grant for a file the caller may not read: reading it opens it, and the master refuses', async () => {
    const files: ListedFile[] = [];
    for await (const file of mallory.listForRead('/')) files.push(file);
    const victim = files.find((f) => f.status.path === '/victim.csv')!;
    expect(victim.page).toBeUndefined();
    expect(victim.capability).toBeUndefined();
    await expect(mallory.readListed(victim)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it('refuses a batch that is not a list of 1 to 256 reads, and a read longer than 1 MiB', async () => {
    const own = await opened('/home/mallory.csv', 'mallory');
    for (const reads of [[], Array.from({ length: 257 }, () => ({}))]) {
      const answer = await batch(reads);
      expect(answer.status).toBe(400);
      expect(answer.raw).toContain('1 to 256 reads');
    }
    const long = await batch([
      { capability: own.capability, contentId: own.status.contentId, offset: 0, length: 2 * 1024 * 1024 },
    ]);
    expect(long.frames.get(0)).toBe('error INVALID_ARGUMENT');
  });
});

describe('completing a file', () => {
  async function started(user: string, path: string) {
    const create = await request(`${cluster.master.rpcAddress}/api/v1/paths/create-file`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [USER_HEADER]: user },
      body: JSON.stringify({ path, writeType: 'MUST_CACHE', overwrite: true }),
    });
    const { status, capability } = (await create.body.json()) as {
      status: { contentId: string };
      capability: string;
    };
    const put = await data('PUT', { contentId: status.contentId }, capability, '12345');
    return { capability, receipt: (JSON.parse(put.text) as { receipt: string }).receipt };
  }

  async function complete(user: string, body: object) {
    const response = await request(`${cluster.master.rpcAddress}/api/v1/paths/complete-file`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [USER_HEADER]: user },
      body: JSON.stringify(body),
    });
    return {
      status: response.statusCode,
      body: (await response.body.json()) as { code?: string; size?: number },
    };
  }

  it("takes the size from the worker's signed receipt, not from the client", async () => {
    const { capability, receipt } = await started('mallory', '/home/sized.csv');
    const [prefix, payload, mac] = receipt.split('.');
    const bigger = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), size: 1_000_000 }),
    ).toString('base64url');
    expect(await complete('mallory', { capability, receipt: `${prefix}.${bigger}.${mac}` })).toMatchObject({
      status: 401,
      body: { code: 'UNAUTHENTICATED' },
    });
    expect(await complete('mallory', { capability, receipt })).toMatchObject({
      status: 200,
      body: { size: 5 },
    });
  });

  it("refuses another user's write capability", async () => {
    const { capability, receipt } = await started('admin', '/home/admins.csv');
    expect(await complete('mallory', { capability, receipt })).toMatchObject({
      status: 403,
      body: { code: 'PERMISSION_DENIED' },
    });
  });
});
