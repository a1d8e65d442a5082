/**
 * The local directory under store (`file://` URIs and plain paths).
 *
 * Writes go to a hidden temp file beside the target and are renamed into place on close, so a file
 * is either absent or complete. Every path is checked against the real path of the root after
 * symlinks are resolved: nothing outside the root can be read, written, listed or deleted.
 */
import { randomBytes } from 'node:crypto';
import type { Dir, Dirent, Stats } from 'node:fs';
import {
  type FileHandle,
  link,
  lstat,
  mkdir,
  open,
  opendir,
  realpath,
  rename,
  rm,
  rmdir,
  stat,
  statfs,
  unlink,
} from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { isTierfsError, TierfsError, toTierfsError } from '../../errors.js';
import type {
  CreateOptions,
  DeleteOptions,
  ListedName,
  ListOptions,
  ListPage,
  MkdirsOptions,
  OpenOptions,
  SpaceInfo,
  UfsStatus,
  UfsWriteStream,
  UnderStore,
  UnderStoreCapabilities,
} from '../contract.js';
import { readRangeOf, readVersionOf, staleVersion } from '../io.js';
import { baseName, isSameOrDescendant, normalizeUfsPath, parentPath } from '../path.js';
import { groupName, userName } from './posix-names.js';
import { SortedNames } from './sorted-names.js';

export const LOCAL_CAPABILITIES: UnderStoreCapabilities = Object.freeze({
  atomicRename: true,
  directoryMarkers: false,
  emptyDirectories: true,
  multipartUpload: false,
  presign: false,
  space: true,
  posixPermissions: true,
  readOnly: false,
  maxListPageSize: 1000,
});

/** Prefix of in-progress writes; such entries are never listed. */
const PARTIAL_PREFIX = '.tierfs-partial.';
/** How long a listing's names are reused by its next page, and how many listings are kept. */
const LISTING_REUSE_MS = 60_000;
const LISTINGS_KEPT = 8;
/** Entries whose status a listing reads at once. */
const STAT_BATCH = 128;
/** Directory entries read from the kernel per call while a directory is listed. */
const DIRENT_BUFFER = 4096;
const READ_CHUNK = 256 * 1024;

export interface LocalStoreOptions {
  /** Absolute directory the store is rooted at. */
  root: string;
  /** Refuse every write with READ_ONLY. */
  readOnly?: boolean;
  /** cleanup() removes partial files of interrupted writes older than this (default one hour). */
  partialCleanAgeMs?: number;
}

interface ListCursor {
  /** The listed directory and mode, so a token cannot be replayed against another listing. */
  readonly dir: string;
  readonly recursive: boolean;
  /** Path of the last entry returned. */
  readonly after: string;
}

export class LocalUnderStore implements UnderStore {
  readonly scheme = 'file';
  readonly uri: string;
  readonly capabilities: UnderStoreCapabilities;
  private readonly root: string;
  private realRoot: string | undefined;
  private readonly partialCleanAgeMs: number;
  /** Sorted names of directories being listed page by page, by directory, least recently used first. */
  private readonly listings = new Map<string, { names: SortedNames; usedMs: number }>();

  constructor(options: LocalStoreOptions) {
    if (!options.root.startsWith('/')) {
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `local store root must be an absolute path, got '${options.root}'`,
      );
    }
    this.root = options.root.length > 1 ? options.root.replace(/\/+$/, '') : options.root;
    this.uri = pathToFileURL(this.root.endsWith('/') ? this.root : `${this.root}/`).href;
    this.capabilities = options.readOnly ? { ...LOCAL_CAPABILITIES, readOnly: true } : LOCAL_CAPABILITIES;
    this.partialCleanAgeMs = options.partialCleanAgeMs ?? 60 * 60 * 1000;
  }

  async getStatus(path: string): Promise<UfsStatus> {
    const { rel, abs } = await this.resolve(path);
    const info = await this.fs(() => stat(abs), rel).catch((error) => this.notFoundBelowFile(error, rel));
    return this.toStatus(rel, info);
  }

  /** Reads below a file find nothing: NOT_FOUND, as on an object store. */
  private notFoundBelowFile(error: unknown, rel: string): never {
    if (isTierfsError(error, 'NOT_A_DIRECTORY')) {
      throw new TierfsError('NOT_FOUND', `no such file or directory: ${this.describe(rel)}`, {
        cause: error,
      });
    }
    throw error;
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.getStatus(path);
      return true;
    } catch (error) {
      if (isTierfsError(error, 'NOT_FOUND')) return false;
      throw error;
    }
  }

  async list(path: string, options: ListOptions = {}): Promise<ListPage> {
    const { rel } = await this.resolve(path);
    const status = await this.getStatus(rel);
    if (!status.isDirectory)
      throw new TierfsError('NOT_A_DIRECTORY', `not a directory: ${this.describe(rel)}`);
    const recursive = options.recursive ?? false;
    const pageSize = clampPageSize(options.pageSize, this.capabilities.maxListPageSize);
    const cursor = options.continuationToken ? decodeCursor(options.continuationToken) : undefined;
    if (cursor && (cursor.dir !== rel || cursor.recursive !== recursive)) {
      throw new TierfsError('INVALID_ARGUMENT', 'continuation token belongs to a different listing');
    }
    const resume = cursor ? cursor.after.slice(rel === '' ? 0 : rel.length + 1).split('/') : undefined;
    const entries: UfsStatus[] = [];
    let more = false;
    for await (const entry of this.entries(rel, recursive, resume)) {
      if (entries.length === pageSize) {
        more = true;
        break;
      }
      entries.push(entry);
    }
    const last = entries.at(-1);
    return more && last
      ? { entries, continuationToken: encodeCursor({ dir: rel, recursive, after: last.path }) }
      : { entries };
  }

  /**
   * The directory's names from the kernel's listing, with their kinds (a `readdir`, no `lstat`):
   * an entry's status is read when asked for. Only a symbolic link (or an entry whose kind the
   * file system does not report) is read at once, to tell what it leads to as `list` does.
   */
  async *listNames(path: string): AsyncGenerator<ListedName> {
    const { rel } = await this.resolve(path);
    const status = await this.getStatus(rel);
    if (!status.isDirectory)
      throw new TierfsError('NOT_A_DIRECTORY', `not a directory: ${this.describe(rel)}`);
    let handle: Dir;
    try {
      handle = await opendir(rel === '' ? this.root : join(this.root, rel), { bufferSize: DIRENT_BUFFER });
    } catch (error) {
      // Removed since: nothing to list, as `list` finds once the names are read.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw toTierfsError(error, this.describe(rel));
    }
    try {
      for (let dirent = await handle.read(); dirent !== null; dirent = await handle.read()) {
        const name = dirent.name;
        if (name.startsWith(PARTIAL_PREFIX)) continue;
        const child = rel === '' ? name : `${rel}/${name}`;
        if (dirent.isSymbolicLink() || !knownKind(dirent)) yield* this.listedNow(name, child);
        else yield new LocalName(name, dirent.isDirectory(), child, this.readListed);
      }
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /** The status of a listed entry (see entryStatus), for LocalName. */
  private readonly readListed = async (rel: string): Promise<UfsStatus | undefined> =>
    (await this.entryStatus(rel))?.status;

  /** An entry whose kind only its status tells (a symbolic link): read now, left out when gone. */
  private async *listedNow(name: string, rel: string): AsyncGenerator<ListedName> {
    const entry = await this.entryStatus(rel);
    if (!entry) return;
    const status = entry.status;
    yield { name, isDirectory: status.isDirectory, status: async () => status };
  }

  async open(path: string, options: OpenOptions = {}): Promise<Readable> {
    const { rel, abs } = await this.resolve(path);
    const { offset, length } = readRangeOf(options);
    const version = readVersionOf(options);
    if (version !== undefined && !/^\d+-\d+-\d+$/.test(version)) {
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `'${version}' is not a version of a local file (<inode>-<size>-<mtime µs>)`,
      );
    }
    const handle = await this.fs(() => open(abs, 'r'), rel).catch((error) =>
      this.notFoundBelowFile(error, rel),
    );
    try {
      const info = await handle.stat();
      if (info.isDirectory())
        throw new TierfsError('IS_A_DIRECTORY', `is a directory: ${this.describe(rel)}`);
      // The version is checked on the descriptor the bytes come from: a later replacement of the
      // path (a new inode) cannot reach this read.
      const found = fingerprintOf(info, info.size);
      if (version !== undefined && found !== version) {
        throw staleVersion(this.describe(rel), version, found);
      }
      const end = Math.min(info.size, length === undefined ? info.size : offset + length);
      if (offset >= end) {
        await handle.close();
        return Readable.from([]);
      }
      return handle.createReadStream({
        start: offset,
        end: end - 1,
        highWaterMark: READ_CHUNK,
        signal: options.signal,
      });
    } catch (error) {
      await handle.close();
      throw toTierfsError(error, this.describe(rel));
    }
  }

  async create(path: string, options: CreateOptions = {}): Promise<UfsWriteStream> {
    this.checkWritable();
    const { rel, abs } = await this.resolve(path);
    if (rel === '') throw new TierfsError('IS_A_DIRECTORY', `cannot write to the root of ${this.uri}`);
    const existing = await this.statOrUndefined(abs, rel);
    if (existing?.isDirectory())
      throw new TierfsError('IS_A_DIRECTORY', `is a directory: ${this.describe(rel)}`);
    if (existing && !options.overwrite) {
      throw new TierfsError(
        'ALREADY_EXISTS',
        `file already exists: ${this.describe(rel)} (pass overwrite to replace it)`,
      );
    }
    const parent = dirname(abs);
    const createdParent =
      options.createParent === false
        ? await this.requireDirectory(parentPath(rel)).then(() => undefined)
        : await this.fs(() => mkdir(parent, { recursive: true }), parentPath(rel));
    const temp = join(parent, `${PARTIAL_PREFIX}${randomBytes(8).toString('hex')}`);
    let handle: FileHandle;
    try {
      handle = await open(temp, 'wx', options.mode ?? 0o644);
    } catch (error) {
      await removeCreatedDirs(createdParent, parent);
      throw toTierfsError(error, this.describe(rel));
    }
    return new LocalWriteStream(handle, (info) => this.toStatus(rel, info), {
      commit: async () => {
        if (options.overwrite) {
          // The path may have become a directory since create() looked (a gateway key turned into
          // a prefix): IS_A_DIRECTORY, like every other failure here, never a bare system error.
          await rename(temp, abs).catch((error: unknown) => {
            throw toTierfsError(error, this.describe(rel));
          });
          return;
        }
        // link() fails if the target appeared meanwhile, where rename() would silently replace it.
        try {
          await link(temp, abs);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
            throw new TierfsError('ALREADY_EXISTS', `file already exists: ${this.describe(rel)}`, {
              cause: error,
            });
          }
          throw toTierfsError(error, this.describe(rel));
        }
        await unlink(temp);
      },
      discard: async () => {
        await unlink(temp).catch(() => undefined);
        await removeCreatedDirs(createdParent, parent);
      },
    });
  }

  async mkdirs(path: string, options: MkdirsOptions = {}): Promise<void> {
    this.checkWritable();
    const { rel, abs } = await this.resolve(path);
    const existing = await this.statOrUndefined(abs, rel);
    if (existing?.isDirectory()) return;
    if (existing) throw new TierfsError('ALREADY_EXISTS', `a file exists at ${this.describe(rel)}`);
    if (options.createParent === false) await this.requireDirectory(parentPath(rel));
    try {
      await mkdir(abs, { recursive: options.createParent !== false });
    } catch (error) {
      if (
        (error as NodeJS.ErrnoException).code === 'EEXIST' &&
        (await this.statOrUndefined(abs, rel))?.isDirectory()
      ) {
        return; // Created concurrently: fine.
      }
      throw toTierfsError(error, this.describe(rel));
    }
  }

  async delete(path: string, options: DeleteOptions = {}): Promise<void> {
    this.checkWritable();
    const { rel, abs } = await this.resolve(path);
    if (rel === '') throw new TierfsError('INVALID_ARGUMENT', `the root of ${this.uri} cannot be deleted`);
    const info = await this.fs(() => lstat(abs), rel);
    if (!info.isDirectory()) {
      await this.fs(() => unlink(abs), rel);
    } else if (options.recursive) {
      await this.fs(() => rm(abs, { recursive: true }), rel);
    } else {
      try {
        await rmdir(abs);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOTEMPTY') {
          throw new TierfsError(
            'DIRECTORY_NOT_EMPTY',
            `directory not empty: ${this.describe(rel)} (delete it recursively)`,
          );
        }
        throw toTierfsError(error, this.describe(rel));
      }
    }
  }

  async rename(source: string, destination: string): Promise<void> {
    this.checkWritable();
    const from = await this.resolve(source);
    const to = await this.resolve(destination);
    if (from.rel === '' || to.rel === '')
      throw new TierfsError('INVALID_ARGUMENT', 'the root cannot be renamed');
    await this.fs(() => lstat(from.abs), from.rel);
    if (isSameOrDescendant(to.rel, from.rel)) {
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `cannot move ${this.describe(from.rel)} into itself (${to.rel})`,
      );
    }
    if (await this.statOrUndefined(to.abs, to.rel)) {
      throw new TierfsError('ALREADY_EXISTS', `destination already exists: ${this.describe(to.rel)}`);
    }
    await this.fs(() => mkdir(dirname(to.abs), { recursive: true }), parentPath(to.rel));
    await this.fs(() => rename(from.abs, to.abs), from.rel);
  }

  async getSpace(): Promise<SpaceInfo> {
    const info = await this.fs(async () => statfs(await this.rootPath()), '');
    const total = info.blocks * info.bsize;
    return { total, free: info.bavail * info.bsize, used: total - info.bfree * info.bsize };
  }

  /**
   * Removes the partial files of writes that never finished (their process was killed: a live
   * write removes its own), older than the clean age, anywhere below the root. Symbolic links are
   * not followed.
   */
  async cleanup(): Promise<number> {
    if (this.capabilities.readOnly) return 0;
    const cutoff = Date.now() - this.partialCleanAgeMs;
    let removed = 0;
    const pending = [this.root];
    while (pending.length > 0) {
      const dir = pending.pop()!;
      // Streamed, not read whole: a directory of millions of files costs no memory to sweep.
      const entries = await opendir(dir).catch(() => [] as Dirent[]);
      for await (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) pending.push(path);
        else if (entry.isFile() && entry.name.startsWith(PARTIAL_PREFIX)) {
          const info = await stat(path).catch(() => undefined);
          if (
            info &&
            info.mtimeMs < cutoff &&
            (await unlink(path).then(
              () => true,
              () => false,
            ))
          )
            removed++;
        }
      }
    }
    return removed;
  }

  async close(): Promise<void> {}

  /** Depth-first, each directory in name order, a directory before its children; skips up to `resume`. */
  private async *entries(dir: string, recursive: boolean, resume?: string[]): AsyncGenerator<UfsStatus> {
    const names = (await this.sortedNames(dir, resume !== undefined)).from(resume?.[0]);
    const [first, ...rest] = resume ?? [];
    const relOf = (name: string) => (dir === '' ? name : `${dir}/${name}`);
    for (;;) {
      // The entries' statuses are read STAT_BATCH at a time, at once: one by one, a directory of
      // a million files takes minutes of round trips to the file system's thread pool.
      const batch: string[] = [];
      while (batch.length < STAT_BATCH) {
        const next = names.next();
        if (next.done) break;
        batch.push(next.value);
      }
      if (batch.length === 0) return;
      const statuses = await Promise.all(batch.map((name) => this.entryStatus(relOf(name))));
      for (let i = 0; i < batch.length; i++) {
        const name = batch[i]!;
        const resumingHere = first !== undefined && name === first;
        const entry = statuses[i];
        if (!entry) continue;
        if (!resumingHere) yield entry.status;
        // Symlinked directories are listed but not descended into: no cycles, no double listings.
        if (recursive && entry.status.isDirectory && !entry.symlink) {
          yield* this.entries(relOf(name), true, resumingHere && rest.length > 0 ? rest : undefined);
        }
      }
    }
  }

  /**
   * The names in a directory, sorted (partial files left out). A listing that goes on from a page
   * reuses the names its first page read, for a while: a directory of a million files is read and
   * sorted once per listing, not once per page. The directory is streamed and sorted in runs, the
   * names packed (see SortedNames): never a string per name for the whole directory at once.
   */
  private async sortedNames(dir: string, resuming: boolean): Promise<SortedNames> {
    const now = Date.now();
    const cached = this.listings.get(dir);
    if (resuming && cached && now - cached.usedMs < LISTING_REUSE_MS) {
      cached.usedMs = now;
      return cached.names;
    }
    let names: SortedNames;
    try {
      const handle = await opendir(dir === '' ? this.root : join(this.root, dir), {
        bufferSize: DIRENT_BUFFER,
      });
      try {
        names = await SortedNames.read(handle, (name) => !name.startsWith(PARTIAL_PREFIX));
      } finally {
        await handle.close();
      }
    } catch (error) {
      // Removed while we were listing it: nothing more to say about it.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return SortedNames.empty;
      throw toTierfsError(error, this.describe(dir));
    }
    this.listings.delete(dir);
    this.listings.set(dir, { names, usedMs: now });
    for (const [key, listing] of this.listings) {
      if (this.listings.size <= LISTINGS_KEPT && now - listing.usedMs < LISTING_REUSE_MS) break;
      this.listings.delete(key);
    }
    return names;
  }

  /** Status of a listed entry, or undefined when it vanished or is a symlink leading out of the root. */
  private async entryStatus(rel: string): Promise<{ status: UfsStatus; symlink: boolean } | undefined> {
    try {
      const abs = join(this.root, rel);
      const info = await lstat(abs);
      // Only a symlink can lead elsewhere; a plain entry of a directory inside the root stays inside.
      if (!info.isSymbolicLink()) return { status: this.toStatus(rel, info), symlink: false };
      await this.resolve(rel);
      return { status: this.toStatus(rel, await stat(abs)), symlink: true };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (
        code === 'ENOENT' ||
        isTierfsError(error, 'PERMISSION_DENIED') ||
        isTierfsError(error, 'NOT_FOUND')
      ) {
        return undefined;
      }
      throw toTierfsError(error, this.describe(rel));
    }
  }

  private toStatus(rel: string, info: Stats): UfsStatus {
    const isDirectory = info.isDirectory();
    const size = isDirectory ? 0 : info.size;
    return {
      path: rel,
      name: baseName(rel),
      isDirectory,
      size,
      mtimeMs: info.mtimeMs,
      fingerprint: fingerprintOf(info, size),
      owner: userName(info.uid),
      group: groupName(info.gid),
      mode: info.mode & 0o7777,
    };
  }

  /**
   * Normalizes `path` and proves it stays inside the root: the deepest existing ancestor (the path
   * itself when it exists) must resolve, through any symlinks, to the root or below it.
   */
  private async resolve(path: string): Promise<{ rel: string; abs: string }> {
    const rel = normalizeUfsPath(path);
    const abs = rel === '' ? this.root : join(this.root, rel);
    const root = await this.rootPath();
    let probe = abs;
    for (;;) {
      let real: string;
      try {
        real = await realpath(probe);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if ((code === 'ENOENT' || code === 'ENOTDIR') && probe.length > this.root.length) {
          probe = dirname(probe);
          continue;
        }
        if (code === 'ENOENT') break; // The root itself does not exist yet.
        throw toTierfsError(error, this.describe(rel));
      }
      if (real !== root && !real.startsWith(root === '/' ? '/' : `${root}${sep}`)) {
        throw new TierfsError('PERMISSION_DENIED', `path '${path}' leads outside the store root ${this.uri}`);
      }
      break;
    }
    return { rel, abs };
  }

  private async rootPath(): Promise<string> {
    if (this.realRoot) return this.realRoot;
    try {
      this.realRoot = await realpath(this.root);
      return this.realRoot;
    } catch {
      return this.root; // Not created yet; resolved again next time.
    }
  }

  private async statOrUndefined(abs: string, rel: string): Promise<Stats | undefined> {
    try {
      return await stat(abs);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'ENOTDIR')
        throw new TierfsError('NOT_A_DIRECTORY', `a parent of ${this.describe(rel)} is a file`);
      throw toTierfsError(error, this.describe(rel));
    }
  }

  private async requireDirectory(rel: string): Promise<void> {
    const info = await this.statOrUndefined(rel === '' ? this.root : join(this.root, rel), rel);
    if (!info) throw new TierfsError('NOT_FOUND', `parent directory does not exist: ${this.describe(rel)}`);
    if (!info.isDirectory())
      throw new TierfsError('NOT_A_DIRECTORY', `not a directory: ${this.describe(rel)}`);
  }

  private checkWritable(): void {
    if (this.capabilities.readOnly) throw new TierfsError('READ_ONLY', `${this.uri} is mounted read-only`);
  }

  private async fs<T>(operation: () => Promise<T>, rel: string): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw toTierfsError(error, this.describe(rel));
    }
  }

  private describe(rel: string): string {
    return `${this.uri}${rel.split('/').map(encodeURIComponent).join('/')}`;
  }
}

/** A name listed by listNames: its status read when asked. */
class LocalName implements ListedName {
  constructor(
    readonly name: string,
    readonly isDirectory: boolean,
    private readonly rel: string,
    private readonly read: (rel: string) => Promise<UfsStatus | undefined>,
  ) {}

  status(): Promise<UfsStatus | undefined> {
    return this.read(this.rel);
  }
}

/** Whether a directory entry tells what it is (some file systems leave it to a `stat`). */
function knownKind(dirent: Dirent): boolean {
  return (
    dirent.isFile() ||
    dirent.isDirectory() ||
    dirent.isFIFO() ||
    dirent.isSocket() ||
    dirent.isBlockDevice() ||
    dirent.isCharacterDevice()
  );
}

/** A file's version: inode, size and mtime in µs (what open's `version` is compared with). */
function fingerprintOf(info: Stats, size: number): string {
  return `${info.ino}-${size}-${Math.trunc(info.mtimeMs * 1000)}`;
}

function clampPageSize(requested: number | undefined, max: number): number {
  if (requested === undefined) return max;
  if (!Number.isSafeInteger(requested) || requested < 1) {
    throw new TierfsError('INVALID_ARGUMENT', `page size must be a positive integer, got ${requested}`);
  }
  return Math.min(requested, max);
}

function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([cursor.dir, cursor.recursive, cursor.after])).toString('base64url');
}

function decodeCursor(token: string): ListCursor {
  try {
    const [dir, recursive, after] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown[];
    if (typeof dir === 'string' && typeof recursive === 'boolean' && typeof after === 'string') {
      return { dir, recursive, after };
    }
  } catch {
    // Fall through to the error below.
  }
  throw new TierfsError('INVALID_ARGUMENT', 'malformed continuation token');
}

/** Removes the directories `mkdir -p` created for an aborted write, innermost first, if still empty. */
async function removeCreatedDirs(firstCreated: string | undefined, innermost: string): Promise<void> {
  if (!firstCreated) return;
  for (let dir = innermost; dir.length >= firstCreated.length; dir = dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      return;
    }
  }
}

interface CommitHooks {
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/** A file write that becomes visible only when `end()` succeeds and leaves nothing when destroyed. */
class LocalWriteStream extends Writable implements UfsWriteStream {
  private committed = false;
  written: UfsStatus | undefined;

  constructor(
    private readonly handle: FileHandle,
    /** The status of the committed file, from the temp file's own stat (rename and link keep it). */
    private readonly statusOf: (info: Stats) => UfsStatus,
    private readonly hooks: CommitHooks,
  ) {
    super({ highWaterMark: READ_CHUNK });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    writeAllTo(this.handle, [chunk]).then(() => callback(), callback);
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (error?: Error | null) => void,
  ): void {
    writeAllTo(
      this.handle,
      chunks.map((c) => c.chunk),
    ).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    let info: Stats;
    this.handle
      .stat()
      .then((stats) => {
        info = stats;
        return this.handle.close();
      })
      .then(() => this.hooks.commit())
      .then(() => {
        this.committed = true;
        this.written = this.statusOf(info);
        callback();
      }, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.committed) {
      callback(error);
      return;
    }
    this.handle
      .close()
      .catch(() => undefined)
      .then(() => this.hooks.discard())
      .then(
        () => callback(error),
        () => callback(error),
      );
  }
}

/** writev may write less than asked (a full disk reports it on the next call): write the rest. */
async function writeAllTo(handle: FileHandle, buffers: Buffer[]): Promise<void> {
  let pending = buffers.filter((b) => b.length > 0);
  while (pending.length > 0) {
    let { bytesWritten } = await handle.writev(pending);
    if (bytesWritten === 0) throw new TierfsError('UNAVAILABLE', 'the disk accepted no bytes');
    const rest: Buffer[] = [];
    for (const buffer of pending) {
      if (bytesWritten >= buffer.length) bytesWritten -= buffer.length;
      else {
        rest.push(buffer.subarray(bytesWritten));
        bytesWritten = 0;
      }
    }
    pending = rest;
  }
}
