/**
 * The syscalls of one page file read or write (open, writev or read, close, rename, mkdir), made
 * either through libuv's thread pool (a disk) or on the event loop (a RAM disk, whose syscalls
 * never wait for a device: four syscalls instead of four thread wake-ups and context switches).
 * Both use plain file descriptors, no FileHandle objects.
 */
import {
  close as closeCb,
  closeSync,
  mkdirSync,
  open as openCb,
  openSync,
  read as readCb,
  readSync,
  renameSync,
  writev as writevCb,
  writevSync,
} from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { promisify } from 'node:util';

/** Page directories: the worker's user and group may read them (see disk-tier.ts). */
export const PAGE_DIR_MODE = 0o750;

/** How a page file is read or written: `sync` for a RAM disk. */
export interface PageIoOptions {
  readonly sync?: boolean;
}

const openFd = promisify(openCb);
const closeFd = promisify(closeCb);
const writevFd = promisify(writevCb);
const readFd = promisify(readCb);

/** The syscalls of a page read or write, made through the thread pool or on the event loop. */
export interface PageIo {
  open(path: string, flags: string, mode?: number): number | Promise<number>;
  writev(fd: number, buffers: NodeJS.ArrayBufferView[]): number | Promise<number>;
  read(fd: number, buffer: Buffer, length: number, position: number): number | Promise<number>;
  close(fd: number): void | Promise<void>;
  rename(from: string, to: string): void | Promise<void>;
  mkdir(dir: string): unknown;
}

export const THREAD_POOL_IO: PageIo = {
  open: (path, flags, mode) => openFd(path, flags, mode),
  writev: async (fd, buffers) => (await writevFd(fd, buffers)).bytesWritten,
  read: async (fd, buffer, length, position) => (await readFd(fd, buffer, 0, length, position)).bytesRead,
  close: (fd) => closeFd(fd),
  rename: (from, to) => rename(from, to),
  mkdir: (dir) => mkdir(dir, { recursive: true, mode: PAGE_DIR_MODE }),
};

export const EVENT_LOOP_IO: PageIo = {
  open: (path, flags, mode) => openSync(path, flags, mode),
  writev: (fd, buffers) => writevSync(fd, buffers),
  read: (fd, buffer, length, position) => readSync(fd, buffer, 0, length, position),
  close: (fd) => closeSync(fd),
  rename: (from, to) => renameSync(from, to),
  mkdir: (dir) => mkdirSync(dir, { recursive: true, mode: PAGE_DIR_MODE }),
};

/** Writes every byte of `buffers` at the file's current position (a short writev is continued). */
export async function writeAll(io: PageIo, fd: number, buffers: readonly Uint8Array[]): Promise<void> {
  let left = buffers.reduce((total, b) => total + b.length, 0);
  let rest = buffers;
  for (;;) {
    const written = await io.writev(fd, rest as NodeJS.ArrayBufferView[]);
    left -= written;
    if (left <= 0) return;
    rest = skip(rest, written);
  }
}

/** `buffers` without their first `n` bytes. */
function skip(buffers: readonly Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let drop = n;
  for (const b of buffers) {
    if (drop >= b.length) {
      drop -= b.length;
      continue;
    }
    out.push(drop > 0 ? b.subarray(drop) : b);
    drop = 0;
  }
  return out;
}
