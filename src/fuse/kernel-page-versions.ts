/**
 * Which version of each file the kernel's page cache of the mount may hold, by tierfs path: an
 * open keeps the pages (FOPEN_KEEP_CACHE) exactly when the version it opens is the one they were
 * read from, and otherwise has the kernel drop them (an open without keep_cache), whatever times
 * or sizes did meanwhile. libfuse's `auto_cache` compared the modification time and size instead:
 * a status that came once from a listing (milliseconds) and once from a HEAD (whole seconds) threw
 * away a whole warm file, and a touch elsewhere did too.
 *
 * Bounded: a path forgotten to make room is only read again (its next open drops the kernel's
 * pages, as for a version never seen).
 */
export class KernelPageVersions {
  /** contentId by path; undefined: the kernel's pages of the path are of no known version. */
  private readonly versions = new Map<string, string>();

  constructor(private readonly maxEntries = 100_000) {}

  /**
   * An open of `path` at version `contentId`: whether the kernel may keep the pages it holds of
   * the file (true: they are of this version); when not, they are dropped and will be of it.
   */
  open(path: string, contentId: string): boolean {
    if (this.versions.get(path) === contentId) return true;
    this.versions.delete(path);
    this.versions.set(path, contentId);
    if (this.versions.size > this.maxEntries) {
      const oldest = this.versions.keys().next().value;
      if (oldest !== undefined) this.versions.delete(oldest);
    }
    return false;
  }

  /**
   * Bytes of `contentId` were read into the kernel's pages of `path`: when the pages are said to
   * be of another version (a handle opened before a change goes on reading its own), they are of
   * no known version now, and the next open drops them.
   */
  read(path: string, contentId: string): void {
    if (this.versions.get(path) !== contentId) this.versions.delete(path);
  }

  /** The pages of `path` (and, with `tree`, of everything below it) are of no known version. */
  forget(path: string, tree = false): void {
    this.versions.delete(path);
    if (!tree) return;
    const prefix = path === '/' ? '/' : `${path}/`;
    for (const known of this.versions.keys()) {
      if (known.startsWith(prefix)) this.versions.delete(known);
    }
  }

  get size(): number {
    return this.versions.size;
  }
}
