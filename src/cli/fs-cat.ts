/**
 * `tierfs fs cat`: each path's bytes to stdout, as `cat` writes them. Run by the `fs` command group
 * (fs.ts) and, for a plain `fs cat <path...>` command line, by main.ts without commander or the
 * group (early-fs.ts): this module loads only what the copy needs.
 */
import type { Readable } from 'node:stream';
import type { ReadType } from '../cluster/io-types.js';
import { copyPages } from '../cluster/short-circuit.js';
import { forEachReporting } from './failure-report.js';
import { pipeToFd, writeWhole } from './fd-pipe.js';
import type { Targets } from './fs-targets.js';

/** A read already opened: `raw`'s, the first path (early-fs.ts). */
export interface StartedRead {
  readonly raw: string;
  /** Settles as `openFile` does; a failure is handled by whoever awaits it. */
  readonly opening: Promise<Readable>;
}

/**
 * Writes each path's bytes to stdout in turn; a path that fails is reported on its own `tierfs:`
 * line and the others are written (exit 1), as for every command over several paths.
 */
export async function catPaths(
  paths: readonly string[],
  readType: ReadType | undefined,
  targets: Targets,
  started?: StartedRead,
): Promise<void> {
  let early = started;
  await forEachReporting(paths, async (raw) => {
    const taken = early?.raw === raw ? early : undefined;
    early = undefined;
    if (taken) return writeToStdout(await taken.opening);
    const { client, path } = targets(raw);
    return writeToStdout(await client.openFile(path, { readType }));
  });
}

/** Writes `stream` to stdout as `cat` does (`fs cat`, `head`, `tail`). */
export async function writeToStdout(stream: Readable): Promise<void> {
  const fd = process.stdout.fd;
  // A pipe or socket on stdout (a spawning Node process gives a socketpair) is non-blocking once
  // Node made process.stdout over it: a 1 MiB write stops at the buffer's 64–208 KiB with EAGAIN,
  // and the rest (of the page, or of the whole read for pipeToFd) goes out 64 KiB at a time through
  // the stream. Blocking, as `cat`'s is, one write(2) or writev(2) takes the whole chunk, from the
  // first one on (Node's stdout on a pipe writes synchronously anyway).
  (
    process.stdout as unknown as { _handle?: { setBlocking?: (on: boolean) => number } }
  )._handle?.setBlocking?.(true);
  try {
    // Pages read from the worker's files go out from one reused buffer, chunk by chunk, as `cat`'s.
    const copying = copyPages(stream, (chunk) => writeWhole(fd, chunk, process.stdout));
    if (copying) {
      stream.destroy(); // not read: copyPages holds the lease and reads the pages
      const rest = await copying; // a page that could not be read here: the rest from the data port
      if (rest) await pipeToFd(rest, fd, { fallback: process.stdout });
      return;
    }
    await pipeToFd(stream, fd, { fallback: process.stdout });
  } catch (error) {
    // A reader that went away: the same quiet exit as any other write to stdout (main.ts).
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') process.stdout.emit('error', error);
    throw error;
  }
}
