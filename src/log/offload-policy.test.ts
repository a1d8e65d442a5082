import { describe, expect, it } from 'vitest';
import {
  firstLedgerWithinThreshold,
  type LedgerSizes,
  ledgersBeyondRetention,
  ledgersToOffload,
} from './offload-policy.js';

const ledger = (ledgerId: number, size: number, closedMs = 1000, offloaded = false): LedgerSizes => ({
  ledgerId,
  size,
  entries: size > 0 ? 1 : 0,
  closedMs,
  offloaded,
});
// Ledgers 0..3 closed with 100 bytes each; ledger 4 is the current one with 50.
const ledgers = [ledger(0, 100), ledger(1, 100), ledger(2, 100), ledger(3, 100), ledger(4, 50, 0)];

describe('offload policies', () => {
  it('offloads by size threshold, oldest first, never the current ledger', () => {
    expect(ledgersToOffload(ledgers, 250, -1, 2000)).toEqual([0, 1]);
    expect(ledgersToOffload(ledgers, 249, -1, 2000)).toEqual([0, 1, 2]);
    expect(ledgersToOffload(ledgers, 0, -1, 2000)).toEqual([0, 1, 2, 3]);
    expect(ledgersToOffload(ledgers, -1, -1, 2000)).toEqual([]);
    expect(ledgersToOffload(ledgers, 10_000, -1, 2000)).toEqual([]);
    expect(ledgersToOffload([ledger(0, 100, 1000, true), ...ledgers.slice(1)], 0, -1, 2000)).toEqual([
      1, 2, 3,
    ]);
  });

  it('offloads by age', () => {
    expect(ledgersToOffload(ledgers, -1, 1, 2000)).toEqual([0, 1, 2, 3]);
    expect(ledgersToOffload(ledgers, -1, 5, 2000)).toEqual([]);
  });

  it('finds the first ledger that stays local for a manual offload', () => {
    expect(firstLedgerWithinThreshold(ledgers, 10)).toBe(4);
    expect(firstLedgerWithinThreshold(ledgers, 160)).toBe(3);
    expect(firstLedgerWithinThreshold(ledgers, 250)).toBe(2);
    expect(firstLedgerWithinThreshold(ledgers, 1000)).toBeUndefined();
  });

  it('selects ledgers beyond retention', () => {
    expect(ledgersBeyondRetention(ledgers, { sizeBytes: 260 }, 2000)).toEqual([0, 1]);
    expect(ledgersBeyondRetention(ledgers, { timeMs: 500 }, 2000)).toEqual([0, 1, 2, 3]);
    expect(ledgersBeyondRetention(ledgers, {}, 2000)).toEqual([]);
  });
});
