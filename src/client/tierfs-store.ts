/**
 * The tierfs namespace as an UnderStore: `FileSystem.get('tierfs://master:19998/data')` gives
 * compute jobs (and the tiered log) the cluster, cache and all, behind the same contract as any
 * under store.
 */
import type { Readable } from 'node:stream';
import type { FileStatus } from '../cluster/wire.js';
import { MASTER_RPC_PORT } from '../config/keys/core.js';
import { TierfsError } from '../errors.js';
import type {
  CreateOptions,
  DeleteOptions,
  ListOptions,
  ListPage,
  MkdirsOptions,
  OpenOptions,
  UfsStatus,
  UfsWriteStream,
  UnderStore,
  UnderStoreCapabilities,
} from '../ufs/contract.js';
import { readRangeOf, readVersionOf, staleVersion } from '../ufs/io.js';
import { normalizeUfsPath } from '../ufs/path.js';
import { registerUnderStore } from '../ufs/registry.js';
import { TierfsClient } from './client.js';

export const TIERFS_CAPABILITIES: UnderStoreCapabilities = Object.freeze({
  atomicRename: false, // A rename is as atomic as the mount's under store makes it.
  directoryMarkers: false,
  emptyDirectories: true,
  multipartUpload: false,
  presign: false,
  space: false,
  posixPermissions: true,
  readOnly: false,
  maxListPageSize: 1000,
});

/** Where a listing stands: the directories still to list and the page within the current one. */
interface Cursor {
  readonly root: string;
  readonly recursive: boolean;
  readonly dirs: readonly string[];
  readonly token?: string;
}

function encode(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decode(token: string, root: string, recursive: boolean): Cursor {
  let cursor: Cursor | undefined;
  try {
    cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Cursor;
  } catch {
    // Reported below.
  }
  if (!cursor || !Array.isArray(cursor.dirs) || cursor.root !== root || cursor.recursive !== recursive) {
    throw new TierfsError('INVALID_ARGUMENT', 'malformed continuation token, or one from another listing');
  }
  return cursor;
}

export class TierfsUnderStore implements UnderStore {
  readonly scheme = 'tierfs';
  readonly capabilities = TIERFS_CAPABILITIES;

  constructor(
    private readonly client: TierfsClient,
    /** Namespace path the store is rooted at. */
    private readonly root: string,
    readonly uri: string,
  ) {}

  private full(path: string): { rel: string; abs: string } {
    const rel = normalizeUfsPath(path);
    const base = this.root === '/' ? '' : this.root;
    return { rel, abs: rel === '' ? this.root : `${base}/${rel}` };
  }

  private toStatus(status: FileStatus): UfsStatus {
    const base = this.root === '/' ? '/' : `${this.root}/`;
    const path = status.path === this.root ? '' : status.path.slice(base.length);
    return {
      path,
      name: path.slice(path.lastIndexOf('/') + 1),
      isDirectory: status.isDirectory,
      size: status.size,
      mtimeMs: status.mtimeMs,
      fingerprint: status.contentId,
      owner: status.owner,
      group: status.group,
      mode: status.mode,
    };
  }

  async getStatus(path: string): Promise<UfsStatus> {
    return this.toStatus(await this.client.getStatus(this.full(path).abs));
  }

  async exists(path: string): Promise<boolean> {
    return this.client.exists(this.full(path).abs);
  }

  async list(path: string, options: ListOptions = {}): Promise<ListPage> {
    const { abs } = this.full(path);
    const recursive = options.recursive ?? false;
    const pageSize = options.pageSize ?? this.capabilities.maxListPageSize;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `page size must be a positive integer, got ${options.pageSize}`,
      );
    }
    const limit = Math.min(pageSize, this.capabilities.maxListPageSize);
    let cursor: Cursor = options.continuationToken
      ? decode(options.continuationToken, abs, recursive)
      : { root: abs, recursive, dirs: [abs] };
    const entries: UfsStatus[] = [];
    while (entries.length < limit && cursor.dirs.length > 0) {
      const [dir, ...rest] = cursor.dirs;
      const page = await this.client.listStatus(dir!, {
        pageSize: limit - entries.length,
        continuationToken: cursor.token,
      });
      const subdirs = recursive ? page.entries.filter((e) => e.isDirectory).map((e) => e.path) : [];
      entries.push(...page.entries.map((e) => this.toStatus(e)));
      cursor = page.continuationToken
        ? { ...cursor, dirs: [dir!, ...rest, ...subdirs], token: page.continuationToken }
        : { root: abs, recursive, dirs: [...rest, ...subdirs] };
    }
    return cursor.dirs.length > 0 ? { entries, continuationToken: encode(cursor) } : { entries };
  }

  /**
   * A file's version here is its content id (what getStatus gives as fingerprint): the worker
   * serves the bytes of the content id it is asked for, so checking the status read here pins the
   * whole read to that version.
   */
  async open(path: string, options: OpenOptions = {}): Promise<Readable> {
    const { offset, length } = readRangeOf(options);
    const version = readVersionOf(options);
    const { rel, abs } = this.full(path);
    const status = await this.client.getStatus(abs);
    if (status.isDirectory) throw new TierfsError('IS_A_DIRECTORY', `is a directory: ${this.uri}${rel}`);
    const found = this.toStatus(status).fingerprint;
    if (version !== undefined && found !== version) throw staleVersion(`${this.uri}${rel}`, version, found);
    // Pinned to the content just checked: a file replaced in between fails STALE, never mixes.
    return this.client.openFile(abs, { offset, length, contentId: status.contentId });
  }

  async create(path: string, options: CreateOptions = {}): Promise<UfsWriteStream> {
    const { rel, abs } = this.full(path);
    if (rel === '') throw new TierfsError('IS_A_DIRECTORY', `cannot write to the root of ${this.uri}`);
    const stream = await this.client.createFile(abs, {
      overwrite: options.overwrite ?? false,
      recursive: options.createParent ?? true,
      mode: options.mode,
    });
    return Object.defineProperty(stream, 'written', {
      get: () => (stream.completed === undefined ? undefined : this.toStatus(stream.completed)),
    }) as unknown as UfsWriteStream;
  }

  async mkdirs(path: string, options: MkdirsOptions = {}): Promise<void> {
    await this.client.mkdir(this.full(path).abs, {
      recursive: options.createParent ?? true,
      allowExists: true,
    });
  }

  async delete(path: string, options: DeleteOptions = {}): Promise<void> {
    const { rel, abs } = this.full(path);
    if (rel === '') throw new TierfsError('INVALID_ARGUMENT', `the root of ${this.uri} cannot be deleted`);
    await this.client.delete(abs, options);
  }

  async rename(source: string, destination: string): Promise<void> {
    const from = this.full(source);
    const to = this.full(destination);
    if (from.rel === '' || to.rel === '')
      throw new TierfsError('INVALID_ARGUMENT', 'the root cannot be renamed');
    await this.client.rename(from.abs, to.abs);
  }

  async getSpace(): Promise<undefined> {
    return undefined;
  }

  async close(): Promise<void> {}
}

registerUnderStore({
  schemes: ['tierfs'],
  description: 'the tierfs namespace (tierfs://master-host:port/path; several masters host:port;host:port)',
  create: async (uri, conf) => {
    // tierfs:///path: the masters of the configuration; tierfs://m1:19998;m2:19998/path (Alluxio's
    // spelling, `,` also taken): those masters, with failover.
    const masters = uri.authority
      .split(/[;,]/)
      .filter((a) => a !== '')
      .map((a) => (a.includes(':') ? a : `${a}:${conf.require(MASTER_RPC_PORT)}`));
    const client = TierfsClient.fromConfiguration(
      conf,
      masters.length > 0 ? { masterAddress: masters.join(',') } : {},
    );
    const root = `/${uri.path.replace(/\/+$/, '')}`;
    return new TierfsUnderStore(client, root === '/' ? '/' : root.replace(/\/+$/, ''), uri.href);
  },
});
