/**
 * The under store of every object-store driver, on top of the raw operations of an ObjectClient.
 *
 * Directories are emulated: a zero-byte marker object (`dir/` by default, the suffix is
 * `tierfs.underfs.s3.directory.suffix`), or implicitly any prefix that has objects below it. A
 * listing that meets a directory without a marker writes one (a "breadcrumb") unless the store is
 * read-only or breadcrumbs are disabled, so the directory outlives its last child as on a disk.
 * The listing is answered without waiting for that PUT (it is a round trip, and on real buckets most
 * prefixes have no marker): a delete or rename of the directory, or of one above it, waits for the
 * PUTs still in flight below it, so a marker never lands after its directory was deleted or moved
 * by this store; close() waits for them too. A PUT that fails, or never happens (a crash), leaves
 * the directory implicit, as it was: the next listing that meets it writes the marker again.
 *
 * Rename is copy then delete (a file is moved in one request where the client can), so it is not
 * atomic (`atomicRename: false`): a directory is copied in parallel batches, then its keys are
 * deleted in bulk; a failure half-way leaves both copies (the source complete). Listings hold one
 * page in memory, however large the directory.
 */
import { Readable } from 'node:stream';
import { isTierfsError, TierfsError } from '../../errors.js';
import type {
  CreateOptions,
  DeleteOptions,
  ListOptions,
  ListPage,
  MkdirsOptions,
  MoveOverOptions,
  OpenOptions,
  UfsStatus,
  UfsWriteStream,
  UnderStore,
  UnderStoreCapabilities,
  UploadResult,
} from '../contract.js';
import { readRangeOf, readVersionOf, staleVersion } from '../io.js';
import { ufsLog } from '../log.js';
import { baseName, isSameOrDescendant, normalizeUfsPath, parentPath } from '../path.js';
import { batches, forEachLimited } from './concurrency.js';
import { COPY_LIMITS, copyPartSize } from './copy-limits.js';
import { DeferredDeletes } from './deferred-deletes.js';
import { compareKeys, decodeCursor, encodeCursor } from './list-cursor.js';
import { abortQuietly, EMPTY_BODY, isCompletionOf } from './multipart.js';
import type { CopiedObject, ListObjectsResponse, ObjectClient, ObjectInfo } from './object-client.js';
import { isVersion, type ObjectVersion, objectFingerprint, parseObjectVersion } from './object-version.js';
import {
  createObjectWriter,
  decodePendingUpload,
  encodePendingUpload,
  type ObjectWriteTarget,
  type UploadSettings,
  uploadFileParts,
  uploadLocalFile,
} from './object-writer.js';

export const OBJECT_STORE_CAPABILITIES: UnderStoreCapabilities = Object.freeze({
  atomicRename: false,
  directoryMarkers: true,
  emptyDirectories: true,
  multipartUpload: true,
  presign: false,
  space: false,
  posixPermissions: false,
  readOnly: false,
  maxListPageSize: 1000,
  firstPageHasDirectory: true,
});

/** Owner, group and mode every entry of a mount reports (object stores have no per-object modes). */
export interface ObjectPermissions {
  readonly owner: string;
  readonly group: string;
  readonly mode: number;
}

export interface ObjectStoreOptions extends UploadSettings {
  readonly scheme: string;
  /** Canonical URI of the root, e.g. `s3://bucket/dir/`. */
  readonly uri: string;
  readonly client: ObjectClient;
  /** Key prefix of the root: `''` for a bucket root, else `dir/`. */
  readonly rootPrefix: string;
  readonly readOnly?: boolean;
  /** Suffix of directory marker objects (`/`, or e.g. `_$folder$`). */
  readonly directorySuffix: string;
  readonly breadcrumbs: boolean;
  /** Whether create() leaves the parents of a new file implicit (no markers). */
  readonly skipParentDirectoryCreation: boolean;
  /** Keys asked for per listing request (1..1000). */
  readonly listingLength: number;
  /** Parallel copies and deletes of a directory rename or delete. */
  readonly serviceThreads: number;
  readonly bulkDelete: boolean;
  /** Largest range one GET fetches when a file is read; undefined: one GET per read. */
  readonly readChunkSize?: number;
  readonly streamingUpload: boolean;
  /** Upload parts from memory while the file is written (no temp files); wins over streamingUpload. */
  readonly multipartUpload?: boolean;
  /** Offer moveOver, so writes commit by a server-side copy (tierfs.underfs.object.store.write.commit.copy). */
  readonly commitByCopy?: boolean;
  /**
   * With commitByCopy: how long the temporary keys of committed writes wait to be deleted in a
   * batch (tierfs.underfs.object.store.write.commit.delete.interval); 0 or absent deletes each
   * right after its copy.
   */
  readonly commitDeleteIntervalMs?: number;
  /** Multipart uploads older than this are aborted by cleanup(). */
  readonly cleanAgeMs: number;
  /** Resolved once and shared by every entry. */
  readonly permissions: () => Promise<ObjectPermissions>;
}

type Found = { kind: 'file'; info: ObjectInfo } | { kind: 'dir'; marker?: ObjectInfo };

export class ObjectUnderStore implements UnderStore {
  readonly scheme: string;
  readonly uri: string;
  readonly capabilities: UnderStoreCapabilities;
  private readonly client: ObjectClient;
  private readonly suffix: string;
  /** See UnderStore.moveOver: present only when writes commit by copy (commitByCopy). */
  readonly moveOver?: (source: string, destination: string, options?: MoveOverOptions) => Promise<UfsStatus>;
  /** See UnderStore.completeUpload: with moveOver, writes that need parts commit by completing their upload. */
  readonly completeUpload?: (path: string, upload: string, options?: MoveOverOptions) => Promise<UfsStatus>;
  readonly abortUpload?: (path: string, upload: string) => Promise<void>;
  /** The batches the sources of moveOver are deleted in (commitDeleteIntervalMs > 0). */
  private readonly deferredDeletes: DeferredDeletes | undefined;
  /** Breadcrumbs being written behind a listing's answer, by directory (see writeBreadcrumbs). */
  private readonly pendingMarkers = new Map<string, Promise<void>>();

  constructor(private readonly options: ObjectStoreOptions) {
    if (options.commitByCopy) {
      this.moveOver = (source, destination, moveOptions) => this.copyOver(source, destination, moveOptions);
      this.completeUpload = (path, upload, moveOptions) => this.completeOpenUpload(path, upload, moveOptions);
      this.abortUpload = (path, upload) => this.abortOpenUpload(path, upload);
    }
    this.deferredDeletes =
      options.commitByCopy && (options.commitDeleteIntervalMs ?? 0) > 0
        ? new DeferredDeletes(
            options.client,
            options.commitDeleteIntervalMs!,
            options.bulkDelete,
            options.serviceThreads,
          )
        : undefined;
    this.scheme = options.scheme;
    this.uri = options.uri;
    this.client = options.client;
    this.suffix = options.directorySuffix;
    this.capabilities = options.readOnly
      ? { ...OBJECT_STORE_CAPABILITIES, readOnly: true }
      : OBJECT_STORE_CAPABILITIES;
  }

  // --- Keys -------------------------------------------------------------------------------------

  private key(rel: string): string {
    return this.options.rootPrefix + rel;
  }

  private markerKey(rel: string): string {
    return this.options.rootPrefix + rel + this.suffix;
  }

  /** The prefix every key below directory `rel` starts with. */
  private dirPrefix(rel: string): string {
    return rel === '' ? this.options.rootPrefix : `${this.options.rootPrefix}${rel}/`;
  }

  private describe(rel: string): string {
    return `${this.uri}${rel}`;
  }

  // --- Reads ------------------------------------------------------------------------------------

  async getStatus(path: string): Promise<UfsStatus> {
    const rel = normalizeUfsPath(path);
    const found = await this.find(rel);
    if (!found) throw new TierfsError('NOT_FOUND', `no such file or directory: ${this.describe(rel)}`);
    return this.toStatus(rel, found);
  }

  async exists(path: string): Promise<boolean> {
    return (await this.find(normalizeUfsPath(path))) !== undefined;
  }

  /**
   * What is at `rel`: a file, a directory (with its marker when it has one), or nothing. `listing`,
   * the first response of a listing of the directory's prefix already asked for, stands in for the
   * lookup's own `max-keys=1` request when it shows a key or a common prefix (a store answers
   * either with the directory's first key); only when it shows nothing is the lookup's asked.
   */
  private async find(rel: string, listing?: Promise<ListObjectsResponse>): Promise<Found | undefined> {
    if (rel === '') return { kind: 'dir' };
    const slashSuffix = this.suffix === '/';
    const below = async (): Promise<{ first: ObjectInfo | undefined; any: boolean }> => {
      const shown = await listing?.catch(() => undefined);
      if (shown && (shown.objects.length > 0 || shown.prefixes.length > 0))
        return { first: shown.objects[0], any: true };
      const one = await this.client.listObjects({ prefix: this.dirPrefix(rel), maxKeys: 1 });
      return { first: one.objects[0], any: one.objects.length > 0 };
    };
    const [file, marker, under] = await Promise.all([
      this.client.headObject(this.key(rel)),
      slashSuffix ? undefined : this.client.headObject(this.markerKey(rel)),
      below(),
    ]);
    if (file) return { kind: 'file', info: file };
    if (marker) return { kind: 'dir', marker };
    if (under.any) {
      const first = under.first;
      return {
        kind: 'dir',
        marker: slashSuffix && first?.key === this.markerKey(rel) ? first : undefined,
      };
    }
    return undefined;
  }

  private async toStatus(rel: string, found: Found): Promise<UfsStatus> {
    return found.kind === 'file'
      ? this.fileStatus(rel, found.info, await this.options.permissions())
      : this.dirStatus(rel, found.marker, await this.options.permissions());
  }

  private fileStatus(rel: string, info: ObjectInfo, permissions: ObjectPermissions): UfsStatus {
    // Listings give milliseconds, HEAD whole seconds: the fingerprint uses seconds so both agree.
    const seconds = Math.floor(info.mtimeMs / 1000);
    return {
      path: rel,
      name: baseName(rel),
      isDirectory: false,
      size: info.size,
      mtimeMs: seconds * 1000,
      etag: info.etag,
      fingerprint: objectFingerprint(info),
      ...permissions,
    };
  }

  private dirStatus(rel: string, marker: ObjectInfo | undefined, permissions: ObjectPermissions): UfsStatus {
    return {
      path: rel,
      name: baseName(rel),
      isDirectory: true,
      size: 0,
      mtimeMs: marker ? Math.floor(marker.mtimeMs / 1000) * 1000 : undefined,
      fingerprint: 'directory',
      ...permissions,
    };
  }

  async list(path: string, options: ListOptions = {}): Promise<ListPage> {
    const rel = normalizeUfsPath(path);
    const recursive = options.recursive ?? false;
    const pageSize = clampPageSize(options.pageSize, this.capabilities.maxListPageSize);
    const cursor =
      options.continuationToken === undefined ? undefined : decodeCursor(options.continuationToken);
    if (cursor && (cursor.dir !== rel || cursor.recursive !== recursive)) {
      throw new TierfsError('INVALID_ARGUMENT', 'continuation token belongs to a different listing');
    }
    const breadcrumbs: string[] = [];
    const prefix = this.dirPrefix(rel);
    let after = cursor?.after;
    let token: string | undefined;
    const ask = (maxKeys: number) =>
      this.client.listObjects({
        prefix,
        delimiter: recursive ? undefined : '/',
        startAfter: token === undefined && after !== undefined ? prefix + after : undefined,
        token,
        maxKeys: Math.min(this.options.listingLength, maxKeys),
      });
    // The first request of a listing goes out with the lookup of the directory, not after it: one
    // round trip fewer per listing. Its answer is used only once the lookup found a directory, and
    // it is the lookup's evidence of keys below the directory (no request of its own for that).
    let first: Promise<ListObjectsResponse> | undefined;
    let found: Found | undefined;
    if (!cursor) {
      first = ask(pageSize + 1);
      first.catch(() => undefined); // the lookup's error is the one to report
      found = await this.find(rel, first);
      if (!found) throw new TierfsError('NOT_FOUND', `no such directory: ${this.describe(rel)}`);
      if (found.kind === 'file')
        throw new TierfsError('NOT_A_DIRECTORY', `not a directory: ${this.describe(rel)}`);
      if (rel !== '' && !found.marker) breadcrumbs.push(rel);
    }
    const permissions = await this.options.permissions();
    const entries: UfsStatus[] = [];
    let more = false;
    const emit = (entry: UfsStatus, position: string): boolean => {
      if (entries.length === pageSize) {
        more = true;
        return false;
      }
      entries.push(entry);
      after = position;
      return true;
    };
    pages: for (;;) {
      const response = await (first ?? ask(pageSize - entries.length + 1));
      first = undefined;
      for (const item of mergeByKey(response.objects, response.prefixes)) {
        const position = item.key.slice(prefix.length);
        if (position === '' || (after !== undefined && compareKeys(position, after) <= 0)) continue;
        // Only a marker of a store whose markers are not `/` keys needs a request (hasChildren): the
        // rest of a page is converted without an await per entry.
        const hidden = this.markerHidden(rel, position, item.info);
        if (hidden !== false && (await hidden)) continue;
        const produced = this.entriesOf(rel, position, item.info, recursive, after, permissions);
        for (const [entry, entryPosition, implicit] of produced) {
          if (!emit(entry, entryPosition)) break pages;
          if (implicit) breadcrumbs.push(entry.path);
        }
      }
      token = response.nextToken;
      if (token === undefined) break;
      // More keys follow: a page short of pageSize (a marker or a skipped key took a place) ends
      // here rather than wait one more round trip to be topped up; the caller asks for the next
      // page at once. Only a response that gave nothing at all is followed at once.
      if (entries.length > 0) {
        more = true;
        break;
      }
    }
    this.writeBreadcrumbs(breadcrumbs);
    // The first page carries what the lookup found: a caller need not look the directory up again.
    const directory =
      found?.kind === 'dir' ? { directory: this.dirStatus(rel, found.marker, permissions) } : {};
    return more && after !== undefined
      ? { entries, continuationToken: encodeCursor({ dir: rel, recursive, after }), ...directory }
      : { entries, ...directory };
  }

  /**
   * The entries one listed key or common prefix stands for, with their positions: in a recursive
   * listing, first the directories it implies that no earlier entry reported (flagged implicit when
   * they certainly have no marker), then itself.
   */
  private entriesOf(
    dir: string,
    position: string,
    info: ObjectInfo | undefined,
    recursive: boolean,
    after: string | undefined,
    permissions: ObjectPermissions,
  ): [UfsStatus, string, boolean][] {
    const under = (name: string) => (dir === '' ? name : `${dir}/${name}`);
    if (!info) {
      // A common prefix `name/`: a child directory.
      const name = position.slice(0, -1);
      return isPlainName(name)
        ? [[this.dirStatus(under(name), undefined, permissions), position, false]]
        : [];
    }
    const isMarker = position.endsWith(this.suffix);
    const relative = isMarker ? position.slice(0, -this.suffix.length) : position;
    if (!isPlainPath(relative)) return [];
    const path = under(relative);
    const out: [UfsStatus, string, boolean][] = [];
    if (recursive) {
      const segments = relative.split('/');
      for (let i = 1; i < segments.length; i++) {
        const ancestor = `${segments.slice(0, i).join('/')}/`;
        if (after?.startsWith(ancestor)) continue;
        // With `/` markers a marker sorts right before its children, so here none exists.
        out.push([
          this.dirStatus(under(ancestor.slice(0, -1)), undefined, permissions),
          ancestor,
          this.suffix === '/',
        ]);
      }
    }
    out.push([
      isMarker ? this.dirStatus(path, info, permissions) : this.fileStatus(path, info, permissions),
      position,
      false,
    ]);
    return out;
  }

  /**
   * Whether a listed key is a directory marker reported instead as the common prefix (or the
   * implied parent) of its children: asked only of markers not ending in `/` (a `/` marker sorts
   * right before its children and is the directory's entry); false at once for every other key.
   */
  private markerHidden(
    dir: string,
    position: string,
    info: ObjectInfo | undefined,
  ): false | Promise<boolean> {
    if (!info || this.suffix === '/' || !position.endsWith(this.suffix)) return false;
    const relative = position.slice(0, -this.suffix.length);
    if (!isPlainPath(relative)) return false;
    return this.hasChildren(dir === '' ? relative : `${dir}/${relative}`);
  }

  private async hasChildren(rel: string): Promise<boolean> {
    const prefix = this.dirPrefix(rel);
    const response = await this.client.listObjects({ prefix, maxKeys: 2 });
    return response.objects.some((object) => object.key !== prefix);
  }

  /**
   * Starts writing markers for directories a listing found without one (never on read-only
   * stores), without waiting for them: the listing's answer does not need them. A failed PUT is
   * only logged (the directory stays implicit; the next listing tries again).
   */
  private writeBreadcrumbs(dirs: readonly string[]): void {
    if (dirs.length === 0 || this.capabilities.readOnly || !this.options.breadcrumbs) return;
    const fresh = dirs.filter((dir) => !this.pendingMarkers.has(dir));
    if (fresh.length === 0) return;
    const written = forEachLimited(fresh, this.options.serviceThreads, async (dir) => {
      try {
        await this.putMarker(dir);
      } catch (error) {
        ufsLog.debug('could not write a directory marker', { uri: this.describe(dir), error: String(error) });
      }
    });
    for (const dir of fresh) this.pendingMarkers.set(dir, written);
    void written.finally(() => {
      for (const dir of fresh) if (this.pendingMarkers.get(dir) === written) this.pendingMarkers.delete(dir);
    });
  }

  /** Waits for the breadcrumbs still being written at or below `rel` ('' : all of them). */
  private async markersWrittenBelow(rel: string): Promise<void> {
    const pending = new Set<Promise<void>>();
    for (const [dir, written] of this.pendingMarkers) {
      if (isSameOrDescendant(dir, rel)) pending.add(written);
    }
    if (pending.size > 0) await Promise.all(pending);
  }

  async open(path: string, options: OpenOptions = {}): Promise<Readable> {
    const rel = normalizeUfsPath(path);
    const { offset, length } = readRangeOf(options);
    const requested = readVersionOf(options);
    const pinned = requested === undefined ? undefined : parseObjectVersion(requested);
    if (rel === '') throw new TierfsError('IS_A_DIRECTORY', `is a directory: ${this.uri}`);
    const key = this.key(rel);
    const known = pinned?.etag === undefined ? undefined : knownSize(options.size, pinned);
    const knownEnd =
      known === undefined ? 0 : Math.min(known, length === undefined ? known : offset + length);
    // A read pinned to a version with an etag needs no HEAD: every GET carries the etag, so the
    // store itself refuses another version. An empty range has no GET to check it, so it HEADs.
    const headed = known === undefined || offset >= knownEnd;
    const head = headed ? await this.client.headObject(key, { signal: options.signal }) : undefined;
    const missing = async (): Promise<never> => {
      const found = await this.find(rel);
      if (found?.kind === 'dir')
        throw new TierfsError('IS_A_DIRECTORY', `is a directory: ${this.describe(rel)}`);
      throw new TierfsError('NOT_FOUND', `no such file: ${this.describe(rel)}`);
    };
    if (headed && !head) return missing();
    const version = head ? objectFingerprint(head) : pinned!.fingerprint;
    if (pinned && head && !isVersion(head, pinned)) {
      throw staleVersion(this.describe(rel), pinned.fingerprint, version);
    }
    const size = head ? head.size : known!;
    const end = Math.min(size, length === undefined ? size : offset + length);
    if (offset >= end) return Readable.from([]);
    const chunk = this.options.readChunkSize ?? Number.POSITIVE_INFINITY;
    // Every GET of this read is pinned to the etag the HEAD saw (the requested one, when given):
    // an object replaced between two ranged GETs fails the read instead of mixing versions.
    const ifMatch = head ? head.etag : pinned!.etag;
    const read = (start: number) =>
      this.client
        .getObject(
          key,
          { start, end: Math.min(end, start + chunk) - 1 },
          {
            signal: options.signal,
            ifMatch,
            requireProof: pinned !== undefined,
            wholeRead: start === offset && end - offset <= chunk,
          },
        )
        .catch((error: unknown) => {
          if (isTierfsError(error, 'PRECONDITION_FAILED')) {
            throw staleVersion(this.describe(rel), pinned?.fingerprint ?? version, 'another version', error);
          }
          throw error;
        });
    const first = await read(offset).catch((error: unknown) =>
      // Without a HEAD first, a missing object shows here: a directory, or nothing at all.
      !headed && isTierfsError(error, 'NOT_FOUND') ? missing() : Promise.reject(error),
    );
    if (end - offset <= chunk) return first;
    // Long reads go as a series of ranged GETs; the next one is sent when the reader starts on the
    // current one, so its answer is on its way (held back by TCP flow control, not in memory) when
    // the current one is drained: no round trip between ranges.
    return Readable.from(
      (async function* () {
        let active: Readable | undefined = first;
        let next: Promise<Readable> | undefined;
        try {
          for (let start = offset; start < end; start += chunk) {
            active ??= await next!;
            next = start + chunk < end ? read(start + chunk) : undefined;
            next?.catch(() => undefined); // surfaced when its turn comes
            yield* active;
            active = undefined;
          }
        } finally {
          active?.destroy();
          void next?.then(
            (body) => body.destroy(),
            () => undefined,
          );
        }
      })(),
      { objectMode: false },
    );
  }

  // --- Writes -----------------------------------------------------------------------------------

  async create(path: string, options: CreateOptions = {}): Promise<UfsWriteStream> {
    const o = this.options;
    const target = await this.writeTarget(path, options);
    // A write the master commits later (commitTo) sends its parts, if it needs any, to the file's
    // own key and leaves the upload open: completing it is the commit, with no copy.
    const deferredKey =
      options.commitTo !== undefined && this.completeUpload
        ? this.key(normalizeUfsPath(options.commitTo))
        : undefined;
    return createObjectWriter(
      deferredKey === undefined ? target : { ...target, deferredKey },
      o.multipartUpload ? 'multipart' : o.streamingUpload ? 'streaming' : 'buffered',
    );
  }

  async upload(
    path: string,
    localPath: string,
    size: number,
    options: CreateOptions = {},
  ): Promise<UploadResult> {
    const target = await this.writeTarget(path, options);
    const signal = new AbortController().signal;
    // A file the master commits later (commitTo) that needs parts sends them to the file's own key
    // and leaves the upload open, as create() does: completing it is the commit, with no copy.
    if (
      options.commitTo !== undefined &&
      this.completeUpload &&
      size > (target.multipartThreshold ?? target.partitionSize)
    ) {
      const deferredKey = this.key(normalizeUfsPath(options.commitTo));
      return {
        pendingUpload: encodePendingUpload(
          await uploadFileParts(target, deferredKey, localPath, size, signal),
        ),
      };
    }
    const etag = await uploadLocalFile(target, localPath, size, signal);
    const written = await target.afterCommit(etag, size);
    return written === undefined ? {} : { written };
  }

  /** Checks a write of `path` as create() must (see the contract) and says where and how it goes. */
  private async writeTarget(path: string, options: CreateOptions): Promise<ObjectWriteTarget> {
    this.checkWritable();
    const rel = normalizeUfsPath(path);
    if (rel === '') throw new TierfsError('IS_A_DIRECTORY', `cannot write to the root of ${this.uri}`);
    // A parent the caller knows (and so a path it knows is no directory) is not looked up; nor,
    // when the file may be replaced anyway, is the file itself.
    const known = options.parentExists === true;
    const [existing] = await Promise.all([
      known && options.overwrite ? undefined : this.find(rel),
      known ? undefined : this.checkParents(rel, options.createParent !== false),
    ]);
    if (existing?.kind === 'dir')
      throw new TierfsError('IS_A_DIRECTORY', `is a directory: ${this.describe(rel)}`);
    if (existing && !options.overwrite) {
      throw new TierfsError(
        'ALREADY_EXISTS',
        `file already exists: ${this.describe(rel)} (pass overwrite to replace it)`,
      );
    }
    const o = this.options;
    const key = this.key(rel);
    const markers = !known && !o.skipParentDirectoryCreation;
    return {
      client: this.client,
      key,
      contentType: options.contentType,
      uri: this.describe(rel),
      partitionSize: o.partitionSize,
      multipartThreshold: o.multipartThreshold,
      uploadThreads: o.uploadThreads,
      partTimeoutMs: o.partTimeoutMs,
      partTimeoutKey: o.partTimeoutKey,
      tmpDirs: o.tmpDirs,
      afterCommit: async (etag, size) => {
        // One HEAD for the mtime the fingerprint needs (a PUT answers no Last-Modified), unless
        // the caller needs no status (a temporary object it moves over the file later).
        const [info] = await Promise.all([
          options.noStatus ? undefined : this.client.headObject(key),
          markers ? this.putMissingMarkers(parentPath(rel)) : undefined,
        ]);
        if (options.noStatus) return undefined;
        return this.fileStatus(rel, writtenInfo(key, info, etag, size), await o.permissions());
      },
    };
  }

  async mkdirs(path: string, options: MkdirsOptions = {}): Promise<void> {
    this.checkWritable();
    const rel = normalizeUfsPath(path);
    if (rel === '') return;
    const [existing] = await Promise.all([
      this.find(rel),
      this.checkParents(rel, options.createParent !== false),
    ]);
    if (existing?.kind === 'dir') return;
    if (existing) throw new TierfsError('ALREADY_EXISTS', `a file exists at ${this.describe(rel)}`);
    await this.putMissingMarkers(parentPath(rel));
    await this.putMarker(rel);
  }

  async delete(path: string, options: DeleteOptions = {}): Promise<void> {
    this.checkWritable();
    const rel = normalizeUfsPath(path);
    if (rel === '') throw new TierfsError('INVALID_ARGUMENT', `the root of ${this.uri} cannot be deleted`);
    // A breadcrumb landing after the delete would bring the directory back.
    await this.markersWrittenBelow(rel);
    const found = await this.find(rel);
    if (!found) throw new TierfsError('NOT_FOUND', `no such file or directory: ${this.describe(rel)}`);
    if (found.kind === 'file') {
      await this.client.deleteObject(this.key(rel));
      return;
    }
    if (!options.recursive) {
      if (await this.hasChildren(rel)) {
        throw new TierfsError(
          'DIRECTORY_NOT_EMPTY',
          `directory not empty: ${this.describe(rel)} (delete it recursively)`,
        );
      }
      await this.client.deleteObject(this.markerKey(rel));
      return;
    }
    for await (const keys of this.keysBelow(this.dirPrefix(rel))) await this.deleteKeys(keys);
    if (this.suffix !== '/') await this.client.deleteObject(this.markerKey(rel));
  }

  async rename(source: string, destination: string): Promise<void> {
    this.checkWritable();
    const from = normalizeUfsPath(source);
    const to = normalizeUfsPath(destination);
    if (from === '' || to === '') throw new TierfsError('INVALID_ARGUMENT', 'the root cannot be renamed');
    // A breadcrumb landing after the move would bring the source directory back.
    await this.markersWrittenBelow(from);
    const found = await this.find(from);
    if (!found) throw new TierfsError('NOT_FOUND', `no such file or directory: ${this.describe(from)}`);
    if (isSameOrDescendant(to, from)) {
      throw new TierfsError('INVALID_ARGUMENT', `cannot move ${this.describe(from)} into itself (${to})`);
    }
    const [target] = await Promise.all([this.find(to), this.checkParents(to, true)]);
    if (target) throw new TierfsError('ALREADY_EXISTS', `destination already exists: ${this.describe(to)}`);
    if (found.kind === 'file' && this.client.moveObject) {
      await this.client.moveObject(this.key(from), this.key(to));
    } else if (found.kind === 'file') {
      await this.copyObjectOf(this.key(from), this.key(to), found.info.size);
      await this.client.deleteObject(this.key(from));
    } else {
      // Copy everything first, then delete: a failure while copying leaves the source whole.
      const fromPrefix = this.dirPrefix(from);
      const toPrefix = this.dirPrefix(to);
      for await (const keys of this.keysBelow(fromPrefix)) {
        await forEachLimited(keys, this.options.serviceThreads, async (key) => {
          await this.client.copyObject(key, toPrefix + key.slice(fromPrefix.length));
        });
      }
      if (this.suffix !== '/' && found.marker) await this.putMarker(to);
      for await (const keys of this.keysBelow(fromPrefix)) await this.deleteKeys(keys);
      if (this.suffix !== '/' && found.marker) await this.client.deleteObject(this.markerKey(from));
    }
    if (!this.options.skipParentDirectoryCreation) await this.putMissingMarkers(parentPath(to));
  }

  private async copyOver(
    source: string,
    destination: string,
    options: MoveOverOptions = {},
  ): Promise<UfsStatus> {
    this.checkWritable();
    const from = normalizeUfsPath(source);
    const to = normalizeUfsPath(destination);
    if (from === '' || to === '') throw new TierfsError('INVALID_ARGUMENT', 'the root cannot be moved');
    if (from === to) {
      throw new TierfsError('INVALID_ARGUMENT', `cannot move ${this.describe(from)} onto itself`);
    }
    const [fromKey, toKey] = [this.key(from), this.key(to)];
    // Kodo: one forced move, which answers nothing about the object (a HEAD learns it).
    if (this.client.moveObject) {
      await this.client.moveObject(fromKey, toKey);
      options.sourceDeleted?.();
      return this.statusAfterMove(to);
    }
    // Copied server-side over the destination, which is replaced whole: readers see the old
    // object or the new one. One CopyObject up to the store's limit, a multipart copy above it
    // (the destination appears only when the upload completes).
    const limit = this.client.singleCopyLimit;
    let size = options.size;
    if (limit !== undefined && (size === undefined || size > limit)) {
      const head = await this.client.headObject(fromKey);
      if (!head) throw new TierfsError('NOT_FOUND', `no such file: ${this.describe(from)}`);
      size = head.size;
    }
    if (limit !== undefined && size !== undefined && size > limit) {
      await this.copyInParts(fromKey, toKey, size);
      await this.deleteMovedSource(fromKey, options.sourceDeleted);
      return this.statusAfterMove(to);
    }
    const copied = await this.client.copyObject(fromKey, toKey).catch(async (error: unknown) => {
      if (await this.copiedAfterAll(fromKey, toKey)) return {} as CopiedObject;
      throw error;
    });
    await this.deleteMovedSource(fromKey, options.sourceDeleted);
    // The copy's answer (etag, Last-Modified) and the size written make the status: no HEAD.
    if (size !== undefined && copied.etag !== undefined && copied.mtimeMs !== undefined) {
      const info = { key: toKey, size, etag: copied.etag, mtimeMs: copied.mtimeMs };
      return this.fileStatus(to, info, await this.options.permissions());
    }
    return this.statusAfterMove(to);
  }

  /** The source of a moveOver goes in the next batch of deletes, or now when there are none. */
  private async deleteMovedSource(key: string, deleted: (() => void) | undefined): Promise<void> {
    if (this.deferredDeletes) {
      this.deferredDeletes.add(key, deleted);
      return;
    }
    await this.client.deleteObject(key);
    deleted?.();
  }

  /**
   * Completes the multipart upload a write created with commitTo left open: the file appears (or
   * is replaced whole) in one step. One HEAD then for the status (the completion answers no mtime).
   */
  private async completeOpenUpload(
    path: string,
    token: string,
    options: MoveOverOptions = {},
  ): Promise<UfsStatus> {
    this.checkWritable();
    const rel = normalizeUfsPath(path);
    if (rel === '') throw new TierfsError('INVALID_ARGUMENT', `cannot write to the root of ${this.uri}`);
    const { uploadId, parts } = decodePendingUpload(token);
    const key = this.key(rel);
    let etag: string | undefined;
    let info: ObjectInfo | undefined;
    try {
      etag = await this.client.completeMultipartUpload(key, uploadId, parts);
    } catch (error) {
      // The store may have completed the upload and only its answer been lost (a retry then finds
      // no such upload): the object at the key says so by the entity tag these parts make. Anything
      // else is the failure it seems, and the version at the key is still the one before.
      info = await this.client.headObject(key).catch(() => undefined);
      if (!isCompletionOf(info?.etag, parts)) throw error;
      etag = info?.etag;
    }
    info ??= await this.client.headObject(key);
    const size = options.size ?? info?.size ?? 0;
    return this.fileStatus(rel, writtenInfo(key, info, etag, size), await this.options.permissions());
  }

  /**
   * Whether a CopyObject that seemed to fail was done after all (the store copied, the answer was
   * lost): the destination holds an object with the source's ETag. Identical bytes already at the
   * destination read the same, so they count as done too.
   */
  private async copiedAfterAll(fromKey: string, toKey: string): Promise<boolean> {
    const [from, to] = await Promise.all([
      this.client.headObject(fromKey).catch(() => undefined),
      this.client.headObject(toKey).catch(() => undefined),
    ]);
    return from?.etag !== undefined && from.etag === to?.etag && from.size === to.size;
  }

  private async abortOpenUpload(path: string, token: string): Promise<void> {
    this.checkWritable();
    const { uploadId } = decodePendingUpload(token);
    await abortQuietly(this.client, this.key(normalizeUfsPath(path)), uploadId);
  }

  private async statusAfterMove(to: string): Promise<UfsStatus> {
    const moved = await this.client.headObject(this.key(to));
    if (!moved)
      throw new TierfsError('NOT_FOUND', `${this.describe(to)} vanished right after it was written`);
    return this.fileStatus(to, moved, await this.options.permissions());
  }

  /** A server-side copy of an object of `size` bytes: one CopyObject, or parts above the store's limit. */
  private async copyObjectOf(fromKey: string, toKey: string, size: number): Promise<void> {
    const limit = this.client.singleCopyLimit;
    if (limit !== undefined && size > limit) await this.copyInParts(fromKey, toKey, size);
    else await this.client.copyObject(fromKey, toKey);
  }

  /**
   * A server-side copy of an object too big for one CopyObject: a multipart upload of
   * UploadPartCopy parts (COPY_LIMITS.partSize, more when 10,000 would not do), a few at once.
   * Any failure aborts the upload, so nothing appears at the destination.
   */
  private async copyInParts(fromKey: string, toKey: string, size: number): Promise<void> {
    const uploadPartCopy = this.client.uploadPartCopy?.bind(this.client);
    if (!uploadPartCopy) {
      throw new TierfsError(
        'UNSUPPORTED',
        `${this.uri} cannot copy ${size} bytes server-side: larger than one copy request takes ` +
          `(${this.client.singleCopyLimit} bytes) and the store offers no UploadPartCopy`,
      );
    }
    const partSize = copyPartSize(size);
    const ranges: { start: number; end: number }[] = [];
    for (let start = 0; start < size; start += partSize) {
      ranges.push({ start, end: Math.min(size, start + partSize) - 1 });
    }
    const uploadId = await this.client.initiateMultipartUpload(toKey);
    try {
      const etags: string[] = [];
      await forEachLimited(
        ranges.map((range, i) => ({ range, partNumber: i + 1 })),
        COPY_LIMITS.parallelParts,
        async ({ range, partNumber }) => {
          etags[partNumber - 1] = await uploadPartCopy(toKey, uploadId, partNumber, fromKey, range);
        },
      );
      await this.client.completeMultipartUpload(
        toKey,
        uploadId,
        etags.map((etag, i) => ({ partNumber: i + 1, etag })),
      );
    } catch (error) {
      await this.client.abortMultipartUpload(toKey, uploadId).catch((abortError: unknown) =>
        ufsLog.warn('could not abort a multipart copy (cleanup() will)', {
          uri: `${this.options.scheme}://${this.client.bucket}/${toKey}`,
          error: String(abortError),
        }),
      );
      throw error;
    }
  }

  async getSpace(): Promise<undefined> {
    return undefined;
  }

  /**
   * Aborts the multipart uploads below this store's root that were started longer ago than the
   * clean age (`tierfs.underfs.s3.intermediate.upload.clean.age`); read-only stores abort nothing.
   * Returns how many were aborted.
   */
  async cleanup(): Promise<number> {
    if (this.capabilities.readOnly) return 0;
    const cutoff = Date.now() - this.options.cleanAgeMs;
    let aborted = 0;
    let token: string | undefined;
    do {
      const page = await this.client.listMultipartUploads(this.options.rootPrefix, token);
      for (const upload of page.uploads) {
        if (upload.initiatedMs >= cutoff) continue;
        try {
          await this.client.abortMultipartUpload(upload.key, upload.uploadId);
          aborted++;
        } catch (error) {
          if (!isTierfsError(error, 'NOT_FOUND')) throw error;
        }
      }
      token = page.nextToken;
    } while (token !== undefined);
    return aborted;
  }

  async close(): Promise<void> {
    await this.markersWrittenBelow('');
    await this.deferredDeletes?.close();
    await this.client.close();
  }

  // --- Helpers ----------------------------------------------------------------------------------

  private checkWritable(): void {
    if (this.capabilities.readOnly) throw new TierfsError('READ_ONLY', `${this.uri} is mounted read-only`);
  }

  /**
   * Refuses a path below a file (NOT_A_DIRECTORY) and, without createParent, a missing parent
   * (NOT_FOUND). One HEAD per ancestor, in parallel.
   */
  private async checkParents(rel: string, createParent: boolean): Promise<void> {
    const ancestors: string[] = [];
    for (let dir = parentPath(rel); dir !== ''; dir = parentPath(dir)) ancestors.push(dir);
    const files = await Promise.all(ancestors.map((dir) => this.client.headObject(this.key(dir))));
    const file = ancestors.find((_, i) => files[i] !== undefined);
    if (file !== undefined)
      throw new TierfsError('NOT_A_DIRECTORY', `not a directory: ${this.describe(file)}`);
    const parent = parentPath(rel);
    if (!createParent && parent !== '' && !(await this.find(parent))) {
      throw new TierfsError('NOT_FOUND', `parent directory does not exist: ${this.describe(parent)}`);
    }
  }

  private async putMarker(rel: string): Promise<void> {
    await this.client.putObject(this.markerKey(rel), EMPTY_BODY, { contentType: 'application/x-directory' });
  }

  /** Writes markers for `rel` and its ancestors, up to the first one that has a marker. */
  private async putMissingMarkers(rel: string): Promise<void> {
    const missing: string[] = [];
    for (
      let dir = rel;
      dir !== '' && !(await this.client.headObject(this.markerKey(dir)));
      dir = parentPath(dir)
    ) {
      missing.push(dir);
    }
    await forEachLimited(missing, this.options.serviceThreads, (dir) => this.putMarker(dir));
  }

  /** Every key starting with `prefix`, a listing page at a time. */
  private async *keysBelow(prefix: string): AsyncGenerator<string[]> {
    let token: string | undefined;
    do {
      const page = await this.client.listObjects({ prefix, token, maxKeys: this.options.listingLength });
      if (page.objects.length > 0) yield page.objects.map((object) => object.key);
      token = page.nextToken;
    } while (token !== undefined);
  }

  private async deleteKeys(keys: readonly string[]): Promise<void> {
    if (this.options.bulkDelete) {
      await forEachLimited(batches(keys, 1000), this.options.serviceThreads, (batch) =>
        this.client.deleteObjects(batch),
      );
    } else {
      await forEachLimited(keys, this.options.serviceThreads, (key) => this.client.deleteObject(key));
    }
  }
}

/**
 * What a write produced: the object as a HEAD after it saw it, when that is this write's object
 * (same etag); otherwise (replaced meanwhile, or gone) this write's etag and size, so a read
 * pinned to it fails STALE rather than serve another writer's bytes.
 */
function writtenInfo(
  key: string,
  seen: ObjectInfo | undefined,
  etag: string | undefined,
  size: number,
): ObjectInfo {
  if (seen && (etag === undefined || seen.etag === etag)) return seen;
  return { key, size, mtimeMs: seen?.mtimeMs ?? Date.now(), etag };
}

/** The size of a pinned read: the caller's, which must be the version's. */
function knownSize(size: number | undefined, version: ObjectVersion): number {
  if (size === undefined || size === version.size) return version.size;
  throw new TierfsError(
    'INVALID_ARGUMENT',
    `read size ${size} is not the size of version ${version.fingerprint} (${version.size})`,
  );
}

/** Objects and common prefixes of one listing response, merged in key order. */
function* mergeByKey(
  objects: readonly ObjectInfo[],
  prefixes: readonly string[],
): Generator<{ key: string; info?: ObjectInfo }> {
  let o = 0;
  let p = 0;
  while (o < objects.length || p < prefixes.length) {
    const object = objects[o];
    const prefix = prefixes[p];
    if (object && (prefix === undefined || compareKeys(object.key, prefix) < 0)) {
      yield { key: object.key, info: object };
      o++;
    } else {
      yield { key: prefix! };
      p++;
    }
  }
}

/** Keys the contract cannot name (`a//b`, `..`, NUL) are left out of listings. */
function isPlainPath(relative: string): boolean {
  try {
    return relative !== '' && normalizeUfsPath(relative) === relative;
  } catch {
    return false;
  }
}

function isPlainName(name: string): boolean {
  return isPlainPath(name) && !name.includes('/');
}

function clampPageSize(requested: number | undefined, max: number): number {
  if (requested === undefined) return max;
  if (!Number.isSafeInteger(requested) || requested < 1) {
    throw new TierfsError('INVALID_ARGUMENT', `page size must be a positive integer, got ${requested}`);
  }
  return Math.min(requested, max);
}
