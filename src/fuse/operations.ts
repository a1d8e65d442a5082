/**
 * The FUSE operations over the tierfs client. Every operation is asynchronous (a FUSE callback must
 * never block the event loop the mount runs on) and answers with a value or throws; the adapter in
 * mount.ts turns that into fuse-native's callbacks and errnos (errno.ts).
 *
 * Paths are the mount's (`/a/b`), under the tierfs path the mount shows (`root`). Reads go through
 * the worker cache with the mount's read type (read-handle.ts); writes are new files streamed
 * sequentially with its write type (write-handle.ts). Attributes are cached for the configured
 * time (attribute-cache.ts); owners and groups are shown as the system's uids and gids
 * (identity-map.ts), so the kernel (default_permissions) checks each caller's uid and gid.
 */
import type { ReadType, TierfsClient, WriteType } from '../client/client.js';
import type { FileStatus } from '../cluster/wire.js';
import { isTierfsError } from '../errors.js';
import { AttributeCache } from './attribute-cache.js';
import { DirectoryPages } from './directory-pages.js';
import { FuseError } from './errno.js';
import { type FuseStat, statOf, statOfWriting } from './file-attributes.js';
import type { IdentityMap } from './identity-map.js';
import { KernelPageVersions } from './kernel-page-versions.js';
import { ReadHandle } from './read-handle.js';
import { SmallFilePrefetch } from './small-file-prefetch.js';
import { type Creator, giveTo, WriteHandle } from './write-handle.js';

/** The process that called an operation (the patched binding tells; the prebuild does not). */
export interface Caller {
  readonly uid: number;
  readonly gid: number;
}

/** The log lines the mount writes (a pino logger fits). */
export interface FuseLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface FuseOperationsOptions {
  readonly client: TierfsClient;
  /** The tierfs path shown at the mount point. */
  readonly root: string;
  readonly readOnly: boolean;
  readonly readType: ReadType;
  readonly writeType: WriteType;
  readonly readAheadBytes: number;
  readonly attrCacheTtlMs: number;
  /** tierfs's own umask on what it creates (tierfs.security.authorization.permission.umask). */
  readonly umask: number;
  /** Largest file that writing on at its end rewrites whole (tierfs.fuse.append.rewrite.max). */
  readonly appendRewriteMax: number;
  readonly ids: IdentityMap;
  /** Whether owners and groups are translated to uids and gids (else all show as the mount's). */
  readonly translate: boolean;
  /** The uid and gid shown for files this mount is writing. */
  readonly owner: { readonly uid: number; readonly gid: number };
  readonly log: FuseLog;
}

export interface StatFs {
  readonly bsize: number;
  readonly frsize: number;
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
  readonly files: number;
  readonly ffree: number;
  readonly favail: number;
  readonly namemax: number;
}

const O_ACCMODE = 3;
const O_RDONLY = 0;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const UNCHANGED_ID = 0xffffffff;
const LIST_PAGE = 1000;
/** Small files of a walked directory fetched ahead of the one opened. */
const PREFETCH_DEPTH = 16;
const STATFS_BLOCK = 4096;
/** UTIME_NOW and UTIME_OMIT ((1 << 30) - 1 and - 2 ns, tv_sec 0) as fuse-native's milliseconds. */
const UTIME_SPECIAL_MS = 1073;
/** statfs counts are 32-bit in fuse-native. */
const MAX_U32 = 0xffffffff;

/**
 * Look-ups the binding answers itself (the patched binding's attribute cache, on libfuse's
 * threads), by mount path: what the mount's own attribute cache holds, for no longer than it would.
 */
export interface BindingAttributes {
  put(path: string, stat: FuseStat, ms: number): void;
  drop(path: string, tree: boolean): void;
}

/** An open file: its handle, and whether the kernel may keep the pages it holds of the file. */
export interface OpenedFile {
  readonly handle: number;
  readonly keepCache: boolean;
}

interface OpenHandle {
  readonly path: string;
  reader?: ReadHandle;
  writer?: WriteHandle;
}

export class FuseOperations {
  readonly attributes: AttributeCache;
  private readonly handles = new Map<number, OpenHandle>();
  /** Where the pages of listed directories begin and end, to look expired entries up a page at a time. */
  private readonly pages = new DirectoryPages();
  /** Status look-ups under way, by path, with the cache's generation they started in. */
  private readonly statusLookups = new Map<string, { generation: number; status: Promise<FileStatus> }>();
  /** Page look-ups under way, by directory and token: files opened together share one. */
  private readonly pageLookups = new Map<string, Promise<void>>();
  /** Files being written through this mount, by tierfs path. */
  private readonly writing = new Map<string, WriteHandle>();
  private readonly prefetch: SmallFilePrefetch;
  /** The kernel's stat of each status answered (a status object is never changed once fetched). */
  private readonly stats = new WeakMap<FileStatus, FuseStat>();
  /** The version the kernel's pages of each file are of: an open keeps them only for that one. */
  private readonly pageVersions = new KernelPageVersions();
  private binding: BindingAttributes | undefined;
  private nextHandle = 1;
  private refusedOwnership = false;

  constructor(private readonly options: FuseOperationsOptions) {
    this.attributes = new AttributeCache(options.attrCacheTtlMs);
    this.prefetch = new SmallFilePrefetch({
      read: (file, readOptions) => options.client.readListed(file, readOptions),
      readType: options.readType,
      holdMs: options.attrCacheTtlMs,
      depth: PREFETCH_DEPTH,
    });
  }

  /**
   * Lets `binding` answer look-ups from what the attribute cache holds, each for the first half of
   * its life there (in the second half the look-ups come here again, and refresh it ahead of its
   * expiry: refreshAhead); a change through the mount, or a file this mount starts writing, is
   * dropped from it at once.
   */
  answerLookupsWith(binding: BindingAttributes): void {
    this.binding = binding;
    this.attributes.listener = {
      set: (path, status, expires) => {
        const shown = this.mountPathOf(path);
        if (shown === undefined) return;
        const ms = expires - Date.now() - this.options.attrCacheTtlMs / 2;
        if (this.writing.has(path) || ms <= 0) binding.drop(shown, false);
        else binding.put(shown, this.statOf(status), ms);
      },
      invalidate: (path, tree) => {
        const root = this.options.root;
        if (tree && root !== '/' && root.startsWith(path === '/' ? '/' : `${path}/`)) binding.drop('/', true);
        const shown = this.mountPathOf(path);
        if (shown !== undefined) binding.drop(shown, tree);
      },
    };
  }

  /** Open handles: a busy mount has some. */
  get openHandles(): number {
    return this.handles.size;
  }

  // --- metadata --------------------------------------------------------------------------------

  async getattr(path: string): Promise<FuseStat> {
    const target = this.tierfsPath(path);
    const writer = this.writing.get(target);
    if (writer?.open && writer.replaces) return statOfWriting(writer, writer.shownOwner(this.options.owner));
    await this.settled(target);
    return this.statOf(await this.status(target));
  }

  /**
   * Every entry of a directory, fetched a page at a time. Their attributes go with them (the kernel
   * learns each entry's type, so `find -type f` needs no stat) and into the attribute cache; the
   * pages are noted, so that reading their files asks the master once per page (capabilityOf).
   */
  async readdir(path: string): Promise<{ names: string[]; stats: FuseStat[] }> {
    const dir = this.tierfsPath(path);
    const prefix = dir === '/' ? '/' : `${dir}/`;
    // Files of this mount still being completed (a release after the close returned) list once done.
    const completing = [...this.writing].filter(
      ([writingPath, writer]) =>
        !writer.open && writingPath.startsWith(prefix) && !writingPath.slice(prefix.length).includes('/'),
    );
    await Promise.all(completing.map(([writingPath]) => this.settled(writingPath)));
    const self = this.statOf(await this.status(dir));
    const names = ['.', '..'];
    const stats = [self, self];
    const seen = new Set<string>();
    let continuationToken: string | undefined;
    this.pages.restart(dir);
    do {
      const page = await this.lookUpPage(dir, continuationToken, false);
      for (const entry of page.entries) {
        names.push(entry.name);
        stats.push(this.statOf(entry));
        seen.add(entry.name);
      }
      continuationToken = page.continuationToken;
    } while (continuationToken);
    // This mount's own files being written show to it, as a writer expects.
    for (const [writingPath, writer] of this.writing) {
      const name = writingPath.slice(prefix.length);
      if (writer.open && writingPath.startsWith(prefix) && !name.includes('/') && !seen.has(name)) {
        names.push(name);
        stats.push(statOfWriting(writer, writer.shownOwner(this.options.owner)));
      }
    }
    return { names, stats };
  }

  async statfs(): Promise<StatFs> {
    const cluster = await this.options.client.cluster();
    let capacity = 0;
    let used = 0;
    for (const worker of cluster.workers) {
      if (worker.state !== 'LIVE') continue;
      for (const tier of worker.tiers) {
        capacity += tier.capacityBytes;
        used += tier.usedBytes;
      }
    }
    const blocks = Math.min(MAX_U32, Math.floor(capacity / STATFS_BLOCK));
    const free = Math.min(blocks, Math.max(0, Math.floor((capacity - used) / STATFS_BLOCK)));
    return {
      bsize: STATFS_BLOCK,
      frsize: STATFS_BLOCK,
      blocks,
      bfree: free,
      bavail: free,
      files: 1_000_000_000,
      ffree: 1_000_000_000,
      favail: 1_000_000_000,
      namemax: 255,
    };
  }

  async mkdir(path: string, mode: number, caller?: Caller): Promise<void> {
    const target = this.writable(path);
    const made = await this.options.client.mkdir(target, { recursive: false });
    this.attributes.invalidate(target);
    const creator = this.creatorOf(caller);
    if (creator) await giveTo(this.options.client, target, creator, this.ownershipRefused);
    const wanted = mode & 0o7777;
    if (made.mode !== wanted) await this.options.client.setAttribute(target, { mode: wanted });
  }

  /** mknod(2) of a regular file makes an empty file (as create and close); other nodes are refused. */
  async mknod(path: string, mode: number, caller?: Caller): Promise<void> {
    if ((mode & S_IFMT) !== S_IFREG) this.unsupported('a device, fifo or socket node', path);
    const target = this.writable(path);
    const empty = await WriteHandle.create(this.options.client, target, {
      ...this.writeOptions(mode & 0o7777, 0),
      ...this.creatorOptions(caller),
    });
    await empty.commit();
    this.attributes.invalidate(target);
  }

  async rmdir(path: string): Promise<void> {
    const target = this.writable(path);
    const status = await this.status(target);
    if (!status.isDirectory) throw new FuseError('ENOTDIR', `${target} is not a directory`);
    await this.options.client.delete(target, { recursive: false });
    this.attributes.invalidateTree(target);
  }

  async unlink(path: string): Promise<void> {
    const target = this.writable(path);
    if (this.writing.get(target)?.open) {
      throw new FuseError('EBUSY', `${target} is being written through this mount`);
    }
    await this.options.client.delete(target, { recursive: false });
    this.attributes.invalidate(target);
  }

  /**
   * rename(2) replaces an existing destination; tierfs's rename does not, so an existing file (or
   * empty directory) there is removed first. The two steps are not atomic.
   */
  async rename(from: string, to: string): Promise<void> {
    const source = this.writable(from);
    const destination = this.writable(to);
    if (this.writing.get(source)?.open || this.writing.get(destination)?.open) {
      throw new FuseError('EBUSY', `cannot rename ${source} to ${destination} while it is being written`);
    }
    await this.settled(source);
    try {
      await this.options.client.rename(source, destination);
    } catch (error) {
      if (!isTierfsError(error, 'ALREADY_EXISTS')) throw error;
      const [was, existing] = [await this.status(source), await this.options.client.getStatus(destination)];
      if (was.isDirectory && !existing.isDirectory)
        throw new FuseError('ENOTDIR', `${destination} is a file`);
      if (!was.isDirectory && existing.isDirectory)
        throw new FuseError('EISDIR', `${destination} is a directory`);
      await this.options.client.delete(destination, { recursive: false });
      await this.options.client.rename(source, destination);
    }
    this.attributes.invalidateTree(source);
    this.attributes.invalidateTree(destination);
    // The kernel's pages move with the file: the next open of either path reads them anew.
    this.pageVersions.forget(source, true);
    this.pageVersions.forget(destination, true);
  }

  async chmod(path: string, mode: number): Promise<void> {
    await this.setAttributes(path, { mode: mode & 0o7777 });
  }

  async chown(path: string, uid: number, gid: number): Promise<void> {
    const change = {
      ...(uid === UNCHANGED_ID || uid === -1 ? {} : { owner: this.options.ids.userOf(uid) }),
      ...(gid === UNCHANGED_ID || gid === -1 ? {} : { group: this.options.ids.groupOf(gid) }),
    };
    if (Object.keys(change).length > 0) await this.setAttributes(path, change);
  }

  /**
   * utimensat(2), in milliseconds. libfuse passes UTIME_NOW with tv_sec 0, which arrives as 1073 ms:
   * taken as "now" (`touch`). The patched binding passes a modification time of UTIME_OMIT (`touch
   * -a`) as 2^64 - 1 ms: the time is left as it is. (The prebuild passes the access time here.)
   */
  async utimens(path: string, _atime: number, mtime: number): Promise<void> {
    if (mtime > Number.MAX_SAFE_INTEGER) {
      this.writable(path);
      return;
    }
    const mtimeMs = mtime === UTIME_SPECIAL_MS ? Date.now() : Math.trunc(mtime);
    await this.setAttributes(path, { mtimeMs });
  }

  /** truncate(2) by path: to zero writes an empty file; to the current size changes nothing. */
  async truncate(path: string, size: number): Promise<void> {
    const target = this.writable(path);
    const writer = this.writing.get(target);
    if (writer?.open) return writer.truncate(size);
    // open(O_TRUNC): the kernel truncates by path right after the open; the open handle writes anew.
    const opened = [...this.handles.values()].find((h) => h.path === target && h.writer?.open);
    if (opened) {
      this.startWriting(opened);
      return opened.writer!.truncate(size);
    }
    const status = await this.status(target);
    if (status.isDirectory) throw new FuseError('EISDIR', `${target} is a directory`);
    if (size === status.size) return;
    if (size !== 0) throw cannotResize(target, status.size, size);
    const empty = await WriteHandle.create(this.options.client, target, this.writeOptions(status.mode, 0));
    await empty.commit();
    this.attributes.invalidate(target);
  }

  unsupported(what: string, path: string): never {
    throw new FuseError('ENOTSUP', `${what} is not supported by tierfs: ${this.tierfsPath(path)}`, true);
  }

  // --- files -----------------------------------------------------------------------------------

  /**
   * open(2). A file opened read-only keeps the kernel's pages of it when they are of the version
   * opened (the page cache serves a warm read: no read reaches the mount), else the kernel drops
   * them; a file opened for writing always drops them.
   */
  async open(path: string, flags: number): Promise<OpenedFile> {
    const target = this.tierfsPath(path);
    await this.settled(target);
    if ((flags & O_ACCMODE) === O_RDONLY) {
      const reader = await this.openReader(target);
      const keepCache = this.pageVersions.open(target, reader.contentId);
      return { handle: this.register({ path: target, reader }), keepCache };
    }
    this.writable(path);
    if (this.writing.get(target)?.open) {
      throw new FuseError('EBUSY', `${target} is already being written through this mount`);
    }
    const status = await this.status(target);
    const writer = new WriteHandle(this.options.client, target, this.writeOptions(status.mode, status.size));
    this.pageVersions.forget(target);
    return { handle: this.register({ path: target, writer }), keepCache: false };
  }

  async create(path: string, mode: number, caller?: Caller): Promise<number> {
    const target = this.writable(path);
    if (this.writing.get(target)?.open) {
      throw new FuseError('EBUSY', `${target} is already being written through this mount`);
    }
    const writer = await WriteHandle.create(this.options.client, target, {
      ...this.writeOptions(mode & 0o7777, 0),
      ...this.creatorOptions(caller),
    });
    const wanted = mode & 0o7777;
    if ((wanted & ~this.options.umask) !== wanted) writer.attributes.mode = wanted;
    this.attributes.invalidate(target);
    return this.register({ path: target, writer });
  }

  async read(handle: number, into: Buffer, offset: number): Promise<number> {
    const open = this.handle(handle);
    if (open.writer?.replaces) {
      if (open.writer.written === 0) return 0;
      throw new FuseError('ENOTSUP', `cannot read ${open.path} back while it is written`, true);
    }
    open.reader ??= await this.openReader(open.path);
    const count = await open.reader.read(offset, into);
    this.pageVersions.read(open.path, open.reader.contentId);
    this.prefetch.noteRead(open.reader.contentId);
    return count;
  }

  async write(handle: number, data: Buffer, offset: number): Promise<number> {
    const open = this.handle(handle);
    if (!open.writer) throw new FuseError('EBADF', `${open.path} is not open for writing`);
    this.startWriting(open);
    return open.writer.write(data, offset);
  }

  async ftruncate(handle: number, size: number): Promise<void> {
    const open = this.handle(handle);
    if (!open.writer) throw new FuseError('EBADF', `${open.path} is not open for writing`);
    if (size === 0) this.startWriting(open);
    await open.writer.truncate(size);
  }

  /**
   * close(2), of every duplicate of the descriptor: a file that was written is completed, durably,
   * before close returns. A close before any write (a shell's `>` duplicates the descriptor and
   * closes the original first) leaves the file open; release completes it then.
   */
  async flush(handle: number): Promise<void> {
    const open = this.handle(handle);
    if (open.writer && open.writer.written > 0) await this.commit(open);
  }

  /**
   * fsync(2): the file is completed now, as durable as its write type promises and visible to all.
   * Writing on after it starts a new version that continues it (write-handle.ts).
   */
  async fsync(handle: number): Promise<void> {
    const open = this.handle(handle);
    if (open.writer) await this.commit(open);
  }

  async release(handle: number): Promise<void> {
    const open = this.handles.get(handle);
    if (!open) return;
    this.handles.delete(handle);
    open.reader?.close();
    if (open.writer) await this.commit(open);
  }

  /**
   * The release of handles opened read-only, several at once (the patched binding answers their
   * flush and release itself and hands them over in batches): nothing to complete, only to close.
   */
  releaseReadOnly(handles: readonly number[]): void {
    for (const handle of handles) {
      const open = this.handles.get(handle);
      if (!open || open.writer) continue; // Not a read-only handle: its own release comes.
      this.handles.delete(handle);
      open.reader?.close();
    }
  }

  /** Drops every file still being written (a forced unmount): nothing half-written is left. */
  abortAll(reason: string): void {
    for (const writer of this.writing.values()) writer.abort(reason);
    for (const open of this.handles.values()) open.reader?.close();
    this.prefetch.clear();
  }

  // --- plumbing --------------------------------------------------------------------------------

  private statOf(status: FileStatus): FuseStat {
    let stat = this.stats.get(status);
    if (!stat) {
      stat = statOf(status, this.options.ids);
      this.stats.set(status, stat);
    }
    return stat;
  }

  private async commit(open: OpenHandle): Promise<void> {
    const writer = open.writer!;
    try {
      await writer.commit();
    } finally {
      if (this.writing.get(open.path) === writer) this.writing.delete(open.path);
      this.attributes.invalidate(open.path);
    }
  }

  private startWriting(open: OpenHandle): void {
    const current = this.writing.get(open.path);
    if (current && current !== open.writer && current.open) {
      throw new FuseError('EBUSY', `${open.path} is already being written through this mount`);
    }
    this.markWriting(open.path, open.writer!);
  }

  /**
   * Waits for a file of this mount that is being completed (a release completes a file after its
   * close returned, when nothing was written before the close), so what follows sees it.
   */
  private async settled(target: string): Promise<void> {
    const writer = this.writing.get(target);
    if (writer && !writer.open) await writer.commit().catch(() => undefined);
  }

  private register(open: OpenHandle): number {
    const handle = this.nextHandle++;
    if (this.nextHandle > 0x7fffffff) this.nextHandle = 1;
    this.handles.set(handle, open);
    if (open.writer?.replaces) this.markWriting(open.path, open.writer);
    return handle;
  }

  /** A file this mount writes: its getattr shows the writing, so the binding must not answer it. */
  private markWriting(path: string, writer: WriteHandle): void {
    this.writing.set(path, writer);
    // What it writes goes into the kernel's pages of the file too: of no version until read anew.
    this.pageVersions.forget(path);
    const shown = this.mountPathOf(path);
    if (shown !== undefined) this.binding?.drop(shown, false);
  }

  private handle(handle: number): OpenHandle {
    const open = this.handles.get(handle);
    if (!open) throw new FuseError('EBADF', `no open file with handle ${handle}`);
    return open;
  }

  private async openReader(target: string): Promise<ReadHandle> {
    const options = { readType: this.options.readType, readAheadBytes: this.options.readAheadBytes };
    const status = await this.status(target);
    if (status.isDirectory) throw new FuseError('EISDIR', `${target} is a directory`);
    const capability = () => this.capabilityOf(target, status.contentId);
    const prefetched = this.prefetched(target, status);
    // Should the cached attributes name a content the file no longer has: ask again, once.
    return ReadHandle.open(this.options.client, { status, capability, prefetched }, options, async () => {
      this.attributes.invalidate(target);
      return this.status(target);
    });
  }

  /**
   * The bytes of `status`'s version when they were fetched ahead; and, when this open goes on a
   * walk through its directory, the next small files fetched ahead.
   */
  private prefetched(target: string, status: FileStatus): Promise<Buffer | undefined> | undefined {
    if (this.options.attrCacheTtlMs <= 0) return undefined;
    const slash = target.lastIndexOf('/');
    const dir = slash === 0 ? '/' : target.slice(0, slash);
    const childOf = (name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);
    const around = this.pages.around(dir, target.slice(slash + 1), PREFETCH_DEPTH);
    return this.prefetch.claim(
      target,
      status.contentId,
      around?.before === undefined ? undefined : childOf(around.before),
      () =>
        (around?.after ?? []).flatMap((name) => {
          const path = childOf(name);
          const entry = this.attributes.entry(path);
          if (!entry) return [];
          return [
            { status: entry.status, capability: () => this.capabilityOf(path, entry.status.contentId) },
          ];
        }),
    );
  }

  /**
   * The capability to read the version `contentId` of a file of a listed directory, from its
   * directory page fetched with read capabilities (once for the page's files, when the first of
   * them is read); undefined when no page spans it or the page names another version.
   */
  private async capabilityOf(target: string, contentId: string): Promise<string | undefined> {
    const cached = this.attributes.entry(target);
    if (cached?.capability && cached.status.contentId === contentId) return cached.capability;
    await this.fromPage(target, true);
    const fetched = this.attributes.entry(target);
    return fetched?.status.contentId === contentId ? fetched.capability : undefined;
  }

  private async setAttributes(
    path: string,
    change: { mode?: number; owner?: string; group?: string; mtimeMs?: number },
  ): Promise<void> {
    const target = this.writable(path);
    const writer = this.writing.get(target);
    if (writer?.open && writer.replaces) {
      Object.assign(writer.attributes, change);
      return;
    }
    await this.settled(target);
    await this.options.client.setAttribute(target, change);
    this.attributes.invalidate(target);
  }

  private writeOptions(mode: number, existingSize: number) {
    return {
      writeType: this.options.writeType,
      mode,
      existingSize,
      appendRewriteMax: this.options.appendRewriteMax,
    };
  }

  private creatorOptions(caller: Caller | undefined) {
    const creator = this.creatorOf(caller);
    return creator ? { creator, refused: this.ownershipRefused } : {};
  }

  /**
   * Who a new file or directory should belong to: the calling process's user and group, when the
   * mount translates ids and the caller is not the mount's own user.
   */
  private creatorOf(caller: Caller | undefined): Creator | undefined {
    const { ids, owner, translate } = this.options;
    if (!caller || !translate) return undefined;
    if (caller.uid === owner.uid && caller.gid === owner.gid) return undefined;
    return {
      owner: ids.userOf(caller.uid),
      group: ids.groupOf(caller.gid),
      uid: caller.uid,
      gid: caller.gid,
    };
  }

  /** Logged once per mount: its tierfs user may not give files away. */
  private readonly ownershipRefused = (path: string, error: unknown): void => {
    if (this.refusedOwnership) return;
    this.refusedOwnership = true;
    const reason = error instanceof Error ? error.message : String(error);
    this.options.log.warn(
      { path },
      `new files and directories stay the mount user's, not the calling process's: ${reason} (the mount's tierfs user must be the superuser to give them away)`,
    );
  };

  private async status(target: string): Promise<FileStatus> {
    const entry = this.attributes.entry(target);
    if (entry) {
      this.refreshAhead(target, entry);
      return entry.status;
    }
    const cached = await this.fromPage(target);
    if (cached) return cached;
    return this.fetchStatus(target);
  }

  /**
   * The status of `target` from the master, into the cache. Callers at once share one call (16
   * processes of a walk revalidating its directory ask once), unless the mount changed something
   * since it started: a status fetched across a change is neither shared nor cached.
   */
  private fetchStatus(target: string): Promise<FileStatus> {
    const generation = this.attributes.generation;
    const running = this.statusLookups.get(target);
    if (running?.generation === generation) return running.status;
    const status = this.options.client.getStatus(target).then((fetched) => {
      if (this.attributes.generation === generation) this.attributes.set(target, fetched);
      return fetched;
    });
    const lookup = { generation, status };
    this.statusLookups.set(target, lookup);
    const done = () => {
      if (this.statusLookups.get(target) === lookup) this.statusLookups.delete(target);
    };
    status.then(done, done);
    return status;
  }

  /**
   * A status asked for in the second half of its life is looked up again now, in the background
   * (a file of a listed page with its whole page, unless that came with read capabilities;
   * anything else, such as the directory a walk runs in, alone), so that a walk finds its files
   * and its directory fresh instead of waiting for the master when they expire. The answers stay
   * no older than `attr_timeout`.
   */
  private refreshAhead(target: string, entry: { capability: string | undefined; expires: number }): void {
    if (entry.expires - Date.now() > this.options.attrCacheTtlMs / 2) return;
    if (this.onListedPage(target)) {
      // Not a page fetched with read capabilities (a walk that reads through the mount): signing
      // them again costs the master as much as the listing, and the reads wait for workers anyway.
      if (entry.capability === undefined) void this.fromPage(target);
    } else {
      this.fetchStatus(target).catch(() => undefined); // asked again, and answered, when it expires
    }
  }

  /** Whether a page this mount listed spans `target`'s name. */
  private onListedPage(target: string): boolean {
    const slash = target.lastIndexOf('/');
    if (slash < 0 || target === '/') return false;
    const dir = slash === 0 ? '/' : target.slice(0, slash);
    return this.pages.pageOf(dir, target.slice(slash + 1)) !== undefined;
  }

  /**
   * The status of a file of a directory this mount listed, looked up again with its page (and
   * every sibling on it; with the capability to read each when `forReading`); undefined when no
   * page spans it.
   */
  private async fromPage(target: string, forReading = false): Promise<FileStatus | undefined> {
    const slash = target.lastIndexOf('/');
    if (slash < 0 || target === '/') return undefined;
    const dir = slash === 0 ? '/' : target.slice(0, slash);
    const page = this.pages.pageOf(dir, target.slice(slash + 1));
    if (!page) return undefined;
    const key = `${forReading}\0${dir}\0${page.token ?? ''}`;
    let lookup = this.pageLookups.get(key);
    if (!lookup) {
      lookup = this.lookUpPage(dir, page.token, forReading).then(
        () => undefined,
        () => undefined, // The file is then asked for alone, which says what is wrong.
      );
      this.pageLookups.set(key, lookup);
      lookup.finally(() => this.pageLookups.delete(key));
    }
    await lookup;
    return this.attributes.get(target);
  }

  /**
   * One page of a directory (with read capabilities when `forReading`: the master signs one per
   * file, which costs about as much as the listing), into the attribute cache; its names noted.
   */
  private async lookUpPage(dir: string, token: string | undefined, forReading: boolean) {
    const options = { pageSize: LIST_PAGE, continuationToken: token };
    const page = forReading
      ? await this.options.client.listPageForRead(dir, options)
      : { ...(await this.options.client.listStatus(dir, options)), capabilities: [] };
    for (const [i, entry] of page.entries.entries()) {
      this.attributes.set(entry.path, entry, page.capabilities[i] ?? undefined);
    }
    this.pages.add(
      dir,
      token,
      page.entries.map((e) => e.name),
    );
    return page;
  }

  /** The tierfs path of a mount path, refused with EROFS on a read-only mount. */
  private writable(path: string): string {
    if (this.options.readOnly) throw new FuseError('EROFS', `the mount is read-only: ${path}`);
    return this.tierfsPath(path);
  }

  /** The mount path of a tierfs path; undefined when the mount does not show it. */
  private mountPathOf(target: string): string | undefined {
    const root = this.options.root;
    if (root === '/') return target;
    if (target === root) return '/';
    return target.startsWith(`${root}/`) ? target.slice(root.length) : undefined;
  }

  private tierfsPath(path: string): string {
    const root = this.options.root;
    if (root === '/') return path;
    return path === '/' ? root : `${root}${path}`;
  }
}

function cannotResize(path: string, from: number, to: number): FuseError {
  return new FuseError(
    'ENOTSUP',
    `cannot truncate ${path} from ${from} to ${to} bytes: an object store only writes a file whole (truncate to 0 writes it anew)`,
    true,
  );
}
