/**
 * S3 versioning over the object layer. The current version of a key is where the key layout puts
 * it (common/key-layout.ts: its path, or `a/.tierfs-object` beside keys below it, or a marker's
 * body; ObjectInfo.dataPath), so listings and the namespace see the latest bytes; its object
 * record carries its version id.
 * Noncurrent versions are copies in the versions area of the root (`.tierfs-versions/<bucket>/`)
 * with a row each in the version store, as are delete markers (without bytes).
 *
 * Every change to a key's versions runs under that key's lock, in an order that never loses an
 * acknowledged version and never shows a half-written one:
 * - a write that demotes the current version copies its bytes to the versions area first, then
 *   writes the new file (atomically), then records both in one transaction;
 * - a delete marker records the demoted version and the marker in one transaction before the
 *   file is removed (a crash in between leaves a file that the marker hides, see `latest`);
 * - deleting the current version promotes the newest noncurrent one by writing its bytes over the
 *   path before the records change.
 * A failed write removes its copy; a copy without a row (a crash) is never read.
 *
 * Lock order: a key's version lock is taken first and held through the write; the layout's
 * per-path locks (moving `a` into or out of its directory) are taken inside it and never wait for
 * a version lock, so the two cannot deadlock. A layout move may still run under another key's
 * version lock (a write of `a/b` moves `a`), so the copy of a demoted version follows its bytes
 * when they moved between finding and copying them.
 */

import { randomBytes } from 'node:crypto';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { UfsStatus } from '../../ufs/contract.js';
import { KeyLocks } from '../common/key-locks.js';
import { S3Error, toS3Error } from './errors.js';
import type { StoredChecksum } from './object-checksums.js';
import type { ObjectAttributes, ObjectInfo, ObjectLayer } from './object-layer.js';
import { newVersionId, nextSeq, VERSIONS_AREA, type VersionRow } from './version-store.js';

/** What a version id names: an object version, a delete marker, or nothing. */
export type FoundVersion =
  | { readonly kind: 'object'; readonly info: ObjectInfo }
  | { readonly kind: 'marker'; readonly row: VersionRow };

export interface DeleteOutcome {
  /** The version created (a delete marker) or removed; undefined in an unversioned bucket. */
  readonly versionId?: string;
  /** Whether that version is a delete marker. */
  readonly deleteMarker: boolean;
}

/**
 * Whether the file at a key's path is one a crash left behind after `marker` was recorded: the
 * very file the marker removed (same fingerprint, its record already gone). A file written there
 * since, through the namespace, is not hidden.
 */
export function hiddenBy(current: ObjectInfo, marker: VersionRow | undefined): boolean {
  return (
    marker?.deleteMarker === true &&
    current.seq === undefined &&
    marker.fingerprint !== undefined &&
    current.version === marker.fingerprint
  );
}

/** The version id as S3 names it. */
export function versionIdOf(info: { versionId?: string }): string {
  return info.versionId ?? 'null';
}

/**
 * Checked under the key's lock with the object version a DELETE by version id is about to remove
 * (never a delete marker); throws to refuse it (Object Lock: object-lock.ts).
 */
export type DeleteGuard = (info: ObjectInfo) => void;

/** What a demotion (the current version making room for a newer one) does, in steps. */
interface Demotion {
  /** The version being demoted, as found. */
  readonly current: ObjectInfo | undefined;
  /** In the transaction that records the newer version. */
  commit(): void;
  /** After that transaction: removes the blobs of versions it replaced. */
  cleanup(): Promise<void>;
  /** When the newer version failed: removes the copy made for the demoted one. */
  abort(): Promise<void>;
}

export class ObjectVersions {
  private readonly locks = new KeyLocks();
  /** Copies in the versions area being written or not yet recorded: never orphans to a sweep. */
  private readonly pending = new Set<string>();

  constructor(private readonly layer: ObjectLayer) {}

  private get store() {
    return this.layer.metadata.versions;
  }

  private lock<T>(bucket: string, key: string, body: () => Promise<T>): Promise<T> {
    return this.locks.run(`${bucket}\0${key}`, body);
  }

  /** ObjectInfo of a noncurrent version. */
  infoOf(row: VersionRow): ObjectInfo {
    return {
      bucket: row.bucket,
      key: row.key,
      size: row.size,
      mtimeMs: row.mtimeMs,
      etag: row.etag,
      version: row.fingerprint,
      versionId: row.versionId === 'null' ? undefined : row.versionId,
      seq: row.seq,
      blob: row.blob,
      ...row.attributes,
    };
  }

  /**
   * The latest version of a key: the current object, or the newest delete marker, or undefined.
   * A file left at the path by a crash after its delete marker was recorded is hidden by it.
   */
  async latest(bucket: string, key: string): Promise<FoundVersion | undefined> {
    const current = await this.layer.stat(bucket, key);
    const newest = this.store.ofKey(bucket, key)[0];
    if (current && !hiddenBy(current, newest)) return { kind: 'object', info: current };
    if (!newest) return undefined;
    return newest.deleteMarker
      ? { kind: 'marker', row: newest }
      : { kind: 'object', info: this.infoOf(newest) };
  }

  /** The version `versionId` of a key (`null` included), or undefined. */
  async find(bucket: string, key: string, versionId: string): Promise<FoundVersion | undefined> {
    const current = await this.layer.stat(bucket, key);
    if (current && versionIdOf(current) === versionId) return { kind: 'object', info: current };
    const row = this.store.get(bucket, key, versionId);
    if (!row) return undefined;
    return row.deleteMarker ? { kind: 'marker', row } : { kind: 'object', info: this.infoOf(row) };
  }

  /**
   * The object a request names: the latest version (no `versionId`) or the one given. NoSuchKey
   * when the latest is a delete marker (with x-amz-delete-marker), MethodNotAllowed when the
   * version named is one, NoSuchVersion when there is no such version.
   */
  async resolve(bucket: string, key: string, versionId: string | undefined): Promise<ObjectInfo> {
    if (versionId === undefined) {
      if (this.layer.metadata.settings.versioning(bucket) === '' && !this.store.hasAny(bucket)) {
        return this.layer.head(bucket, key);
      }
      const found = await this.latest(bucket, key);
      if (found?.kind === 'object') return found.info;
      await this.layer.bucket(bucket);
      throw new S3Error('NoSuchKey', 'The specified key does not exist.', {
        headers: found ? { 'x-amz-delete-marker': 'true', 'x-amz-version-id': found.row.versionId } : {},
      });
    }
    if (versionId === '') throw new S3Error('InvalidArgument', 'Version id cannot be the empty string');
    const found = await this.find(bucket, key, versionId);
    if (found?.kind === 'object') return found.info;
    await this.layer.bucket(bucket);
    if (!found) throw new S3Error('NoSuchVersion', 'The specified version does not exist.');
    throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', {
      headers: {
        'x-amz-delete-marker': 'true',
        'x-amz-version-id': versionId,
        'last-modified': new Date(found.row.mtimeMs).toUTCString(),
      },
    });
  }

  /**
   * DELETE of an object: of one version when `versionId` is given, else of the latest (a delete
   * marker in a versioned bucket, the object itself otherwise).
   */
  async remove(
    bucket: string,
    key: string,
    versionId: string | undefined,
    owner: string,
    guard?: DeleteGuard,
  ): Promise<DeleteOutcome> {
    await this.layer.bucket(bucket);
    if (versionId !== undefined) {
      if (versionId === '') throw new S3Error('InvalidArgument', 'Version id cannot be the empty string');
      return this.deleteVersion(bucket, key, versionId, guard);
    }
    if (this.layer.metadata.settings.versioning(bucket) !== '') return this.deleteLatest(bucket, key, owner);
    await this.layer.delete(bucket, key);
    return { deleteMarker: false };
  }

  /** The x-amz-version-id header of an object: sent once its bucket has had versioning configured. */
  versionHeader(info: ObjectInfo): Record<string, string> {
    const shown = info.versionId !== undefined || this.layer.metadata.settings.versioning(info.bucket) !== '';
    return shown ? { 'x-amz-version-id': versionIdOf(info) } : {};
  }

  /**
   * The x-amz-version-id header of a PutObject, POST object or CompleteMultipartUpload answer: the
   * new version's id, and none for the `null` version (unversioned or suspended bucket), as S3
   * answers those writes.
   */
  writtenVersionHeader(info: ObjectInfo): Record<string, string> {
    return info.versionId === undefined ? {} : { 'x-amz-version-id': info.versionId };
  }

  /** A write to a versioned bucket: a new version (Enabled) or the `null` one (Suspended). */
  put(
    bucket: string,
    key: string,
    source: readonly (NodeJS.ReadableStream | Transform)[],
    etag: () => string,
    attributes: ObjectAttributes,
    checksum?: () => StoredChecksum | undefined,
  ): Promise<ObjectInfo> {
    return this.lock(bucket, key, async () => {
      const enabled = this.layer.metadata.settings.versioning(bucket) === 'Enabled';
      const demotion = await this.demote(bucket, key, !enabled);
      let info: ObjectInfo;
      try {
        info = await this.layer.write(bucket, key, source, etag, attributes, {
          versionId: enabled ? newVersionId() : undefined,
          seq: nextSeq(),
          beforeRecord: () => demotion.commit(),
          checksum,
        });
      } catch (error) {
        await demotion.abort();
        throw error;
      }
      await demotion.cleanup();
      return info;
    });
  }

  /**
   * DELETE of a key in a versioned bucket without a version id: a delete marker becomes its latest
   * version (`null` when versioning is suspended, replacing the `null` version).
   */
  deleteLatest(bucket: string, key: string, owner: string): Promise<DeleteOutcome> {
    return this.lock(bucket, key, async () => {
      const enabled = this.layer.metadata.settings.versioning(bucket) === 'Enabled';
      const demotion = await this.demote(bucket, key, !enabled);
      const marker: VersionRow = {
        bucket,
        key,
        versionId: enabled ? newVersionId() : 'null',
        seq: nextSeq(),
        deleteMarker: true,
        blob: undefined,
        // The file this marker removes: should a crash leave it there, the marker still hides it.
        fingerprint: demotion.current?.version,
        size: 0,
        mtimeMs: Date.now(),
        etag: '',
        attributes: { headers: { userMetadata: {} }, tags: [], acl: 'private', owner },
      };
      try {
        this.layer.metadata.db.transaction(() => {
          demotion.commit();
          this.layer.metadata.deleteObject(bucket, key);
          this.store.put(marker);
        });
      } catch (error) {
        await demotion.abort();
        throw error;
      }
      await this.layer.removeFile(bucket, key);
      await demotion.cleanup();
      return { versionId: marker.versionId, deleteMarker: true };
    });
  }

  /**
   * DELETE of one version (any bucket; `null` is the only version of an unversioned one). Deleting
   * the latest version makes the next newest one the latest; deleting a version that does not
   * exist succeeds, as in S3.
   */
  deleteVersion(bucket: string, key: string, versionId: string, guard?: DeleteGuard): Promise<DeleteOutcome> {
    return this.lock(bucket, key, async () => {
      const current = await this.layer.stat(bucket, key);
      if (current && versionIdOf(current) === versionId) {
        guard?.(current);
        await this.replaceCurrent(bucket, key);
        return { versionId, deleteMarker: false };
      }
      const row = this.store.get(bucket, key, versionId);
      if (!row) return { versionId, deleteMarker: false };
      if (!row.deleteMarker) guard?.(this.infoOf(row));
      this.store.delete(bucket, key, versionId);
      await this.removeBlob(row.blob);
      if (!current) await this.replaceCurrent(bucket, key);
      return { versionId, deleteMarker: row.deleteMarker };
    });
  }

  /**
   * Runs `body` under the key's version lock: no write, delete or demotion of the key runs
   * meanwhile (Object Lock changes a version's retention or legal hold so).
   */
  exclusive<T>(bucket: string, key: string, body: () => Promise<T>): Promise<T> {
    return this.lock(bucket, key, body);
  }

  /** Replaces a noncurrent version's ACL or tags. */
  updateAttributes(info: ObjectInfo, attributes: Partial<ObjectAttributes>): void {
    const row = this.store.get(info.bucket, info.key, versionIdOf(info));
    if (!row) throw new S3Error('NoSuchVersion', 'The specified version does not exist.');
    const { headers, tags, acl, grants, owner } = { ...row.attributes, ...attributes };
    this.store.put({ ...row, attributes: { headers, tags, acl, grants, owner } });
  }

  /**
   * The current version is going away (deleted by id, or there is none after its delete marker
   * was removed): the newest noncurrent version, when it is an object, is written over the path
   * and becomes current; otherwise the path is emptied.
   */
  private async replaceCurrent(bucket: string, key: string): Promise<void> {
    const newest = this.store.ofKey(bucket, key)[0];
    if (!newest || newest.deleteMarker) {
      this.layer.metadata.deleteObject(bucket, key);
      await this.layer.removeFile(bucket, key);
      return;
    }
    const info = this.infoOf(newest);
    await this.layer.write(bucket, key, [await this.layer.open(info)], () => newest.etag, newest.attributes, {
      versionId: info.versionId,
      seq: newest.seq,
      beforeRecord: () => this.store.delete(bucket, key, newest.versionId),
    });
    await this.removeBlob(newest.blob);
  }

  /**
   * Prepares the current version of a key to make room for a newer one: its bytes are copied to
   * the versions area unless the newer one is the `null` version and replaces it (`nullVersion`:
   * versioning is suspended, which also replaces a noncurrent `null` version or marker).
   */
  private async demote(bucket: string, key: string, nullVersion: boolean): Promise<Demotion> {
    let current = await this.layer.stat(bucket, key);
    const replacedNull = nullVersion ? this.store.get(bucket, key, 'null') : undefined;
    let archived: VersionRow | undefined;
    if (current && !(nullVersion && current.versionId === undefined)) {
      const blob = `${VERSIONS_AREA}/${bucket}/${randomBytes(16).toString('hex')}`;
      let written: UfsStatus | undefined;
      this.pending.add(blob);
      for (let attempt = 1; ; attempt++) {
        try {
          const out = await this.layer.files.create(blob);
          await pipeline(await this.layer.open(current), out);
          written = out.written;
          break;
        } catch (error) {
          await this.removeBlob(blob);
          // The key layout moved the bytes (into or out of the directory of their name, for a
          // key written below this one) between finding and copying them: copied from there.
          const moved = attempt < 3 ? await this.layer.stat(bucket, key) : undefined;
          if (moved?.dataPath === undefined || moved.dataPath === current.dataPath) {
            this.pending.delete(blob);
            throw toS3Error(error);
          }
          current = moved;
        }
      }
      // A store that cannot say what it wrote is asked.
      const entry = await (written ? Promise.resolve(written) : this.layer.files.stat(blob)).catch(
        async (error: unknown) => {
          this.pending.delete(blob);
          await this.removeBlob(blob);
          throw toS3Error(error);
        },
      );
      archived = {
        bucket,
        key,
        versionId: versionIdOf(current),
        seq: current.seq ?? 0,
        deleteMarker: false,
        blob,
        fingerprint: entry?.fingerprint,
        size: current.size,
        mtimeMs: current.mtimeMs,
        etag: current.etag,
        attributes: {
          headers: current.headers,
          tags: current.tags,
          acl: current.acl,
          grants: current.grants,
          owner: current.owner,
        },
      };
    }
    return {
      current,
      commit: () => {
        if (replacedNull) this.store.delete(bucket, key, 'null');
        if (archived) this.store.put(archived);
      },
      cleanup: () => {
        // Recorded (or, should the record have failed, abort runs): no longer the sweep's concern.
        if (archived?.blob) this.pending.delete(archived.blob);
        return this.removeBlob(replacedNull?.blob);
      },
      abort: async () => {
        await this.removeBlob(archived?.blob);
        if (archived?.blob) this.pending.delete(archived.blob);
      },
    };
  }

  /**
   * Removes the files in the versions area no version row names, last changed before `beforeMs`:
   * copies a crash (or a failed removal) left between writing them and recording them. Safe while
   * serving: a copy this gateway is still writing or has not recorded yet is skipped.
   * Returns how many were removed.
   */
  async sweepOrphans(beforeMs: number): Promise<number> {
    const files = this.layer.files;
    let removed = 0;
    const list = async (path: string) => {
      const out = [];
      try {
        for await (const entry of files.children(path)) out.push(entry);
      } catch {
        // no versions area yet
      }
      return out;
    };
    for (const bucket of await list(VERSIONS_AREA)) {
      if (!bucket.isDirectory) continue;
      for (const entry of await list(`${VERSIONS_AREA}/${bucket.name}`)) {
        const blob = `${VERSIONS_AREA}/${bucket.name}/${entry.name}`;
        if (entry.isDirectory || (entry.mtimeMs ?? 0) >= beforeMs) continue;
        // Both checked at once (no await between): a copy is pending until its row exists.
        if (this.pending.has(blob) || this.store.hasBlob(blob)) continue;
        await this.removeBlob(blob);
        removed++;
      }
    }
    return removed;
  }

  private async removeBlob(blob: string | undefined): Promise<void> {
    if (blob === undefined) return;
    await this.layer.files.delete(blob).catch(() => undefined);
  }
}
