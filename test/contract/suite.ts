/**
 * The one behaviour suite every UnderStore driver must pass (local, S3, OSS, Kodo, ...).
 *
 * A driver's test file calls `describeUnderStoreContract(name, target, DRIVER_CAPABILITIES)`. Tests
 * are skipped only by the declared capabilities and by `target.heavy`; never by driver name.
 * Every test gets a fresh, empty store from `target.newStore()` and closes it afterwards.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ErrorCode, isTierfsError, type TierfsError } from '../../src/errors.js';
import type {
  CreateOptions,
  ListOptions,
  ListPage,
  OpenOptions,
  UfsStatus,
  UfsWriteStream,
  UnderStore,
  UnderStoreCapabilities,
} from '../../src/ufs/contract.js';
import { abortWrite, readFile, writeFile } from '../../src/ufs/io.js';
import { forEachLimited } from '../../src/ufs/object/concurrency.js';
import { baseName, parentPath } from '../../src/ufs/path.js';
import { walk } from '../../src/ufs/walk.js';

export interface ContractTarget {
  /** Creates a store rooted at a fresh, empty location (called once per test, so tests are isolated). */
  newStore(): Promise<UnderStore>;
  /** Optional: removes what newStore made (called once, after the whole suite). */
  cleanup?(): Promise<void>;
  /** Small page size used for pagination-boundary tests (default 5). */
  pageSize?: number;
  /** Run the big tests (multi-MiB files, > maxListPageSize listings). Default true. */
  heavy?: boolean;
}

// ---------------------------------------------------------------------------------------------------
// Helpers (exported so that other suites, e.g. the gateway dialects, can reuse them)
// ---------------------------------------------------------------------------------------------------

export type EntryKind = 'file' | 'dir';
/** Expected listing: path relative to the store root → kind. */
export type Tree = Record<string, EntryKind>;

const KiB = 1024;
const MiB = 1024 * KiB;
/** A listing that needs more pages than this is taken to be looping. */
const MAX_PAGES = 10_000;
const HEAVY_TIMEOUT_MS = 300_000;
const WRITE_CONCURRENCY = 16;

/** Reproducible pseudo-random bytes: the AES-256-CTR keystream keyed by the seed. */
export function randomBuffer(size: number, seed: string | number): Buffer {
  const key = createHash('sha256').update(`tierfs-contract:${seed}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function describeValue(value: unknown): string {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return `${value.name}${code === undefined ? '' : ` [${String(code)}]`}: ${value.message}`;
  }
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Releases a stream that an operation returned although it was expected to reject. */
async function dispose(value: unknown): Promise<void> {
  if (value instanceof Writable) {
    value.on('error', () => undefined);
    await abortWrite(value);
  } else if (value instanceof Readable) {
    value.on('error', () => undefined);
    value.destroy();
  }
}

function checkError(error: unknown, codes: readonly ErrorCode[]): TierfsError {
  const wanted = codes.join(' or ');
  if (!isTierfsError(error)) {
    return expect.unreachable(`expected a TierfsError ${wanted}, got ${describeValue(error)}`);
  }
  if (!codes.includes(error.code)) {
    return expect.unreachable(`expected a TierfsError ${wanted}, got ${error.code}: ${error.message}`);
  }
  return error;
}

/**
 * Asserts that the operation rejects with a TierfsError of one of the codes. Pass a function to also
 * accept a synchronous throw. A value it resolves with (a stream) is released before failing.
 */
export async function expectCode(
  action: PromiseLike<unknown> | (() => PromiseLike<unknown>),
  code: ErrorCode | readonly ErrorCode[],
): Promise<TierfsError> {
  const codes: readonly ErrorCode[] = typeof code === 'string' ? [code] : code;
  let value: unknown;
  try {
    value = await (typeof action === 'function' ? action() : action);
  } catch (error) {
    return checkError(error, codes);
  }
  await dispose(value);
  return expect.unreachable(`expected a rejection with ${codes.join(' or ')}, but it resolved`);
}

/** Splits a buffer into chunks of `size` bytes (none for an empty buffer). */
function chunksOf(data: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) chunks.push(data.subarray(at, at + size));
  return chunks;
}

/** Writes `data` as a file in chunks of `chunkSize` bytes through `pipeline`. */
export async function writeChunked(
  store: UnderStore,
  path: string,
  data: Buffer,
  chunkSize: number,
  options?: CreateOptions,
): Promise<void> {
  const out = await store.create(path, options);
  await pipeline(Readable.from(chunksOf(data, chunkSize)), out);
}

/**
 * Asserts that writing `data` at `path` fails with one of the codes, either from `create()` or
 * from the write itself (the contract only requires ALREADY_EXISTS to come from `create()`).
 */
async function expectWriteCode(
  store: UnderStore,
  path: string,
  data: Buffer,
  options: CreateOptions,
  codes: readonly ErrorCode[],
): Promise<void> {
  let out: UfsWriteStream;
  try {
    out = await store.create(path, options);
  } catch (error) {
    checkError(error, codes);
    return;
  }
  try {
    await expectCode(pipeline(Readable.from(chunksOf(data, 64 * KiB)), out), codes);
  } finally {
    await abortWrite(out);
  }
}

function writeChunk(stream: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}

async function endWrite(stream: Writable): Promise<void> {
  stream.end();
  await finished(stream);
}

/** Writes every file (content = its path, unless given) with bounded concurrency. */
async function writeFiles(
  store: UnderStore,
  files: readonly string[] | Record<string, Buffer | string>,
): Promise<void> {
  const entries: [string, Buffer | string][] = Array.isArray(files)
    ? files.map((path: string): [string, string] => [path, path])
    : Object.entries(files);
  await forEachLimited(entries, WRITE_CONCURRENCY, ([path, data]) => writeFile(store, path, data));
}

function kindOf(status: UfsStatus): EntryKind {
  return status.isDirectory ? 'dir' : 'file';
}

/** The files plus every directory they imply, strictly below `under`. */
export function treeOf(files: readonly string[], under = ''): Tree {
  const tree: Tree = {};
  for (const file of files) {
    tree[file] = 'file';
    for (let dir = parentPath(file); dir !== under && dir !== ''; dir = parentPath(dir)) tree[dir] = 'dir';
  }
  return tree;
}

/** Checks what every listed entry must satisfy, whatever the listing. */
function expectWellFormed(dir: string, entries: readonly UfsStatus[], recursive: boolean): void {
  for (const entry of entries) {
    expect(entry.path, 'entry path has no leading or trailing slash').not.toMatch(/^\/|\/$/);
    expect(entry.name, `name of entry '${entry.path}'`).toBe(baseName(entry.path));
    expect(entry.name, `name of entry '${entry.path}'`).not.toBe('');
    if (recursive) {
      expect(dir === '' || entry.path.startsWith(`${dir}/`), `'${entry.path}' lies below '${dir}'`).toBe(
        true,
      );
    } else {
      expect(parentPath(entry.path), `parent of entry '${entry.path}'`).toBe(dir);
    }
    if (entry.isDirectory) {
      expect(entry.size, `size of directory '${entry.path}'`).toBe(0);
    } else {
      expect(Number.isInteger(entry.size) && entry.size >= 0, `size of '${entry.path}'`).toBe(true);
      expect(entry.fingerprint, `fingerprint of '${entry.path}'`).not.toBe('');
    }
  }
}

/** Every page of a listing, following continuation tokens. */
export async function listPages(
  store: UnderStore,
  path: string,
  options: Omit<ListOptions, 'continuationToken'> = {},
): Promise<ListPage[]> {
  const pages: ListPage[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.list(path, { ...options, continuationToken });
    pages.push(page);
    continuationToken = page.continuationToken;
    if (continuationToken !== undefined) {
      expect(
        typeof continuationToken === 'string' && continuationToken !== '',
        'token is a non-empty string',
      ).toBe(true);
    }
    expect(pages.length, `listing '${path}' does not terminate`).toBeLessThan(MAX_PAGES);
  } while (continuationToken !== undefined);
  return pages;
}

/** Every entry of a listing (all pages), checked for well-formedness. */
export async function listAll(
  store: UnderStore,
  path: string,
  options: Omit<ListOptions, 'continuationToken'> = {},
): Promise<UfsStatus[]> {
  const entries = (await listPages(store, path, options)).flatMap((page) => page.entries);
  expectWellFormed(path, entries, options.recursive ?? false);
  return entries;
}

/** A listing as a Tree, failing on duplicates. */
export async function listTree(store: UnderStore, path: string, recursive = true): Promise<Tree> {
  const tree: Tree = {};
  for (const entry of await listAll(store, path, { recursive })) {
    expect(tree[entry.path], `'${entry.path}' listed more than once`).toBeUndefined();
    tree[entry.path] = kindOf(entry);
  }
  return tree;
}

/** The paths of the files (not directories) in a recursive listing, sorted. */
export async function listFiles(store: UnderStore, path: string): Promise<string[]> {
  const entries = await listAll(store, path, { recursive: true });
  return entries
    .filter((entry) => !entry.isDirectory)
    .map((entry) => entry.path)
    .sort();
}

/**
 * Walks a listing page by page and checks the pagination rules: no page above `limit` entries; a
 * token is present exactly while entries remain (the one tolerance: when the entry count is a
 * non-zero multiple of the page size, the page with the last entries may carry a token whose page is
 * empty and final); no duplicates; the union equals `expected`. Returns the number of pages.
 */
async function expectPaged(
  store: UnderStore,
  path: string,
  options: { recursive?: boolean; pageSize?: number },
  limit: number,
  expected: Tree,
): Promise<number> {
  const total = Object.keys(expected).length;
  const seen: Tree = {};
  let count = 0;
  let pages = 0;
  let continuationToken: string | undefined;
  for (;;) {
    const page = await store.list(path, { ...options, continuationToken });
    pages++;
    expect(page.entries.length, `entries in page ${pages}`).toBeLessThanOrEqual(limit);
    expectWellFormed(path, page.entries, options.recursive ?? false);
    for (const entry of page.entries) {
      expect(seen[entry.path], `'${entry.path}' listed more than once`).toBeUndefined();
      seen[entry.path] = kindOf(entry);
      count++;
    }
    continuationToken = page.continuationToken;
    if (continuationToken === undefined) break;
    expect(continuationToken, `token of page ${pages}`).not.toBe('');
    if (count === total) {
      expect(
        total > 0 && total % limit === 0,
        `page ${pages} returned the last of ${total} entries but still carries a continuation token`,
      ).toBe(true);
      const last = await store.list(path, { ...options, continuationToken });
      pages++;
      expect(
        last.entries.map((entry) => entry.path),
        'entries after the last one',
      ).toEqual([]);
      expect(last.continuationToken, 'token after an empty page').toBeUndefined();
      break;
    }
    expect(pages, `listing '${path}' does not terminate`).toBeLessThanOrEqual(total + 1);
  }
  expect(seen).toEqual(expected);
  return pages;
}

function expectFileStatus(status: UfsStatus, path: string, size: number): void {
  expect(status.path).toBe(path);
  expect(status.name).toBe(baseName(path));
  expect(status.isDirectory).toBe(false);
  expect(status.size).toBe(size);
  expect(typeof status.fingerprint).toBe('string');
  expect(status.fingerprint.length).toBeGreaterThan(0);
  expect(typeof status.mtimeMs).toBe('number');
  expect(Number.isFinite(status.mtimeMs)).toBe(true);
}

function expectDirStatus(status: UfsStatus, path: string): void {
  expect(status.path).toBe(path);
  expect(status.name).toBe(baseName(path));
  expect(status.isDirectory).toBe(true);
  expect(status.size).toBe(0);
}

/** Asserts two buffers are identical without printing megabytes on failure. */
function expectSameBytes(actual: Buffer, expected: Buffer, what: string): void {
  expect(actual.length, `length of ${what}`).toBe(expected.length);
  expect(sha256(actual), `sha256 of ${what}`).toBe(sha256(expected));
}

// ---------------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------------

/** Registers the contract suite for one driver; `capabilities` are the driver's declared ones. */
export function describeUnderStoreContract(
  name: string,
  target: ContractTarget,
  capabilities: UnderStoreCapabilities,
): void {
  const P = target.pageSize ?? 5;
  const heavy = target.heavy ?? true;
  const readOnly = capabilities.readOnly;
  if (!Number.isInteger(P) || P < 2) throw new Error(`pageSize must be an integer >= 2, got ${P}`);

  describe(`UnderStore contract: ${name}`, () => {
    let store: UnderStore;
    let opened: UnderStore | undefined;

    beforeEach(async () => {
      opened = await target.newStore();
      store = opened;
    });
    afterEach(async () => {
      const closing = opened;
      opened = undefined;
      await closing?.close();
    });
    afterAll(async () => {
      await target.cleanup?.();
    });

    // ---------------------------------------------------------------------------------------------
    describe('identity and the root', () => {
      it('declares the capabilities the suite was given, and a uri and scheme', () => {
        expect(store.capabilities).toEqual(capabilities);
        expect(Number.isInteger(capabilities.maxListPageSize)).toBe(true);
        expect(capabilities.maxListPageSize).toBeGreaterThan(0);
        expect(store.scheme).toMatch(/^[a-z][a-z0-9+.-]*$/);
        expect(store.uri.startsWith(`${store.scheme}:`), `uri '${store.uri}' uses the scheme`).toBe(true);
      });

      it('the root of a fresh store is an empty directory', async () => {
        const root = await store.getStatus('');
        expectDirStatus(root, '');
        expect(await store.exists('')).toBe(true);
        const page = await store.list('');
        expect(page.entries).toEqual([]);
        expect(page.continuationToken).toBeUndefined();
        const recursive = await store.list('', { recursive: true });
        expect(recursive.entries).toEqual([]);
        expect(recursive.continuationToken).toBeUndefined();
      });

      it('getStatus of a missing path rejects NOT_FOUND and exists is false', async () => {
        await expectCode(store.getStatus('missing.txt'), 'NOT_FOUND');
        await expectCode(store.getStatus('missing/deeper/file.txt'), 'NOT_FOUND');
        expect(await store.exists('missing.txt')).toBe(false);
        expect(await store.exists('missing/deeper/file.txt')).toBe(false);
      });

      it('open of a missing file rejects NOT_FOUND from open() itself', async () => {
        await expectCode(store.open('missing.bin'), 'NOT_FOUND');
        await expectCode(store.open('missing/dir/file.bin', { offset: 3, length: 4 }), 'NOT_FOUND');
      });

      it('open of the root rejects IS_A_DIRECTORY', async () => {
        await expectCode(store.open(''), 'IS_A_DIRECTORY');
      });

      it('list of a missing path rejects NOT_FOUND', async () => {
        await expectCode(store.list('missing'), 'NOT_FOUND');
        await expectCode(store.list('missing', { recursive: true }), 'NOT_FOUND');
        await expectCode(store.list('missing/deeper', { pageSize: P }), 'NOT_FOUND');
      });
    });

    // ---------------------------------------------------------------------------------------------
    describe.skipIf(readOnly)('files', () => {
      it('a 0-byte file: write, getStatus, read, list', async () => {
        await writeChunked(store, 'empty.bin', Buffer.alloc(0), 1024);
        expectFileStatus(await store.getStatus('empty.bin'), 'empty.bin', 0);
        expect(await store.exists('empty.bin')).toBe(true);
        expect((await readFile(store, 'empty.bin')).length).toBe(0);
        expect((await readFile(store, 'empty.bin', { offset: 0, length: 10 })).length).toBe(0);
        const entries = await listAll(store, '');
        expect(entries.map((e) => [e.path, e.isDirectory, e.size])).toEqual([['empty.bin', false, 0]]);
      });

      it('a 0-byte file written as one zero-length chunk', async () => {
        await writeFile(store, 'zero-chunk.bin', Buffer.alloc(0));
        expectFileStatus(await store.getStatus('zero-chunk.bin'), 'zero-chunk.bin', 0);
        expect((await readFile(store, 'zero-chunk.bin')).length).toBe(0);
        const out = await store.create('with-empty-chunks.bin');
        await pipeline(Readable.from([Buffer.alloc(0), Buffer.from('xy'), Buffer.alloc(0)]), out);
        expect((await readFile(store, 'with-empty-chunks.bin')).toString()).toBe('xy');
      });

      it('a 1-byte file: write, getStatus, read, list', async () => {
        await writeFile(store, 'one/byte.bin', Buffer.from([0x2a]));
        expectFileStatus(await store.getStatus('one/byte.bin'), 'one/byte.bin', 1);
        expect(await readFile(store, 'one/byte.bin')).toEqual(Buffer.from([0x2a]));
        const entries = await listAll(store, 'one');
        expect(entries.map((e) => [e.path, e.name, e.isDirectory, e.size])).toEqual([
          ['one/byte.bin', 'byte.bin', false, 1],
        ]);
      });

      it("upload (when the store has it): the local file whole, its status, create's refusals", async (context) => {
        if (!store.upload) return context.skip();
        const dir = mkdtempSync(join(tmpdir(), 'tierfs-contract-upload-'));
        try {
          const data = randomBuffer(200 * KiB + 3, 'upload');
          const local = join(dir, 'source.bin');
          writeFileSync(local, data);
          const { written: status } = await store.upload('up/loaded.bin', local, data.length);
          expectFileStatus(status!, 'up/loaded.bin', data.length);
          expect(status!.fingerprint).toBe((await store.getStatus('up/loaded.bin')).fingerprint);
          expectSameBytes(await readFile(store, 'up/loaded.bin'), data, 'up/loaded.bin');
          await expectCode(() => store.upload!('up/loaded.bin', local, data.length), ['ALREADY_EXISTS']);
          await expectCode(
            () => store.upload!('up', local, data.length, { overwrite: true }),
            ['IS_A_DIRECTORY'],
          );
          const { written: replaced } = await store.upload('up/loaded.bin', local, 10, { overwrite: true });
          expect(replaced?.size).toBe(10);
          expectSameBytes(await readFile(store, 'up/loaded.bin'), data.subarray(0, 10), 'up/loaded.bin');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });

      it('a file written in many small odd-sized chunks reads back identical', async () => {
        const data = randomBuffer(300 * KiB + 7, 'small-chunks');
        await writeChunked(store, 'chunks/file.bin', data, 1000);
        expectFileStatus(await store.getStatus('chunks/file.bin'), 'chunks/file.bin', data.length);
        expectSameBytes(await readFile(store, 'chunks/file.bin'), data, 'chunks/file.bin');
      });

      it.skipIf(!heavy)(
        'a multi-MiB file (5 MiB + 17 bytes) reads back identical, whole and in ranges',
        async () => {
          const size = 5 * MiB + 17;
          const data = randomBuffer(size, 'big-file');
          await writeChunked(store, 'big/file.bin', data, 64 * KiB + 3);
          expectFileStatus(await store.getStatus('big/file.bin'), 'big/file.bin', size);
          expectSameBytes(await readFile(store, 'big/file.bin'), data, 'big/file.bin');
          const ranges: [number, number][] = [
            [5 * MiB - 8, 16],
            [MiB + 5, 2 * MiB],
            [size - 17, 17],
            [size - 1, 1],
          ];
          for (const [offset, length] of ranges) {
            const got = await readFile(store, 'big/file.bin', { offset, length });
            expectSameBytes(got, data.subarray(offset, offset + length), `range ${offset}+${length}`);
          }
        },
        HEAVY_TIMEOUT_MS,
      );

      it('getStatus of a file is complete and stable', async () => {
        await writeFile(store, 'stat/file.txt', 'hello, status');
        const first = await store.getStatus('stat/file.txt');
        expectFileStatus(first, 'stat/file.txt', 13);
        expect(typeof first.owner).toBe('string');
        expect(typeof first.group).toBe('string');
        expect(Number.isInteger(first.mode)).toBe(true);
        if (first.etag !== undefined) {
          expect(first.etag).not.toBe('');
          expect(first.etag, 'etag carries no quotes').not.toMatch(/"/);
        }
        const second = await store.getStatus('stat/file.txt');
        expect(second.fingerprint, 'fingerprint of an unchanged file').toBe(first.fingerprint);
        expect(second.size).toBe(first.size);
      });

      it('a listed file agrees with its getStatus (kind, size, fingerprint)', async () => {
        await writeFile(store, 'agree/file.bin', randomBuffer(4321, 'agree'));
        const [entry] = await listAll(store, 'agree');
        const status = await store.getStatus('agree/file.bin');
        expect(entry?.path).toBe('agree/file.bin');
        expect(entry?.isDirectory).toBe(false);
        expect(entry?.size).toBe(status.size);
        expect(entry?.fingerprint, 'listing and getStatus give the same fingerprint').toBe(
          status.fingerprint,
        );
      });

      it.skipIf(!capabilities.posixPermissions)('create keeps the requested permission bits', async () => {
        await writeFile(store, 'mode/private.txt', 'secret', { mode: 0o600 });
        const status = await store.getStatus('mode/private.txt');
        expect(status.mode & 0o777).toBe(0o600);
      });

      it('concurrent writers: 16 files written in parallel read back correctly', async () => {
        const files = Array.from({ length: 16 }, (_, i) => ({
          path: i % 2 === 0 ? `parallel/shared/new/f${i}.bin` : `parallel/own${i}/f${i}.bin`,
          data: randomBuffer(16 * KiB + i * 1009, `parallel-${i}`),
        }));
        await Promise.all(files.map((f) => writeChunked(store, f.path, f.data, 8 * KiB)));
        for (const f of files) {
          expectFileStatus(await store.getStatus(f.path), f.path, f.data.length);
          expectSameBytes(await readFile(store, f.path), f.data, f.path);
        }
        expect(await listTree(store, '')).toEqual(treeOf(files.map((f) => f.path)));
      });
    });

    // ---------------------------------------------------------------------------------------------
    describe.skipIf(readOnly)('ranged reads', () => {
      const size = 1000;
      const data = randomBuffer(size, 'ranges');
      const read = (options: OpenOptions): Promise<Buffer> => readFile(store, 'range.bin', options);

      it('offset 0 with a length', async () => {
        await writeFile(store, 'range.bin', data);
        expect(await read({ offset: 0, length: 10 })).toEqual(data.subarray(0, 10));
        expect(await read({ length: 10 })).toEqual(data.subarray(0, 10));
      });

      it('a range in the middle', async () => {
        await writeFile(store, 'range.bin', data);
        expect(await read({ offset: 100, length: 300 })).toEqual(data.subarray(100, 400));
      });

      it('an offset without a length reads to the end', async () => {
        await writeFile(store, 'range.bin', data);
        expect(await read({ offset: 990 })).toEqual(data.subarray(990));
      });

      it('the last byte', async () => {
        await writeFile(store, 'range.bin', data);
        expect(await read({ offset: size - 1, length: 1 })).toEqual(data.subarray(size - 1));
        expect(await read({ offset: size - 1 })).toEqual(data.subarray(size - 1));
      });

      it('a range running past the end is cut at the end', async () => {
        await writeFile(store, 'range.bin', data);
        expect(await read({ offset: 995, length: 100 })).toEqual(data.subarray(995));
        expect(await read({ offset: 0, length: 5000 })).toEqual(data);
      });

      it('an offset equal to the size yields an empty stream', async () => {
        await writeFile(store, 'range.bin', data);
        expect((await read({ offset: size })).length).toBe(0);
        expect((await read({ offset: size, length: 10 })).length).toBe(0);
      });

      it('an offset past the size yields an empty stream', async () => {
        await writeFile(store, 'range.bin', data);
        expect((await read({ offset: size + 1 })).length).toBe(0);
        expect((await read({ offset: 10 * size, length: 10 })).length).toBe(0);
      });

      it('a length of 0 yields an empty stream', async () => {
        await writeFile(store, 'range.bin', data);
        expect((await read({ offset: 0, length: 0 })).length).toBe(0);
        expect((await read({ offset: 500, length: 0 })).length).toBe(0);
      });

      it('a negative offset rejects INVALID_ARGUMENT from open()', async () => {
        await writeFile(store, 'range.bin', data);
        await expectCode(store.open('range.bin', { offset: -1 }), 'INVALID_ARGUMENT');
        await expectCode(store.open('range.bin', { offset: -1, length: 10 }), 'INVALID_ARGUMENT');
      });

      it('a negative or fractional length, or a fractional offset, rejects INVALID_ARGUMENT', async () => {
        await writeFile(store, 'range.bin', data);
        await expectCode(store.open('range.bin', { length: -1 }), 'INVALID_ARGUMENT');
        await expectCode(store.open('range.bin', { length: 1.5 }), 'INVALID_ARGUMENT');
        await expectCode(store.open('range.bin', { offset: 0.5 }), 'INVALID_ARGUMENT');
      });

      it('many ranged reads of one file may run concurrently', async () => {
        await writeFile(store, 'range.bin', data);
        const ranges = Array.from({ length: 10 }, (_, i) => ({ offset: i * 97, length: 150 }));
        const got = await Promise.all(ranges.map((r) => read(r)));
        got.forEach((buffer, i) => {
          const r = ranges[i] as { offset: number; length: number };
          expect(buffer).toEqual(data.subarray(r.offset, r.offset + r.length));
        });
      });

      it('open of a directory rejects IS_A_DIRECTORY from open()', async () => {
        await writeFile(store, 'dir/inner.txt', 'x');
        await expectCode(store.open('dir'), 'IS_A_DIRECTORY');
        await expectCode(store.open('dir', { offset: 0, length: 1 }), 'IS_A_DIRECTORY');
      });
    });

    // ---------------------------------------------------------------------------------------------
    describe.skipIf(readOnly)('reads pinned to a version', () => {
      const size = 1000;
      const old = randomBuffer(size, 'version-old');
      const replacement = randomBuffer(size, 'version-new');
      /** Whole, ranged at 0, ranged in the middle, to the end, and empty at the end. */
      const RANGES: readonly OpenOptions[] = [
        {},
        { offset: 0, length: 10 },
        { offset: 100, length: 300 },
        { offset: 990 },
        { offset: size },
      ];

      it('the current version is served; after a same-size replacement the old one is STALE from open()', async () => {
        await writeFile(store, 'v.bin', old);
        const version = (await store.getStatus('v.bin')).fingerprint;
        expectSameBytes(await readFile(store, 'v.bin', { version }), old, 'v.bin at its version');
        expect(await readFile(store, 'v.bin', { version, offset: 100, length: 300 })).toEqual(
          old.subarray(100, 400),
        );
        expect(await readFile(store, 'v.bin', { version, offset: 990 })).toEqual(old.subarray(990));

        await writeFile(store, 'v.bin', replacement, { overwrite: true });
        const current = await store.getStatus('v.bin');
        expectFileStatus(current, 'v.bin', size);
        expect(current.fingerprint, 'fingerprint after the replacement').not.toBe(version);
        for (const range of RANGES) {
          // Rejected by open() itself: no stream, so not a byte of either version.
          await expectCode(store.open('v.bin', { ...range, version }), 'STALE');
        }
        expect(
          await readFile(store, 'v.bin', { version: current.fingerprint, offset: 100, length: 300 }),
        ).toEqual(replacement.subarray(100, 400));
      });

      it('a listed entry pins a read as its getStatus does', async () => {
        await writeFile(store, 'dir/listed.bin', old);
        const [entry] = (await store.list('dir')).entries;
        expect(entry?.path).toBe('dir/listed.bin');
        const version = entry?.fingerprint ?? '';
        expect(await readFile(store, 'dir/listed.bin', { version, offset: 1, length: 2 })).toEqual(
          old.subarray(1, 3),
        );
        await writeFile(store, 'dir/listed.bin', replacement, { overwrite: true });
        await expectCode(store.open('dir/listed.bin', { version, offset: 1, length: 2 }), 'STALE');
      });

      it('a version of a deleted file is NOT_FOUND; of a file deleted and written again, STALE', async () => {
        await writeFile(store, 'gone.bin', old);
        const version = (await store.getStatus('gone.bin')).fingerprint;
        await store.delete('gone.bin');
        await expectCode(store.open('gone.bin', { version }), 'NOT_FOUND');
        await expectCode(store.open('gone.bin', { version, offset: 10, length: 5 }), 'NOT_FOUND');
        await writeFile(store, 'gone.bin', replacement);
        await expectCode(store.open('gone.bin', { version, offset: 10, length: 5 }), 'STALE');
      });

      it('an empty version rejects INVALID_ARGUMENT from open()', async () => {
        await writeFile(store, 'v.bin', old);
        await expectCode(store.open('v.bin', { version: '' }), 'INVALID_ARGUMENT');
      });

      it('a file replaced while it is read: the reader gets old bytes only, or fails with STALE', async () => {
        const before = randomBuffer(768 * KiB, 'torn-old');
        const after = randomBuffer(768 * KiB, 'torn-new');
        await writeFile(store, 'torn.bin', before);
        const version = (await store.getStatus('torn.bin')).fingerprint;
        const stream = await store.open('torn.bin', { version });
        const chunks: Buffer[] = [];
        try {
          const reading = stream[Symbol.asyncIterator]();
          const first = await reading.next();
          expect(first.done, 'the first chunk').toBe(false);
          chunks.push(first.value as Buffer);
          await writeFile(store, 'torn.bin', after, { overwrite: true });
          let failure: unknown;
          try {
            for (let next = await reading.next(); !next.done; next = await reading.next()) {
              chunks.push(next.value as Buffer);
            }
          } catch (error) {
            failure = error;
          }
          const got = Buffer.concat(chunks);
          if (failure === undefined) {
            expectSameBytes(got, before, 'a read that outlived a replacement');
          } else {
            checkError(failure, ['STALE']);
            expectSameBytes(got, before.subarray(0, got.length), 'the bytes before STALE');
          }
        } finally {
          stream.destroy();
        }
      });
    });

    // ---------------------------------------------------------------------------------------------
    describe.skipIf(readOnly)('names', () => {
      const NAMES = [
        '数据/файл-ü.txt',
        '😀 emoji/🎉 party.txt',
        'a b/c d.txt',
        'plus+sign.txt',
        '100%.txt',
        '%2e%2e%2Fnot-an-escape.txt',
        'k=v&x=y.txt',
        'mixed/a+b=c&d%e f.txt',
      ];

      it('unicode, spaces, +, %, = and & in names round-trip through write, list, getStatus and read', async () => {
        await writeFiles(store, NAMES);
        expect(await listTree(store, '')).toEqual(treeOf(NAMES));
        for (const path of NAMES) {
          expect(await store.exists(path), `exists '${path}'`).toBe(true);
          expectFileStatus(await store.getStatus(path), path, Buffer.byteLength(path));
          expect((await readFile(store, path)).toString('utf8'), `content of '${path}'`).toBe(path);
        }
      });

      it('a directory listing returns exactly those names', async () => {
        await writeFiles(store, NAMES);
        const named = async (dir: string): Promise<[string, string][]> =>
          (await listAll(store, dir)).map((e) => [e.path, e.name]);
        expect(await named('数据')).toEqual([['数据/файл-ü.txt', 'файл-ü.txt']]);
        expect(await named('😀 emoji')).toEqual([['😀 emoji/🎉 party.txt', '🎉 party.txt']]);
        expect(await named('a b')).toEqual([['a b/c d.txt', 'c d.txt']]);
        expect(await named('mixed')).toEqual([['mixed/a+b=c&d%e f.txt', 'a+b=c&d%e f.txt']]);
        expectDirStatus(await store.getStatus('数据'), '数据');
        expectDirStatus(await store.getStatus('a b'), 'a b');
      });

      it('rename and delete work with such names', async () => {
        await writeFile(store, 'a b/c d.txt', 'content');
        await store.rename('a b/c d.txt', 'ü+%/x=1&y=2 ok.txt');
        expect(await listFiles(store, '')).toEqual(['ü+%/x=1&y=2 ok.txt']);
        expect(await store.exists('a b/c d.txt')).toBe(false);
        expect((await readFile(store, 'ü+%/x=1&y=2 ok.txt')).toString()).toBe('content');
        await store.delete('ü+%/x=1&y=2 ok.txt');
        expect(await store.exists('ü+%/x=1&y=2 ok.txt')).toBe(false);
      });
    });

    // ---------------------------------------------------------------------------------------------
    describe.skipIf(readOnly)('directories', () => {
      it('create makes the missing parents a, a/b, a/b/c directories', async () => {
        await writeFile(store, 'a/b/c/file.txt', 'deep');
        for (const dir of ['a', 'a/b', 'a/b/c']) {
          expectDirStatus(await store.getStatus(dir), dir);
          expect(await store.exists(dir), `exists '${dir}'`).toBe(true);
        }
        expect(await listTree(store, '')).toEqual({
          a: 'dir',
          'a/b': 'dir',
          'a/b/c': 'dir',
          'a/b/c/file.txt': 'file',
        });
      });

      it('implicit directories show up in listings of the parent, getStatus and exists', async () => {
        await writeFile(store, 'x/y/z.txt', 'z');
        expect(await listTree(store, '', false)).toEqual({ x: 'dir' });
        expect(await listTree(store, 'x', false)).toEqual({ 'x/y': 'dir' });
        expect(await listTree(store, 'x/y', false)).toEqual({ 'x/y/z.txt': 'file' });
        expectDirStatus(await store.getStatus('x'), 'x');
        expectDirStatus(await store.getStatus('x/y'), 'x/y');
        expect(await store.exists('x')).toBe(true);
        expect(await store.exists('x/y')).toBe(true);
        await expectCode(store.open('x/y'), 'IS_A_DIRECTORY');
      });

      it('a file and a directory sharing a name prefix stay distinct', async () => {
        await writeFiles(store, ['ab.txt', 'ab/c.txt', 'a/b', 'abc/d.txt']);
        expect(await listTree(store, '', false)).toEqual({
          'ab.txt': 'file',
          ab: 'dir',
          a: 'dir',
          abc: 'dir',
        });
        expect(await listTree(store, 'a')).toEqual({ 'a/b': 'file' });
        expect(await listTree(store, 'ab')).toEqual({ 'ab/c.txt': 'file' });
        expectFileStatus(await store.getStatus('a/b'), 'a/b', 3);
        expectDirStatus(await store.getStatus('ab'), 'ab');
      });

      it.skipIf(!capabilities.emptyDirectories)('mkdirs creates nested directories', async () => {
        await store.mkdirs('m/n/o');
        for (const dir of ['m', 'm/n', 'm/n/o']) expectDirStatus(await store.getStatus(dir), dir);
        expect(await listTree(store, '')).toEqual({ m: 'dir', 'm/n': 'dir', 'm/n/o': 'dir' });
      });

      it.skipIf(!capabilities.emptyDirectories)('an empty directory exists and lists 0 entries', async () => {
        await store.mkdirs('empty');
        expectDirStatus(await store.getStatus('empty'), 'empty');
        expect(await store.exists('empty')).toBe(true);
        const page = await store.list('empty');
        expect(page.entries).toEqual([]);
        expect(page.continuationToken).toBeUndefined();
        expect((await store.list('empty', { recursive: true })).entries).toEqual([]);
        expect(await listTree(store, '', false)).toEqual({ empty: 'dir' });
      });

      it('mkdirs on an existing directory (and on the root) is fine', async () => {
        await writeFile(store, 'e/f.txt', 'f');
        await store.mkdirs('e');
        await store.mkdirs('e', { createParent: false });
        await store.mkdirs('');
        expectDirStatus(await store.getStatus('e'), 'e');
        expect((await readFile(store, 'e/f.txt')).toString()).toBe('f');
        expect(await listTree(store, '')).toEqual({ e: 'dir', 'e/f.txt': 'file' });
      });

      it('mkdirs over a file rejects ALREADY_EXISTS and leaves the file', async () => {
        await writeFile(store, 'dir/f.txt', 'keep');
        await expectCode(store.mkdirs('dir/f.txt'), 'ALREADY_EXISTS');
        await expectCode(store.mkdirs('dir/f.txt', { createParent: false }), 'ALREADY_EXISTS');
        expectFileStatus(await store.getStatus('dir/f.txt'), 'dir/f.txt', 4);
        expect((await readFile(store, 'dir/f.txt')).toString()).toBe('keep');
      });

      it('mkdirs with createParent false and a missing parent rejects NOT_FOUND', async () => {
        await expectCode(store.mkdirs('no/such', { createParent: false }), 'NOT_FOUND');
        expect(await store.exists('no')).toBe(false);
        expect(await store.exists('no/such')).toBe(false);
        expect(await listTree(store, '')).toEqual({});
      });

      it.skipIf(!capabilities.emptyDirectories)(
        'mkdirs with createParent false under an existing parent',
        async () => {
          await writeFile(store, 'p/x.txt', 'x');
          await store.mkdirs('p/q', { createParent: false });
          expectDirStatus(await store.getStatus('p/q'), 'p/q');
        },
      );

      it('create with createParent false and a missing parent rejects NOT_FOUND, writing nothing', async () => {
        await expectWriteCode(store, 'missing/file.txt', Buffer.from('x'), { createParent: false }, [
          'NOT_FOUND',
        ]);
        expect(await store.exists('missing')).toBe(false);
        expect(await listTree(store, '')).toEqual({});
      });

      it('create with createParent false succeeds under an existing parent and at the root', async () => {
        await writeFile(store, 'p/existing.txt', 'e');
        await writeFile(store, 'p/new.txt', 'n', { createParent: false });
        await writeFile(store, 'top.txt', 't', { createParent: false });
        expect(await listTree(store, '')).toEqual(treeOf(['p/existing.txt', 'p/new.txt', 'top.txt']));
        expect((await readFile(store, 'p/new.txt')).toString()).toBe('n');
      });

      it('a file used as a parent: create rejects NOT_A_DIRECTORY, lookups below it find nothing', async () => {
        await writeFile(store, 'f.txt', 'plain');
        await expectWriteCode(store, 'f.txt/child', Buffer.from('c'), {}, ['NOT_A_DIRECTORY']);
        await expectCode(store.mkdirs('f.txt/sub'), 'NOT_A_DIRECTORY');
        await expectCode(store.getStatus('f.txt/child'), 'NOT_FOUND');
        await expectCode(store.list('f.txt/child'), 'NOT_FOUND');
        expect(await store.exists('f.txt/child')).toBe(false);
        expect(await listTree(store, '')).toEqual({ 'f.txt': 'file' });
        expect((await readFile(store, 'f.txt')).toString()).toBe('plain');
      });
    });

    // ---------------------------------------------------------------------------------------------
    describe.skipIf(readOnly)('listing', () => {
      const FILES = [
        'top.txt',
        'd1/f1.txt',
        'd1/f2.txt',
        'd1/sub/f3.txt',
        'd2/deep/deeper/f4.txt',
        'd1-sibling.txt',
      ];

      it('non-recursive lists the direct children only, with the right kinds', async () => {
        await writeFiles(store, FILES);
        expect(await listTree(store, '', false)).toEqual({
          'top.txt': 'file',
          d1: 'dir',
          d2: 'dir',
          'd1-sibling.txt': 'file',
        });
        expect(await listTree(store, 'd1', false)).toEqual({
          'd1/f1.txt': 'file',
          'd1/f2.txt': 'file',
          'd1/sub': 'dir',
        });
        expect(await listTree(store, 'd2/deep', false)).toEqual({ 'd2/deep/deeper': 'dir' });
      });

      it.skipIf(!capabilities.firstPageHasDirectory)(
        "a first page that carries the directory (firstPageHasDirectory) says what getStatus says, later pages don't",
        async () => {
          await writeFiles(store, FILES);
          await store.mkdirs('marked/inner');
          // The status first: a listing may leave a marker where there was none (breadcrumbs).
          for (const dir of ['d2/deep', 'marked']) {
            const status = await store.getStatus(dir);
            expect((await store.list(dir)).directory, dir).toEqual(status);
          }
          for (const dir of ['d1', '']) {
            const status = await store.getStatus(dir);
            const page = await store.list(dir, { pageSize: 1 });
            expect(page.directory, dir).toEqual(status);
            expect(page.continuationToken, dir).toBeDefined();
            const next = await store.list(dir, { pageSize: 1, continuationToken: page.continuationToken });
            expect(next.directory, dir).toBeUndefined();
          }
        },
      );

      it('recursive lists every descendant, files and directories, exactly once', async () => {
        await writeFiles(store, FILES);
        expect(await listTree(store, '')).toEqual(treeOf(FILES));
        expect(await listTree(store, 'd1')).toEqual(
          treeOf(['d1/f1.txt', 'd1/f2.txt', 'd1/sub/f3.txt'], 'd1'),
        );
        expect(await listTree(store, 'd2')).toEqual(treeOf(['d2/deep/deeper/f4.txt'], 'd2'));
      });

      it('entries carry root-relative paths, last-component names and file sizes', async () => {
        await writeFiles(store, FILES);
        const entries = await listAll(store, 'd1', { recursive: true });
        const byPath = new Map(entries.map((e) => [e.path, e]));
        for (const file of ['d1/f1.txt', 'd1/f2.txt', 'd1/sub/f3.txt']) {
          const entry = byPath.get(file);
          expect(entry?.name).toBe(baseName(file));
          expect(entry?.size, `size of ${file}`).toBe(Buffer.byteLength(file));
        }
        expect(byPath.get('d1/sub')?.name).toBe('sub');
        expect(byPath.get('d1/sub')?.isDirectory).toBe(true);
      });

      it('list of a file rejects NOT_A_DIRECTORY', async () => {
        await writeFiles(store, FILES);
        await expectCode(store.list('top.txt'), 'NOT_A_DIRECTORY');
        await expectCode(store.list('d1/f1.txt', { recursive: true }), 'NOT_A_DIRECTORY');
      });

      it('list of a missing path next to existing ones rejects NOT_FOUND', async () => {
        await writeFiles(store, FILES);
        await expectCode(store.list('d3'), 'NOT_FOUND');
        await expectCode(store.list('d1/nope', { recursive: true }), 'NOT_FOUND');
        await expectCode(store.list('d'), 'NOT_FOUND');
      });

      it('a bad page size or a malformed or foreign token rejects INVALID_ARGUMENT', async () => {
        await writeFiles(store, FILES);
        await expectCode(store.list('', { pageSize: 0 }), 'INVALID_ARGUMENT');
        await expectCode(store.list('', { pageSize: -3 }), 'INVALID_ARGUMENT');
        await expectCode(store.list('', { pageSize: 1.5 }), 'INVALID_ARGUMENT');
        await expectCode(store.list('', { continuationToken: '%%not-a-token%%' }), 'INVALID_ARGUMENT');
        const first = await store.list('d1', { pageSize: 1 });
        expect(first.continuationToken).toBeDefined();
        await expectCode(
          store.list('d2', { continuationToken: first.continuationToken }),
          'INVALID_ARGUMENT',
        );
      });

      it('walk() over small pages yields the same entries', async () => {
        await writeFiles(store, FILES);
        const walked: string[] = [];
        for await (const entry of walk(store, '', { recursive: true, pageSize: P })) walked.push(entry.path);
        expect(walked.sort()).toEqual(Object.keys(treeOf(FILES)).sort());
      });
    });

    // ---------------------------------------------------------------------------------------------
    describe.skipIf(readOnly)(`pagination (page size ${P})`, () => {
      const DECOYS = ['dir-sibling.txt', 'dir0/x.txt', 'di.txt'];
      const counts = [...new Set([0, 1, P, P + 1, 2 * P + 1])];

      /** n direct children of `dir`, every third one a directory. */
      const flatFiles = (n: number): string[] =>
        Array.from({ length: n }, (_, i) => {
          const entry = `dir/e${String(i).padStart(4, '0')}`;
          return i % 3 === 2 ? `${entry}/inner.txt` : entry;
        });

      /** Files below `rec` whose recursive listing has exactly n entries (files and directories). */
      const recursiveFiles = (n: number): string[] => {
        if (n < 4) return Array.from({ length: n }, (_, i) => `rec/f${i}`);
        const files = ['rec/sub/deep/h0'];
        for (let i = 0; i < n - 3; i++) files.push(i % 2 === 0 ? `rec/f${i}` : `rec/sub/g${i}`);
        return files;
      };

      for (const n of counts) {
        it(`non-recursive: ${n} entries in pages of at most ${P}`, async () => {
          if (n === 0) {
            await expectPaged(store, '', { pageSize: P }, P, {});
            return;
          }
          const files = flatFiles(n);
          await writeFiles(store, [...files, ...DECOYS]);
          const expected: Tree = {};
          for (const file of files)
            expected[file.split('/').slice(0, 2).join('/')] = file.endsWith('inner.txt') ? 'dir' : 'file';
          expect(Object.keys(expected).length).toBe(n);
          await expectPaged(store, 'dir', { pageSize: P }, P, expected);
        });

        it(`recursive: ${n} entries in pages of at most ${P}`, async () => {
          if (n === 0) {
            await expectPaged(store, '', { recursive: true, pageSize: P }, P, {});
            return;
          }
          const files = recursiveFiles(n);
          await writeFiles(store, [...files, 'rec-sibling.txt', 'rec0/x.txt']);
          const expected = treeOf(files, 'rec');
          expect(Object.keys(expected).length).toBe(n);
          await expectPaged(store, 'rec', { recursive: true, pageSize: P }, P, expected);
        });
      }

      it.skipIf(!heavy)(
        'a directory with maxListPageSize + 1 entries needs more than one page; larger pageSize is capped',
        async () => {
          const max = capabilities.maxListPageSize;
          const files = Array.from({ length: max + 1 }, (_, i) => `big/f${String(i).padStart(7, '0')}`);
          await forEachLimited(files, WRITE_CONCURRENCY, (path) => writeFile(store, path, path));
          const expected = treeOf(files, 'big');
          expect(await expectPaged(store, 'big', {}, max, expected)).toBeGreaterThan(1);
          expect(await expectPaged(store, 'big', { recursive: true }, max, expected)).toBeGreaterThan(1);
          const capped = await store.list('big', { pageSize: max * 2 });
          expect(capped.entries.length).toBeLessThanOrEqual(max);
          expect(capped.continuationToken).toBeDefined();
        },
        HEAVY_TIMEOUT_MS,
      );
    });

    // ---------------------------------------------------------------------------------------------
    describe.skipIf(readOnly)('rename', () => {
      it('rename of a file moves it and creates the parents of the destination', async () => {
        const data = randomBuffer(2048, 'rename-file');
        await writeFile(store, 'src/a.bin', data);
        await writeFile(store, 'src/stay.txt', 'stay');
        await store.rename('src/a.bin', 'dst/deep/b.bin');
        expect(await store.exists('src/a.bin')).toBe(false);
        await expectCode(store.getStatus('src/a.bin'), 'NOT_FOUND');
        expect(await readFile(store, 'dst/deep/b.bin')).toEqual(data);
        expectFileStatus(await store.getStatus('dst/deep/b.bin'), 'dst/deep/b.bin', 2048);
        expectDirStatus(await store.getStatus('dst/deep'), 'dst/deep');
        expect(await listTree(store, '')).toEqual(treeOf(['src/stay.txt', 'dst/deep/b.bin']));
      });

      it('rename of a file within its directory', async () => {
        await writeFile(store, 'r/a.txt', 'A');
        await store.rename('r/a.txt', 'r/b.txt');
        expect(await listTree(store, 'r')).toEqual({ 'r/b.txt': 'file' });
        expect((await readFile(store, 'r/b.txt')).toString()).toBe('A');
      });

      it('rename onto an existing file rejects ALREADY_EXISTS and changes nothing', async () => {
        await writeFiles(store, { 'one.txt': 'one', 'two.txt': 'two' });
        await expectCode(store.rename('one.txt', 'two.txt'), 'ALREADY_EXISTS');
        expect((await readFile(store, 'one.txt')).toString()).toBe('one');
        expect((await readFile(store, 'two.txt')).toString()).toBe('two');
      });

      it('rename onto an existing directory (and a directory onto a file) rejects ALREADY_EXISTS', async () => {
        await writeFiles(store, { 'a.txt': 'a', 'dir/x.txt': 'x', 'other/y.txt': 'y' });
        await expectCode(store.rename('a.txt', 'dir'), 'ALREADY_EXISTS');
        await expectCode(store.rename('other', 'dir'), 'ALREADY_EXISTS');
        await expectCode(store.rename('dir', 'a.txt'), 'ALREADY_EXISTS');
        expect(await listTree(store, '')).toEqual(treeOf(['a.txt', 'dir/x.txt', 'other/y.txt']));
        expect((await readFile(store, 'a.txt')).toString()).toBe('a');
      });

      it('rename of a missing source rejects NOT_FOUND and creates nothing', async () => {
        await expectCode(store.rename('nope.txt', 'to/where.txt'), 'NOT_FOUND');
        await expectCode(store.rename('nope/dir', 'elsewhere'), 'NOT_FOUND');
        expect(await store.exists('to')).toBe(false);
        expect(await listTree(store, '')).toEqual({});
      });

      it('rename of a directory moves every nested file with its content', async () => {
        const moved = {
          'd/a.txt': randomBuffer(100, 'd-a'),
          'd/s/b.txt': randomBuffer(200, 'd-b'),
          'd/s/t/c.txt': randomBuffer(300, 'd-c'),
        };
        await writeFiles(store, { ...moved, 'd-keep.txt': 'keep', 'dd/keep.txt': 'keep', 'd.txt': 'keep' });
        await store.rename('d', 'moved/here');
        expect(await store.exists('d')).toBe(false);
        await expectCode(store.getStatus('d'), 'NOT_FOUND');
        await expectCode(store.getStatus('d/s/t/c.txt'), 'NOT_FOUND');
        const destination = Object.keys(moved).map((path) => `moved/here/${path.slice(2)}`);
        expect(await listTree(store, '')).toEqual(
          treeOf([...destination, 'd-keep.txt', 'dd/keep.txt', 'd.txt']),
        );
        for (const [path, data] of Object.entries(moved)) {
          expect(await readFile(store, `moved/here/${path.slice(2)}`), path).toEqual(data);
        }
      });

      it('rename of a directory to a name that extends its own is allowed', async () => {
        await writeFiles(store, ['data/x.txt', 'data/y/z.txt']);
        await store.rename('data', 'data-old');
        expect(await listTree(store, '')).toEqual(treeOf(['data-old/x.txt', 'data-old/y/z.txt']));
      });

      it('rename of a directory into its own subtree rejects INVALID_ARGUMENT and changes nothing', async () => {
        await writeFiles(store, ['d/x.txt', 'd/inner/y.txt']);
        await expectCode(store.rename('d', 'd/sub'), 'INVALID_ARGUMENT');
        await expectCode(store.rename('d', 'd/inner/new'), 'INVALID_ARGUMENT');
        expect(await listTree(store, '')).toEqual(treeOf(['d/x.txt', 'd/inner/y.txt']));
      });

      it('rename to below a file rejects NOT_A_DIRECTORY', async () => {
        await writeFiles(store, { 'f.txt': 'f', 'g.txt': 'g' });
        await expectCode(store.rename('g.txt', 'f.txt/g.txt'), 'NOT_A_DIRECTORY');
        expect(await listTree(store, '')).toEqual({ 'f.txt': 'file', 'g.txt': 'file' });
      });

      it.skipIf(!capabilities.emptyDirectories)('rename of an empty directory', async () => {
        await store.mkdirs('e');
        await store.rename('e', 'f/g');
        expect(await store.exists('e')).toBe(false);
        expectDirStatus(await store.getStatus('f/g'), 'f/g');
        expect(await listTree(store, '')).toEqual({ f: 'dir', 'f/g': 'dir' });
      });
    });

    // ---------------------------------------------------------------------------------------------
    describe.skipIf(readOnly)('what a write returns', () => {
      /** Writes `data` in two chunks and returns the finished stream. */
      async function written(path: string, data: Buffer, options?: CreateOptions): Promise<UfsWriteStream> {
        const out = await store.create(path, options);
        expect(out.written, 'written before the commit').toBeUndefined();
        await pipeline(Readable.from([data.subarray(0, 10), data.subarray(10)]), out);
        return out;
      }

      it('a finished write carries the status getStatus then returns (same fingerprint)', async () => {
        const data = randomBuffer(1234, 'written');
        const out = await written('dir/w.bin', data);
        const status = await store.getStatus('dir/w.bin');
        expectFileStatus(out.written!, 'dir/w.bin', 1234);
        expect(out.written!.fingerprint).toBe(status.fingerprint);
        expect(out.written!.etag).toBe(status.etag);
        expect(out.written!.mtimeMs).toBe(status.mtimeMs);
        // And the version it names reads exactly these bytes.
        expect(await readFile(store, 'dir/w.bin', { version: out.written!.fingerprint })).toEqual(data);
      });

      it('an overwrite carries the new status; an empty file its own', async () => {
        await writeFile(store, 'o.bin', randomBuffer(100, 'first'));
        const before = await store.getStatus('o.bin');
        const out = await written('o.bin', randomBuffer(50, 'second'), { overwrite: true });
        expect(out.written!.size).toBe(50);
        expect(out.written!.fingerprint).not.toBe(before.fingerprint);
        expect(out.written!.fingerprint).toBe((await store.getStatus('o.bin')).fingerprint);
        const empty = await written('empty.bin', Buffer.alloc(0));
        expectFileStatus(empty.written!, 'empty.bin', 0);
        expect(empty.written!.fingerprint).toBe((await store.getStatus('empty.bin')).fingerprint);
      });

      it('a failed write carries no status', async () => {
        const out = await store.create('failed.bin');
        out.write(randomBuffer(100, 'failed'));
        await abortWrite(out);
        expect(out.written).toBeUndefined();
        expect(await store.exists('failed.bin')).toBe(false);
      });

      it('create with parentExists writes below an existing directory, new or over a file', async () => {
        await store.mkdirs('known');
        const fresh = await written('known/p.bin', randomBuffer(20, 'p1'), {
          parentExists: true,
          overwrite: true,
        });
        expect(fresh.written!.fingerprint).toBe((await store.getStatus('known/p.bin')).fingerprint);
        await written('known/p.bin', randomBuffer(30, 'p2'), { parentExists: true, overwrite: true });
        expect(await readFile(store, 'known/p.bin')).toEqual(randomBuffer(30, 'p2'));
        await expectCode(store.create('known/p.bin', { parentExists: true }), 'ALREADY_EXISTS');
        expect(await listTree(store, '')).toEqual({ known: 'dir', 'known/p.bin': 'file' });
      });

      it('open with a version and its size reads the range; a wrong version is STALE', async () => {
        const data = randomBuffer(3000, 'sized');
        await writeFile(store, 's.bin', data);
        const { fingerprint: version, size } = await store.getStatus('s.bin');
        expect(await readFile(store, 's.bin', { version, size, offset: 7, length: 100 })).toEqual(
          data.subarray(7, 107),
        );
        expect(await readFile(store, 's.bin', { version, size })).toEqual(data);
        await writeFile(store, 's.bin', randomBuffer(3000, 'sized-2'), { overwrite: true });
        await expectCode(store.open('s.bin', { version, size, offset: 7, length: 100 }), 'STALE');
        await store.delete('s.bin');
        await expectCode(store.open('s.bin', { version, size }), 'NOT_FOUND');
        await store.mkdirs('s.bin');
        await expectCode(store.open('s.bin', { version, size }), 'IS_A_DIRECTORY');
      });
    });

    // ---------------------------------------------------------------------------------------------
    describe.skipIf(readOnly)('overwrite', () => {
      it('create over an existing file without overwrite rejects ALREADY_EXISTS from create()', async () => {
        await writeFile(store, 'f.txt', 'old content');
        await expectCode(store.create('f.txt'), 'ALREADY_EXISTS');
        await expectCode(store.create('f.txt', { overwrite: false }), 'ALREADY_EXISTS');
        expect((await readFile(store, 'f.txt')).toString()).toBe('old content');
        expect(await listTree(store, '')).toEqual({ 'f.txt': 'file' });
      });

      it('create with overwrite replaces the content and changes the fingerprint', async () => {
        const old = randomBuffer(100, 'old');
        const replacement = randomBuffer(37, 'new');
        await writeFile(store, 'dir/f.bin', old);
        const before = await store.getStatus('dir/f.bin');
        await writeFile(store, 'dir/f.bin', replacement, { overwrite: true });
        expect(await readFile(store, 'dir/f.bin')).toEqual(replacement);
        const after = await store.getStatus('dir/f.bin');
        expectFileStatus(after, 'dir/f.bin', 37);
        expect(after.fingerprint).not.toBe(before.fingerprint);
        expect(await listTree(store, '')).toEqual({ dir: 'dir', 'dir/f.bin': 'file' });
      });

      it('create with overwrite when nothing exists creates the file', async () => {
        await writeFile(store, 'fresh/f.txt', 'fresh', { overwrite: true });
        expect((await readFile(store, 'fresh/f.txt')).toString()).toBe('fresh');
      });

      it('create over a directory rejects IS_A_DIRECTORY, with or without overwrite', async () => {
        await writeFile(store, 'dir/x.txt', 'x');
        await expectCode(store.create('dir'), 'IS_A_DIRECTORY');
        await expectWriteCode(store, 'dir', Buffer.from('y'), { overwrite: true }, [
          'IS_A_DIRECTORY',
          'ALREADY_EXISTS',
        ]);
        expectDirStatus(await store.getStatus('dir'), 'dir');
        expect(await listTree(store, '')).toEqual({ dir: 'dir', 'dir/x.txt': 'file' });
        expect((await readFile(store, 'dir/x.txt')).toString()).toBe('x');
      });

      it.skipIf(!capabilities.emptyDirectories)('create over an empty directory rejects', async () => {
        await store.mkdirs('empty');
        await expectCode(store.create('empty'), 'IS_A_DIRECTORY');
        await expectWriteCode(store, 'empty', Buffer.from('y'), { overwrite: true }, [
          'IS_A_DIRECTORY',
          'ALREADY_EXISTS',
        ]);
        expectDirStatus(await store.getStatus('empty'), 'empty');
      });
    });

    // ---------------------------------------------------------------------------------------------
    describe.skipIf(readOnly)('delete', () => {
      it('delete of a file removes it and only it', async () => {
        await writeFiles(store, ['dir/f.txt', 'dir/g.txt']);
        await store.delete('dir/f.txt');
        expect(await store.exists('dir/f.txt')).toBe(false);
        await expectCode(store.getStatus('dir/f.txt'), 'NOT_FOUND');
        expect(await listTree(store, 'dir')).toEqual({ 'dir/g.txt': 'file' });
      });

      it('delete of a file with recursive removes it', async () => {
        await writeFile(store, 'f.txt', 'f');
        await store.delete('f.txt', { recursive: true });
        expect(await store.exists('f.txt')).toBe(false);
      });

      it('delete of a missing path rejects NOT_FOUND', async () => {
        await writeFile(store, 'dir/f.txt', 'f');
        await expectCode(store.delete('nope.txt'), 'NOT_FOUND');
        await expectCode(store.delete('dir/nope.txt'), 'NOT_FOUND');
        await expectCode(store.delete('nope/deeper', { recursive: true }), 'NOT_FOUND');
        expect(await listTree(store, '')).toEqual({ dir: 'dir', 'dir/f.txt': 'file' });
      });

      it.skipIf(!capabilities.emptyDirectories)('delete of an empty directory', async () => {
        await store.mkdirs('e/f');
        await store.delete('e/f');
        expect(await store.exists('e/f')).toBe(false);
        await expectCode(store.getStatus('e/f'), 'NOT_FOUND');
        expectDirStatus(await store.getStatus('e'), 'e');
      });

      it('delete of a non-empty directory without recursive rejects DIRECTORY_NOT_EMPTY, deleting nothing', async () => {
        const files = ['d/a.txt', 'd/s/b.txt'];
        await writeFiles(store, files);
        await expectCode(store.delete('d'), 'DIRECTORY_NOT_EMPTY');
        await expectCode(store.delete('d', { recursive: false }), 'DIRECTORY_NOT_EMPTY');
        expect(await listTree(store, '')).toEqual(treeOf(files));
        expect((await readFile(store, 'd/a.txt')).toString()).toBe('d/a.txt');
      });

      it('recursive delete removes everything below and nothing beside', async () => {
        await writeFiles(store, [
          'd/a.txt',
          'd/s/b.txt',
          'd/s/t/c.txt',
          'd-keep.txt',
          'dd/keep.txt',
          'd.txt',
        ]);
        await store.delete('d', { recursive: true });
        for (const path of ['d', 'd/a.txt', 'd/s', 'd/s/t/c.txt']) {
          expect(await store.exists(path), `exists '${path}'`).toBe(false);
          await expectCode(store.getStatus(path), 'NOT_FOUND');
        }
        await expectCode(store.list('d'), 'NOT_FOUND');
        expect(await listTree(store, '')).toEqual(treeOf(['d-keep.txt', 'dd/keep.txt', 'd.txt']));
      });

      it('deleting the root is refused with INVALID_ARGUMENT', async () => {
        await writeFile(store, 'keep/me.txt', 'keep');
        for (const root of ['', '/', '.']) {
          await expectCode(store.delete(root), 'INVALID_ARGUMENT');
          await expectCode(store.delete(root, { recursive: true }), [
            'INVALID_ARGUMENT',
            'PERMISSION_DENIED',
          ]);
        }
        expect(await listTree(store, '')).toEqual(treeOf(['keep/me.txt']));
        expectDirStatus(await store.getStatus(''), '');
      });
    });

    // ---------------------------------------------------------------------------------------------
    describe.skipIf(readOnly)('failed and in-progress writes', () => {
      const part = (i: number): Buffer => randomBuffer(256 * KiB, `part-${i}`);

      it('abortWrite before any byte leaves nothing behind', async () => {
        const out = await store.create('nothing.bin');
        await abortWrite(out);
        expect(await store.exists('nothing.bin')).toBe(false);
        expect(await listTree(store, '')).toEqual({});
      });

      it('abortWrite after some bytes leaves nothing behind, and the path can be written again', async () => {
        const out = await store.create('aborted.bin');
        for (let i = 0; i < 3; i++) await writeChunk(out, part(i));
        await abortWrite(out);
        expect(await store.exists('aborted.bin')).toBe(false);
        await expectCode(store.getStatus('aborted.bin'), 'NOT_FOUND');
        await expectCode(store.open('aborted.bin'), 'NOT_FOUND');
        expect(await listTree(store, '')).toEqual({});
        await writeFile(store, 'aborted.bin', 'second try');
        expect((await readFile(store, 'aborted.bin')).toString()).toBe('second try');
        expect(await listTree(store, '')).toEqual({ 'aborted.bin': 'file' });
      });

      it('abortWrite in an existing directory leaves only what was there', async () => {
        await writeFile(store, 'dir/keep.txt', 'keep');
        const out = await store.create('dir/aborted.bin');
        await writeChunk(out, part(0));
        await abortWrite(out);
        expect(await store.exists('dir/aborted.bin')).toBe(false);
        expect(await listTree(store, '')).toEqual({ dir: 'dir', 'dir/keep.txt': 'file' });
        expect(await listTree(store, 'dir', false)).toEqual({ 'dir/keep.txt': 'file' });
      });

      it('abortWrite under new parents leaves no file anywhere', async () => {
        const out = await store.create('new/deeper/aborted.bin');
        await writeChunk(out, part(0));
        await abortWrite(out);
        expect(await store.exists('new/deeper/aborted.bin')).toBe(false);
        expect(await listFiles(store, '')).toEqual([]);
      });

      it('abortWrite of an overwrite keeps the old content', async () => {
        const old = randomBuffer(5000, 'keep-old');
        await writeFile(store, 'file.bin', old);
        const out = await store.create('file.bin', { overwrite: true });
        await writeChunk(out, part(0));
        await abortWrite(out);
        expect(await readFile(store, 'file.bin')).toEqual(old);
        expectFileStatus(await store.getStatus('file.bin'), 'file.bin', 5000);
        expect(await listTree(store, '')).toEqual({ 'file.bin': 'file' });
      });

      it('a source that fails in the middle of pipeline leaves nothing behind', async () => {
        const out = await store.create('failing/file.bin');
        const failing = async function* (): AsyncGenerator<Buffer> {
          yield part(0);
          yield part(1);
          throw new Error('source failed');
        };
        await expect(pipeline(failing, out)).rejects.toThrow();
        await abortWrite(out);
        expect(await store.exists('failing/file.bin')).toBe(false);
        expect(await listFiles(store, '')).toEqual([]);
      });

      it('a write in progress is invisible until it ends', async () => {
        const out = await store.create('vis/file.bin');
        try {
          await writeChunk(out, part(0));
          expect(await store.exists('vis/file.bin')).toBe(false);
          await expectCode(store.getStatus('vis/file.bin'), 'NOT_FOUND');
          expect(await listFiles(store, ''), 'files listed during the write').toEqual([]);
          await writeChunk(out, part(1));
          await endWrite(out);
        } finally {
          if (!out.writableFinished) await abortWrite(out);
        }
        expect(await store.exists('vis/file.bin')).toBe(true);
        expectSameBytes(
          await readFile(store, 'vis/file.bin'),
          Buffer.concat([part(0), part(1)]),
          'vis/file.bin',
        );
        expect(await listTree(store, '')).toEqual({ vis: 'dir', 'vis/file.bin': 'file' });
      });

      it('an overwrite in progress leaves the old content readable until it ends', async () => {
        await writeFile(store, 'over.txt', 'old');
        const out = await store.create('over.txt', { overwrite: true });
        try {
          await writeChunk(out, Buffer.from('new content'));
          expect((await readFile(store, 'over.txt')).toString()).toBe('old');
          expectFileStatus(await store.getStatus('over.txt'), 'over.txt', 3);
          await endWrite(out);
        } finally {
          if (!out.writableFinished) await abortWrite(out);
        }
        expect((await readFile(store, 'over.txt')).toString()).toBe('new content');
        expect(await listTree(store, '')).toEqual({ 'over.txt': 'file' });
      });
    });

    // ---------------------------------------------------------------------------------------------
    describe('path safety', () => {
      const ESCAPES = ['..', '../x', 'a/../../x', 'a/b/../../../x', '../../etc/passwd'];
      const MALFORMED = [...ESCAPES, 'a/\0b'];

      it('reads of paths leaving the root reject INVALID_ARGUMENT (getStatus, exists, open, list)', async () => {
        for (const path of MALFORMED) {
          await expectCode(store.getStatus(path), 'INVALID_ARGUMENT');
          await expectCode(store.exists(path), 'INVALID_ARGUMENT');
          await expectCode(store.open(path), 'INVALID_ARGUMENT');
          await expectCode(store.list(path), 'INVALID_ARGUMENT');
          await expectCode(store.list(path, { recursive: true }), 'INVALID_ARGUMENT');
        }
      });

      it.skipIf(readOnly)(
        'writes to paths leaving the root reject INVALID_ARGUMENT (create, mkdirs, delete, rename)',
        async () => {
          await writeFile(store, 'inside.txt', 'inside');
          for (const path of MALFORMED) {
            await expectCode(store.create(path), 'INVALID_ARGUMENT');
            await expectCode(store.create(path, { overwrite: true }), 'INVALID_ARGUMENT');
            await expectCode(store.mkdirs(path), 'INVALID_ARGUMENT');
            await expectCode(store.delete(path), 'INVALID_ARGUMENT');
            await expectCode(store.delete(path, { recursive: true }), 'INVALID_ARGUMENT');
            await expectCode(store.rename('inside.txt', path), 'INVALID_ARGUMENT');
            await expectCode(store.rename(path, 'moved.txt'), 'INVALID_ARGUMENT');
          }
          expect(await listTree(store, '')).toEqual({ 'inside.txt': 'file' });
        },
      );
    });

    // ---------------------------------------------------------------------------------------------
    describe.skipIf(readOnly)('exists', () => {
      it('is true for a file and a directory, false for a missing path', async () => {
        await writeFile(store, 'dir/file.txt', 'x');
        expect(await store.exists('dir/file.txt')).toBe(true);
        expect(await store.exists('dir')).toBe(true);
        expect(await store.exists('')).toBe(true);
        expect(await store.exists('dir/missing.txt')).toBe(false);
        expect(await store.exists('missing')).toBe(false);
        expect(await store.exists('di')).toBe(false);
        expect(await store.exists('dir/file.txt/below')).toBe(false);
      });
    });

    // ---------------------------------------------------------------------------------------------
    describe('space', () => {
      it.skipIf(!capabilities.space)('getSpace reports total > 0 and free <= total', async () => {
        const space = await store.getSpace();
        expect(space).toBeDefined();
        if (!space) return;
        for (const figure of [space.total, space.free, space.used]) {
          expect(Number.isFinite(figure) && figure >= 0).toBe(true);
        }
        expect(space.total).toBeGreaterThan(0);
        expect(space.free).toBeLessThanOrEqual(space.total);
        expect(space.used).toBeLessThanOrEqual(space.total);
      });

      it.skipIf(capabilities.space)('getSpace is undefined for a store that declares no space', async () => {
        expect(await store.getSpace()).toBeUndefined();
      });
    });

    // ---------------------------------------------------------------------------------------------
    describe.runIf(readOnly)('read-only store', () => {
      it('create rejects READ_ONLY from create()', async () => {
        await expectCode(store.create('a.txt'), 'READ_ONLY');
        await expectCode(store.create('dir/a.txt', { overwrite: true }), 'READ_ONLY');
      });

      it('mkdirs rejects READ_ONLY', async () => {
        await expectCode(store.mkdirs('dir'), 'READ_ONLY');
        await expectCode(store.mkdirs('dir/sub', { createParent: false }), 'READ_ONLY');
      });

      it('delete rejects READ_ONLY', async () => {
        await expectCode(store.delete('a.txt'), 'READ_ONLY');
        await expectCode(store.delete('dir', { recursive: true }), 'READ_ONLY');
      });

      it('rename rejects READ_ONLY', async () => {
        await expectCode(store.rename('a.txt', 'b.txt'), 'READ_ONLY');
      });

      it('reads still work', async () => {
        expectDirStatus(await store.getStatus(''), '');
        expect((await store.list('')).entries).toEqual([]);
        expect(await store.exists('')).toBe(true);
      });
    });
  });
}
