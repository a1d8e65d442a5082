/**
 * The tiered log end to end, once per offload driver (test/log/support.ts): 20,000 entries over
 * many ledgers, automatic offload by namespace threshold, manual offload with status, local
 * copies deleted (deletion lag 0), every entry read back byte-identical from the offload store,
 * status and reads surviving a restart; and a store refusing the credentials (403).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration } from '../../src/config/configuration.js';
import '../../src/ufs/drivers.js';
import { TopicStore } from '../../src/log/topic-store.js';
import { OFFLOAD_TARGETS, type OffloadTarget, payload } from './support.js';

const ENTRIES = 20_000;
const PER_LEDGER = 500;

function logConf(
  work: string,
  target: Record<string, string>,
  extra: Record<string, string> = {},
): Configuration {
  return Configuration.of({
    'tierfs.work.dir': work,
    'tierfs.conf.dir': join(work, 'conf'),
    managedLedgerMaxEntriesPerLedger: String(PER_LEDGER),
    managedLedgerMinLedgerRolloverTimeMinutes: '0',
    managedLedgerOffloadDeletionLagMs: '0',
    managedLedgerOffloadMaxBlockSizeInBytes: '5MB',
    managedLedgerOffloadReadBufferSizeInBytes: '64KB',
    ...target,
    ...extra,
  });
}

async function produce(
  store: TopicStore,
  topic: string,
  seed: string,
  count: number,
  max?: number,
): Promise<void> {
  for (let at = 0; at < count; at += 1000) {
    const batch = Array.from({ length: Math.min(1000, count - at) }, (_, k) => payload(seed, at + k, max));
    await store.append(topic, batch);
  }
}

async function expectAllEntries(store: TopicStore, topic: string, seed: string, count: number, max?: number) {
  let next = { ledgerId: 0, entryId: 0 };
  let seen = 0;
  while (seen < count) {
    const entries = await store.readRange(topic, next, 1500);
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) {
      expect(
        entry.payload.equals(payload(seed, seen, max)),
        `entry ${seen} at ${entry.ledgerId}:${entry.entryId}`,
      ).toBe(true);
      seen += 1;
    }
    const last = entries.at(-1)!;
    next = { ledgerId: last.ledgerId, entryId: last.entryId + 1 };
  }
  expect(await store.readRange(topic, next, 10)).toHaveLength(0);
}

async function waitForStatus(store: TopicStore, topic: string) {
  await store.idle(topic);
  return store.offloadStatus(topic);
}

for (const factory of OFFLOAD_TARGETS) {
  describe(`tiered log offloaded with the ${factory.driver} driver`, () => {
    let target: OffloadTarget;
    let work: string;
    beforeAll(async () => {
      target = await factory.start();
      work = mkdtempSync(join(tmpdir(), 'tierfs-log-'));
    });
    afterAll(async () => {
      await target?.stop();
      rmSync(work, { recursive: true, force: true });
    });

    it('offloads by threshold and manually, deletes local copies and reads every entry back', async () => {
      let store = await TopicStore.open(logConf(work, target.conf));
      const auto = 'acme/auto/events';
      const manual = 'acme/manual/events';
      await store.setOffloadThreshold('acme/auto', 1024 * 1024);
      await store.setOffloadThreshold('acme/manual', -1);

      await produce(store, auto, 'auto', ENTRIES);
      await produce(store, manual, 'manual', ENTRIES);
      const autoTopic = await store.topic(auto);
      expect(autoTopic.ledgers().length).toBe(ENTRIES / PER_LEDGER + 1);

      // Automatic: the oldest ledgers beyond 1 MiB from the newest are offloaded, then deleted locally.
      expect((await waitForStatus(store, auto)).state).toBe('SUCCESS');
      const ledgers = autoTopic.ledgers();
      const offloaded = ledgers.filter((l) => l.offload?.complete);
      expect(offloaded.length).toBeGreaterThan(10);
      expect(offloaded[0]!.ledgerId).toBe(0);
      let kept = 0;
      for (let i = ledgers.length - 1; i >= 0 && kept + ledgers[i]!.size <= 1024 * 1024; i--) {
        kept += ledgers[i]!.size;
        expect(ledgers[i]!.offload).toBeUndefined();
      }
      for (const l of offloaded) {
        expect(l.localDeleted).toBe(true);
        expect(l.offload!.driver.driver).toBe(factory.driver);
        expect(existsSync(join(autoTopic.dir, `ledger-${l.ledgerId}.log`))).toBe(false);
      }
      expect((await store.topic(manual)).ledgers().some((l) => l.offload)).toBe(false);

      // Manual: keep at most 500 KB local.
      const triggered = await store.triggerOffload(manual, 500 * 1024);
      expect(triggered?.topic).toBe(`persistent://${manual}`);
      const status = await waitForStatus(store, manual);
      expect(status).toMatchObject({ state: 'SUCCESS', firstUnoffloaded: triggered!.before });
      const manualLedgers = (await store.topic(manual)).ledgers();
      for (const l of manualLedgers) {
        expect(l.offload?.complete === true).toBe(l.ledgerId < triggered!.before.ledgerId);
      }
      const localSize = manualLedgers.filter((l) => !l.localDeleted).reduce((sum, l) => sum + l.size, 0);
      expect(localSize).toBeLessThanOrEqual(500 * 1024);

      await expectAllEntries(store, auto, 'auto', ENTRIES);
      await expectAllEntries(store, manual, 'manual', ENTRIES);

      // A restart keeps the status, the offload contexts and the reads.
      await store.close();
      store = await TopicStore.open(logConf(work, target.conf));
      expect((await store.offloadStatus(manual)).state).toBe('SUCCESS');
      await expectAllEntries(store, manual, 'manual', ENTRIES);
      expect((await (await store.topic(auto)).read({ ledgerId: 3, entryId: 17 })).payload).toEqual(
        payload('auto', 3 * PER_LEDGER + 17),
      );
      await store.close();
    }, 120_000);

    it('writes a large ledger as several blocks and reads it back', async () => {
      const store = await TopicStore.open(
        logConf(work, target.conf, { managedLedgerMaxEntriesPerLedger: '150' }),
      );
      const topic = 'acme/big/blobs';
      await produce(store, topic, 'big', 300, 100_000); // ~7.5 MB per ledger: two 5 MB blocks
      expect(await store.triggerOffload(topic, 0)).toMatchObject({ before: { ledgerId: 2, entryId: 0 } });
      expect((await waitForStatus(store, topic)).state).toBe('SUCCESS');
      await expectAllEntries(store, topic, 'big', 300, 100_000);
      await store.close();
    }, 60_000);

    it.runIf(factory.driver !== 'filesystem')(
      'reports a store refusing the credentials as an offload error',
      async () => {
        const store = await TopicStore.open(logConf(join(work, 'denied'), target.deniedConf!));
        const topic = 'acme/denied/events';
        await store.setOffloadThreshold('acme/denied', 0);
        await produce(store, topic, 'denied', 1200);
        const status = await waitForStatus(store, topic);
        expect(status.state).toBe('ERROR');
        expect(status.error).toMatch(/^Error offloading: /);
        expect(status.error).toMatch(/denied|403|signature/i);
        // Nothing offloaded, nothing lost.
        const ledgers = (await store.topic(topic)).ledgers();
        expect(ledgers.every((l) => !l.offload && !l.localDeleted)).toBe(true);
        await expectAllEntries(store, topic, 'denied', 1200);
        expect(
          readdirSync(join(work, 'denied', 'log', topic)).filter((f) => f.endsWith('.log')),
        ).toHaveLength(3);
        await store.close();
      },
      60_000,
    );
  });
}
