/**
 * The ledger offloader (Pulsar's LedgerOffloader over a BlobStore): writes a sealed ledger to the
 * offload store as a data object of blocks (block-format.ts, one multipart part per block) and an
 * index object (offload-index.ts), reads it back, and deletes it.
 *
 * Object keys carry the topic as a prefix (unlike Pulsar's flat bucket), then Pulsar's names:
 * `tenant/ns/topic/{uuid}-ledger-{ledgerId}` and `…-index`. The uuid names one attempt, so a
 * failed or abandoned attempt never collides with a later one and can be deleted by name.
 *
 * A data failure aborts the upload (the store's writer aborts the multipart upload); an index
 * failure deletes the data object. Stores are opened once per driver, bucket and endpoint.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Configuration } from '../config/configuration.js';
import { TierfsError } from '../errors.js';
import type { UnderStore } from '../ufs/contract.js';
import { dataBlocks } from './block-format.js';
import {
  type DriverMetadata,
  metadataOf,
  type OffloadDriverConfig,
  offloadDriverConfig,
  openOffloadStore,
} from './driver-config.js';
import type { LedgerFile } from './ledger-file.js';
import { encodeOffloadIndex, type IndexRecord, type LedgerMetadata } from './offload-index.js';
import { OFFLOAD_FORMAT_VERSION, type OffloadedKeys, OffloadedLedger } from './offloaded-reader.js';

export interface LedgerToOffload {
  readonly topic: string;
  readonly file: LedgerFile;
  readonly createdMs: number;
  readonly closedMs: number;
}

export function offloadedKeys(topic: string, ledgerId: number, uuid: string): OffloadedKeys {
  const data = `${topic}/${uuid}-ledger-${ledgerId}`;
  return { data, index: `${data}-index` };
}

export class LedgerOffloader {
  private readonly stores = new Map<string, Promise<UnderStore>>();

  /** `config` undefined: no driver configured, so offloading fails and reads use recorded metadata. */
  constructor(
    private readonly conf: Configuration,
    readonly config: OffloadDriverConfig | undefined,
  ) {}

  /** The driver metadata new offloads record; throws when offload is not configured. */
  driverMetadata(): DriverMetadata {
    return metadataOf(this.requireConfig());
  }

  /** Uploads a sealed ledger as attempt `uuid`. */
  async offload(ledger: LedgerToOffload, uuid: string): Promise<void> {
    const config = this.requireConfig();
    const { file } = ledger;
    if (file.entries === 0)
      throw new TierfsError('INVALID_ARGUMENT', 'An empty or open ledger should never be offloaded');
    const store = await this.storeFor(metadataOf(config));
    const keys = offloadedKeys(ledger.topic, file.ledgerId, uuid);
    const blocks: IndexRecord[] = [];
    let dataObjectLength = 0;
    const bytes = async function* () {
      for await (const block of dataBlocks(
        file.records(),
        { entries: file.entries, payloadBytes: file.payloadBytes },
        config.maxBlockSize,
      )) {
        blocks.push({ entryId: block.firstEntryId, partId: blocks.length + 1, offset: block.offset });
        dataObjectLength = block.offset + block.bytes.length;
        yield block.bytes;
      }
    };
    await pipeline(Readable.from(bytes()), await store.create(keys.data, { overwrite: true }));
    const metadata: LedgerMetadata = {
      formatVersion: OFFLOAD_FORMAT_VERSION,
      topic: ledger.topic,
      ledgerId: file.ledgerId,
      entries: file.entries,
      lastEntryId: file.entries - 1,
      length: file.payloadBytes,
      createdMs: ledger.createdMs,
      closedMs: ledger.closedMs,
    };
    try {
      const index = encodeOffloadIndex({ dataObjectLength, metadata, blocks });
      await pipeline(Readable.from([index]), await store.create(keys.index, { overwrite: true }));
    } catch (error) {
      await store.delete(keys.data).catch(() => undefined);
      throw error;
    }
  }

  async readOffloaded(
    topic: string,
    ledgerId: number,
    uuid: string,
    recorded: DriverMetadata,
  ): Promise<OffloadedLedger> {
    const store = await this.storeFor(recorded);
    const readBufferSize = this.readConfig(recorded).readBufferSize;
    return OffloadedLedger.open(store, offloadedKeys(topic, ledgerId, uuid), readBufferSize);
  }

  /** Deletes both objects of an attempt; missing objects are fine (a failed attempt may have none). */
  async deleteOffloaded(
    topic: string,
    ledgerId: number,
    uuid: string,
    recorded: DriverMetadata,
  ): Promise<void> {
    const store = await this.storeFor(recorded);
    const keys = offloadedKeys(topic, ledgerId, uuid);
    for (const key of [keys.index, keys.data]) {
      await store.delete(key).catch((error: unknown) => {
        if (!(error instanceof TierfsError && error.code === 'NOT_FOUND')) throw error;
      });
    }
  }

  async close(): Promise<void> {
    const stores = [...this.stores.values()];
    this.stores.clear();
    await Promise.all(stores.map(async (store) => (await store.catch(() => undefined))?.close()));
  }

  private requireConfig(): OffloadDriverConfig {
    if (!this.config) {
      throw new TierfsError(
        'CONFIG_INVALID',
        'Offload is not configured: set managedLedgerOffloadDriver (and its bucket and endpoint) in broker.conf or the site properties',
      );
    }
    return this.config;
  }

  private readConfig(recorded: DriverMetadata): OffloadDriverConfig {
    return offloadDriverConfig(this.conf, recorded)!;
  }

  private storeFor(recorded: DriverMetadata): Promise<UnderStore> {
    const id = JSON.stringify([recorded.driver, recorded.bucket, recorded.endpoint, recorded.region]);
    let store = this.stores.get(id);
    if (!store) {
      store = openOffloadStore(this.readConfig(recorded), this.conf);
      store.catch(() => this.stores.delete(id));
      this.stores.set(id, store);
    }
    return store;
  }
}
