/**
 * Durable local copies of ASYNC_THROUGH files until they reach the under store: written and
 * fsync'd before the write is acknowledged, so a worker restart loses nothing that was accepted.
 * The worker owns the directory: which files it holds is read once at start and then tracked in
 * memory, so a read does not pay a stat() to learn the file is not staged.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Content ids asked about per call to the master. */
const SWEEP_BATCH = 500;

export class StagingArea {
  private readonly staged = new Set<string>();

  constructor(private readonly dir: string) {}

  /**
   * Reads what is staged. Partial copies are removed: the worker owns the directory, so at start
   * no write is in flight and a partial copy is what a killed worker left of an unacknowledged one.
   */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.staged.clear();
    for (const name of await readdir(this.dir)) {
      if (name.endsWith('.partial')) await rm(join(this.dir, name), { force: true });
      else this.staged.add(name);
    }
  }

  /**
   * Removes staged copies older than `olderThanMs` that no file needs any more (replaced or deleted
   * before they were persisted, or persisted and the notice lost): `needed` asks the master which
   * of them still are. Resolves to the number removed.
   */
  async sweep(olderThanMs: number, needed: (contentIds: string[]) => Promise<string[]>): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    const old: string[] = [];
    for (const contentId of this.staged) {
      const info = await stat(this.file(contentId)).catch(() => undefined);
      if (info && info.mtimeMs < cutoff) old.push(contentId);
    }
    let removed = 0;
    for (let at = 0; at < old.length; at += SWEEP_BATCH) {
      const batch = old.slice(at, at + SWEEP_BATCH);
      const keep = new Set(await needed(batch));
      for (const contentId of batch) {
        if (keep.has(contentId)) continue;
        await this.remove(contentId);
        removed++;
      }
    }
    return removed;
  }

  private file(contentId: string): string {
    if (!/^[\w-]+$/.test(contentId)) throw new Error(`bad content id '${contentId}'`);
    return join(this.dir, contentId);
  }

  /** Starts a staged copy; `commit` makes it durable under its name, `discard` removes it. */
  async begin(contentId: string) {
    const final = this.file(contentId);
    const temp = `${final}.partial`;
    const handle = await open(temp, 'w', 0o600);
    return {
      write: async (chunk: Buffer) => {
        await handle.write(chunk);
      },
      commit: async () => {
        await handle.sync();
        await handle.close();
        await rename(temp, final);
        this.staged.add(contentId);
      },
      discard: async () => {
        await handle.close().catch(() => undefined);
        await rm(temp, { force: true });
      },
    };
  }

  has(contentId: string): boolean {
    return this.staged.has(contentId);
  }

  /** Where the staged copy of a file lies (check `has` first). */
  pathOf(contentId: string): string {
    return this.file(contentId);
  }

  open(contentId: string, offset: number, length: number): ReadStream {
    return createReadStream(this.file(contentId), { start: offset, end: offset + length - 1 });
  }

  /** Files staged and not yet persisted (partial writes excluded). */
  count(): number {
    return this.staged.size;
  }

  async remove(contentId: string): Promise<void> {
    this.staged.delete(contentId);
    await rm(this.file(contentId), { force: true });
  }
}
