/**
 * Leases of short-circuit reads: the pages a local client reads from the worker's page files stay
 * pinned against eviction until the client closes its read or the lease runs out, whichever comes
 * first. A lease id is 128 random bits, tied to one content id.
 */
import { randomBytes } from 'node:crypto';
import type { PinnedPages } from '../cache/page-store.js';

/** The longest a short-circuit read keeps its pages pinned; it falls back to the data port after. */
export const MAX_LEASE_MS = 60_000;

interface Lease {
  /** The content of a one-range lease (open); undefined for a batch lease (openBatch). */
  readonly contentId: string | undefined;
  readonly pinned: readonly PinnedPages[];
  readonly timer: NodeJS.Timeout;
}

export class ShortCircuitLeases {
  private readonly leases = new Map<string, Lease>();

  /** Holds `pinned` until `expiresMs` (at most MAX_LEASE_MS from now); the lease id and its end. */
  open(contentId: string, pinned: PinnedPages, expiresMs: number): { id: string; expiresMs: number } {
    return this.hold(contentId, [pinned], expiresMs);
  }

  /**
   * One lease for the pages of many reads (a batch of small files): held until `expiresMs` (the
   * earliest of their capabilities' ends, at most MAX_LEASE_MS from now), closed by closeBatch.
   */
  openBatch(pinned: readonly PinnedPages[], expiresMs: number): { id: string; expiresMs: number } {
    return this.hold(undefined, pinned, expiresMs);
  }

  /** Unpins a lease's pages; false when there is no such lease for this content (closed, expired). */
  close(id: string, contentId: string): boolean {
    const lease = this.leases.get(id);
    if (!lease || lease.contentId === undefined || lease.contentId !== contentId) return false;
    return this.end(id, lease);
  }

  /** Unpins a batch lease's pages; false when there is no such batch lease (closed, expired). */
  closeBatch(id: string): boolean {
    const lease = this.leases.get(id);
    if (!lease || lease.contentId !== undefined) return false;
    return this.end(id, lease);
  }

  private hold(
    contentId: string | undefined,
    pinned: readonly PinnedPages[],
    expiresMs: number,
  ): { id: string; expiresMs: number } {
    const end = Math.min(expiresMs, Date.now() + MAX_LEASE_MS);
    const id = randomBytes(16).toString('hex');
    const timer = setTimeout(
      () => {
        const lease = this.leases.get(id);
        if (lease) this.end(id, lease);
      },
      Math.max(0, end - Date.now()),
    );
    timer.unref();
    this.leases.set(id, { contentId, pinned, timer });
    return { id, expiresMs: end };
  }

  private end(id: string, lease: Lease): boolean {
    this.leases.delete(id);
    clearTimeout(lease.timer);
    for (const pages of lease.pinned) pages.release();
    return true;
  }

  get size(): number {
    return this.leases.size;
  }

  closeAll(): void {
    for (const [id, lease] of this.leases) this.end(id, lease);
  }
}
