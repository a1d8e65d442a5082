/**
 * The copying commands of `tierfs fs`: copyFromLocal, copyToLocal, cp and load. Files stream one
 * chunk at a time (never whole in memory), several at once; a progress bar runs on stderr when it
 * is a terminal and a one-line summary ends the command either way. A file that fails is reported
 * on its own line and the others go on; the command then exits non-zero.
 */
import { createReadStream, writeFileSync } from 'node:fs';
import { lstat, mkdir, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ListedFile, TierfsClient } from '../client/client.js';
import type { ReadType } from '../cluster/io-types.js';
import type { FileStatus, WriteType } from '../cluster/wire.js';
import { formatBytes } from '../config/types.js';
import { isTierfsError, TierfsError, toTierfsError } from '../errors.js';
import { failureMessage } from './failure-report.js';
import { joinPath } from './fs-paths.js';
import { ProgressLine } from './progress-line.js';

export interface TransferOptions {
  readonly threads: number;
  readonly readType?: ReadType;
  readonly writeType?: WriteType;
  /** Replace files that exist at the destination (ALREADY_EXISTS otherwise). */
  readonly overwrite?: boolean;
}

/** One file to move: where from, where to, how big. */
interface FileJob<S, D> {
  readonly source: S;
  readonly destination: D;
  readonly size: number;
}

/** Bytes and files done so far, drawn as a bar on a terminal, summed up in one line at the end. */
class TransferProgress {
  private readonly line: ProgressLine | undefined;
  private readonly started = Date.now();
  private bytes = 0;
  private files = 0;
  failures = 0;

  constructor(totalBytes: number, totalFiles: number) {
    if (process.stderr.isTTY) this.line = new ProgressLine(process.stderr, totalBytes, totalFiles);
  }

  /** One more file to copy, found by a listing still going on. */
  found(size: number): void {
    this.line?.grow(size, 1);
  }

  /** Removes the bar without a summary (the command failed as a whole). */
  abandon(): void {
    this.line?.stop();
  }

  counter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.bytes += chunk.length;
        this.line?.update(this.bytes, this.files);
        callback(null, chunk);
      },
    });
  }

  /** Counts the chunks of a stream as they pass (no Transform in between). */
  async *counted(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      this.bytes += chunk.length;
      this.line?.update(this.bytes, this.files);
      yield chunk;
    }
  }

  fileDone(): void {
    this.files++;
    this.line?.update(this.bytes, this.files);
  }

  /** Reports a file that failed on its own line, above the bar, where it stays. */
  failed(error: unknown): void {
    this.failures++;
    process.exitCode = 1;
    const line = `tierfs: ${failureMessage(transferError(error))}`;
    if (this.line) this.line.note(line);
    else process.stderr.write(`${line}\n`);
  }

  /** Stops the bar and prints `<verb> N files (size) in Xs[, M failed]` on stdout. */
  finish(verb: string, what: string): void {
    this.line?.stop();
    const seconds = ((Date.now() - this.started) / 1000).toFixed(2);
    const failed = this.failures > 0 ? `, ${this.failures} failed` : '';
    const files = `${this.files} file${this.files === 1 ? '' : 's'}`;
    process.stdout.write(`${verb} ${files} (${formatBytes(this.bytes)}) ${what} in ${seconds}s${failed}\n`);
  }
}

/** A file that exists where a copy goes: name the flag that replaces it. */
function transferError(error: unknown): unknown {
  if (!isTierfsError(error, 'ALREADY_EXISTS')) return error;
  return new TierfsError(
    'ALREADY_EXISTS',
    `${error.message.replace(/ \(use overwrite to replace it\)$/, '')} (use --overwrite to replace it)`,
    { cause: error },
  );
}

/**
 * Runs every job, at most `threads` at a time, with progress; each failure is reported and counted.
 * Jobs may come as a listing finds them (an async iterable): the first are copied while the rest
 * are still being listed, and the totals of the progress bar grow as they come. A failure of the
 * listing itself stops taking new jobs; it is thrown once the jobs already started have finished.
 */
async function runJobs<S, D>(
  jobs: readonly FileJob<S, D>[] | AsyncIterable<FileJob<S, D>>,
  threads: number,
  copy: (job: FileJob<S, D>, progress: TransferProgress) => Promise<void>,
): Promise<TransferProgress> {
  const listed = Array.isArray(jobs) ? (jobs as readonly FileJob<S, D>[]) : undefined;
  const progress = listed
    ? new TransferProgress(
        listed.reduce((sum, job) => sum + job.size, 0),
        listed.length,
      )
    : new TransferProgress(0, 0);
  const source = listed
    ? listed[Symbol.iterator]()
    : (jobs as AsyncIterable<FileJob<S, D>>)[Symbol.asyncIterator]();
  let listingFailed: { error: unknown } | undefined;
  const take = async (): Promise<FileJob<S, D> | undefined> => {
    if (listingFailed) return undefined;
    try {
      const next = await source.next();
      if (next.done) return undefined;
      if (!listed) progress.found(next.value.size);
      return next.value;
    } catch (error) {
      listingFailed ??= { error };
      return undefined;
    }
  };
  const lane = async () => {
    for (let job = await take(); job; job = await take()) {
      try {
        await copy(job, progress);
        progress.fileDone();
      } catch (error) {
        progress.failed(error);
      }
    }
  };
  const lanes = Math.max(1, listed ? Math.min(threads, listed.length) : threads);
  await Promise.all(Array.from({ length: lanes }, lane));
  if (listingFailed) {
    progress.abandon();
    throw listingFailed.error;
  }
  return progress;
}

async function statusOrUndefined(client: TierfsClient, path: string): Promise<FileStatus | undefined> {
  try {
    return await client.getStatus(path);
  } catch (error) {
    if (isTierfsError(error, 'NOT_FOUND')) return undefined;
    throw error;
  }
}

/** `cp -r` naming: into an existing directory under the source's own name, else the path itself. */
export async function tierfsTarget(
  client: TierfsClient,
  destination: string,
  sourceName: string,
): Promise<string> {
  const existing = await statusOrUndefined(client, destination);
  return existing?.isDirectory ? joinPath(destination, sourceName) : destination;
}

async function localTarget(destination: string, sourceName: string): Promise<string> {
  const existing = await stat(destination).catch(() => undefined);
  return existing?.isDirectory() ? join(destination, sourceName) : destination;
}

/** `entry`'s path relative to the directory `root`. */
function relativeTo(root: FileStatus, entry: FileStatus): string {
  return entry.path.slice(root.path === '/' ? 1 : root.path.length + 1);
}

/** Every directory and file of a tierfs tree, relative to its root (`''` is the root itself). */
async function tierfsTree(client: TierfsClient, root: FileStatus) {
  const dirs: string[] = [''];
  const files: { relative: string; status: FileStatus }[] = [];
  for await (const entry of client.list(root.path, { recursive: true })) {
    const rel = relativeTo(root, entry);
    if (entry.isDirectory) dirs.push(rel);
    else files.push({ relative: rel, status: entry });
  }
  return { dirs, files };
}

/** Every directory and regular file of a local tree, relative to its root. */
async function localTree(root: string) {
  const dirs: string[] = [''];
  const files: { relative: string; size: number }[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const full = join(entry.parentPath, entry.name);
    const rel = relative(root, full);
    if (entry.isDirectory()) dirs.push(rel);
    else if (entry.isFile()) files.push({ relative: rel, size: (await stat(full)).size });
  }
  return { dirs, files };
}

export async function copyFromLocal(
  client: TierfsClient,
  source: string,
  destination: string,
  options: TransferOptions,
): Promise<void> {
  const info = await lstat(source).catch((error: unknown) => {
    throw toTierfsError(error, source);
  });
  const target = await tierfsTarget(client, destination, basename(source));
  let jobs: FileJob<string, string>[];
  if (info.isDirectory()) {
    const tree = await localTree(source);
    for (const dir of tree.dirs)
      await client.mkdir(joinPath(target, dir), { recursive: true, allowExists: true });
    jobs = tree.files.map((f) => ({
      source: join(source, f.relative),
      destination: joinPath(target, f.relative),
      size: f.size,
    }));
  } else if (info.isFile()) {
    jobs = [{ source, destination: target, size: info.size }];
  } else {
    throw new TierfsError('INVALID_ARGUMENT', `${source} is neither a file nor a directory`);
  }
  const progress = await runJobs(jobs, options.threads, async (job, progress) => {
    const counter = progress.counter();
    const out = await client.createFile(job.destination, {
      writeType: options.writeType,
      recursive: true,
      overwrite: options.overwrite,
    });
    await pipeline(createReadStream(job.source), counter, out);
  });
  progress.finish('Copied', `from ${source} to ${target}`);
}

export async function copyToLocal(
  client: TierfsClient,
  source: string,
  destination: string,
  options: TransferOptions,
): Promise<void> {
  const root = await client.getStatus(source);
  const target = await localTarget(destination, root.name || 'root');
  let jobs: FileJob<ListedFile, string>[] | AsyncIterable<FileJob<ListedFile, string>>;
  if (root.isDirectory) {
    // Statuses and read capabilities a page at a time (no call to the master per file); the files
    // of a page are copied while the next page is listed. A directory is listed (breadth-first)
    // before anything below it, so it is made before any file that goes into it.
    // The target is made once the first page is there: a listing refused outright leaves nothing.
    jobs = (async function* () {
      let made = false;
      for await (const entry of client.listForRead(root.path, {
        recursive: true,
        concurrency: options.threads,
      })) {
        if (!made) {
          await mkdir(target, { recursive: true });
          made = true;
        }
        const destination = join(target, relativeTo(root, entry.status));
        if (entry.status.isDirectory) await mkdir(destination, { recursive: true });
        else yield { source: entry, destination, size: entry.status.size };
      }
      if (!made) await mkdir(target, { recursive: true });
    })();
  } else {
    jobs = [{ source: { status: root }, destination: target, size: root.size }];
  }
  const progress = await runJobs(jobs, options.threads, async (job, progress) => {
    const input = await client.readListed(job.source, { readType: options.readType });
    try {
      await writeLocal(job.destination, progress.counted(input), job.size);
    } catch (error) {
      input.destroy();
      const existed = (error as { code?: unknown }).code === 'EEXIST';
      if (!existed) await unlink(job.destination).catch(() => undefined);
      throw toTierfsError(error, job.destination);
    }
  });
  progress.finish('Copied', `from ${root.path} to ${target}`);
}

/** Files up to this size are collected and written with one synchronous open, write and close. */
const SMALL_FILE_BYTES = 256 * 1024;

/**
 * Writes a new local file (EEXIST when there is one) from its chunks. A small file is collected
 * and written at once: three system calls, where a write stream and pipeline (or even the
 * thread-pool round trips of fs.promises) cost a directory of small files more than its bytes.
 * One that turns out bigger than it was listed streams on.
 */
export async function writeLocal(
  path: string,
  chunks: AsyncGenerator<Buffer>,
  listedSize: number,
): Promise<void> {
  const collected: Buffer[] = [];
  let size = 0;
  let next = listedSize <= SMALL_FILE_BYTES ? await chunks.next() : undefined;
  for (; next && !next.done; next = await chunks.next()) {
    collected.push(next.value);
    size += next.value.length;
    if (size > SMALL_FILE_BYTES) break;
  }
  if (next?.done) {
    writeFileSync(path, collected.length === 1 ? collected[0]! : Buffer.concat(collected, size), {
      flag: 'wx',
    });
    return;
  }
  await writeFile(
    path,
    (async function* () {
      yield* collected;
      yield* chunks;
    })(),
    { flag: 'wx' },
  );
}

/** `cp` inside tierfs: a file, or with `recursive` a directory tree. */
export async function copyWithin(
  client: TierfsClient,
  source: string,
  destination: string,
  options: TransferOptions & { recursive: boolean },
): Promise<void> {
  const root = await client.getStatus(source);
  const target = await tierfsTarget(client, destination, root.name);
  let jobs: FileJob<FileStatus, string>[];
  if (root.isDirectory) {
    if (!options.recursive) {
      throw new TierfsError('IS_A_DIRECTORY', `${root.path} is a directory (use cp -R to copy it)`);
    }
    if (target === root.path || target.startsWith(`${root.path === '/' ? '' : root.path}/`)) {
      throw new TierfsError('INVALID_ARGUMENT', `cannot copy ${root.path} into itself (${target})`);
    }
    const tree = await tierfsTree(client, root);
    for (const dir of tree.dirs)
      await client.mkdir(joinPath(target, dir), { recursive: true, allowExists: true });
    jobs = tree.files.map((f) => ({
      source: f.status,
      destination: joinPath(target, f.relative),
      size: f.status.size,
    }));
  } else {
    jobs = [{ source: root, destination: target, size: root.size }];
  }
  const progress = await runJobs(jobs, options.threads, async (job, progress) => {
    const counter = progress.counter();
    const input = await client.openStatus(job.source, { readType: options.readType });
    const out = await client.createFile(job.destination, {
      writeType: options.writeType,
      recursive: true,
      overwrite: options.overwrite,
    });
    await pipeline(input, counter, out);
  });
  progress.finish('Copied', `from ${root.path} to ${target}`);
}

/** `load`: reads every file under a path through the cache so later reads are served from it. */
export async function load(client: TierfsClient, path: string, options: TransferOptions): Promise<void> {
  const root = await client.getStatus(path);
  const files = root.isDirectory ? (await tierfsTree(client, root)).files.map((f) => f.status) : [root];
  const jobs = files.map((status) => ({ source: status, destination: undefined, size: status.size }));
  const progress = await runJobs(jobs, options.threads, async (job, progress) => {
    const counter = progress.counter();
    const input = await client.openStatus(job.source, { readType: options.readType ?? 'CACHE' });
    await pipeline(input, counter, new Writable({ write: (_chunk, _encoding, callback) => callback() }));
  });
  progress.finish('Loaded', `under ${root.path}`);
}
