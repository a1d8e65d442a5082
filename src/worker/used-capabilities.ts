/**
 * Write capabilities are good for one write: a second PUT with the same capability (a replay) would
 * rewrite the pages of a file other readers may already see. Each content id written is remembered
 * until its capability expires, after which the capability is refused anyway.
 */
import { TierfsError } from '../errors.js';

export class UsedCapabilities {
  private readonly used = new Map<string, number>();

  /** Records the write of `contentId`; CONFLICT when it was written already. */
  claim(contentId: string, expiresMs: number, now = Date.now()): void {
    this.prune(now);
    if (this.used.has(contentId)) {
      throw new TierfsError('CONFLICT', 'this write capability was used already: create the file again');
    }
    this.used.set(contentId, expiresMs);
  }

  /**
   * Capabilities share one lifetime, so entries expire in the order they were claimed: dropping
   * from the oldest until the first live one keeps a claim from walking every remembered write.
   */
  private prune(now: number): void {
    for (const [contentId, expiresMs] of this.used) {
      if (expiresMs > now) break;
      this.used.delete(contentId);
    }
  }
}
