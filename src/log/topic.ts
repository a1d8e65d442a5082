/**
 * One topic: a directory of ledger files (`ledger-<id>.log`) and `topic.json` (topic-metadata.ts).
 * Appends go to the current ledger and are fsync'd once per call. After an entry the current
 * ledger rolls over when it reached a limit (managedLedgerMaxEntriesPerLedger, the size or the
 * maximum age) and is at least managedLedgerMinLedgerRolloverTimeMinutes old, as in Pulsar: a
 * ledger can hold more entries than the maximum while the minimum time has not passed.
 *
 * Offload: one run at a time per topic; each ledger is offloaded as a fresh attempt (uuid
 * written first: prepare; objects uploaded; then marked complete), a leftover incomplete attempt
 * is deleted first, a failed one is deleted at once. A run goes on after a failed ledger and
 * fails with the first error. Reads of an offloaded ledger go to the offload store when its local
 * copy is gone or managedLedgerDataReadPriority is TIERED_STORAGE_FIRST.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { TierfsError, toTierfsError } from '../errors.js';
import type { Entry } from './entry-record.js';
import { readJsonFile, writeJsonFile } from './json-file.js';
import { LedgerFile } from './ledger-file.js';
import { type LedgerSizes, ledgersBeyondRetention, type Retention } from './offload-policy.js';
import type { OffloadedLedger } from './offloaded-reader.js';
import type { LedgerOffloader } from './offloader.js';
import type { Position } from './position.js';
import {
  type LedgerInfo,
  newTopicMetadata,
  type OffloadStatus,
  type TopicMetadata,
} from './topic-metadata.js';
import type { TopicName } from './topic-name.js';

export interface RolloverSettings {
  readonly maxEntriesPerLedger: number;
  readonly maxLedgerBytes: number;
  readonly minRolloverMs: number;
  /** 0: no maximum age. */
  readonly maxRolloverMs: number;
}

export interface TopicOptions {
  readonly rollover: RolloverSettings;
  readonly readPriority: 'TIERED_STORAGE_FIRST' | 'BOOKKEEPER_FIRST';
  readonly offloader: LedgerOffloader;
  /** Called (not awaited) after each rollover: the store evaluates the offload threshold. */
  readonly onRollover: (topic: Topic) => void;
  readonly onError: (message: string, error: unknown) => void;
}

export type OffloadTrigger = NonNullable<OffloadStatus['trigger']>;

export class Topic {
  private readonly files = new Map<number, LedgerFile>();
  private readonly offloaded = new Map<number, Promise<OffloadedLedger>>();
  /** Ledgers being offloaded right now (retention leaves them alone). */
  private readonly inFlight = new Set<number>();
  private appending: Promise<unknown> = Promise.resolve();
  private saving: Promise<void> = Promise.resolve();
  private offloading: Promise<void> | undefined;
  private closed = false;

  private constructor(
    readonly name: TopicName,
    readonly dir: string,
    private readonly meta: TopicMetadata,
    private current: LedgerFile,
    private readonly options: TopicOptions,
  ) {}

  static async open(name: TopicName, dir: string, options: TopicOptions): Promise<Topic> {
    await mkdir(dir, { recursive: true });
    const metaFile = join(dir, 'topic.json');
    const now = Date.now();
    const meta = (await readJsonFile<TopicMetadata>(metaFile)) ?? newTopicMetadata(now);
    let info = meta.ledgers.at(-1);
    if (info?.closedMs !== 0) {
      info = { ledgerId: meta.nextLedgerId++, entries: 0, size: 0, createdMs: now, closedMs: 0 };
      meta.ledgers.push(info);
    }
    if (meta.offloadStatus.state === 'RUNNING') {
      meta.offloadStatus = {
        ...meta.offloadStatus,
        state: 'ERROR',
        error: 'Error offloading: the offload was interrupted by a restart',
        updatedMs: now,
      };
    }
    const current = await LedgerFile.open(info.ledgerId, ledgerPath(dir, info.ledgerId), { create: true });
    info.entries = current.entries;
    info.size = current.payloadBytes;
    const topic = new Topic(name, dir, meta, current, options);
    await topic.save();
    return topic;
  }

  /** The ledgers, oldest first, the current one last (its counts are live). */
  ledgers(): readonly Readonly<LedgerInfo>[] {
    return this.meta.ledgers.map((l) => ({ ...l }));
  }

  /** Payload bytes of every ledger, local or offloaded. */
  storedSize(): number {
    return this.meta.ledgers.reduce((sum, l) => sum + l.size, 0);
  }

  offloadStatus(): OffloadStatus {
    return this.meta.offloadStatus;
  }

  get offloadRunning(): boolean {
    return this.offloading !== undefined;
  }

  /** Sizes for the policies of offload-policy.ts. */
  ledgerSizes(): LedgerSizes[] {
    return this.meta.ledgers.map((l) => ({
      ledgerId: l.ledgerId,
      size: l.size,
      entries: l.entries,
      closedMs: l.closedMs,
      offloaded: l.offload?.complete === true,
    }));
  }

  /** Appends entries (fsync'd before this resolves) and returns their positions. */
  append(payloads: readonly Buffer[]): Promise<Position[]> {
    const run = this.appending.then(() => this.appendNow(payloads));
    this.appending = run.catch(() => undefined);
    return run;
  }

  private async appendNow(payloads: readonly Buffer[]): Promise<Position[]> {
    if (this.closed) throw new TierfsError('UNAVAILABLE', `topic ${this.name.path} is closed`);
    const positions: Position[] = [];
    if (this.current.entries > 0 && this.rolloverDue(this.current.entries, this.current.payloadBytes)) {
      await this.rollover();
    }
    let group: Buffer[] = [];
    let groupBytes = 0;
    const flush = async () => {
      if (group.length === 0) return;
      const first = await this.current.append(group);
      for (let i = 0; i < group.length; i++)
        positions.push({ ledgerId: this.current.ledgerId, entryId: first + i });
      const info = this.currentInfo();
      info.entries = this.current.entries;
      info.size = this.current.payloadBytes;
      group = [];
      groupBytes = 0;
    };
    for (const payload of payloads) {
      group.push(payload);
      groupBytes += payload.length;
      if (this.rolloverDue(this.current.entries + group.length, this.current.payloadBytes + groupBytes)) {
        await flush();
        await this.rollover();
      }
    }
    await flush();
    return positions;
  }

  private rolloverDue(entries: number, bytes: number): boolean {
    const { maxEntriesPerLedger, maxLedgerBytes, minRolloverMs, maxRolloverMs } = this.options.rollover;
    const age = Date.now() - this.currentInfo().createdMs;
    const full =
      entries >= maxEntriesPerLedger ||
      bytes >= maxLedgerBytes ||
      (maxRolloverMs > 0 && age >= maxRolloverMs);
    return full && age >= minRolloverMs;
  }

  private currentInfo(): LedgerInfo {
    return this.meta.ledgers.at(-1)!;
  }

  /** Seals the current ledger and opens the next one. */
  private async rollover(): Promise<void> {
    const now = Date.now();
    const sealed = this.currentInfo();
    sealed.closedMs = now;
    this.files.set(sealed.ledgerId, this.current);
    const ledgerId = this.meta.nextLedgerId++;
    this.current = await LedgerFile.open(ledgerId, ledgerPath(this.dir, ledgerId), { create: true });
    this.meta.ledgers.push({ ledgerId, entries: 0, size: 0, createdMs: now, closedMs: 0 });
    await this.save();
    this.options.onRollover(this);
  }

  /** The entry at a position. */
  async read(position: Position): Promise<Entry> {
    const [entry] = await this.readLedger(this.ledger(position.ledgerId), position.entryId, position.entryId);
    if (!entry) {
      throw new TierfsError(
        'NOT_FOUND',
        `no entry ${position.ledgerId}:${position.entryId} in ${this.name.path}`,
      );
    }
    return entry;
  }

  /** Up to `max` entries from `from` on, across ledgers (ledgers deleted by retention are skipped). */
  async readRange(from: Position, max: number): Promise<Entry[]> {
    const entries: Entry[] = [];
    for (const info of this.meta.ledgers) {
      if (entries.length >= max) break;
      if (info.ledgerId < from.ledgerId) continue;
      const first = info.ledgerId === from.ledgerId ? from.entryId : 0;
      const last = Math.min(info.entries - 1, first + (max - entries.length) - 1);
      if (first > last) continue;
      entries.push(...(await this.readLedger(info, first, last)));
    }
    return entries;
  }

  private ledger(ledgerId: number): LedgerInfo {
    const info = this.meta.ledgers.find((l) => l.ledgerId === ledgerId);
    if (!info) throw new TierfsError('NOT_FOUND', `topic ${this.name.path} has no ledger ${ledgerId}`);
    return info;
  }

  private async readLedger(info: LedgerInfo, first: number, last: number): Promise<Entry[]> {
    const offload = info.offload;
    if (offload?.complete && (info.localDeleted || this.options.readPriority === 'TIERED_STORAGE_FIRST')) {
      let handle = this.offloaded.get(info.ledgerId);
      if (!handle) {
        handle = this.options.offloader.readOffloaded(
          this.name.path,
          info.ledgerId,
          offload.uuid,
          offload.driver,
        );
        handle.catch(() => this.offloaded.delete(info.ledgerId));
        this.offloaded.set(info.ledgerId, handle);
      }
      return (await handle).read(first, last);
    }
    return (await this.localFile(info.ledgerId)).read(first, last);
  }

  private async localFile(ledgerId: number): Promise<LedgerFile> {
    if (ledgerId === this.current.ledgerId) return this.current;
    let file = this.files.get(ledgerId);
    if (!file) {
      file = await LedgerFile.open(ledgerId, ledgerPath(this.dir, ledgerId));
      const raced = this.files.get(ledgerId);
      if (raced) {
        await file.close();
        return raced;
      }
      this.files.set(ledgerId, file);
    }
    return file;
  }

  /**
   * Offloads the given closed ledgers (those already offloaded, deleted or empty are skipped) and
   * records the run in the offload status. Rejects with CONFLICT when a run is in progress.
   * Resolves when the run is over; the returned promise rejects with the run's first error.
   */
  offload(ledgerIds: readonly number[], trigger: OffloadTrigger, firstUnoffloaded?: Position): Promise<void> {
    if (this.offloading) {
      return Promise.reject(
        new TierfsError('CONFLICT', `Offload already in progress for ${this.name.persistent}`),
      );
    }
    const run = this.runOffload(ledgerIds, trigger, firstUnoffloaded);
    this.offloading = run.finally(() => {
      this.offloading = undefined;
    });
    this.offloading.catch(() => undefined);
    return run;
  }

  /** Resolves when the offload run in progress (if any) is over, whatever its outcome. */
  async offloadSettled(): Promise<void> {
    await this.offloading?.catch(() => undefined);
  }

  private async runOffload(
    ledgerIds: readonly number[],
    trigger: OffloadTrigger,
    firstUnoffloaded?: Position,
  ) {
    this.meta.offloadStatus = { state: 'RUNNING', trigger, updatedMs: Date.now() };
    await this.save();
    let firstError: unknown;
    for (const ledgerId of ledgerIds) {
      const info = this.meta.ledgers.find((l) => l.ledgerId === ledgerId);
      if (!info || info.closedMs === 0 || info.entries === 0 || info.offload?.complete || info.localDeleted)
        continue;
      try {
        await this.offloadLedger(info);
      } catch (error) {
        firstError ??= error;
        this.options.onError(`offloading ledger ${ledgerId} of ${this.name.path} failed`, error);
      }
    }
    const last = ledgerIds.at(-1);
    this.meta.offloadStatus =
      firstError === undefined
        ? {
            state: 'SUCCESS',
            trigger,
            firstUnoffloaded:
              firstUnoffloaded ?? (last === undefined ? undefined : { ledgerId: last + 1, entryId: 0 }),
            updatedMs: Date.now(),
          }
        : {
            state: 'ERROR',
            trigger,
            error: `Error offloading: ${toTierfsError(firstError).message}`,
            updatedMs: Date.now(),
          };
    await this.save();
    if (firstError !== undefined) throw firstError;
  }

  private async offloadLedger(info: LedgerInfo): Promise<void> {
    const { offloader } = this.options;
    const driver = offloader.driverMetadata();
    this.inFlight.add(info.ledgerId);
    try {
      const previous = info.offload;
      if (previous && !previous.complete) {
        // Previous failed offload: its objects (if any) go before a new attempt starts.
        await offloader.deleteOffloaded(this.name.path, info.ledgerId, previous.uuid, previous.driver);
      }
      const uuid = randomUUID();
      info.offload = { uuid, complete: false, driver };
      await this.save();
      try {
        await offloader.offload(
          {
            topic: this.name.path,
            file: await this.localFile(info.ledgerId),
            createdMs: info.createdMs,
            closedMs: info.closedMs,
          },
          uuid,
        );
      } catch (error) {
        await offloader.deleteOffloaded(this.name.path, info.ledgerId, uuid, driver).catch(() => undefined);
        info.offload = undefined;
        await this.save();
        throw error;
      }
      info.offload = { uuid, complete: true, driver, offloadedMs: Date.now() };
      this.offloaded.delete(info.ledgerId);
      await this.save();
    } finally {
      this.inFlight.delete(info.ledgerId);
    }
  }

  /**
   * Deletes local copies of offloaded ledgers older than the deletion lag, then whole ledgers
   * (local copy and offloaded objects) beyond the retention limits. Returns what it removed.
   */
  async trim(
    deletionLagMs: number,
    retention: Retention,
    now = Date.now(),
  ): Promise<{ localDeleted: number; ledgersDeleted: number }> {
    let localDeleted = 0;
    for (const info of this.meta.ledgers) {
      const offload = info.offload;
      if (!offload?.complete || info.localDeleted || now - (offload.offloadedMs ?? now) < deletionLagMs)
        continue;
      info.localDeleted = true;
      await this.save();
      await this.dropLocal(info.ledgerId);
      localDeleted += 1;
    }
    const expired = ledgersBeyondRetention(this.ledgerSizes(), retention, now).filter(
      (id) => !this.inFlight.has(id),
    );
    for (const ledgerId of expired) {
      const info = this.ledger(ledgerId);
      this.meta.ledgers = this.meta.ledgers.filter((l) => l.ledgerId !== ledgerId);
      await this.save();
      await this.dropLocal(ledgerId);
      this.offloaded.delete(ledgerId);
      if (info.offload) {
        await this.options.offloader
          .deleteOffloaded(this.name.path, ledgerId, info.offload.uuid, info.offload.driver)
          .catch((error: unknown) =>
            this.options.onError(`deleting offloaded ledger ${ledgerId} of ${this.name.path}`, error),
          );
      }
    }
    return { localDeleted, ledgersDeleted: expired.length };
  }

  private async dropLocal(ledgerId: number): Promise<void> {
    const file = this.files.get(ledgerId);
    this.files.delete(ledgerId);
    await file?.close();
    await unlink(ledgerPath(this.dir, ledgerId)).catch(() => undefined);
  }

  /** Deletes the topic: every ledger, offloaded objects included. */
  async delete(): Promise<void> {
    await this.close();
    for (const info of this.meta.ledgers) {
      if (info.offload) {
        await this.options.offloader.deleteOffloaded(
          this.name.path,
          info.ledgerId,
          info.offload.uuid,
          info.offload.driver,
        );
      }
    }
    await rm(this.dir, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.appending;
    await this.offloadSettled();
    await this.saving;
    await Promise.all([this.current, ...this.files.values()].map((f) => f.close().catch(() => undefined)));
    this.files.clear();
  }

  private save(): Promise<void> {
    const write = this.saving.then(() => writeJsonFile(join(this.dir, 'topic.json'), this.meta));
    this.saving = write.catch(() => undefined);
    return write;
  }
}

function ledgerPath(dir: string, ledgerId: number): string {
  return join(dir, `ledger-${ledgerId}.log`);
}
