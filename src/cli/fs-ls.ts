/**
 * `tierfs fs ls`: the lines of each path, a page as it arrives. Run by the `fs` command group
 * (fs.ts) and, for a plain `fs ls` command line, by main.ts without commander or the group
 * (early-fs.ts): this module loads only what listing needs.
 */
import { once } from 'node:events';
import type { LsEntry, TierfsClient } from '../client/client.js';
import { isTierfsError } from '../errors.js';
import { forEachReporting } from './failure-report.js';
import { lsLine } from './fs-format.js';
import type { Targets } from './fs-targets.js';

export interface LsOptions {
  readonly recursive: boolean;
  readonly human: boolean;
}

/** A listing already asked for: the first page of `raw`, the first path (early-fs.ts). */
export interface StartedListing {
  readonly raw: string;
  readonly pages: AsyncGenerator<readonly LsEntry[]>;
  readonly first: Promise<IteratorResult<readonly LsEntry[]>>;
}

/** Lines for stdout gathered and written in one go: one write per page of a listing, not per line. */
export class LineBatch {
  private text = '';

  add(line: string): void {
    this.text += `${line}\n`;
  }

  /** Writes what is gathered, waiting while the reader is behind. */
  async flush(): Promise<void> {
    if (this.text === '') return;
    const text = this.text;
    this.text = '';
    if (!process.stdout.write(text)) await once(process.stdout, 'drain');
  }
}

/**
 * Writes the `ls` lines of every entry below a directory, depth first (each directory followed by
 * its contents), each file with the bytes of it the workers' caches hold, a page as it arrives.
 */
async function listInto(
  batch: LineBatch,
  client: TierfsClient,
  dir: string,
  options: LsOptions,
  pages: AsyncIterable<readonly LsEntry[]> = client.listLsPages(dir, { cached: true }),
): Promise<void> {
  for await (const entries of pages) {
    for (const entry of entries) {
      batch.add(lsLine(entry, options.human));
      if (options.recursive && entry.isDirectory) await listInto(batch, client, entry.path, options);
    }
    await batch.flush();
  }
}

/** The pages of a listing whose first page was already taken from it. */
async function* resumed<T>(first: IteratorResult<T>, rest: AsyncIterator<T>): AsyncGenerator<T> {
  if (first.done) return;
  yield first.value;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

/**
 * Lists each path in order, each failure reported on its own `tierfs:` line (and exit status 1)
 * and the others listed. `started`: the first path's listing, already asked for.
 */
export function listPaths(
  paths: readonly string[],
  options: LsOptions,
  target: Targets,
  started?: StartedListing,
): Promise<void> {
  let early = started;
  return forEachReporting(paths, async (raw) => {
    const { client, path } = target(raw);
    // The first page is asked for at once, not after a getStatus: one master call fewer, and
    // the master looks up a directory it does not know yet and starts listing it together.
    // A file answers NOT_A_DIRECTORY and is shown by its status.
    const taken = early?.raw === raw ? early : undefined;
    early = undefined;
    const pages = taken?.pages ?? client.listLsPages(path, { cached: true });
    let first: IteratorResult<readonly LsEntry[]>;
    try {
      first = await (taken?.first ?? pages.next());
    } catch (error) {
      if (!isTierfsError(error, 'NOT_A_DIRECTORY')) throw error;
      process.stdout.write(`${lsLine(await client.getStatus(path, { cached: true }), options.human)}\n`);
      return;
    }
    await listInto(new LineBatch(), client, path, options, resumed(first, pages));
  });
}
