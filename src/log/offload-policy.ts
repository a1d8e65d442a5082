/**
 * Which ledgers to offload or delete, as pure functions of a topic's ledger list (oldest first).
 * The current ledger (closedMs 0) is never selected.
 *
 * Automatic offload (Pulsar's maybeOffload), evaluated after every rollover: walking from the
 * newest ledger with a running total of sizes (the current ledger included), a closed ledger not
 * yet offloaded is selected once the total passes the byte threshold (> 0; = 0 selects every
 * closed ledger; < 0 disables), or when it was closed at least `thresholdSeconds` ago (>= 0).
 *
 * Manual offload `--size-threshold N` (Pulsar's findFirstLedgerWithinThreshold): the same walk
 * from the newest ledger; at the first point where the total exceeds N, the ledger seen just
 * before (the oldest one that stays local) is returned as L, and everything before L is offloaded
 * ("messages before L:0:-1").
 */

export interface LedgerSizes {
  readonly ledgerId: number;
  readonly size: number;
  readonly entries: number;
  readonly closedMs: number;
  readonly offloaded: boolean;
}

export function ledgersToOffload(
  ledgers: readonly LedgerSizes[],
  thresholdBytes: number,
  thresholdSeconds: number,
  nowMs: number,
): number[] {
  if (thresholdBytes < 0 && thresholdSeconds < 0) return [];
  const selected: number[] = [];
  let total = 0;
  for (let i = ledgers.length - 1; i >= 0; i--) {
    const ledger = ledgers[i]!;
    total += ledger.size;
    if (ledger.closedMs === 0 || ledger.offloaded || ledger.entries === 0) continue;
    const bySize = thresholdBytes >= 0 && total > thresholdBytes;
    const byAge = thresholdSeconds >= 0 && nowMs - ledger.closedMs >= thresholdSeconds * 1000;
    if (bySize || byAge || thresholdBytes === 0) selected.unshift(ledger.ledgerId);
  }
  return selected;
}

/** L for a manual offload, or undefined when the whole topic is within the threshold. */
export function firstLedgerWithinThreshold(
  ledgers: readonly LedgerSizes[],
  sizeThreshold: number,
): number | undefined {
  if (ledgers.length === 0) return undefined;
  let total = 0;
  let previous = ledgers[ledgers.length - 1]!.ledgerId;
  for (let i = ledgers.length - 1; i >= 0; i--) {
    const ledger = ledgers[i]!;
    total += ledger.size;
    if (total > sizeThreshold) return previous;
    previous = ledger.ledgerId;
  }
  return undefined;
}

export interface Retention {
  /** Keep at most this many bytes (all ledgers, local or offloaded); undefined: no limit. */
  readonly sizeBytes?: number;
  /** Delete closed ledgers closed longer ago than this; undefined: no limit. */
  readonly timeMs?: number;
}

/** Closed ledgers past the retention limits, oldest first. */
export function ledgersBeyondRetention(
  ledgers: readonly LedgerSizes[],
  retention: Retention,
  nowMs: number,
): number[] {
  let total = ledgers.reduce((sum, l) => sum + l.size, 0);
  const expired: number[] = [];
  for (const ledger of ledgers) {
    if (ledger.closedMs === 0) break;
    const bySize = retention.sizeBytes !== undefined && total > retention.sizeBytes;
    const byTime = retention.timeMs !== undefined && nowMs - ledger.closedMs > retention.timeMs;
    if (!bySize && !byTime) continue;
    expired.push(ledger.ledgerId);
    total -= ledger.size;
  }
  return expired;
}
