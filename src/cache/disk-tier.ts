/**
 * Page files on local disk, laid out as Alluxio's LocalPageStore does,
 * `<dir>/<pageSize>/<bucket>/<fileId>/<pageIndex>`, except page 0, which lies beside the file
 * directories as `<dir>/<pageSize>/<bucket>/<fileId>.0`: a file of one page (most small files)
 * needs no directory of its own, so caching it costs no `mkdir` and freeing it no `rmdir`. A page
 * is written to a temp file beside its final name and renamed into place, so a crash leaves either
 * the old state or a whole page, never a torn page under a valid name; left-over temp files are
 * removed by the next scan. Every operation on one page path runs in issue order (KeyedQueue).
 *
 * Page files are read and written through plain file descriptors, on the event loop for the MEM
 * tier's RAM disk (`sync`, see page-io.ts).
 */
import { copyFile, mkdir, open, readdir, rename, rmdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checksum } from './checksum.js';
import { KeyedQueue } from './keyed-queue.js';
import {
  declaredHeaderLength,
  decodeHeader,
  encodeHeader,
  headerLength,
  type PageHeader,
} from './page-file.js';
import { EVENT_LOOP_IO, PAGE_DIR_MODE, type PageIoOptions, THREAD_POOL_IO, writeAll } from './page-io.js';
import { bucketOf, fileIdOf } from './page-key.js';

const TEMP_SUFFIX = '.tmp';
/** The name of page 0 of a file in its bucket directory: `<fileId>.0`. */
const FIRST_PAGE = /^([0-9a-f]{32})\.0$/;

/**
 * Page files and directories: the worker's user and group may read them (a short-circuit reader in
 * the worker's group, see docs/cache.md), other users may not (the umask can only narrow this).
 */
const PAGE_FILE_MODE = 0o640;
const TYPICAL_HEADER_BYTES = 512;

export interface PageIdentity {
  readonly fileKey: string;
  readonly fileId: string;
  readonly pageIndex: number;
  readonly size: number;
  readonly crc: number;
}

/**
 * `corrupt`: the file fails its checks; `missing`: there is no file; `failed`: the file could not be
 * read (e.g. EIO, EMFILE), which says nothing about the page itself.
 */
export type PageRead =
  | { readonly kind: 'ok'; readonly data: Buffer }
  | { readonly kind: 'corrupt' | 'missing' | 'failed' };

/** A page file found by a scan. */
export interface ScannedPage extends PageIdentity {
  readonly dir: string;
  readonly mtimeMs: number;
}

export interface ScanResult {
  readonly pages: ScannedPage[];
  /** Temp files of interrupted writes, removed. */
  readonly removedTemp: number;
  /** Files with a bad header, a wrong size or a wrong place, removed. */
  readonly removedInvalid: number;
}

/** Enough for the page directories of many thousand cached files; cleared when full. */
const MAX_KNOWN_DIRS = 10_000;

export class DiskTier {
  private readonly queue = new KeyedQueue();
  /**
   * Page directories known to exist. Syscalls are the cost of a page write here, and `mkdir -p`
   * alone is several; a directory removed by free() shows up as ENOENT and is made again.
   */
  private readonly knownDirs = new Set<string>();
  /**
   * Temp names: this process's id and a counter, unique among the writes of this store (operations
   * on one page path run one at a time anyway); cheaper than random bytes per page.
   */
  private readonly tempPrefix = `${process.pid.toString(36)}-`;
  private temps = 0;

  constructor(
    private readonly pageSize: number,
    private readonly buckets: number,
  ) {}

  private bucketDir(dir: string, fileId: string): string {
    return join(dir, String(this.pageSize), String(bucketOf(fileId, this.buckets)));
  }

  /** The directory of a file's pages after the first. */
  fileDir(dir: string, fileId: string): string {
    return join(this.bucketDir(dir, fileId), fileId);
  }

  pathOf(dir: string, page: Pick<PageIdentity, 'fileId' | 'pageIndex'>): string {
    if (page.pageIndex === 0) return join(this.bucketDir(dir, page.fileId), `${page.fileId}.0`);
    return join(this.fileDir(dir, page.fileId), String(page.pageIndex));
  }

  /** Writes the page (one buffer, or chunks written as they are) via a temp file and a rename. Rejects when the write fails. */
  write(
    path: string,
    page: PageIdentity,
    bytes: Buffer | readonly Uint8Array[],
    options: PageIoOptions = {},
  ): Promise<void> {
    const io = options.sync ? EVENT_LOOP_IO : THREAD_POOL_IO;
    return this.queue.run(path, async () => {
      const parts: readonly Uint8Array[] = bytes instanceof Uint8Array ? [bytes] : bytes;
      const header = encodeHeader(page.fileKey, page.pageIndex, page.size, page.crc);
      const temp = `${path}.${this.tempPrefix}${(this.temps++).toString(36)}${TEMP_SUFFIX}`;
      // A concurrent free() may remove the file's directory while we create it or before the temp
      // file is in it: try again.
      for (let attempt = 1; ; attempt++) {
        try {
          const dir = dirname(path);
          if (!this.knownDirs.has(dir) || attempt > 1) {
            await io.mkdir(dir);
            if (this.knownDirs.size >= MAX_KNOWN_DIRS) this.knownDirs.clear();
            this.knownDirs.add(dir);
          }
          const fd = await io.open(temp, 'wx', PAGE_FILE_MODE);
          try {
            await writeAll(io, fd, [header, ...parts]);
          } finally {
            await io.close(fd);
          }
          break;
        } catch (error) {
          await unlink(temp).catch(() => undefined);
          if (attempt >= 3 || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
      try {
        await io.rename(temp, path);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw error;
      }
    });
  }

  /**
   * Reads the page and checks its header, length and checksum (unless `verify: false`: a page in
   * memory, on tmpfs) against what the index expects. The
   * expected file size is known, so one read of that size plus one byte (to see a longer file) does.
   */
  read(
    path: string,
    expected: PageIdentity,
    options: { verify?: boolean } & PageIoOptions = {},
  ): Promise<PageRead> {
    const io = options.sync ? EVENT_LOOP_IO : THREAD_POOL_IO;
    return this.queue.run(path, async (): Promise<PageRead> => {
      const size = headerLength(expected.fileKey) + expected.size;
      const bytes = Buffer.allocUnsafe(size + 1);
      let read: number;
      try {
        const fd = await io.open(path, 'r');
        try {
          read = await io.read(fd, bytes, size + 1, 0);
        } finally {
          await io.close(fd);
        }
      } catch (error) {
        return { kind: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'failed' };
      }
      const header = decodeHeader(bytes);
      if (read !== size || !header || !matches(header, expected)) return { kind: 'corrupt' };
      const data = bytes.subarray(header.headerLength, size);
      if (options.verify === false) return { kind: 'ok', data };
      return checksum(data) === expected.crc ? { kind: 'ok', data } : { kind: 'corrupt' };
    });
  }

  /**
   * Moves a page file to another directory (a MEM page on tmpfs demoted to DISK): the kernel copies
   * it to a temp file beside `to`, which is renamed into place, and `from` is removed. The header is
   * the same in every tier, so no byte passes through this process. Ordered after the operations
   * issued on `from` before it, and before those issued on either path after it.
   */
  move(from: string, to: string): Promise<void> {
    const ready = this.settled(from);
    const moved = this.queue.run(to, async () => {
      await ready;
      const temp = `${to}.${this.tempPrefix}${(this.temps++).toString(36)}${TEMP_SUFFIX}`;
      // A concurrent free() may remove the file's directory while we make it or copy into it: try again.
      for (let attempt = 1; ; attempt++) {
        try {
          await mkdir(dirname(to), { recursive: true, mode: PAGE_DIR_MODE });
          await copyFile(from, temp);
          await rename(temp, to);
          return;
        } catch (error) {
          await unlink(temp).catch(() => undefined);
          if (attempt >= 3 || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
    });
    void this.queue.run(from, async () => {
      await moved.catch(() => undefined);
      await unlink(from).catch(() => undefined);
    });
    return moved;
  }

  /** Whether an operation on `path` is queued or running (settled() would wait for it). */
  busy(path: string): boolean {
    return this.queue.busy(path);
  }

  /** Resolves once every operation on the page issued so far has finished. */
  settled(path: string): Promise<void> {
    return this.queue.run(path, async () => undefined);
  }

  /** Removes the page file; a missing file is fine. */
  remove(path: string): Promise<void> {
    return this.queue.run(path, () => unlink(path).catch(() => undefined));
  }

  /** Removes a file's page directory if it is empty. */
  async removeFileDir(dir: string, fileId: string): Promise<void> {
    await rmdir(this.fileDir(dir, fileId)).catch(() => undefined);
  }

  /** Resolves once every file operation issued so far has finished. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /**
   * Finds the pages under `dir` (for this page size) and removes temp files and invalid page
   * files. Only headers are read; page checksums are checked when a page is read.
   */
  async scan(dir: string): Promise<ScanResult> {
    const root = join(dir, String(this.pageSize));
    const pages: ScannedPage[] = [];
    let removedTemp = 0;
    let removedInvalid = 0;
    const check = async (path: string, name: string, bucket: string, fileId: string) => {
      const page = await this.inspect(dir, path, bucket, fileId, name);
      if (page) {
        pages.push(page);
      } else {
        await unlink(path).catch(() => undefined);
        removedInvalid++;
      }
    };
    for (const bucket of await listDir(root)) {
      const bucketDir = join(root, bucket);
      for (const entry of await listEntries(bucketDir)) {
        const path = join(bucketDir, entry.name);
        if (!entry.isDirectory()) {
          // Page 0 of a file (`<fileId>.0`), a temp file of one, or nothing of ours.
          if (entry.name.endsWith(TEMP_SUFFIX)) {
            await unlink(path).catch(() => undefined);
            removedTemp++;
            continue;
          }
          const fileId = FIRST_PAGE.exec(entry.name)?.[1];
          if (fileId !== undefined) await check(path, '0', bucket, fileId);
          else {
            await unlink(path).catch(() => undefined);
            removedInvalid++;
          }
          continue;
        }
        const fileId = entry.name;
        for (const name of await listDir(path)) {
          const pagePath = join(path, name);
          if (name.endsWith(TEMP_SUFFIX)) {
            await unlink(pagePath).catch(() => undefined);
            removedTemp++;
            continue;
          }
          if (name === '0') {
            // Page 0 where the layout before the flat first page kept it: moved to its place now.
            const flat = join(bucketDir, `${fileId}.0`);
            if (
              FIRST_PAGE.test(`${fileId}.0`) &&
              (await rename(pagePath, flat).then(
                () => true,
                () => false,
              ))
            ) {
              await check(flat, '0', bucket, fileId);
              continue;
            }
          }
          await check(pagePath, name, bucket, fileId);
        }
      }
    }
    return { pages, removedTemp, removedInvalid };
  }

  private async inspect(
    dir: string,
    path: string,
    bucket: string,
    fileId: string,
    name: string,
  ): Promise<ScannedPage | undefined> {
    if (!/^\d+$/.test(name) || String(bucketOf(fileId, this.buckets)) !== bucket) return undefined;
    const handle = await open(path, 'r').catch(() => undefined);
    if (!handle) return undefined;
    try {
      const info = await handle.stat();
      const readHead = async (length: number) => {
        const head = Buffer.alloc(Math.min(length, info.size));
        await handle.read(head, 0, head.length, 0);
        return head;
      };
      // Most file keys are short: one small read, and a second one only for a long key.
      let head = await readHead(TYPICAL_HEADER_BYTES);
      const declared = declaredHeaderLength(head);
      if (declared !== undefined && declared > head.length) head = await readHead(declared);
      const header = decodeHeader(head);
      if (
        !header ||
        String(header.pageIndex) !== name ||
        fileIdOf(header.fileKey) !== fileId ||
        header.length > this.pageSize ||
        info.size !== header.headerLength + header.length
      ) {
        return undefined;
      }
      return {
        dir,
        fileKey: header.fileKey,
        fileId,
        pageIndex: header.pageIndex,
        size: header.length,
        crc: header.crc,
        mtimeMs: info.mtimeMs,
      };
    } catch {
      return undefined;
    } finally {
      await handle.close();
    }
  }
}

function matches(header: PageHeader, expected: PageIdentity): boolean {
  return (
    header.crc === expected.crc &&
    header.length === expected.size &&
    header.pageIndex === expected.pageIndex &&
    header.fileKey === expected.fileKey
  );
}

/** Entries (with their types) of a directory, or none when it does not exist or is not a directory. */
function listEntries(path: string) {
  return readdir(path, { withFileTypes: true }).catch(() => []);
}

/** Entries of a directory, or none when it does not exist or is not a directory. */
function listDir(path: string): Promise<string[]> {
  return readdir(path).catch(() => []);
}
