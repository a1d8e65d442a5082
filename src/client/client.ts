/**
 * The tierfs client: metadata from the master, data from the worker that owns each file by
 * consistent hashing over the live workers. Reads retry on another worker when one goes away
 * (persisted data can be served by any worker); writes stream straight through to one worker and
 * become visible only when the master completes them.
 */
import { userInfo } from 'node:os';
import { PassThrough, type Readable, Writable } from 'node:stream';
import { request } from 'undici';
import type { Configuration } from '../config/configuration.js';
import {
  MASTER_HOSTNAME,
  MASTER_RPC_PORT,
  SECURITY_LOGIN_USERNAME,
  USER_CONSISTENT_HASH_VIRTUAL_NODE_COUNT_PER_WORKER,
  USER_FILE_READTYPE_DEFAULT,
  USER_FILE_WRITETYPE_DEFAULT,
} from '../config/keys/core.js';
import { isTierfsError, TierfsError } from '../errors.js';
import {
  type ClusterInfo,
  type FileStatus,
  GROUPS_HEADER,
  type ListResult,
  type MountInfo,
  USER_HEADER,
  type WorkerInfo,
  type WriteType,
} from '../master/api-types.js';
import { HashRing } from '../master/hash-ring.js';
import { callJson, errorFromBody } from '../master/http-json.js';

export type ReadType = 'NO_CACHE' | 'CACHE' | 'CACHE_PROMOTE';
export const READ_TYPES: readonly ReadType[] = ['NO_CACHE', 'CACHE', 'CACHE_PROMOTE'];

export interface ClientOptions {
  /** `http://host:port` of the master's RPC port. */
  readonly masterAddress: string;
  readonly user?: string;
  readonly groups?: readonly string[];
  readonly readType?: ReadType;
  readonly writeType?: WriteType;
  readonly virtualNodes?: number;
}

export interface OpenOptions {
  readType?: ReadType;
  offset?: number;
  length?: number;
}

export interface CreateOptions {
  writeType?: WriteType;
  overwrite?: boolean;
  recursive?: boolean;
  mode?: number;
}

/** What a worker answers once a write is stored. */
interface WriteReceipt {
  readonly size: number;
  readonly ufsFingerprint?: string;
  readonly workerId: string;
}

const WORKER_LIST_TTL_MS = 1000;
const READ_ATTEMPTS = 4;

export class TierfsClient {
  readonly masterAddress: string;
  private readonly headers: Record<string, string>;
  private readonly readType: ReadType;
  private readonly writeType: WriteType;
  private readonly virtualNodes: number;
  private ring: { at: number; ring: HashRing<WorkerInfo> } | undefined;

  constructor(options: ClientOptions) {
    this.masterAddress = options.masterAddress.replace(/\/+$/, '');
    const user = options.user ?? userInfo().username;
    this.headers = { [USER_HEADER]: user, [GROUPS_HEADER]: (options.groups ?? [user]).join(',') };
    this.readType = options.readType ?? 'CACHE';
    this.writeType = options.writeType ?? 'CACHE_THROUGH';
    this.virtualNodes = options.virtualNodes ?? 100;
  }

  /**
   * A client for the master named by `tierfs.master.hostname` and `tierfs.master.rpc.port`, as the
   * user `tierfs.security.login.username` (the operating-system user when unset).
   */
  static fromConfiguration(conf: Configuration, options: Partial<ClientOptions> = {}): TierfsClient {
    return new TierfsClient({
      masterAddress: `http://${conf.require(MASTER_HOSTNAME)}:${conf.require(MASTER_RPC_PORT)}`,
      user: conf.get(SECURITY_LOGIN_USERNAME),
      readType: conf.require(USER_FILE_READTYPE_DEFAULT),
      writeType: conf.require(USER_FILE_WRITETYPE_DEFAULT),
      virtualNodes: conf.require(USER_CONSISTENT_HASH_VIRTUAL_NODE_COUNT_PER_WORKER),
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

  getStatus(path: string, options: { syncIntervalMs?: number } = {}): Promise<FileStatus> {
    return this.get('/api/v1/paths/status', { path, syncIntervalMs: options.syncIntervalMs });
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

  listStatus(
    path: string,
    options: { pageSize?: number; continuationToken?: string } = {},
  ): Promise<ListResult> {
    return this.get('/api/v1/paths/list', { path, ...options });
  }

  /** Every entry below a directory, a page at a time; depth-first when recursive. */
  async *list(path: string, options: { recursive?: boolean } = {}): AsyncGenerator<FileStatus> {
    const pending = [path];
    while (pending.length > 0) {
      const dir = pending.shift()!;
      let token: string | undefined;
      do {
        const page = await this.listStatus(dir, { continuationToken: token });
        for (const entry of page.entries) {
          yield entry;
          if (options.recursive && entry.isDirectory) pending.push(entry.path);
        }
        token = page.continuationToken;
      } while (token);
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
    change: { mode?: number; owner?: string; group?: string; recursive?: boolean },
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

  mount(
    path: string,
    ufsUri: string,
    options: { readOnly?: boolean; shared?: boolean; options?: Record<string, string> } = {},
  ): Promise<MountInfo> {
    return this.post('/api/v1/mounts', { path, ufsUri, ...options });
  }

  async unmount(path: string): Promise<void> {
    await this.post('/api/v1/mounts/remove', { path });
  }

  // --- data ------------------------------------------------------------------------------------

  /** Opens a file (or a range of it) for reading through its worker. */
  async openFile(path: string, options: OpenOptions = {}): Promise<Readable> {
    const status = await this.getStatus(path);
    if (status.isDirectory) throw new TierfsError('IS_A_DIRECTORY', `${status.path} is a directory`);
    return this.openStatus(status, options);
  }

  /** Opens the content described by a status already in hand (no metadata round trip). */
  async openStatus(status: FileStatus, options: OpenOptions = {}): Promise<Readable> {
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new TierfsError('INVALID_ARGUMENT', `offset must be a non-negative integer, got ${offset}`);
    }
    const length = Math.max(0, Math.min(options.length ?? status.size, status.size - offset));
    const params = {
      path: status.path,
      mountPath: status.mountPath,
      ufsPath: status.ufsPath,
      contentId: status.contentId,
      size: status.size,
      persisted: status.persistence === 'PERSISTED' ? 1 : 0,
      offset,
      length,
      readType: options.readType ?? this.readType,
    };
    let lastError: unknown;
    for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      const worker = await this.workerFor(status.contentId, attempt > 0);
      try {
        const response = await request(`${worker.address}/data?${query(params)}`, {
          method: 'GET',
          headers: this.headers,
        });
        if (response.statusCode !== 200) {
          throw errorFromBody(response.statusCode, await response.body.text(), worker.address);
        }
        return response.body;
      } catch (error) {
        lastError = error;
        // Only a worker that could not be reached is worth another try; its answers are final.
        if (!(isTierfsError(error) && error.retryable) && isTierfsError(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
    throw new TierfsError('UNAVAILABLE', `cannot read ${status.path}: ${(lastError as Error).message}`, {
      cause: lastError,
    });
  }

  /**
   * Creates a file and returns the stream to write it with. The file appears when the stream
   * finishes ('finish' fires after the master completed it); destroying the stream, or any
   * failure, leaves no file behind.
   */
  async createFile(path: string, options: CreateOptions = {}): Promise<Writable> {
    const writeType = options.writeType ?? this.writeType;
    const status = await this.post<FileStatus>('/api/v1/paths/create-file', {
      path,
      writeType,
      overwrite: options.overwrite,
      recursive: options.recursive,
      mode: options.mode,
    });
    const abortFile = () =>
      this.post('/api/v1/paths/abort-file', { path: status.path, contentId: status.contentId }).catch(
        () => undefined,
      );
    let worker: WorkerInfo;
    try {
      worker = await this.workerFor(status.contentId, false);
    } catch (error) {
      await abortFile();
      throw error;
    }
    const body = new PassThrough({ highWaterMark: 1024 * 1024 });
    const controller = new AbortController();
    const params = {
      path: status.path,
      mountPath: status.mountPath,
      ufsPath: status.ufsPath,
      contentId: status.contentId,
      writeType,
    };
    const upload = request(`${worker.address}/data?${query(params)}`, {
      method: 'PUT',
      headers: { ...this.headers, 'content-type': 'application/octet-stream' },
      body,
      signal: controller.signal,
    }).then(async (response): Promise<WriteReceipt> => {
      const text = await response.body.text();
      if (response.statusCode !== 200) throw errorFromBody(response.statusCode, text, worker.address);
      return JSON.parse(text) as WriteReceipt;
    });
    let completed = false;
    const client = this;
    const stream = new Writable({
      highWaterMark: 1024 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        if (body.write(chunk)) callback();
        else body.once('drain', () => callback());
      },
      final(callback) {
        body.end();
        upload
          .then((receipt) =>
            client.post('/api/v1/paths/complete-file', {
              path: status.path,
              contentId: status.contentId,
              size: receipt.size,
              ufsFingerprint: receipt.ufsFingerprint,
              workerId: receipt.workerId,
            }),
          )
          .then(() => {
            completed = true;
            callback();
          }, callback);
      },
      destroy(error, callback) {
        if (completed) return callback(error);
        controller.abort();
        body.destroy();
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
    return stream;
  }

  /** The live worker that serves a file (consistent hashing of its content id over the live workers). */
  workerOf(status: FileStatus): Promise<WorkerInfo> {
    return this.workerFor(status.contentId, false);
  }

  // --- plumbing --------------------------------------------------------------------------------

  private async workerFor(key: string, refresh: boolean): Promise<WorkerInfo> {
    if (refresh || !this.ring || Date.now() - this.ring.at > WORKER_LIST_TTL_MS) {
      const live = (await this.workers()).filter((w) => w.state === 'LIVE');
      this.ring = { at: Date.now(), ring: new HashRing(live, this.virtualNodes) };
    }
    const owner = this.ring.ring.owner(key);
    if (!owner)
      throw new TierfsError('UNAVAILABLE', `no live worker is registered with ${this.masterAddress}`);
    return owner;
  }

  private get<T>(path: string, params: Record<string, unknown>): Promise<T> {
    return callJson<T>('GET', `${this.masterAddress}${path}?${query(params)}`, { headers: this.headers });
  }

  private post<T>(path: string, body: Record<string, unknown>): Promise<T> {
    return callJson<T>('POST', `${this.masterAddress}${path}`, { body, headers: this.headers });
  }
}

function query(params: Record<string, unknown>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  return search.toString();
}
