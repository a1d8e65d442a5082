/**
 * Removes the temporary objects persists and CACHE_THROUGH/THROUGH writes leave when their master,
 * worker or client dies mid-attempt: each is
 * recorded in the metadata store before it is written, so the sweep reads the records older than
 * the clean age that no live claim owns and removes those objects, never listing an under store.
 * With `tierfs.underfs.cleanup.enabled` (the default), each writable store's own cleanup runs too
 * (partial files of local writes a killed worker left, stale multipart uploads): at the first sweep
 * and then every `tierfs.underfs.cleanup.interval`. Runs when the master starts and then every
 * clean interval. Of several masters, the one holding the `sweep` lease in the metadata store
 * sweeps; another takes over when it stops renewing it (it died).
 */
import type { Logger } from 'pino';
import { isTierfsError } from '../errors.js';
import type { MetaStore } from '../meta/store.js';
import type { MountTable } from '../namespace/mount-table.js';
import { recoverWriteCommits } from '../namespace/write-commit.js';

export class PersistSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private storesCleanedMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly meta: MetaStore,
    private readonly mounts: MountTable,
    private readonly ageMs: number,
    private readonly intervalMs: number,
    /** Writes not completed within this (their capability's lifetime) are abandoned. */
    private readonly abandonedAfterMs: number,
    /** How often each writable store's own cleanup runs too; undefined: never (tierfs.underfs.cleanup.*). */
    private readonly ufsCleanupIntervalMs: number | undefined,
    private readonly log: Logger,
    /** This master's identity as a lease holder. */
    private readonly owner: string,
  ) {}

  start(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One sweep now (joining one under way); resolves to the number of objects removed. */
  sweep(): Promise<number> {
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async round(): Promise<number> {
    const now = Date.now();
    // Held across two intervals, renewed every round: lost only when this master stops sweeping.
    const leaseMs = 2 * this.intervalMs + 10_000;
    if (!(await this.meta.acquireLease('sweep', this.owner, { nowMs: now, leaseMs }))) return 0;
    await this.mounts.refresh();
    // Writes whose master died while it moved their object into place, before they are abandoned.
    const recovered = await recoverWriteCommits(this.meta, this.mounts, now);
    if (recovered > 0) this.log.info({ recovered }, 'settled writes whose master died while committing them');
    // Abandoned writes next: the staged copies they held become leftovers the workers sweep.
    const abandoned = await this.meta.dropAbandonedWrites(now - this.abandonedAfterMs);
    if (abandoned > 0) this.log.info({ abandoned }, 'dropped writes abandoned before they completed');
    let removed = 0;
    for (;;) {
      const leftovers = await this.meta.listLeftoverTemporaries({
        // A write's temporary object is being written until the write is abandoned (its
        // capability's lifetime), with nothing in the store to say so: none is swept younger.
        createdBeforeMs: now - Math.max(this.ageMs, this.abandonedAfterMs),
        nowMs: now,
        limit: 100,
      });
      if (leftovers.length === 0) break;
      for (const leftover of leftovers) {
        try {
          const mount = this.mounts.get(leftover.mountPath);
          // A mount that went away took its objects' fate with it: nothing of tierfs's to remove.
          if (mount && !mount.readOnly) {
            await (await this.mounts.store(mount)).delete(leftover.ufsPath).catch((error: unknown) => {
              if (!isTierfsError(error, 'NOT_FOUND')) throw error;
            });
          }
          await this.meta.removeTemporary(leftover.mountPath, leftover.ufsPath);
          removed++;
        } catch (error) {
          this.log.warn(
            { path: leftover.ufsPath, err: (error as Error).message },
            'sweeping a temporary object failed',
          );
          return removed; // The store is unwell: the next sweep tries again.
        }
      }
    }
    if (this.ufsCleanupIntervalMs !== undefined && now - this.storesCleanedMs >= this.ufsCleanupIntervalMs) {
      this.storesCleanedMs = now;
      removed += await this.cleanStores();
    }
    if (removed > 0) this.log.info({ removed }, 'swept leftovers of interrupted writes and persists');
    return removed;
  }

  /** What interrupted writes of killed workers left in each writable store (partial files, uploads). */
  private async cleanStores(): Promise<number> {
    let removed = 0;
    for (const mount of this.mounts.list()) {
      if (mount.readOnly) continue;
      try {
        const store = await this.mounts.store(mount);
        if (!store.capabilities.readOnly && store.cleanup) removed += await store.cleanup();
      } catch (error) {
        this.log.warn({ mount: mount.path, err: (error as Error).message }, 'under store cleanup failed');
      }
    }
    return removed;
  }
}
