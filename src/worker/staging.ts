/**
 * Durable local copies of ASYNC_THROUGH files until they reach the under store: written and
 * fsync'd before the write is acknowledged, so a worker restart loses nothing that was accepted.
 * The worker owns the directory: which files it holds is read once at start and then tracked in
 * memory, so a read does not pay a stat() to learn the file is not staged.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export class StagingArea {
  private readonly staged = new Set<string>();

  constructor(private readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.staged.clear();
    for (const name of await readdir(this.dir)) if (!name.endsWith('.partial')) this.staged.add(name);
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
