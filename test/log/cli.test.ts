/**
 * The tiered-log CLI as real processes (`bin/tierfs.js` on dist/) against a master running the
 * log, once per offload driver: produce, consume, set-offload-threshold, a manual offload with
 * `offload-status -w`, reads after the local copies are gone, and a store answering 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTierfs } from '../support/cli.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { OFFLOAD_TARGETS, type OffloadTarget } from './support.js';

const LOG_SETTINGS = {
  managedLedgerMaxEntriesPerLedger: '100',
  managedLedgerMinLedgerRolloverTimeMinutes: '0',
  managedLedgerOffloadDeletionLagMs: '0',
};

function cli(cluster: TestCluster, ...args: string[]) {
  const port = new URL(cluster.master.rpcAddress).port;
  return runTierfs(['-Dtierfs.master.hostname=127.0.0.1', `-Dtierfs.master.rpc.port=${port}`, ...args]);
}

for (const factory of OFFLOAD_TARGETS) {
  describe(`tierfs topics with the ${factory.driver} offload driver`, () => {
    let target: OffloadTarget;
    let cluster: TestCluster;
    beforeAll(async () => {
      target = await factory.start();
      cluster = await startCluster({ ...LOG_SETTINGS, ...target.conf });
    });
    afterAll(async () => {
      await cluster?.stop();
      await target?.stop();
    });

    it('produces, offloads manually with offload-status -w, and consumes everything back', async () => {
      const topic = 'acme/cli/orders';
      expect(
        (await cli(cluster, 'namespaces', 'set-offload-threshold', '--size', '-1', 'acme/cli')).code,
      ).toBe(0);
      expect((await cli(cluster, 'namespaces', 'get-offload-threshold', 'acme/cli')).stdout).toBe('-1\n');
      const messages = Array.from({ length: 1000 }, (_, i) => `order-${i}-${'x'.repeat(i % 50)}`);
      await cluster.master.topics!.append(
        topic,
        messages.slice(0, 997).map((m) => Buffer.from(m)),
      );
      const produced = await cli(cluster, 'topics', 'produce', topic, '-m', ...messages.slice(997));
      expect(produced).toMatchObject({ code: 0, stdout: '3 messages successfully produced\n' });

      const offload = await cli(cluster, 'topics', 'offload', '--size-threshold', '10K', topic);
      expect(offload.stderr).toBe('');
      const match =
        /^Offload triggered for persistent:\/\/acme\/cli\/orders for messages before (\d+):0:-1\n$/.exec(
          offload.stdout,
        );
      expect(match, offload.stdout).not.toBeNull();
      const before = Number(match![1]);
      expect(before).toBeGreaterThan(5);
      const status = await cli(cluster, 'topics', 'offload-status', '-w', `persistent://${topic}`);
      expect(status).toMatchObject({ code: 0, stdout: 'Offload was a success\n' });

      const ledgers = (await cli(cluster, 'topics', 'ledgers', topic)).stdout.trim().split('\n');
      const offloaded = ledgers.filter((l) => l.includes(`offloaded (${factory.driver})`));
      expect(offloaded).toHaveLength(before);
      expect(offloaded.every((l) => !l.includes('+local'))).toBe(true);

      const consumed = await cli(cluster, 'topics', 'consume', topic, '-n', '2000');
      expect(consumed.code).toBe(0);
      expect(consumed.stdout).toBe(`${messages.join('\n')}\n`);
      const tail = await cli(cluster, 'topics', 'consume', topic, '--from', '3:98', '-n', '3', '--positions');
      expect(tail.stdout).toBe(`3:98 ${messages[398]}\n3:99 ${messages[399]}\n4:0 ${messages[400]}\n`);

      expect((await cli(cluster, 'topics', 'offload', '--size-threshold', '1G', topic)).stdout).toBe(
        'Nothing to offload\n',
      );
    }, 90_000);

    it.runIf(factory.driver !== 'filesystem')(
      'prints Error in offload with the reason when the store answers 403',
      async () => {
        const denied = await startCluster({ ...LOG_SETTINGS, ...target.deniedConf! });
        try {
          const topic = 'acme/denied/orders';
          await denied.master.topics!.append(
            topic,
            Array.from({ length: 250 }, (_, i) => Buffer.from(`m${i}`)),
          );
          const offload = await cli(denied, 'topics', 'offload', '--size-threshold', '0', topic);
          expect(offload.stdout).toBe(
            'Offload triggered for persistent://acme/denied/orders for messages before 2:0:-1\n',
          );
          const status = await cli(denied, 'topics', 'offload-status', '-w', topic);
          expect(status.code).toBe(1);
          const [first, blank, reason] = status.stdout.split('\n');
          expect([first, blank]).toEqual(['Error in offload', '']);
          expect(reason).toMatch(/^Reason: Error offloading: .*(denied|403|signature)/i);
          const consumed = await cli(denied, 'topics', 'consume', topic, '-n', '250');
          expect(consumed.stdout.split('\n')).toHaveLength(251);
        } finally {
          await denied.stop();
        }
      },
      60_000,
    );
  });
}
