/**
 * Small reads to one worker, sent together: the reads a client asks a worker for in the same turn
 * of the event loop (a directory read by many lanes at once) go as one `POST /data/batch`, each
 * with its own capability, instead of one `GET /data` each. A read is answered as soon as its frame
 * arrives; a failure of the whole request fails the reads it had not answered yet.
 *
 * To a worker on this host the batch goes short-circuit (batch-read.ts): the worker answers reads
 * of cached pages with their page files, pinned, and they are read here, as their frames arrive;
 * the batch's lease is released with the next batch (or by one release call when none follows).
 * A page file that cannot be read here (removed or replaced since) is read again through the data
 * port, in the next batch. A short-circuit batch also carries the reads `ahead` proposes (files
 * listed after the ones asked for), answered only when their pages are cached: a directory read
 * by 16 lanes then costs a request per few hundred files, not per 16.
 *
 * Cold reads (a short-circuit batch's read last answered with bytes the worker fetched from the
 * under store) are answered one by one as the store answers, so the lanes ask again one by one:
 * sent at once, every file would cost a request of its own, and the HTTP request, not the file,
 * is most of the client's and the worker's CPU for a small read. While reads to the worker are
 * still out, a cold read waits up to COLD_BATCH_WINDOW_MS for others to join its batch (or until as
 * many wait as are out); a reader with nothing else out never waits, nor do warm reads.
 */

import { randomBytes } from 'node:crypto';
import {
  BATCH_READ_MAX_READS,
  type BatchReadItem,
  type PinnedRead,
  UNKNOWN_PAGE,
} from '../cluster/batch-read.js';
import {
  readBatchFromWorker,
  readFromWorker,
  releaseShortCircuitBatches,
  type WorkerAddress,
} from '../cluster/data-client.js';
import { beforeEarlyExit, exitingEarly } from '../cluster/early-exit.js';
import type { ReadType } from '../cluster/io-types.js';
import { readPinnedRange } from '../cluster/short-circuit.js';
import { TierfsError } from '../errors.js';

/** Reads up to this long are batched; longer ones stream through `GET /data`. */
export const BATCHED_READ_MAX_BYTES = 256 * 1024;

/** How long a finished batch's lease waits for a next batch to release it with. */
const RELEASE_DELAY_MS = 5;

/** How long a cold read waits, at most, for other reads to join its batch while some are out. */
export const COLD_BATCH_WINDOW_MS = 2;

/**
 * A read: with its own capability, or (`pageToken`) as file `index` of the page capability
 * `pageToken` whose MAC is `page`; `resent`: sent again after a worker did not hold its page token.
 */
type Read = BatchReadItem & {
  readonly readType: ReadType;
  readonly pageToken?: string;
  readonly resent?: boolean;
};

/** The page tokens one batch carries at most for its reads ahead, in bytes: a read ahead that would need more is not read ahead. */
const MAX_BATCH_PAGE_BYTES = 4 * 1024 * 1024;

/** Page capabilities remembered as sent to one worker, at most (then forgotten, and sent again). */
const MAX_KNOWN_PAGES = 1024;

/** Whether `error` is a worker's refusal of a read naming a page capability it does not hold. */
function unknownPage(error: unknown): boolean {
  return error instanceof TierfsError && error.details.reason === UNKNOWN_PAGE;
}

/** A read as the batch request carries it: its capability, or its page capability's MAC and index. */
function wireRead(read: Read, ifCached: boolean): BatchReadItem {
  // One shape for every read (JSON leaves out what is undefined): no spreads, no shapes to choose from.
  const byPage = read.pageToken !== undefined;
  return {
    capability: byPage ? undefined : read.capability,
    page: byPage ? read.page : undefined,
    index: byPage ? read.index : undefined,
    contentId: read.contentId,
    offset: read.offset,
    length: read.length,
    readType: read.readType,
    ifCached: ifCached || undefined,
  };
}

/** The batch leases this process holds (not released yet, or their release still under way). */
const held = new Map<string, WorkerAddress>();
/** Batches sent and not finished: leases may still come with their frames. */
const sending = new Set<Promise<void>>();
const forget = (leases: Iterable<string>) => {
  for (const lease of leases) held.delete(lease);
};
// A process that ends early (the CLI on a broken pipe) releases them first.
beforeEarlyExit(async () => {
  await Promise.allSettled([...sending]);
  const byWorker = new Map<string, { worker: WorkerAddress; leases: string[] }>();
  for (const [lease, worker] of held) {
    const group = byWorker.get(worker.address) ?? { worker, leases: [] };
    group.leases.push(lease);
    byWorker.set(worker.address, group);
  }
  await Promise.allSettled(
    [...byWorker.values()].map(({ worker, leases }) => releaseShortCircuitBatches(worker, leases)),
  );
});

interface Pending {
  readonly read: Read;
  /** What the read is of, for `ahead` (a listed file). */
  readonly origin: object | undefined;
  readonly resolve: (bytes: Buffer) => void;
  readonly reject: (error: unknown) => void;
}

/** A read ahead: `done` gets its bytes and until when they may be served, or undefined when it was not cached. */
export interface AheadRead {
  readonly read: Read;
  readonly done: (bytes: Buffer | undefined, untilMs: number) => void;
  /**
   * Fetched when not cached (a cold directory), sharing this bound on fetches with every read of
   * this client that names one; without it the read is answered only when its pages are cached.
   */
  readonly fetchConcurrency?: number;
}

/**
 * Reads to add to a short-circuit batch to `worker` whose reads are of `origins` (at most `room`);
 * each is answered only if its pages are cached, or, with `fetch` (the worker's last answers were
 * fetched: the directory is cold), fetched when its listing allows (AheadRead.fetchConcurrency).
 */
export type ReadAheadHook = (
  worker: WorkerAddress,
  origins: readonly object[],
  room: number,
  fetch: boolean,
) => AheadRead[];

/** How long bytes fetched ahead (the listed version, pinned by the read's capability) may be served. */
export const FETCHED_AHEAD_TTL_MS = 30_000;

/** A batch of reads ahead alone: the reads and the listing pages they are of. */
interface AheadOnly {
  readonly ahead: AheadRead[];
  readonly origins: readonly object[];
}

interface Queue {
  readonly worker: WorkerAddress;
  readonly shortCircuit: boolean;
  readonly reads: Pending[];
  /** Waiting COLD_BATCH_WINDOW_MS for more reads (not only the end of this turn). */
  waiting?: boolean;
  /** The highest bound on fetches its reads name (the batch is then in this client's fetch group). */
  fetchConcurrency?: number;
}

export class ReadBatcher {
  private readonly queues = new Map<string, Queue>();
  /** By worker address, leases of finished short-circuit batches not released yet. */
  private readonly unreleased = new Map<string, { worker: WorkerAddress; leases: string[] }>();
  private releaseTimer: NodeJS.Timeout | undefined;
  /** By worker address: a batch of reads ahead alone is out (readOn), at most one at a time. */
  private readonly aheadOut = new Set<string>();
  /** Workers whose page files this process may not read (another user): no short-circuit to them. */
  private readonly forbidden = new Set<string>();
  /** Queue keys whose last read was answered with bytes fetched by the worker (cold). */
  private readonly cold = new Set<string>();
  /** By queue key, the reads sent and not answered yet. */
  private readonly out = new Map<string, number>();
  /** This client's fetch group (batch-read.ts): its reads that name a bound share it at the worker. */
  private readonly fetchGroup = randomBytes(12).toString('base64url');
  /** By worker address, the MACs of the page capabilities it has been sent. */
  private readonly knownPages = new Map<string, Set<string>>();

  /**
   * `shortCircuit`: whether a worker may answer with page files (it is on this host, and the
   * client allows it); `ahead`: reads to add to short-circuit batches; `coldWindowMs`: how long a
   * cold read waits for others to join its batch (0: never).
   */
  constructor(
    private readonly shortCircuit: (worker: WorkerAddress) => boolean = () => false,
    private readonly ahead?: ReadAheadHook,
    private readonly coldWindowMs = COLD_BATCH_WINDOW_MS,
  ) {}

  /**
   * The bytes of one small read, sent with the other reads of this turn to the same worker.
   * `direct`: not short-circuit; `origin`: what is read (a listed file), for the `ahead` hook;
   * `fetchConcurrency`: the bound on this client's fetches the read counts against (its listing's).
   */
  read(
    worker: WorkerAddress,
    read: Read,
    options: { direct?: boolean; origin?: object; fetchConcurrency?: number } = {},
  ): Promise<Buffer> {
    const { direct = false, origin, fetchConcurrency } = options;
    return new Promise<Buffer>((resolve, reject) => {
      const shortCircuit =
        !direct &&
        !exitingEarly() &&
        read.readType !== 'CACHE_PROMOTE' &&
        !this.forbidden.has(worker.address) &&
        this.shortCircuit(worker);
      const key = queueKey(worker, shortCircuit);
      let queue = this.queues.get(key);
      if (!queue) {
        queue = { worker, shortCircuit, reads: [] };
        this.queues.set(key, queue);
        const sent = queue;
        const go = () => {
          if (this.queues.get(key) === sent) this.queues.delete(key);
          if (sent.reads.length > 0) this.dispatch(sent);
        };
        queue.waiting = this.coldWindowMs > 0 && this.cold.has(key) && this.outTo(key) > 0;
        if (queue.waiting) setTimeout(go, this.coldWindowMs);
        else setImmediate(go);
      }
      queue.reads.push({ read, origin, resolve, reject });
      if (fetchConcurrency) queue.fetchConcurrency = Math.max(queue.fetchConcurrency ?? 0, fetchConcurrency);
      // A full batch goes now; so does a waiting one once as many reads wait in it as are out.
      if (
        queue.reads.length >= BATCH_READ_MAX_READS ||
        (queue.waiting && queue.reads.length >= this.outTo(key))
      ) {
        this.queues.delete(key);
        this.dispatch({ ...queue, reads: queue.reads.splice(0) });
      }
    });
  }

  private dispatch(queue: Queue, aheadOnly?: AheadOnly): void {
    const sent = this.send(queue, aheadOnly);
    sending.add(sent);
    void sent.finally(() => sending.delete(sent));
  }

  /**
   * Sends a batch; `aheadOnly`: a batch of reads ahead alone (readOn), `ahead` its reads. A
   * short-circuit batch some of whose reads ahead were cached is followed at once by the next
   * reads ahead of its pages (readOn): the worker pins them while this process reads the page
   * files of this one, instead of each waiting for the other.
   */
  private async send(
    { worker, shortCircuit, reads: batch, fetchConcurrency }: Queue,
    aheadOnly?: AheadOnly,
  ): Promise<void> {
    const key = queueKey(worker, shortCircuit);
    let unanswered = batch.length;
    this.out.set(key, this.outTo(key) + unanswered);
    const settled = (count: number) => {
      unanswered -= count;
      const left = this.outTo(key) - count;
      if (left > 0) this.out.set(key, left);
      else this.out.delete(key);
    };
    const answered = new Array<boolean>(batch.length).fill(false);
    const leases = new Set<string>();
    const hold = (lease: string) => {
      leases.add(lease);
      held.set(lease, worker);
    };
    const release = shortCircuit ? this.takeReleases(worker) : undefined;
    const origins = aheadOnly?.origins ?? batch.flatMap((p) => (p.origin ? [p.origin] : []));
    const proposed =
      aheadOnly?.ahead ??
      (shortCircuit ? this.aheadOf(worker, origins, batch.length, this.cold.has(key)) : []);
    // The page tokens the worker has not been sent yet go with the batch (up to MAX_BATCH_PAGE_BYTES
    // for reads ahead: one that would need more is not read ahead).
    let known = this.knownPages.get(worker.address);
    // The worker keeps a few hundred at most (worker/page-capabilities.ts): older ones are sent again.
    if (!known || known.size > MAX_KNOWN_PAGES) {
      known = new Set();
      this.knownPages.set(worker.address, known);
    }
    const tokens = new Map<string, string>();
    let tokenBytes = 0;
    const carry = (read: Read, budget: number): boolean => {
      if (read.pageToken === undefined || !read.page || known.has(read.page) || tokens.has(read.page))
        return true;
      if (tokenBytes + read.pageToken.length > budget) return false;
      tokens.set(read.page, read.pageToken);
      tokenBytes += read.pageToken.length;
      return true;
    };
    for (const pending of batch) carry(pending.read, Number.POSITIVE_INFINITY);
    const ahead = proposed.filter((early) => {
      if (carry(early.read, MAX_BATCH_PAGE_BYTES)) return true;
      early.done(undefined, 0);
      return false;
    });
    // Taken as known from now on: a batch sent meanwhile names them without the tokens (were it
    // to reach the worker first, its reads are refused as of an unknown page and sent again).
    for (const mac of tokens.keys()) known.add(mac);
    let cachedAhead = 0;
    // Reads fetched ahead (a cold directory): once no more of them are left than may be fetched at
    // once, the next ones are asked for, so the worker has them queued before these are done.
    let fetching = 0;
    let limit = fetchConcurrency ?? 0;
    for (const early of ahead) {
      if (early.fetchConcurrency === undefined) continue;
      fetching++;
      limit = Math.max(limit, early.fetchConcurrency);
    }
    let movedOn = false;
    const moveOn = () => {
      movedOn = true;
      if (aheadOnly) this.aheadOut.delete(worker.address);
      this.readOn(worker, origins);
    };
    try {
      const served = await readBatchFromWorker(
        worker,
        [
          ...batch.map((p) => wireRead(p.read, false)),
          ...ahead.map(({ read, fetchConcurrency }) => wireRead(read, !fetchConcurrency)),
        ],
        (i, result) => {
          if (i >= batch.length) {
            const early = ahead[i - batch.length];
            if (!early || answered[i]) return;
            answered[i] = true;
            if (Buffer.isBuffer(result) && early.fetchConcurrency !== undefined) {
              this.cold.add(key);
              early.done(result, Date.now() + FETCHED_AHEAD_TTL_MS);
              if (--fetching <= limit && !movedOn && !exitingEarly()) moveOn();
              return;
            }
            if (result === undefined || result instanceof Error || Buffer.isBuffer(result)) {
              if (unknownPage(result) && early.read.page) known.delete(early.read.page);
              return early.done(undefined, 0);
            }
            hold(result.lease);
            const bytes = this.tryReadPinned(worker, early.read, result);
            if (bytes) cachedAhead++;
            return early.done(bytes, result.leaseExpiresMs);
          }
          const pending = batch[i];
          if (!pending || answered[i]) return;
          answered[i] = true;
          settled(1);
          if (unknownPage(result) && pending.read.page !== undefined && !pending.read.resent) {
            // The worker does not hold its page token (restarted, or dropped it): sent again with it.
            known.delete(pending.read.page);
            const { read, origin, resolve, reject } = pending;
            this.read(worker, { ...read, resent: true }, { direct: !shortCircuit, origin }).then(
              resolve,
              reject,
            );
          } else if (result instanceof Error) pending.reject(result);
          else if (Buffer.isBuffer(result)) {
            // Bytes in a short-circuit batch: the worker fetched them, the reads are cold.
            if (shortCircuit) this.cold.add(key);
            pending.resolve(result);
          } else if (result === undefined)
            pending.reject(new TierfsError('INTERNAL', 'uncached frame for a read'));
          else {
            this.cold.delete(key);
            hold(result.lease);
            this.readPinned(worker, pending, result);
          }
        },
        {
          shortCircuit,
          release,
          pages: [...tokens.values()],
          ...(limit > 0 ? { fetch: { group: this.fetchGroup, concurrency: limit } } : {}),
        },
      );
      if (!served) return await this.oneByOne(worker, batch);

      batch.forEach((pending, i) => {
        if (!answered[i]) {
          pending.reject(new TierfsError('INTERNAL', `${worker.address} answered no frame for read ${i}`));
        }
      });
    } catch (error) {
      for (const mac of tokens.keys()) known.delete(mac); // the worker may not have them
      batch.forEach((pending, i) => {
        if (!answered[i]) pending.reject(error);
      });
    } finally {
      settled(unanswered);
      ahead.forEach((early, k) => {
        if (!answered[batch.length + k]) early.done(undefined, 0);
      });
      if (release) forget(release); // released with this batch (or left to end on their own)
      if (leases.size > 0) this.releaseLater(worker, leases);
      if (aheadOnly && !movedOn) this.aheadOut.delete(worker.address);
      if (cachedAhead > 0 && !movedOn) this.readOn(worker, origins);
    }
  }

  private outTo(key: string): number {
    return this.out.get(key) ?? 0;
  }

  /** The reads ahead for a short-circuit batch of `reads` reads of `origins`; `fetch`: the worker's reads are cold. */
  private aheadOf(
    worker: WorkerAddress,
    origins: readonly object[],
    reads: number,
    fetch: boolean,
  ): AheadRead[] {
    if (!this.ahead || origins.length === 0) return [];
    return this.ahead(worker, origins, BATCH_READ_MAX_READS - reads, fetch);
  }

  /**
   * The next reads ahead of the pages of `origins`, in a batch of their own, unless one is out to
   * this worker already (it goes on when it is answered) or the hook proposes none (the pages'
   * ends, or as much read ahead and not yet read as it allows).
   */
  private readOn(worker: WorkerAddress, origins: readonly object[]): void {
    if (this.aheadOut.has(worker.address) || this.forbidden.has(worker.address) || exitingEarly()) return;
    const ahead = this.aheadOf(worker, origins, 0, this.cold.has(queueKey(worker, true)));
    if (ahead.length === 0) return;
    this.aheadOut.add(worker.address);
    this.dispatch({ worker, shortCircuit: true, reads: [] }, { ahead, origins });
  }

  /** A pinned read's bytes from its page files; through the data port when they cannot be read here. */
  private readPinned(worker: WorkerAddress, { read, resolve, reject }: Pending, pinned: PinnedRead): void {
    const bytes = this.tryReadPinned(worker, read, pinned);
    if (bytes) resolve(bytes);
    else this.read(worker, read, { direct: true }).then(resolve, reject);
  }

  /**
   * A pinned read's bytes, or undefined when its page files cannot be read here; a worker whose
   * page files this process may not open gets no more short-circuit batches from it.
   */
  private tryReadPinned(worker: WorkerAddress, read: Read, pinned: PinnedRead): Buffer | undefined {
    try {
      return readPinnedRange(read.contentId, pinned, read.offset, read.length);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') this.forbidden.add(worker.address);
      return undefined;
    }
  }

  private takeReleases(worker: WorkerAddress): string[] | undefined {
    const waiting = this.unreleased.get(worker.address);
    if (!waiting) return undefined;
    this.unreleased.delete(worker.address);
    return waiting.leases;
  }

  /** Leases to release with the next batch to `worker`, or on their own in RELEASE_DELAY_MS. */
  private releaseLater(worker: WorkerAddress, leases: Iterable<string>): void {
    let waiting = this.unreleased.get(worker.address);
    if (!waiting) {
      waiting = { worker, leases: [] };
      this.unreleased.set(worker.address, waiting);
    }
    waiting.leases.push(...leases);
    this.releaseTimer ??= setTimeout(() => {
      this.releaseTimer = undefined;
      for (const { worker, leases } of this.unreleased.values())
        void releaseShortCircuitBatches(worker, leases)
          .catch(() => undefined) // they end on their own
          .then(() => forget(leases));
      this.unreleased.clear();
    }, RELEASE_DELAY_MS);
  }

  /** A worker without the batch endpoint: each read on its own (reads ahead are not sent to it). */
  private async oneByOne(worker: WorkerAddress, batch: Pending[]): Promise<void> {
    await Promise.all(
      batch.map(async ({ read, resolve, reject }) => {
        try {
          if (read.capability === undefined) {
            // Only a worker with the batch endpoint takes page capabilities: the caller opens the file.
            throw new TierfsError('UNAUTHENTICATED', `${worker.address} takes no page capabilities`);
          }
          const body = await readFromWorker(worker, read.capability, read);
          const chunks: Buffer[] = [];
          for await (const chunk of body) chunks.push(chunk as Buffer);
          resolve(Buffer.concat(chunks));
        } catch (error) {
          reject(error);
        }
      }),
    );
  }
}

/** Batches of short-circuit and of direct reads to one worker queue apart. */
function queueKey(worker: WorkerAddress, shortCircuit: boolean): string {
  return `${shortCircuit ? 's' : 'd'} ${worker.address}`;
}
