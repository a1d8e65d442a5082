/**
 * The page capabilities (cluster/capability.ts PageCapability) a worker has checked, by their MAC:
 * a batch read may name a file of a page by the MAC and the file's index once a batch has brought
 * the token itself, and the token is checked once, not once per read. Whoever can name the MAC
 * holds the token (the MAC is the one unforgeable part of it), so a read named so proves what a
 * read with the file's own capability proves. Tokens are kept until they expire, at most MAX_PAGES
 * of them (the oldest dropped first); a read that names one no longer kept is refused and the
 * client sends the token again.
 */

import { UNKNOWN_PAGE } from '../cluster/batch-read.js';
import {
  type CapabilitySigner,
  fileOfPage,
  macOf,
  type PageCapability,
  type ReadCapability,
} from '../cluster/capability.js';
import { TierfsError } from '../errors.js';

/** Page capabilities kept at most (a page of 256 files each: a few MiB at most). */
export const MAX_PAGES = 256;

export class PageCapabilities {
  private readonly pages = new Map<string, PageCapability>();

  constructor(private readonly signer: CapabilitySigner) {}

  /** Checks `token` (UNAUTHENTICATED when forged, malformed or expired) and keeps it by its MAC. */
  add(token: string, now = Date.now()): void {
    const mac = macOf(token);
    const known = this.pages.get(mac);
    if (known && known.expiresMs > now) return;
    const page = this.signer.verifyPage(token, now);
    this.pages.delete(mac);
    this.pages.set(mac, page);
    this.prune(now);
  }

  /**
   * The read capability file `index` of the page capability `mac` stands for: UNAUTHENTICATED
   * when it has expired, or (detail UNKNOWN_PAGE) when no such page capability is kept; PERMISSION_DENIED
   * when it does not grant that file.
   */
  file(mac: string, index: number, now = Date.now()): ReadCapability {
    const page = this.pages.get(mac);
    if (page && !(page.expiresMs > now)) {
      this.pages.delete(mac);
      throw new TierfsError('UNAUTHENTICATED', 'the page capability has expired: list the directory again');
    }
    if (!page) {
      throw new TierfsError(
        'UNAUTHENTICATED',
        'no page capability of this worker has that MAC: send its token',
        {
          details: { reason: UNKNOWN_PAGE },
        },
      );
    }
    const file = fileOfPage(page, index);
    if (!file)
      throw new TierfsError('PERMISSION_DENIED', `the page capability grants no file at index ${index}`);
    return file;
  }

  /** Drops expired tokens and, past MAX_PAGES, the oldest. */
  private prune(now: number): void {
    for (const [mac, page] of this.pages) {
      if (this.pages.size <= MAX_PAGES && page.expiresMs > now) break;
      this.pages.delete(mac);
    }
  }
}
