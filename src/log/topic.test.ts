import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Configuration } from '../config/configuration.js';
import { TopicStore } from './topic-store.js';

const work = mkdtempSync(join(tmpdir(), 'tierfs-topic-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const open = (values: Record<string, string> = {}) =>
  TopicStore.open(
    Configuration.of({ 'tierfs.work.dir': work, managedLedgerMaxEntriesPerLedger: '10', ...values }),
  );

describe('topics', () => {
  it('rolls over by entries only once the minimum rollover time has passed', async () => {
    const store = await open(); // default minimum: 2 minutes
    const positions = await store.append(
      'a/b/slow',
      Array.from({ length: 25 }, (_, i) => Buffer.from(`m${i}`)),
    );
    expect(positions.at(-1)).toEqual({ ledgerId: 0, entryId: 24 });
    await store.close();
    const fast = await open({ managedLedgerMinLedgerRolloverTimeMinutes: '0' });
    const more = await fast.append(
      'a/b/fast',
      Array.from({ length: 25 }, (_, i) => Buffer.from(`m${i}`)),
    );
    expect(more.map((p) => `${p.ledgerId}:${p.entryId}`).slice(8, 12)).toEqual(['0:8', '0:9', '1:0', '1:1']);
    expect((await fast.topic('a/b/fast')).ledgers().map((l) => l.entries)).toEqual([10, 10, 5]);
    await fast.close();
  });

  it('recovers appended entries after a restart and rejects bad names', async () => {
    let store = await open();
    await store.append('a/b/durable', [Buffer.from('one'), Buffer.from('two')]);
    await store.close();
    store = await open();
    expect(
      (await store.readRange('a/b/durable', { ledgerId: 0, entryId: 0 }, 10)).map((e) =>
        e.payload.toString(),
      ),
    ).toEqual(['one', 'two']);
    expect(await store.append('persistent://a/b/durable', [Buffer.from('three')])).toEqual([
      { ledgerId: 0, entryId: 2 },
    ]);
    await expect(store.topic('a/b')).rejects.toThrow(/tenant\/namespace\/topic/);
    await expect(store.topic('a/../c')).rejects.toThrow(/invalid topic name/);
    expect(await store.listTopics()).toEqual(['a/b/durable', 'a/b/fast', 'a/b/slow']);
    await expect(store.triggerOffload('a/b/durable', 0)).rejects.toThrow(/Offload is not configured/);
    await store.close();
  });
});
