/**
 * The tiered log: every topic below the data dir (`tierfs.log.data.dir`, a directory per
 * `tenant/namespace/topic`), the offloader configured by the `managedLedgerOffload*` keys, the
 * namespace policies, and a timer applying the deletion lag and retention.
 *
 * Usable as a library (`TopicStore.open(conf)`) or inside the master, which starts one when
 * `tierfs.log.enabled` is true and serves it over REST (master/log-routes.ts).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Configuration } from '../config/configuration.js';
import {
  LOG_DATA_DIR,
  LOG_RETENTION_CHECK_INTERVAL,
  LOG_RETENTION_SIZE,
  LOG_RETENTION_TIME,
} from '../config/keys/log.js';
import {
  MANAGED_LEDGER_DATA_READ_PRIORITY,
  MANAGED_LEDGER_MAX_ENTRIES_PER_LEDGER,
  MANAGED_LEDGER_MAX_LEDGER_ROLLOVER_TIME_MINUTES,
  MANAGED_LEDGER_MAX_SIZE_PER_LEDGER_MBYTES,
  MANAGED_LEDGER_MIN_LEDGER_ROLLOVER_TIME_MINUTES,
  MANAGED_LEDGER_OFFLOAD_AUTO_TRIGGER_SIZE_THRESHOLD_BYTES,
  MANAGED_LEDGER_OFFLOAD_DELETION_LAG_MS,
  MANAGED_LEDGER_OFFLOAD_THRESHOLD_IN_SECONDS,
} from '../config/keys/offload.js';
import { TierfsError, toTierfsError } from '../errors.js';
import { offloadDriverConfig, withBrokerConf } from './driver-config.js';
import type { Entry } from './entry-record.js';
import { type NamespacePolicies, NamespacePolicyStore } from './namespace-policies.js';
import { firstLedgerWithinThreshold, ledgersToOffload, type Retention } from './offload-policy.js';
import { LedgerOffloader } from './offloader.js';
import type { Position } from './position.js';
import { Topic } from './topic.js';
import type { OffloadStatus } from './topic-metadata.js';
import { parseNamespaceName, parseTopicName } from './topic-name.js';

const MINUTE = 60_000;

export interface TopicStoreOptions {
  /** Where warnings go (failed offloads, failed deletions); default: nowhere. */
  readonly log?: { warn(fields: Record<string, unknown>, message: string): void };
}

export interface OffloadTriggered {
  readonly topic: string;
  /** Ledgers before this one are offloaded: "messages before L:0:-1". */
  readonly before: Position;
  readonly ledgers: readonly number[];
}

export class TopicStore {
  private readonly topics = new Map<string, Promise<Topic>>();
  private readonly policies: NamespacePolicyStore;
  private readonly autoRuns = new Map<Topic, Promise<void>>();
  private readonly autoPending = new Set<Topic>();
  /** Manual runs, until their deletion-lag pass is done. */
  private readonly manualRuns = new Map<Topic, Promise<void>>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  private constructor(
    readonly conf: Configuration,
    readonly dataDir: string,
    readonly offloader: LedgerOffloader,
    private readonly options: TopicStoreOptions,
  ) {
    this.policies = new NamespacePolicyStore(dataDir);
    this.timer = setInterval(() => void this.trimAll(), conf.require(LOG_RETENTION_CHECK_INTERVAL));
    this.timer.unref();
  }

  /**
   * Opens the log over `conf` plus broker.conf / standalone.conf. A configured but invalid offload
   * driver (no bucket, no endpoint for aliyun-oss, unknown name, blocks under 5MB) fails here.
   */
  static async open(conf: Configuration, options: TopicStoreOptions = {}): Promise<TopicStore> {
    const merged = withBrokerConf(conf);
    const offloader = new LedgerOffloader(merged, offloadDriverConfig(merged));
    const dataDir = merged.resolvePath(merged.require(LOG_DATA_DIR));
    return new TopicStore(merged, dataDir, offloader, options);
  }

  /** The topic, created on first use. */
  async topic(name: string): Promise<Topic> {
    const parsed = parseTopicName(name);
    if (this.closed) return Promise.reject(new TierfsError('UNAVAILABLE', 'the topic store is closed'));
    let topic = this.topics.get(parsed.path);
    if (!topic) {
      topic = Topic.open(parsed, join(this.dataDir, parsed.path), {
        rollover: {
          maxEntriesPerLedger: this.conf.require(MANAGED_LEDGER_MAX_ENTRIES_PER_LEDGER),
          maxLedgerBytes: this.conf.require(MANAGED_LEDGER_MAX_SIZE_PER_LEDGER_MBYTES) * 1024 * 1024,
          minRolloverMs: this.conf.require(MANAGED_LEDGER_MIN_LEDGER_ROLLOVER_TIME_MINUTES) * MINUTE,
          maxRolloverMs: this.conf.require(MANAGED_LEDGER_MAX_LEDGER_ROLLOVER_TIME_MINUTES) * MINUTE,
        },
        readPriority: this.conf.require(MANAGED_LEDGER_DATA_READ_PRIORITY),
        offloader: this.offloader,
        onRollover: (t) => void this.afterRollover(t),
        onError: (message, error) => this.warn(message, error),
      });
      topic.catch(() => this.topics.delete(parsed.path));
      this.topics.set(parsed.path, topic);
    }
    return topic;
  }

  /** Every topic with data on disk, `tenant/namespace/topic`, sorted; optionally of one namespace. */
  async listTopics(namespace?: string): Promise<string[]> {
    const names: string[] = [];
    const dirs = async (path: string) =>
      (await readdir(path, { withFileTypes: true }).catch(() => []))
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
    const tenants = namespace ? [parseNamespaceName(namespace).split('/')[0]!] : await dirs(this.dataDir);
    for (const tenant of tenants) {
      const namespaces = namespace ? [namespace.split('/')[1]!] : await dirs(join(this.dataDir, tenant));
      for (const ns of namespaces) {
        for (const topic of await dirs(join(this.dataDir, tenant, ns)))
          names.push(`${tenant}/${ns}/${topic}`);
      }
    }
    return names.sort();
  }

  async append(name: string, payloads: readonly Buffer[]): Promise<Position[]> {
    return (await this.topic(name)).append(payloads);
  }

  async readRange(name: string, from: Position, max: number): Promise<Entry[]> {
    return (await this.topic(name)).readRange(from, max);
  }

  namespacePolicies(namespace: string): Promise<NamespacePolicies> {
    return this.policies.get(parseNamespaceName(namespace));
  }

  /** `namespaces set-offload-threshold --size N`: > 0 bytes, 0 as soon as possible, < 0 disabled. */
  setOffloadThreshold(namespace: string, bytes: number): Promise<NamespacePolicies> {
    return this.policies.update(parseNamespaceName(namespace), { offloadThresholdBytes: bytes });
  }

  setOffloadDeletionLag(namespace: string, ms: number | undefined): Promise<NamespacePolicies> {
    return this.policies.update(parseNamespaceName(namespace), { offloadDeletionLagMs: ms });
  }

  setRetention(namespace: string, retention: Retention): Promise<NamespacePolicies> {
    return this.policies.update(parseNamespaceName(namespace), {
      retentionSizeBytes: retention.sizeBytes,
      retentionTimeMs: retention.timeMs,
    });
  }

  /**
   * `topics offload --size-threshold N`: keeps the newest ledgers holding at most N bytes local
   * and starts offloading the ones before them in the background. Undefined: nothing to offload.
   * CONFLICT when an offload of the topic is running.
   */
  async triggerOffload(name: string, sizeThreshold: number): Promise<OffloadTriggered | undefined> {
    const topic = await this.topic(name);
    this.offloader.driverMetadata(); // fail now, not in the background, when offload is not configured
    const before = firstLedgerWithinThreshold(topic.ledgerSizes(), sizeThreshold);
    if (before === undefined) return undefined;
    const ledgers = topic
      .ledgers()
      .filter((l) => l.ledgerId < before)
      .map((l) => l.ledgerId);
    if (topic.offloadRunning) {
      throw new TierfsError('CONFLICT', `Offload already in progress for ${topic.name.persistent}`);
    }
    const position = { ledgerId: before, entryId: 0 };
    // Runs in the background; its outcome is what offload-status reports.
    const run = topic
      .offload(ledgers, 'manual', position)
      .then(() => this.trimTopic(topic))
      .catch(() => undefined)
      .finally(() => this.manualRuns.delete(topic));
    this.manualRuns.set(topic, run);
    return { topic: topic.name.persistent, before: position, ledgers };
  }

  async offloadStatus(name: string): Promise<OffloadStatus> {
    return (await this.topic(name)).offloadStatus();
  }

  /**
   * The threshold policy, after every rollover. Rollovers during a pass merge into one queued
   * follow-up pass (Pulsar's AutomaticOffloadTriggerController); a manual run is waited for.
   */
  private afterRollover(topic: Topic): Promise<void> {
    const running = this.autoRuns.get(topic);
    if (running) {
      this.autoPending.add(topic);
      return running;
    }
    const pass = (async () => {
      do {
        this.autoPending.delete(topic);
        await topic.offloadSettled();
        try {
          await this.offloadByThreshold(topic);
          await this.trimTopic(topic);
        } catch (error) {
          this.warn(`offload policy of ${topic.name.path}`, error);
        }
      } while (this.autoPending.has(topic) && !this.closed);
    })().finally(() => this.autoRuns.delete(topic));
    this.autoRuns.set(topic, pass);
    return pass;
  }

  private async offloadByThreshold(topic: Topic): Promise<void> {
    if (!this.offloader.config) return;
    const policies = await this.policies.get(topic.name.namespaceName);
    const threshold =
      policies.offloadThresholdBytes ??
      this.conf.require(MANAGED_LEDGER_OFFLOAD_AUTO_TRIGGER_SIZE_THRESHOLD_BYTES);
    const seconds = this.conf.require(MANAGED_LEDGER_OFFLOAD_THRESHOLD_IN_SECONDS);
    const selected = ledgersToOffload(topic.ledgerSizes(), threshold, seconds, Date.now());
    // A failure is recorded in the offload status and logged by the topic.
    if (selected.length > 0) await topic.offload(selected, 'threshold').catch(() => undefined);
  }

  /** Resolves once no automatic or manual offload of the topic is running or queued. */
  async idle(name: string): Promise<void> {
    const topic = await this.topic(name);
    for (;;) {
      await this.autoRuns.get(topic);
      await this.manualRuns.get(topic);
      await topic.offloadSettled();
      if (!this.autoRuns.has(topic) && !this.manualRuns.has(topic) && !topic.offloadRunning) return;
    }
  }

  /** Applies the deletion lag and retention to one topic now. */
  async trimTopic(topic: Topic): Promise<void> {
    const policies = await this.policies.get(topic.name.namespaceName);
    await topic.trim(
      policies.offloadDeletionLagMs ?? this.conf.require(MANAGED_LEDGER_OFFLOAD_DELETION_LAG_MS),
      {
        sizeBytes: policies.retentionSizeBytes ?? this.conf.get(LOG_RETENTION_SIZE),
        timeMs: policies.retentionTimeMs ?? this.conf.get(LOG_RETENTION_TIME),
      },
    );
  }

  private async trimAll(): Promise<void> {
    for (const pending of this.topics.values()) {
      const topic = await pending.catch(() => undefined);
      if (topic)
        await this.trimTopic(topic).catch((error: unknown) =>
          this.warn(`trimming ${topic.name.path}`, error),
        );
    }
  }

  private warn(message: string, error: unknown): void {
    this.options.log?.warn({ error: toTierfsError(error).message }, message);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const topics = [...this.topics.values()];
    this.topics.clear();
    await Promise.all(topics.map(async (t) => (await t.catch(() => undefined))?.close()));
    await this.offloader.close();
  }
}
