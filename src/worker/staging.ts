/**
 * Durable local copies of ASYNC_THROUGH files until they reach the under store: written and
 * fsync'd before the write is acknowledged, so a worker restart loses nothing that was accepted.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

export class StagingArea {
  constructor(private readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
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
      },
      discard: async () => {
        await handle.close().catch(() => undefined);
        await rm(temp, { force: true });
      },
    };
  }

  async has(contentId: string): Promise<boolean> {
    return stat(this.file(contentId)).then(
      () => true,
      () => false,
    );
  }

  open(contentId: string, offset: number, length: number): ReadStream {
    return createReadStream(this.file(contentId), { start: offset, end: offset + length - 1 });
  }

  /** Files staged and not yet persisted (partial writes excluded). */
  async count(): Promise<number> {
    return (await readdir(this.dir)).filter((name) => !name.endsWith('.partial')).length;
  }

  async remove(contentId: string): Promise<void> {
    await rm(this.file(contentId), { force: true });
  }
}
