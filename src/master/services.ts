/**
 * What the master does on behalf of its APIs and its web UI, beyond the namespace itself:
 * freeing and persisting, load jobs (recorded in the metadata store), the cluster overview,
 * the share of files held in the workers' caches, the first bytes of a file for previews, the
 * configuration listing and the tail of the master's log.
 */
import { randomUUID } from 'node:crypto';
import { clusterHeaders } from '../cluster/auth.js';
import { type ConfigurationEntry, type LogTail, readLogTail } from '../cluster/component-info.js';
import { readFromWorker } from '../cluster/data-client.js';
import { MembershipRing } from '../cluster/hash-ring.js';
import type { ReadType } from '../cluster/io-types.js';
import { callJson } from '../cluster/rpc.js';
import type {
  CachedResponse,
  ClusterInfo,
  ClusterOverview,
  TierCapacity,
  WorkerInfo,
} from '../cluster/wire.js';
import type { ConfigListing, Configuration } from '../config/configuration.js';
import { layoutOf } from '../config/layout.js';
import { TierfsError } from '../errors.js';
import type { JobRecord, MetaStore } from '../meta/store.js';
import type { FileStatus, Namespace } from '../namespace/namespace.js';
import type { Caller } from '../namespace/permissions.js';
import { readStream } from '../ufs/io.js';
import type { CapabilityIssuer } from './capability-issuer.js';
import type { MasterMetrics } from './metrics.js';
import type { PersistScheduler } from './persist-scheduler.js';
import type { WorkerRegistry } from './worker-registry.js';

export interface ServicesOptions {
  readonly conf: Configuration;
  readonly meta: MetaStore;
  readonly namespace: Namespace;
  readonly workers: WorkerRegistry;
  readonly scheduler: PersistScheduler;
  readonly metrics: MasterMetrics;
  readonly clusterToken: string;
  readonly capabilities: CapabilityIssuer;
  readonly virtualNodes: number;
  readonly superUser: string;
  readonly sampleIntervalMs: number;
  readonly info: () => ClusterInfo;
  /** This master's identity as the holder of job leases. */
  readonly owner: string;
  /** How long a job's lease lasts unrenewed: a job of a master that died resumes after it. */
  readonly jobLeaseMs: number;
}

export interface LoadJobDetail {
  readonly path: string;
  readonly files: number;
  readonly bytes: number;
  readonly loadedFiles: number;
  readonly loadedBytes: number;
  readonly error?: string;
  readonly [key: string]: unknown;
}

export class MasterServices {
  readonly namespace: Namespace;
  readonly workers: WorkerRegistry;
  readonly metrics: MasterMetrics;
  readonly superUser: string;
  readonly info: () => ClusterInfo;
  readonly sampleIntervalMs: number;
  private readonly running = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly ring: MembershipRing<WorkerInfo>;

  constructor(private readonly options: ServicesOptions) {
    this.namespace = options.namespace;
    this.workers = options.workers;
    this.metrics = options.metrics;
    this.superUser = options.superUser;
    this.info = options.info;
    this.sampleIntervalMs = options.sampleIntervalMs;
    this.ring = new MembershipRing(options.virtualNodes);
  }

  /** The superuser: who load jobs read as, once the caller was checked for every file. */
  get admin(): Caller {
    return { user: this.superUser, groups: [this.superUser] };
  }

  /** Drops cached pages of everything under a path on every live worker; returns the file count. */
  async free(path: string, caller: Caller): Promise<number> {
    const contentIds = (await this.filesUnder(path, caller)).map((f) => f.contentId);
    await Promise.all(this.workers.live().map((w) => this.internal(w, 'free', { contentIds })));
    return contentIds.length;
  }

  /**
   * Tells every live worker the mount table changed, so it opens the new mounts' under stores now
   * rather than at its next heartbeat (which would also tell it). Not awaited by the caller's
   * answer; a worker that cannot be reached learns it from the heartbeat.
   */
  mountsChanged(): void {
    for (const w of this.workers.live()) void this.internal(w, 'mounts-changed', {}).catch(() => undefined);
  }

  /** Queues persistence of a file on the worker that holds its data. */
  async persist(path: string, caller: Caller): Promise<void> {
    await this.namespace.schedulePersist(path, caller, (contentId) => this.owner(contentId)?.id);
    await this.options.scheduler.tick();
  }

  /**
   * Starts a job that reads every file at or under a path through its worker (read type CACHE),
   * so the data is cached; returns the job as recorded. The job runs after the answer.
   */
  async load(path: string, caller: Caller): Promise<JobRecord> {
    const files = await this.filesUnder(path, caller);
    // Loading reads every file: the caller must be allowed to read each of them.
    for (const file of files) await this.namespace.openFile(file.path, caller);
    const detail: LoadJobDetail = {
      path: (await this.namespace.getStatus(path, caller)).path,
      files: files.length,
      bytes: files.reduce((total, f) => total + f.size, 0),
      loadedFiles: 0,
      loadedBytes: 0,
    };
    const now = Date.now();
    const job: JobRecord = {
      id: randomUUID(),
      type: 'load',
      state: 'RUNNING',
      detail,
      createdMs: now,
      updatedMs: now,
    };
    await this.holdJob(job.id);
    await this.options.meta.putJob(job);
    this.run(job, files);
    return job;
  }

  /**
   * Takes over the jobs of masters that died: every RUNNING load job whose lease this master
   * can take (its holder stopped renewing it) runs again here, from its first file (loading is
   * idempotent). Runs every `intervalMs` once started.
   */
  startJobTakeover(intervalMs: number): void {
    this.timer = setInterval(() => void this.takeOverJobs().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  async takeOverJobs(): Promise<number> {
    let taken = 0;
    for (const job of await this.options.meta.listJobs({ type: 'load' })) {
      if (this.stopped || job.state !== 'RUNNING' || this.running.has(job.id)) continue;
      if (!(await this.holdJob(job.id))) continue;
      const path = (job.detail as LoadJobDetail).path;
      let files: FileStatus[];
      try {
        files = await this.filesUnder(path, this.admin);
      } catch (error) {
        await this.options.meta.putJob({
          ...job,
          state: 'FAILED',
          detail: { ...job.detail, error: (error as Error).message },
          updatedMs: Date.now(),
        });
        continue;
      }
      const detail: LoadJobDetail = {
        ...(job.detail as LoadJobDetail),
        files: files.length,
        bytes: files.reduce((total, f) => total + f.size, 0),
        loadedFiles: 0,
        loadedBytes: 0,
      };
      this.run({ ...job, detail }, files);
      taken++;
    }
    return taken;
  }

  /** Takes or renews the lease of a job; false when another master holds it. */
  private holdJob(id: string): Promise<boolean> {
    return this.options.meta.acquireLease(`job:${id}`, this.options.owner, {
      nowMs: Date.now(),
      leaseMs: this.options.jobLeaseMs,
    });
  }

  private run(job: JobRecord, files: readonly FileStatus[]): void {
    const run = this.runLoad(job, files).finally(() => this.running.delete(job.id));
    this.running.set(job.id, run);
  }

  private async runLoad(job: JobRecord, files: readonly FileStatus[]): Promise<void> {
    let detail = job.detail as LoadJobDetail;
    const update = (state: JobRecord['state'], change: Partial<LoadJobDetail>) => {
      detail = { ...detail, ...change };
      return this.options.meta.putJob({ ...job, state, detail, updatedMs: Date.now() });
    };
    // Renewed while a file loads too: a big one may take longer than one lease.
    const renewal = setInterval(
      () => void this.holdJob(job.id).catch(() => false),
      this.options.jobLeaseMs / 3,
    );
    renewal.unref();
    try {
      for (const file of files) {
        // A master that lost the lease (it stalled past it) leaves the job to the one that took it.
        if (this.stopped || !(await this.holdJob(job.id))) return;
        const data = await this.openData(file, this.admin, 0, file.size, 'CACHE');
        let bytes = 0;
        for await (const chunk of data) bytes += (chunk as Buffer).length;
        await update('RUNNING', {
          loadedFiles: detail.loadedFiles + 1,
          loadedBytes: detail.loadedBytes + bytes,
        });
      }
      await update('SUCCEEDED', {});
      await this.options.meta.releaseLease(`job:${job.id}`, this.options.owner);
    } catch (error) {
      await update('FAILED', { error: (error as Error).message }).catch(() => undefined);
    } finally {
      clearInterval(renewal);
    }
  }

  jobs(): Promise<JobRecord[]> {
    return this.options.meta.listJobs();
  }

  async job(id: string): Promise<JobRecord> {
    const job = await this.options.meta.getJob(id);
    if (!job) throw new TierfsError('NOT_FOUND', `no job ${id}`);
    return job;
  }

  async overview(now = Date.now()): Promise<ClusterOverview> {
    const info = this.info();
    const live = info.workers.filter((w) => w.state === 'LIVE');
    const sums = new Map<string, { capacity: number; used: number }>();
    for (const tier of live.flatMap((w) => w.tiers)) {
      const sum = sums.get(tier.alias) ?? { capacity: 0, used: 0 };
      sums.set(tier.alias, { capacity: sum.capacity + tier.capacityBytes, used: sum.used + tier.usedBytes });
    }
    const tiers: TierCapacity[] = [...sums].map(([alias, t]) => ({
      alias,
      capacityBytes: t.capacity,
      usedBytes: t.used,
      freeBytes: Math.max(0, t.capacity - t.used),
    }));
    const root = this.namespace.mounts.get('/')!;
    const space = await this.namespace.mounts
      .store(root)
      .then((store) => store.getSpace())
      .catch(() => undefined);
    const tasks = await this.options.meta.listPersistTasks();
    const count = (state: string) => tasks.filter((t) => t.state === state).length;
    const persistQueue = {
      pending: count('PENDING'),
      running: count('RUNNING') + count('COMMITTING'),
      failed: count('FAILED'),
    };
    const warnings: string[] = [];
    if (live.length === 0) warnings.push('No live worker: files cannot be read or written.');
    const lost = info.workers.length - live.length;
    if (lost > 0) warnings.push(`${lost} worker${lost === 1 ? ' is' : 's are'} lost (no heartbeat).`);
    for (const task of tasks.filter((t) => t.state === 'FAILED').slice(0, 5)) {
      warnings.push(
        `Persisting ${task.path} failed (${task.attempts} attempts): ${task.lastError ?? 'unknown error'}`,
      );
    }
    for (const warning of this.options.conf.warnings) warnings.push(`Configuration: ${warning.message}`);
    return {
      ...info,
      uptimeMs: now - info.startedMs,
      tiers,
      ufs: {
        uri: root.ufsUri,
        ...(space ? { capacityBytes: space.total, usedBytes: space.used, freeBytes: space.free } : {}),
      },
      persistQueue,
      warnings,
    };
  }

  /** Files in the namespace (mirrored ones included). */
  countFiles(): Promise<number> {
    return this.options.meta.countFiles();
  }

  /** Bytes of each file held in the live workers' caches. */
  async cachedBytes(files: readonly Pick<FileStatus, 'contentId' | 'size'>[]): Promise<number[]> {
    const request = { files: files.map((f) => ({ contentId: f.contentId, size: f.size })) };
    const totals = files.map(() => 0);
    if (files.length === 0) return totals;
    const answers = await Promise.all(
      this.workers
        .live()
        .map((w) => this.internal<CachedResponse>(w, 'cached', request).catch(() => undefined)),
    );
    for (const answer of answers) {
      answer?.cachedBytes.forEach((bytes, i) => {
        totals[i] = (totals[i] ?? 0) + bytes;
      });
    }
    return totals;
  }

  /** The first bytes of a file as `caller` may read it, without caching them. */
  async head(path: string, caller: Caller, bytes: number): Promise<Buffer> {
    const file = await this.namespace.openFile(path, caller);
    return readStream(await this.openData(file, caller, 0, Math.min(bytes, file.size), 'NO_CACHE'));
  }

  /** Every key with its value (secrets masked) and where the value came from. */
  configuration(): ConfigListing[] {
    return this.options.conf.list({ includeUnset: true });
  }

  /** A live or lost worker by id; NOT_FOUND naming the known ones otherwise. */
  worker(id: string): WorkerInfo {
    const found = this.workers.list().find((w) => w.id === id);
    if (!found) {
      const known = this.workers.list().map((w) => w.id);
      throw new TierfsError(
        'NOT_FOUND',
        `no worker ${id}: the components are master${known.map((k) => `, ${k}`).join('')}`,
      );
    }
    return found;
  }

  /** A worker's configuration as it reports it (secrets masked by the worker). */
  workerConfiguration(worker: WorkerInfo): Promise<ConfigurationEntry[]> {
    return this.ask<ConfigurationEntry[]>(worker, 'configuration');
  }

  /** The end of a worker's log file, as it reports it. */
  workerLog(worker: WorkerInfo): Promise<LogTail> {
    return this.ask<LogTail>(worker, 'log');
  }

  private ask<T>(worker: WorkerInfo, endpoint: string): Promise<T> {
    return callJson<T>('GET', `${worker.address}/internal/${endpoint}`, {
      headers: clusterHeaders(this.options.clusterToken),
      timeoutMs: 5000,
    });
  }

  /** The last bytes of the master's log file, from a line start; undefined when there is none. */
  logTail(bytes = 64 * 1024): Promise<LogTail> {
    return readLogTail(layoutOf(this.options.conf).logFile('master'), bytes);
  }

  /** Stops taking jobs and waits for the running ones to stop at their next file (the master is stopping). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.all(this.running.values());
  }

  private owner(contentId: string): WorkerInfo | undefined {
    return this.ring.owner(this.workers.live(), contentId);
  }

  private internal<T>(worker: WorkerInfo, endpoint: string, body: unknown): Promise<T> {
    return callJson<T>('POST', `${worker.address}/internal/${endpoint}`, {
      body,
      headers: clusterHeaders(this.options.clusterToken),
    });
  }

  /** A range of a file from the worker that owns it, as the client reads it. */
  private async openData(
    file: FileStatus,
    caller: Caller,
    offset: number,
    length: number,
    readType: ReadType,
  ) {
    const worker = this.owner(file.contentId);
    if (!worker) throw new TierfsError('UNAVAILABLE', `no live worker to read ${file.path} from`);
    return readFromWorker(worker, this.options.capabilities.read(file, caller), {
      contentId: file.contentId,
      offset,
      length,
      readType,
    });
  }

  /** The file at a path, or every file under a directory. */
  private async filesUnder(path: string, caller: Caller): Promise<FileStatus[]> {
    const files: FileStatus[] = [];
    for await (const entry of this.namespace.walk(path, caller, { recursive: true })) {
      if (!entry.isDirectory) files.push(entry);
    }
    return files;
  }
}
