/**
 * The tierfs client: metadata from the master, data from the worker that owns each file by
 * consistent hashing over the live workers. Every open and create asks the master, which checks
 * permissions and signs a capability; the worker serves that capability and nothing else. Reads
 * retry on another worker when one goes away (persisted data can be served by any worker), and
 * re-open once on the under store's new version when the one they were opened on is gone (STALE);
 * writes stream straight through to one worker and become visible only when the master completes
 * them with the worker's signed receipt.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { userInfo } from 'node:os';
import { type Readable, Writable } from 'node:stream';
import { type Credentials, credentialHeaders } from '../cluster/auth.js';
import { macOf } from '../cluster/capability.js';
import { readFromWorker, writeToWorker } from '../cluster/data-client.js';
import { MembershipRing } from '../cluster/hash-ring.js';
import type { ReadType, WriteType } from '../cluster/io-types.js';
import { Masters, type MastersOptions, masterAddressesOf, mastersOptionsOf } from '../cluster/masters.js';
import { openPinnedFile, type PinnedFile } from '../cluster/pinned-file.js';
import { isOnThisHost, readShortCircuit } from '../cluster/short-circuit.js';
import type {
  ClusterInfo,
  CreateFileResponse,
  FileStatus,
  ListResult,
  LsPage,
  MountInfo,
  OpenFileResponse,
  OpenListResult,
  OpenRowsResult,
  WorkerInfo,
} from '../cluster/wire.js';
import { CONTINUATION_HEADER, PAGE_CAPABILITY_FILES } from '../cluster/wire.js';
import type { Configuration } from '../config/configuration.js';
import {
  SECURITY_LOGIN_TOKEN,
  SECURITY_LOGIN_USERNAME,
  USER_CONSISTENT_HASH_VIRTUAL_NODE_COUNT_PER_WORKER,
  USER_FILE_READTYPE_DEFAULT,
  USER_FILE_WRITETYPE_DEFAULT,
  USER_SHORT_CIRCUIT_ENABLED,
} from '../config/keys/core.js';
import { isTierfsError, TierfsError } from '../errors.js';
import { BytesReadable } from './bytes-readable.js';
import { ChunkHandoff } from './chunk-handoff.js';
import { type LsEntry, lsEntriesOf } from './ls-entries.js';
import { openListOf } from './open-rows.js';
import { ReadAhead } from './read-ahead.js';
import { BATCHED_READ_MAX_BYTES, ReadBatcher } from './read-batcher.js';

export type { LsEntry } from './ls-entries.js';
export type { ReadType, WriteType };

export interface ClientOptions {
  /**
   * `http://host:port` of the master's RPC port; several masters comma-separated (`host:port` also
   * accepted): calls move to the next one when one fails.
   */
  readonly masterAddress: string;
  /** The user to act as: believed under SIMPLE authentication from loopback, else impersonation. */
  readonly user?: string;
  readonly groups?: readonly string[];
  /** A user token (TOKEN authentication), sent as `Authorization: Bearer`. */
  readonly token?: string;
  readonly readType?: ReadType;
  readonly writeType?: WriteType;
  readonly virtualNodes?: number;
  /** When to give up on a hung master (`tierfs.user.rpc.health.check.*`); defaults otherwise. */
  readonly failover?: MastersOptions;
  /**
   * Read cached page files straight from the worker's tiers when the worker is on this host and
   * this process may read them (short-circuit); default true. See docs/cache.md.
   */
  readonly shortCircuit?: boolean;
}

/** How `openFile` reads. */
export interface OpenFileOptions {
  /** How the worker caches what it reads: the client's default read type (`CACHE` unless configured) when unset. */
  readType?: ReadType;
  /** The first byte to read (0 when unset). */
  offset?: number;
  /** How many bytes to read (to the end of the file when unset). */
  length?: number;
  /**
   * Read this content of the file only (a FileStatus.contentId): STALE when the file has another
   * one now, and no re-open on the new version. Without it a read gets the file as it is now.
   */
  contentId?: string;
}

/** How `createFile` writes. */
/** A file being written; `completed` is the file's status once the master completed it ('finish'). */
export interface FileWriteStream extends Writable {
  readonly completed: FileStatus | undefined;
}

export interface CreateFileOptions {
  /** Where the bytes go: the client's default write type (`CACHE_THROUGH` unless configured) when unset. */
  writeType?: WriteType;
  /** Replace a file that exists (ALREADY_EXISTS otherwise). */
  overwrite?: boolean;
  /** Create missing parent directories (NOT_FOUND otherwise). */
  recursive?: boolean;
  /** POSIX permission bits of the new file. */
  mode?: number;
}

/** How `mount` attaches an under store. */
export interface MountOptions {
  /** Refuse writes through the mount, and open its store read-only. */
  readOnly?: boolean;
  shared?: boolean;
  /** Store options (`fs.s3a.endpoint`, `fs.oss.accessKeyId`, ...) laid over the site configuration. */
  options?: Record<string, string>;
}

/** What a client configured by `conf` presents: its token and user (see fromConfiguration). */
export function credentialsOf(conf: Configuration): Credentials {
  const token = conf.get(SECURITY_LOGIN_TOKEN);
  const user = conf.get(SECURITY_LOGIN_USERNAME);
  return { ...(token ? { token } : {}), ...(user ? { user } : {}) };
}

/** The request headers of a client configured by `conf`, for callers of the master's API without a TierfsClient. */
export function credentialHeadersOf(conf: Configuration): Record<string, string> {
  const credentials = credentialsOf(conf);
  return credentialHeaders(
    credentials.token ? credentials : { ...credentials, user: credentials.user ?? userInfo().username },
  );
}

const WORKER_LIST_TTL_MS = 1000;
/** The bytes of files a short-circuit batch reads ahead at most (read-ahead.ts). */
const READ_AHEAD_BATCH_BYTES = 8 * 1024 * 1024;
/**
 * The first page of a `listForRead` is this short (the later ones are the master's full pages): its
 * reads start once the master has a few hundred statuses and capabilities ready, not a thousand.
 */
const FIRST_READ_PAGE = 256;
const READ_ATTEMPTS = 4;

/**
 * The calls that may be sent again to another master after one died while answering: applying
 * them twice does what applying them once does. A create sent again replaces the incomplete file
 * its first copy may have made (namespace.createFile), and a complete sent again finds the file
 * complete with its content and answers as the first did.
 */
const REPEATABLE = new Set([
  '/api/v1/paths/open',
  '/api/v1/paths/open-list',
  '/api/v1/paths/create-file',
  '/api/v1/paths/complete-file',
  '/api/v1/paths/abort-file',
  '/api/v1/paths/set-attribute',
  '/api/v1/paths/load-metadata',
  '/api/v1/paths/free',
  '/api/v1/paths/persist',
]);

/** A page of a listing asked for: its answer, and its continuation token as soon as its head came. */
interface AskedPage<P> {
  readonly page: Promise<P>;
  readonly head: Promise<string>;
}

/** A listed entry and, for a file the caller may read, the capability to read it. */
export interface ListedFile {
  readonly status: FileStatus;
  readonly capability?: string;
  /** Instead of `capability` (listForRead): the file's place in a page capability. */
  readonly page?: PageRef;
}

/** A file of a page capability (wire.ts OpenListResult.pageCapabilities): the token, its MAC, the file's index. */
export interface PageRef {
  readonly token: string;
  readonly mac: string;
  readonly index: number;
}

export class TierfsClient {
  /** The masters' addresses, comma-separated. */
  readonly masterAddress: string;
  private readonly masters: Masters;
  private readonly headers: Record<string, string>;
  private readonly readType: ReadType;
  private readonly writeType: WriteType;
  private readonly ring: MembershipRing<WorkerInfo>;
  private readonly shortCircuit: boolean;
  private live: { at: number; workers: WorkerInfo[] } | undefined;
  private liveRefresh: Promise<void> | undefined;
  private readonly readAhead: ReadAhead;
  private readonly batcher = new ReadBatcher(
    (worker) => this.shortCircuit && this.isLocal(worker.address),
    (worker, origins, room, fetch) =>
      this.readAhead.reads(
        origins,
        room,
        (contentId) => this.ring.owner(this.live?.workers ?? [], contentId)?.address === worker.address,
        fetch,
      ),
  );
  /** By worker address, whether it is on this host (isOnThisHost asks the network interfaces). */
  private readonly local = new Map<string, boolean>();

  constructor(options: ClientOptions) {
    this.masters = new Masters(options.masterAddress, options.failover);
    this.masterAddress = this.masters.addresses.join(',');
    const credentials: Credentials = options.token
      ? { token: options.token, ...(options.user ? { user: options.user, groups: options.groups } : {}) }
      : { user: options.user ?? userInfo().username, groups: options.groups };
    this.headers = credentialHeaders(credentials);
    this.readType = options.readType ?? 'CACHE';
    this.writeType = options.writeType ?? 'CACHE_THROUGH';
    this.ring = new MembershipRing(options.virtualNodes ?? 100);
    this.shortCircuit = options.shortCircuit ?? true;
    this.readAhead = new ReadAhead(BATCHED_READ_MAX_BYTES, READ_AHEAD_BATCH_BYTES, this.readType);
  }

  /**
   * A client for the master named by `tierfs.master.hostname` and `tierfs.master.rpc.port`, with
   * the token `tierfs.security.login.token` (env TIERFS_TOKEN) when set, as the user
   * `tierfs.security.login.username` (the operating-system user when unset).
   */
  static fromConfiguration(conf: Configuration, options: Partial<ClientOptions> = {}): TierfsClient {
    return new TierfsClient({
      masterAddress: masterAddressesOf(conf),
      ...credentialsOf(conf),
      readType: conf.require(USER_FILE_READTYPE_DEFAULT),
      writeType: conf.require(USER_FILE_WRITETYPE_DEFAULT),
      virtualNodes: conf.require(USER_CONSISTENT_HASH_VIRTUAL_NODE_COUNT_PER_WORKER),
      failover: mastersOptionsOf(conf),
      shortCircuit: conf.require(USER_SHORT_CIRCUIT_ENABLED),
      ...options,
    });
  }

  // --- metadata --------------------------------------------------------------------------------

  cluster(): Promise<ClusterInfo> {
    return this.get('/api/v1/cluster', {});
  }

  workers(): Promise<WorkerInfo[]> {
    return this.get('/api/v1/workers', {});
  }

  /** A path's status; `cached: true` also asks how much of a file the workers' caches hold. */
  getStatus(path: string, options: { syncIntervalMs?: number; cached?: boolean } = {}): Promise<FileStatus> {
    return this.get('/api/v1/paths/status', { path, ...options });
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

  /**
   * One page of a directory's entries and the token for the next. `cached: true` also asks how
   * much of each file the workers' caches hold (`FileStatus.cachedBytes`).
   */
  listStatus(
    path: string,
    options: { pageSize?: number; continuationToken?: string; cached?: boolean } = {},
  ): Promise<ListResult> {
    return this.get('/api/v1/paths/list', { path, ...options });
  }

  /**
   * A directory's entries a page at a time, as the master answers them. The next page is asked for
   * as soon as this one's head arrives with its continuation token (CONTINUATION_HEADER), while its
   * body is still coming and while the caller handles it: one page ahead, never more.
   */
  async *listPages(
    path: string,
    asked: { cached?: boolean; pageSize?: number } = {},
  ): AsyncGenerator<readonly FileStatus[]> {
    const pages = this.pagesAhead<ListResult>((continuationToken, onHead) =>
      this.get('/api/v1/paths/list', { path, ...asked, continuationToken }, { onHead }),
    );
    for await (const page of pages) yield page.entries;
  }

  /**
   * A directory's entries with what `tierfs fs ls` prints of them only, a page at a time, asked
   * ahead as `listPages` does. The master sends such a page as one array per entry
   * (`view=ls`, wire.ts LsPage): a tenth of the bytes of FileStatus objects, to build and to parse.
   */
  async *listLsPages(
    path: string,
    asked: { cached?: boolean; pageSize?: number } = {},
  ): AsyncGenerator<readonly LsEntry[]> {
    const pages = this.pagesAhead<LsPage | ListResult>((continuationToken, onHead) =>
      this.get('/api/v1/paths/list', { path, ...asked, view: 'ls', continuationToken }, { onHead }),
    );
    for await (const page of pages) yield lsEntriesOf(page);
  }

  /**
   * The pages `call` answers, the first and then the one each continuation token names, each asked
   * for once the previous one's head is in (`onHead` sees it): one page ahead, never more.
   */
  private async *pagesAhead<P extends { readonly continuationToken?: string }>(
    call: (
      continuationToken: string | undefined,
      onHead: (headers: IncomingHttpHeaders) => void,
    ) => Promise<P>,
  ): AsyncGenerator<P> {
    const ask = (continuationToken?: string): AskedPage<P> => {
      let headToken!: (token: string) => void;
      const head = new Promise<string>((resolve) => {
        headToken = resolve;
      });
      const onHead = (headers: IncomingHttpHeaders) => {
        const token = headers[CONTINUATION_HEADER];
        if (typeof token === 'string' && token !== '') headToken(token);
      };
      const page = call(continuationToken, onHead);
      page.catch(() => undefined); // a caller that stops early never awaits it
      return { page, head };
    };
    let current: AskedPage<P> | undefined = ask();
    while (current) {
      const token: string | undefined = await Promise.race([
        current.head,
        current.page.then((p) => p.continuationToken),
      ]);
      let next: AskedPage<P> | undefined = token === undefined ? undefined : ask(token);
      const page: P = await current.page;
      // A call answered twice (the first answer cut off, asked again) may have ended elsewhere.
      if (page.continuationToken !== token)
        next = page.continuationToken === undefined ? undefined : ask(page.continuationToken);
      yield page;
      current = next;
    }
  }

  /**
   * Every entry of a directory (below it, breadth-first, when recursive) with, for each file the
   * caller may read, the capability to read it: one master call per page of entries, where opening
   * each file would be one call per file. Read them with `readListed`.
   *
   * `concurrency`: how many of the files the caller reads at once (its lanes). Given, small files
   * of a cold directory are fetched ahead of the lanes, at most that many at a time at the worker
   * together with the lanes' own reads, so the store never waits for a lane to come back and ask
   * (read-ahead.ts); the bytes fetched are the listed version, served to `readListed` for
   * FETCHED_AHEAD_TTL_MS.
   */
  async *listForRead(
    path: string,
    options: { recursive?: boolean; concurrency?: number } = {},
  ): AsyncGenerator<ListedFile> {
    const { concurrency } = options;
    if (
      concurrency !== undefined &&
      !(Number.isSafeInteger(concurrency) && concurrency >= 1 && concurrency <= 256)
    )
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `listForRead's concurrency must be an integer from 1 to 256, got ${concurrency}`,
      );
    const pending = [path];
    while (pending.length > 0) {
      const dir = pending.shift()!;
      // One page ahead, as listPages asks them.
      const pages = this.pagesAhead<OpenListResult>((continuationToken, onHead) =>
        this.post<OpenRowsResult | OpenListResult>(
          '/api/v1/paths/open-list',
          {
            path: dir,
            ...(continuationToken ? { continuationToken } : { pageSize: FIRST_READ_PAGE }),
            pageCapability: true,
            view: 'rows',
          },
          onHead,
        ).then(openListOf),
      );
      for await (const page of pages) {
        const files = listedFiles(page);
        this.readAhead.track(files, concurrency);
        for (const file of files) {
          yield file;
          if (options.recursive && file.status.isDirectory) pending.push(file.status.path);
        }
      }
    }
  }

  /**
   * One page of a directory (the first, or the one `continuationToken` names) with the capability
   * to read each file of it the caller may read, by position (see `listForRead`).
   */
  listPageForRead(
    path: string,
    options: { pageSize?: number; continuationToken?: string; pageCapability?: boolean; view?: 'rows' } = {},
  ): Promise<OpenListResult> {
    return this.post<OpenRowsResult | OpenListResult>('/api/v1/paths/open-list', { path, ...options }).then(
      openListOf,
    );
  }

  /**
   * Reads a file from `listForRead` with the capability that came with it; without one (a file
   * the caller may not read) or once it has expired or the file has changed, opens it as
   * `openFile` does, which says why not or reads the file as it is now.
   */
  async readListed(file: ListedFile, options: OpenFileOptions = {}): Promise<Readable> {
    const { status, capability, page } = file;
    if (status.isDirectory) throw new TierfsError('IS_A_DIRECTORY', `${status.path} is a directory`);
    if (capability === undefined && page === undefined) return this.openFile(status.path, options);
    const whole = (options.offset ?? 0) === 0 && (options.length ?? status.size) >= status.size;
    const ahead = this.readAhead.take(file, options.readType ?? this.readType);
    if (whole && ahead) {
      const bytes = ahead instanceof Promise ? await ahead : ahead;
      if (bytes) return streamOf(bytes);
    }
    const offset = options.offset ?? 0;
    // A page capability serves batched reads only (a big read opens the file: one call among many).
    if (
      capability === undefined &&
      Math.min(options.length ?? status.size, status.size - offset) > BATCHED_READ_MAX_BYTES
    )
      return this.openFile(status.path, options);
    try {
      return await this.readOpened({ status, capability, page }, offset, options, file);
    } catch (error) {
      if (!isTierfsError(error, 'STALE') && !isTierfsError(error, 'UNAUTHENTICATED')) throw error;
      return this.openFile(status.path, options);
    }
  }

  /**
   * The whole of the version `file.status` names, pinned in its worker's page files for a lease
   * and read from them by range (pinned-file.ts): for a reader that comes back for scattered
   * pieces of a cached file. Without the capability from a listing, the master opens that
   * version. Undefined without short-circuit reads, when the file has another version now, or
   * when its worker is on another host or does not hold every page of it in a file.
   */
  async pinFile(file: ListedFile): Promise<PinnedFile | undefined> {
    const { status } = file;
    if (!this.shortCircuit || status.isDirectory) return undefined;
    try {
      const capability = file.capability ?? (await this.open(status.path, status.contentId)).capability;
      const worker = await this.workerFor(status.contentId, false);
      return await openPinnedFile(worker, capability, status.contentId, status.size);
    } catch {
      return undefined; // the reads go to the worker, which says what is wrong
    }
  }

  /** Every entry below a directory, a page at a time; breadth-first when recursive. */
  async *list(
    path: string,
    options: { recursive?: boolean; cached?: boolean } = {},
  ): AsyncGenerator<FileStatus> {
    const pending = [path];
    while (pending.length > 0) {
      for await (const entries of this.listPages(pending.shift()!, { cached: options.cached })) {
        for (const entry of entries) {
          yield entry;
          if (options.recursive && entry.isDirectory) pending.push(entry.path);
        }
      }
    }
  }

  mkdir(path: string, options: { recursive?: boolean; allowExists?: boolean } = {}): Promise<FileStatus> {
    return this.post('/api/v1/paths/mkdir', { path, ...options });
  }

  async delete(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    await this.post('/api/v1/paths/delete', { path, ...options });
  }

  rename(source: string, destination: string): Promise<FileStatus> {
    return this.post('/api/v1/paths/rename', { source, destination });
  }

  async setAttribute(
    path: string,
    change: { mode?: number; owner?: string; group?: string; mtimeMs?: number; recursive?: boolean },
  ): Promise<void> {
    await this.post('/api/v1/paths/set-attribute', { path, ...change });
  }

  async loadMetadata(path: string, options: { recursive?: boolean } = {}): Promise<number> {
    return (await this.post<{ loaded: number }>('/api/v1/paths/load-metadata', { path, ...options })).loaded;
  }

  async free(path: string): Promise<number> {
    return (await this.post<{ freedFiles: number }>('/api/v1/paths/free', { path })).freedFiles;
  }

  async persist(path: string): Promise<void> {
    await this.post('/api/v1/paths/persist', { path });
  }

  mounts(): Promise<MountInfo[]> {
    return this.get('/api/v1/mounts', {});
  }

  mount(path: string, ufsUri: string, options: MountOptions = {}): Promise<MountInfo> {
    return this.post('/api/v1/mounts', { path, ufsUri, ...options });
  }

  async unmount(path: string): Promise<void> {
    await this.post('/api/v1/mounts/remove', { path });
  }

  // --- data ------------------------------------------------------------------------------------

  /** Opens a file (or a range of it) for reading through its worker. */
  async openFile(path: string, options: OpenFileOptions = {}): Promise<Readable> {
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new TierfsError('INVALID_ARGUMENT', `offset must be a non-negative integer, got ${offset}`);
    }
    // The live workers are asked for while the master opens the file, not after: the read needs
    // both, and one round trip to the master fewer before the first byte. A failure shows when
    // the read asks for them (workerFor).
    this.liveWorkers(false)?.catch(() => undefined);
    const opened = await this.open(path, options.contentId);
    try {
      return await this.readOpened(opened, offset, options);
    } catch (error) {
      // The under store moved on since tierfs synced this file, and no byte was served: sync it
      // and read the new version, once. A version that changes again fails with STALE.
      if (!isTierfsError(error, 'STALE') || options.contentId !== undefined) throw error;
      return this.readOpened(await this.open(path, undefined, 0), offset, options);
    }
  }

  /** Opens the file a status (from a listing, say) describes, as it is now. */
  openStatus(status: FileStatus, options: OpenFileOptions = {}): Promise<Readable> {
    if (status.isDirectory) throw new TierfsError('IS_A_DIRECTORY', `${status.path} is a directory`);
    return this.openFile(status.path, options);
  }

  /**
   * Creates a file and returns the stream to write it with. The file appears when the stream
   * finishes ('finish' fires after the master completed it); destroying the stream, or any
   * failure, leaves no file behind.
   */
  async createFile(path: string, options: CreateFileOptions = {}): Promise<FileWriteStream> {
    const writeType = options.writeType ?? this.writeType;
    const { status, capability } = await this.post<CreateFileResponse>('/api/v1/paths/create-file', {
      path,
      writeType,
      overwrite: options.overwrite,
      recursive: options.recursive,
      mode: options.mode,
    });
    const abortFile = () => this.post('/api/v1/paths/abort-file', { capability }).catch(() => undefined);
    let worker: WorkerInfo;
    try {
      worker = await this.workerFor(status.contentId, false);
    } catch (error) {
      await abortFile();
      throw error;
    }
    // The request body takes the chunks written to the stream as they are: no copy, no second buffer.
    const body = new ChunkHandoff();
    const controller = new AbortController();
    const upload = writeToWorker(worker, capability, status.contentId, body, controller.signal);
    let completed = false;
    let written: FileStatus | undefined;
    const client = this;
    const stream = new Writable({
      highWaterMark: 1024 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        body.push(chunk, () => callback());
      },
      final(callback) {
        body.end();
        upload
          .then(({ receipt }) =>
            client.post<FileStatus>('/api/v1/paths/complete-file', { capability, receipt }),
          )
          .then((status) => {
            written = status;
            completed = true;
            callback();
          }, callback);
      },
      destroy(error, callback) {
        if (completed) return callback(error);
        controller.abort();
        body.fail(error ?? new Error('the write was abandoned'));
        upload
          .catch(() => undefined)
          .then(abortFile)
          .then(() => callback(error));
      },
    });
    // A worker that fails or vanishes mid-upload stops consuming the body: fail the stream now
    // rather than wait for a 'drain' that will never come.
    upload.catch((error: unknown) => {
      if (!completed) stream.destroy(error instanceof Error ? error : new Error(String(error)));
    });
    return Object.defineProperty(stream, 'completed', { get: () => written }) as FileWriteStream;
  }

  /** The live worker that serves a file (consistent hashing of its content id over the live workers). */
  workerOf(status: FileStatus): Promise<WorkerInfo> {
    return this.workerFor(status.contentId, false);
  }

  // --- plumbing --------------------------------------------------------------------------------

  /**
   * The file at `path` and the capability to read it; STALE when `contentId` is given and the file
   * has another content. `syncIntervalMs` 0 syncs it with the under store first.
   */
  private open(path: string, contentId?: string, syncIntervalMs?: number): Promise<OpenFileResponse> {
    return this.post<OpenFileResponse>('/api/v1/paths/open', { path, contentId, syncIntervalMs });
  }

  /** A range of an opened file from its worker, trying another worker when one cannot be reached. */
  private async readOpened(
    opened: OpenFileResponse | { status: FileStatus; capability?: string; page?: PageRef },
    offset: number,
    options: OpenFileOptions,
    listed?: ListedFile,
  ): Promise<Readable> {
    const { status, capability } = opened;
    const page = 'page' in opened ? opened.page : undefined;
    // Without a capability of its own (a file of a page capability) only a batched read: readListed.
    const length = Math.max(0, Math.min(options.length ?? status.size, status.size - offset));
    const range = {
      contentId: status.contentId,
      offset,
      length,
      readType: options.readType ?? this.readType,
    };
    let lastError: unknown;
    for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      const worker = await this.workerFor(status.contentId, attempt > 0);
      // A worker on this host may hand over its page files (not for CACHE_PROMOTE: it moves pages).
      if (
        capability !== undefined &&
        attempt === 0 &&
        this.shortCircuit &&
        range.readType !== 'CACHE_PROMOTE'
      ) {
        const direct = await readShortCircuit(worker, capability, range, (at, length) =>
          readFromWorker(worker, capability, { ...range, offset: at, length }),
        );
        if (direct) return direct;
      }
      try {
        // A small read goes with the others of this turn to the same worker, in one request.
        if (length <= BATCHED_READ_MAX_BYTES || capability === undefined) {
          const read = {
            capability,
            page: page?.mac,
            index: page?.index,
            pageToken: capability === undefined ? page?.token : undefined,
            ...range,
          };
          const fetchConcurrency = listed && this.readAhead.concurrencyOf(listed);
          return streamOf(await this.batcher.read(worker, read, { origin: listed, fetchConcurrency }));
        }
        return await readFromWorker(worker, capability, range);
      } catch (error) {
        lastError = error;
        // Only a worker that could not be reached is worth another try; its answers are final.
        if (!isTierfsError(error) || !error.retryable) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
    throw new TierfsError('UNAVAILABLE', `cannot read ${status.path}: ${(lastError as Error).message}`, {
      cause: lastError,
    });
  }

  private isLocal(address: string): boolean {
    let local = this.local.get(address);
    if (local === undefined) {
      local = isOnThisHost(address);
      this.local.set(address, local);
    }
    return local;
  }

  private async workerFor(key: string, refresh: boolean): Promise<WorkerInfo> {
    await this.liveWorkers(refresh);
    const owner = this.ring.owner(this.live?.workers ?? [], key);
    if (!owner)
      throw new TierfsError('UNAVAILABLE', `no live worker is registered with ${this.masterAddress}`);
    return owner;
  }

  /** The list of live workers brought up to date when it is older than its time to live (or `refresh`). */
  private liveWorkers(refresh: boolean): Promise<void> | undefined {
    if (!refresh && this.live && Date.now() - this.live.at <= WORKER_LIST_TTL_MS) return undefined;
    // Reads starting together (a directory copied with many lanes) share one request.
    this.liveRefresh ??= this.workers()
      .then((all) => {
        this.live = { at: Date.now(), workers: all.filter((w) => w.state === 'LIVE') };
      })
      .finally(() => {
        this.liveRefresh = undefined;
      });
    return this.liveRefresh;
  }

  private get<T>(
    path: string,
    params: Record<string, unknown>,
    options: { onHead?: (headers: IncomingHttpHeaders) => void } = {},
  ): Promise<T> {
    return this.masters.call<T>('GET', `${path}?${query(params)}`, { headers: this.headers, ...options });
  }

  private post<T>(
    path: string,
    body: Record<string, unknown>,
    onHead?: (headers: IncomingHttpHeaders) => void,
  ): Promise<T> {
    const idempotent = REPEATABLE.has(path) || (path === '/api/v1/paths/mkdir' && body.allowExists === true);
    return this.masters.call<T>('POST', path, {
      body,
      headers: this.headers,
      idempotent,
      ...(onHead ? { onHead } : {}),
    });
  }
}

/** The files of an open-list page with what reads them: their capabilities, or their places in the page capabilities. */
function listedFiles(page: OpenListResult): ListedFile[] {
  const tokens = page.pageCapabilities;
  if (tokens === undefined)
    return page.entries.map((status, i) => ({ status, capability: page.capabilities[i] ?? undefined }));
  const macs = tokens.map(macOf);
  const unreadable = new Set(page.unreadable ?? []);
  return page.entries.map((status, i) => {
    const at = Math.floor(i / PAGE_CAPABILITY_FILES);
    const token = tokens[at];
    // A file the page does not grant (one the caller may not read) is opened: the master says why.
    return token === undefined || status.isDirectory || unreadable.has(i)
      ? { status }
      : { status, page: { token, mac: macs[at]!, index: i % PAGE_CAPABILITY_FILES } };
  });
}

/** A stream of bytes already read. */
function streamOf(bytes: Buffer): Readable {
  return new BytesReadable(bytes);
}

function query(params: Record<string, unknown>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  return search.toString();
}
