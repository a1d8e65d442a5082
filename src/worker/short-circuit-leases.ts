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
  readonly contentId: string;
  readonly pinned: PinnedPages;
  readonly timer: NodeJS.Timeout;
}

export class ShortCircuitLeases {
  private readonly leases = new Map<string, Lease>();

  /** Holds `pinned` until `expiresMs` (at most MAX_LEASE_MS from now); the lease id and its end. */
  open(contentId: string, pinned: PinnedPages, expiresMs: number): { id: string; expiresMs: number } {
    const end = Math.min(expiresMs, Date.now() + MAX_LEASE_MS);
    const id = randomBytes(16).toString('hex');
    const timer = setTimeout(() => this.close(id, contentId), Math.max(0, end - Date.now()));
    timer.unref();
    this.leases.set(id, { contentId, pinned, timer });
    return { id, expiresMs: end };
  }

  /** Unpins a lease's pages; false when there is no such lease for this content (closed, expired). */
  close(id: string, contentId: string): boolean {
    const lease = this.leases.get(id);
    if (!lease || lease.contentId !== contentId) return false;
    this.leases.delete(id);
    clearTimeout(lease.timer);
    lease.pinned.release();
    return true;
  }

  get size(): number {
    return this.leases.size;
  }

  closeAll(): void {
    for (const [id, lease] of this.leases) this.close(id, lease.contentId);
  }
}
