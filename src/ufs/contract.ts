/**
 * The UnderStore contract: what every under storage driver (local, S3, OSS, Kodo, ...) provides,
 * and what the cache, the namespace, the gateways and the tiered log may rely on. The behaviour
 * suite in test/contract/ checks every rule below against every driver.
 *
 * Paths are relative to the store's root (the URI it was created for) and `/`-separated; `''` is
 * the root. Stores normalize what they are given (`/a`, `a//b/`, `./a` all mean `a`) and refuse a
 * `..` segment or a NUL byte with INVALID_ARGUMENT, from every method including `exists`. Names
 * are stored exactly as given: no Unicode normalization, no case folding.
 *
 * Data flows through Node streams both ways, so backpressure is the stream's own.
 *
 * Errors are TierfsErrors with these codes:
 *   NOT_FOUND           the path does not exist (also when a parent of it is a file); a required
 *                       parent is missing (createParent: false)
 *   ALREADY_EXISTS      create without overwrite; mkdirs over a file; rename onto an existing path
 *   NOT_A_DIRECTORY     list of a file; mkdirs or create below a file
 *   IS_A_DIRECTORY      open of a directory; create over a directory
 *   DIRECTORY_NOT_EMPTY non-recursive delete of a directory with children
 *   INVALID_ARGUMENT    a malformed path; a negative or fractional offset, length or page size; a
 *                       malformed or foreign continuation token; deleting or renaming the root;
 *                       moving a directory into itself (including rename(x, x))
 *   PERMISSION_DENIED   the store refused the credentials, or the path escapes the root
 *   READ_ONLY           any write to a read-only store, checked before anything else
 *   STALE               open with a `version` the file no longer has (see OpenOptions.version)
 *   UNAVAILABLE / TIMEOUT / RATE_LIMITED  transient failures (retryable)
 *
 * Left to the store: the order of listed entries, and whether parent directories created
 * implicitly by a write outlive their last child (they do on local disk, not without markers).
 */
import type { Readable, Writable } from 'node:stream';

export interface UfsStatus {
  /** Path relative to the store root, e.g. `dir/file.txt`; `''` for the root. */
  readonly path: string;
  /** Last path component (`''` for the root). */
  readonly name: string;
  readonly isDirectory: boolean;
  /** Bytes; 0 for directories. */
  readonly size: number;
  /** Last modification, ms since the epoch; undefined when the store does not know (implicit dirs). */
  readonly mtimeMs: number | undefined;
  /** The store's entity tag when it has one (S3/OSS ETag without quotes, Kodo hash). */
  readonly etag?: string;
  /**
   * Changes whenever the content may have changed: derived from etag, size and mtime. The page
   * cache keys pages by it, so a changed object is never served from stale pages, and `open` takes
   * it as OpenOptions.version to read exactly this version. A listed entry
   * and getStatus of the same unchanged object give the same fingerprint.
   */
  readonly fingerprint: string;
  readonly owner: string;
  readonly group: string;
  /** POSIX permission bits, e.g. 0o700. */
  readonly mode: number;
}

export interface ListOptions {
  /** Include every descendant, not just direct children. */
  recursive?: boolean;
  /** At most this many entries in the page (capped at capabilities.maxListPageSize). */
  pageSize?: number;
  /** Opaque token from a previous page of the same listing. */
  continuationToken?: string;
}

/**
 * A page holds at most `pageSize` entries (a store may return fewer, even none). The token is
 * present while more entries may follow and absent once the last entry has been returned; only
 * when the entries end exactly at a page boundary may one final empty page be needed.
 */
export interface ListPage {
  readonly entries: readonly UfsStatus[];
  /** Present when more entries may follow; pass it back to get the next page. */
  readonly continuationToken?: string;
  /**
   * The listed directory's status, as `getStatus` would give it, when a store learned it with the
   * first page (an object store looks the directory up with it): a caller that needs both asks once.
   */
  readonly directory?: UfsStatus;
}

/** A child of a directory as `listNames` gives it: its name and kind, its status read when asked. */
export interface ListedName {
  readonly name: string;
  readonly isDirectory: boolean;
  /** The entry's status, as `list` gives it; undefined when it is gone (or no longer listable). */
  status(): Promise<UfsStatus | undefined>;
}

export interface OpenOptions {
  /** First byte to read; default 0. An offset at or past the end yields an empty stream. */
  offset?: number;
  /** Bytes to read from offset (0 gives an empty stream); default to the end; cut at the end. */
  length?: number;
  /**
   * Read exactly this version: the `UfsStatus.fingerprint` the caller read (a listing or
   * getStatus). `open` then serves bytes of that version only, or rejects with STALE before any
   * byte flows, also for an empty range; a missing file stays NOT_FOUND and a directory
   * IS_A_DIRECTORY. Only the part of the fingerprint that names the bytes is compared, per store:
   *
   *   local    `<inode>-<size>-<mtime µs>`: checked with fstat on the very descriptor the bytes are
   *            read from, so a file replaced later keeps serving the old bytes it opened
   *   S3, OSS  `<etag>-<size>-<mtime s>`: etag and size must match; every GET is sent with
   *            `If-Match: "<etag>"`, a 412 answer (or a GET answered with another ETag) is STALE
   *   Kodo     the same shape with the Kodo hash as etag; Kodo downloads take no If-Match, so the
   *            ETag of each download answer is compared with `"<hash>"` before a byte is handed on
   *            (a download host that sends no ETag makes the read UNSUPPORTED)
   *   tierfs   the file's content id in the namespace
   *
   * A long read that is fetched in several requests checks every one of them: when the object
   * changes half-way, the stream fails with STALE after bytes of the version only. An empty
   * version, or one not of the store's shape, is INVALID_ARGUMENT.
   */
  version?: string;
  /**
   * The file's size as the caller knows it, with `version`: object stores then send no request
   * but the GETs of the bytes (no HEAD first; the version is still checked on every GET). Without
   * it they take the size from the version where it holds one. A size the version does not have
   * is INVALID_ARGUMENT; without a version it is ignored.
   */
  size?: number;
  signal?: AbortSignal;
}

export interface MoveOverOptions {
  /** The size of the source, as the write that made it counted it. */
  readonly size?: number;
  /**
   * Called once the source is deleted: before moveOver resolves, or later when the store deletes
   * sources in batches. Not called when the delete failed (the source is left for the sweeper), so
   * a caller that keeps a record of the source to sweep it drops the record here.
   */
  readonly sourceDeleted?: () => void;
}

export interface CreateOptions {
  /** Replace an existing file. Without it, create fails with ALREADY_EXISTS. Default false. */
  overwrite?: boolean;
  /** Create missing parent directories (default true); otherwise a missing parent is NOT_FOUND. */
  createParent?: boolean;
  /** Permission bits, kept (less the umask) by stores with capabilities.posixPermissions. */
  mode?: number;
  /** MIME type for stores that keep one. */
  contentType?: string;
  /**
   * The caller knows that the parent directory exists in this store and that `path` is not a
   * directory (the master's namespace knows both for the files it creates). The store then skips
   * those checks and writes no parent directory markers (the parent is there already); with
   * `overwrite` as well, object stores send no request before the data. Default false.
   */
  parentExists?: boolean;
  /**
   * The caller needs no status of what it writes (a temporary object it moves elsewhere later): the
   * store then sends no request after the data to learn the object's status (object stores: no
   * HEAD for its mtime), and `written` may stay undefined. Default false.
   */
  noStatus?: boolean;
  /**
   * This write is a temporary object that will later be moved over the file at `commitTo` by
   * whoever decides the write completes (the master, for CACHE_THROUGH and THROUGH writes). A
   * store with `completeUpload` sends a write too large for one request straight to `commitTo`
   * as a multipart upload and leaves the upload open: when the stream finishes nothing new is
   * visible at either path, and the stream's `pendingUpload` names the upload, which
   * `completeUpload` makes appear at `commitTo` (no copy) and `abortUpload` drops. A write small
   * enough for one request is written at `path` as without this option.
   */
  commitTo?: string;
}

export interface MkdirsOptions {
  /** Create missing parents (default true); otherwise a missing parent is NOT_FOUND. */
  createParent?: boolean;
}

export interface DeleteOptions {
  /** Delete a directory and everything in it. Without it a non-empty directory is refused. */
  recursive?: boolean;
}

export interface SpaceInfo {
  readonly total: number;
  readonly free: number;
  readonly used: number;
}

/**
 * A write in progress. Data written becomes visible at the path only when `end()` completes
 * successfully ('finish' is emitted after the commit, so `stream/promises.pipeline` resolves
 * only once the file is there); until then the path does not exist, or keeps its old content
 * when overwriting. Zero-length chunks are legal. `destroy()` before that aborts the write and
 * leaves nothing behind: no partial file, no temp file, no open multipart upload. The cleanup is
 * finished when 'close' is emitted (`abortWrite` waits for it), also after a failed pipeline.
 */
export interface UfsWriteStream extends Writable {
  /**
   * Set before 'finish': the status of the file this write produced, what getStatus would return
   * for it (same size, etag and fingerprint), so a caller needs no getStatus after a write.
   * Undefined until the write is committed. When another writer replaced the file between the
   * commit and the store's look at it, the status still names this write's bytes (its etag): a
   * read pinned to its fingerprint then fails STALE instead of serving the other bytes.
   */
  readonly written: UfsStatus | undefined;
  /**
   * Set before 'finish' on a write created with `commitTo` that went up as a multipart upload left
   * open: what `completeUpload` and `abortUpload` take (opaque). Nothing was written at the
   * stream's own path then. Undefined otherwise.
   */
  readonly pendingUpload?: string;
}

/** What `UnderStore.upload` produced: as UfsWriteStream's `written` and `pendingUpload`. */
export interface UploadResult {
  /** The status of the file written; undefined with `noStatus`, or when `pendingUpload` is set. */
  readonly written?: UfsStatus;
  /** The multipart upload left open at `commitTo` (CreateOptions.commitTo), for the committer. */
  readonly pendingUpload?: string;
}

/** What a store can and cannot do; the contract suite skips by these flags only. */
export interface UnderStoreCapabilities {
  /** Rename is one atomic operation; object stores copy then delete instead. */
  readonly atomicRename: boolean;
  /** Directories are zero-byte marker objects or common prefixes, not native entries. */
  readonly directoryMarkers: boolean;
  /** A directory can exist with nothing in it (true for local and for stores with markers). */
  readonly emptyDirectories: boolean;
  /** Large writes go up in parts (multipart upload / resumable upload). */
  readonly multipartUpload: boolean;
  /** The store can issue presigned URLs. */
  readonly presign: boolean;
  /** getSpace returns real figures. */
  readonly space: boolean;
  /** Owner, group and mode come from the store itself rather than from configured defaults. */
  readonly posixPermissions: boolean;
  /** The store refuses every write with READ_ONLY. */
  readonly readOnly: boolean;
  /** The largest page `list` returns. */
  readonly maxListPageSize: number;
  /**
   * The first page of a listing carries the directory's status (`ListPage.directory`): the store
   * looks the directory up with it, so a caller that needs both waits for the page, not a lookup.
   */
  readonly firstPageHasDirectory?: boolean;
}

export interface UnderStore {
  /** The URI the store is rooted at, e.g. `s3://bucket/dir/` or `file:///data/`. */
  readonly uri: string;
  /** Scheme it was created for: `file`, `s3`, `oss`, `kodo`, ... */
  readonly scheme: string;
  readonly capabilities: UnderStoreCapabilities;

  /** Status of a file or directory; NOT_FOUND when neither exists. The root always exists. */
  getStatus(path: string): Promise<UfsStatus>;
  exists(path: string): Promise<boolean>;
  /** One page of the children (or, recursively, descendants) of a directory. */
  list(path: string, options?: ListOptions): Promise<ListPage>;
  /**
   * OPTIONAL: the direct children of a directory, in no particular order, by name and kind, each
   * one's status read only when asked (`status()`): the entries `list` gives, without reading the
   * status of every one. A caller that orders a directory its own way and needs the statuses of a
   * few entries (a gateway's page of keys) pays for those alone. NOT_FOUND and NOT_A_DIRECTORY as
   * `list`. Stores without it are listed with `list`.
   */
  listNames?(path: string): AsyncIterable<ListedName>;
  /**
   * Opens a file for reading; rejects (NOT_FOUND, IS_A_DIRECTORY, STALE for a `version` the file
   * no longer has) before any byte flows.
   */
  open(path: string, options?: OpenOptions): Promise<Readable>;
  /**
   * Starts writing a file. Rejects before any byte is taken when the file exists and overwrite is
   * false (ALREADY_EXISTS), the path is a directory (IS_A_DIRECTORY), or a parent is missing
   * with createParent false (NOT_FOUND) or is a file (NOT_A_DIRECTORY).
   */
  create(path: string, options?: CreateOptions): Promise<UfsWriteStream>;
  /**
   * OPTIONAL: writes the file at `path` from `size` bytes of a local file (`localPath`), with the
   * rules of `create` (the same options and refusals) and of a write that ends: the file appears
   * only once the whole upload succeeded; a failure leaves nothing new (no object, no pending
   * multipart upload). Object stores upload straight from the local file (one PUT, or parts read
   * from ranges of it), with no copy to a temp file or through memory. Resolves to the status of
   * the file written, as UfsWriteStream.written. With `commitTo` (see CreateOptions.commitTo) a
   * file too large for one request goes up as a multipart upload left open at `commitTo`, read
   * from ranges of the local file: nothing new is visible at either path, and the result's
   * `pendingUpload` names the upload for `completeUpload`/`abortUpload`; a smaller file is written
   * at `path`. Stores without it are written through `create`.
   */
  upload?(path: string, localPath: string, size: number, options?: CreateOptions): Promise<UploadResult>;
  /** Creates a directory; an existing directory is fine, an existing file is ALREADY_EXISTS. */
  mkdirs(path: string, options?: MkdirsOptions): Promise<void>;
  /** Deletes a file or directory; the root itself cannot be deleted (INVALID_ARGUMENT). */
  delete(path: string, options?: DeleteOptions): Promise<void>;
  /** Moves a file or directory; the destination must not exist, its parents are created. */
  rename(source: string, destination: string): Promise<void>;
  /** Capacity figures where the store knows them (capabilities.space), else undefined. */
  getSpace(): Promise<SpaceInfo | undefined>;
  /**
   * OPTIONAL: removes what interrupted writes left behind and nothing else. Object stores abort the
   * multipart uploads below their root started longer ago than their clean age (S3:
   * `tierfs.underfs.s3.intermediate.upload.clean.age`). A read-only store removes nothing. Resolves
   * to the number of items removed. The master's sweeper (master/persist-sweeper.ts) calls it when
   * `tierfs.underfs.cleanup.enabled` is true; stores without leftovers do not implement it.
   */
  cleanup?(): Promise<number>;
  /**
   * OPTIONAL, for stores whose rename is not atomic: moves the file `source` onto `destination`,
   * replacing the file there in one step, so a reader of `destination` sees the old object or the
   * new one, never none and never part of one. Object stores copy server-side over the
   * destination (Kodo: one forced move), then delete the source: S3 and OSS delete sources in
   * batches (DeleteObjects) shortly after, off the caller's path (see
   * `tierfs.underfs.object.store.write.commit.delete.interval`; `close` deletes what is queued); if
   * the copy fails nothing changed, if the delete fails the source is left (swept like any
   * temporary object). The
   * destination's parent must exist. Resolves to the moved file's status (what getStatus would
   * return for it). A missing source is NOT_FOUND. Stores with `atomicRename` do not need it.
   * `size`, when the caller knows it (the bytes its write wrote), spares a request to learn it.
   */
  moveOver?(source: string, destination: string, options?: MoveOverOptions): Promise<UfsStatus>;
  /**
   * OPTIONAL, with `moveOver`: completes the multipart upload a write created with `commitTo: path`
   * left open (its stream's `pendingUpload`): the file at `path` is replaced whole in one step
   * (S3/OSS CompleteMultipartUpload; Kodo's resumable completion). Resolves to the file's status.
   * An upload no longer open (aborted, swept) is NOT_FOUND and changes nothing.
   */
  completeUpload?(path: string, pendingUpload: string, options?: MoveOverOptions): Promise<UfsStatus>;
  /** OPTIONAL, with `completeUpload`: drops such an upload; one already gone is no error. */
  abortUpload?(path: string, pendingUpload: string): Promise<void>;
  /** Releases clients, sockets and timers. */
  close(): Promise<void>;
}

/** A layer put around a store (metrics, retries, logging): same contract, added behaviour. */
export type StoreLayer = (store: UnderStore) => UnderStore;
