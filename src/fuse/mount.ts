/**
 * Mounts FuseOperations with fuse-native (libfuse 2): tierfs's patched build, or its prebuild (binding.ts).
 * Each operation runs asynchronously on the event loop and answers through fuse-native's callback;
 * a failure answers with its errno (errno.ts) and, when it is the cluster's failure or something
 * tierfs cannot do, one line in the log.
 */
import { access, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TierfsError } from '../errors.js';
import { type FuseBinding, type FuseNativeInstance, fuseBinding } from './binding.js';
import { errnoOf } from './errno.js';
import { raiseKernelReadahead } from './kernel-readahead.js';
import type { FuseLog, FuseOperations } from './operations.js';

export interface FuseMountOptions {
  readonly mountPoint: string;
  readonly fsName: string;
  readonly readOnly: boolean;
  readonly allowOther: boolean;
  readonly attrTimeoutMs: number;
  readonly entryTimeoutMs: number;
  readonly maxReadahead: number;
  readonly maxWrite: number;
  /** Log every operation. */
  readonly debug: boolean;
}

type Callback = (code: number, ...values: unknown[]) => void;

/** The file system type /proc/mounts shows for tierfs mounts. */
export const FUSE_FS_TYPE = 'fuse.tierfs';

/**
 * libfuse's -o options for a mount. `keepsCacheByVersion`: the binding keeps the kernel's pages
 * across opens as the operations say (the version opened is the one they hold); without it (the
 * prebuild), libfuse's `auto_cache` keeps them while the file's size and modification time stay.
 */
export function fuseOptionsOf(options: FuseMountOptions, keepsCacheByVersion = true): string[] {
  const seconds = (ms: number) => String(ms / 1000);
  return [
    `fsname=${options.fsName}`,
    'subtype=tierfs',
    // The kernel checks permissions with the caller's uid and gid against what getattr shows.
    'default_permissions',
    ...(options.allowOther ? ['allow_other'] : []),
    ...(options.readOnly ? ['ro'] : []),
    `attr_timeout=${seconds(options.attrTimeoutMs)}`,
    `entry_timeout=${seconds(options.entryTimeoutMs)}`,
    'negative_timeout=0',
    `max_readahead=${options.maxReadahead}`,
    'big_writes',
    ...(keepsCacheByVersion ? [] : ['auto_cache']),
    `max_write=${options.maxWrite}`,
  ];
}

export class FuseMount {
  private constructor(
    readonly mountPoint: string,
    private readonly fuse: FuseNativeInstance,
    private readonly operations: FuseOperations,
    private readonly log: FuseLog,
  ) {}

  /** Mounts `operations` at `options.mountPoint`; resolves once the kernel has the mount. */
  static async mount(
    operations: FuseOperations,
    options: FuseMountOptions,
    log: FuseLog,
  ): Promise<FuseMount> {
    const mountPoint = resolve(options.mountPoint);
    await access('/dev/fuse').catch((error: unknown) => {
      throw new TierfsError(
        'UNSUPPORTED',
        'cannot mount: /dev/fuse is missing (load the fuse kernel module, or give the container --device /dev/fuse)',
        { cause: error },
      );
    });
    if (await isMounted(mountPoint)) {
      throw new TierfsError('ALREADY_EXISTS', `${mountPoint} is already a mount point; unmount it first`);
    }
    const binding = await fuseBinding(log);
    const fuse = new binding.Fuse(mountPoint, adapt(operations, binding, log, options.debug), {
      // A close waits for its file to be durable and a write for the store to take the bytes: as
      // long as that takes. Everything else gives up after five minutes.
      timeout: { default: 300_000, flush: false, fsync: false, release: false, write: false, create: false },
    });
    if (fuse._statCachePut && fuse._statCacheDrop) {
      // The patched binding answers look-ups from what the attribute cache holds (a walk's
      // thousands after a listing), each no longer than the cache would; the prebuild asks here.
      const put = fuse._statCachePut.bind(fuse);
      const drop = fuse._statCacheDrop.bind(fuse);
      operations.answerLookupsWith({ put, drop });
    }
    const flags = fuseOptionsOf(options, binding.patched);
    fuse._fuseOptions = () => `-o${flags.join(',')}`;
    await new Promise<void>((done, fail) => {
      fuse.mount((error) => {
        if (!error) return done();
        fail(
          new TierfsError('UNAVAILABLE', `cannot mount ${mountPoint}: ${error.message}`, {
            cause: error,
          }),
        );
      });
    });
    const readahead = await raiseKernelReadahead(mountPoint, options.maxReadahead);
    if (readahead.reason) {
      log.warn(
        { mountPoint, readaheadKiB: readahead.now },
        `fuse: the kernel reads ahead ${readahead.now ?? 128} KiB on this mount, not max_readahead (${options.maxReadahead} bytes): ${readahead.reason}; sequential reads make more round trips (root can raise it)`,
      );
    } else if (readahead.was !== readahead.now) {
      log.info(
        { mountPoint, device: readahead.device, readaheadKiB: readahead.now },
        `fuse: the kernel's read-ahead on this mount raised from ${readahead.was} KiB to ${readahead.now} KiB (max_readahead)`,
      );
    }
    return new FuseMount(mountPoint, fuse, operations, log);
  }

  /**
   * How many per-thread states the binding has made for libfuse's threads: no more than ever ran at
   * once, however long the mount lives (libfuse ends idle threads and starts new ones all the time).
   */
  get threadStates(): number {
    return this.fuse._threads.size;
  }

  /** Whether files are open on the mount. */
  get busy(): boolean {
    return this.operations.openHandles > 0;
  }

  /**
   * Detaches the mount (lazily: what is open keeps working until closed) and ends it. With
   * `abort`, files still being written are dropped rather than completed.
   */
  async unmount(options: { abort?: boolean } = {}): Promise<void> {
    if (options.abort) this.operations.abortAll(`${this.mountPoint} was unmounted by force`);
    await new Promise<void>((done) => {
      this.fuse.unmount((error) => {
        // Unmounted already (by `fusermount -u`, or `tierfs fuse unmount`): nothing more to do.
        if (error) this.log.info({ mountPoint: this.mountPoint }, `unmount: ${error.message.trim()}`);
        done();
      });
    });
  }
}

/** Whether /proc/mounts lists `mountPoint` (of any type). */
export async function isMounted(mountPoint: string): Promise<boolean> {
  return (await systemMounts()).some((m) => m.mountPoint === resolve(mountPoint));
}

export interface SystemMount {
  readonly source: string;
  readonly mountPoint: string;
  readonly type: string;
  readonly options: string;
}

/** The mounts of this machine, from /proc/mounts (empty where there is none). */
export async function systemMounts(): Promise<SystemMount[]> {
  const text = await readFile('/proc/mounts', 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [source = '', mountPoint = '', type = '', options = ''] = line.split(' ').map(unescapeMountField);
      return { source, mountPoint, type, options };
    });
}

function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/**
 * fuse-native's operations object: each calls the async operation and answers its callback, with
 * the negative errno on failure.
 */
function adapt(
  ops: FuseOperations,
  binding: FuseBinding,
  log: FuseLog,
  debug: boolean,
): Record<string, unknown> {
  const run = <T>(
    op: string,
    path: string,
    work: () => Promise<T>,
    answer: (cb: Callback, value: T) => void,
    cb: Callback,
    range?: { offset: number; length: number },
  ): void => {
    const started = debug ? performance.now() : 0;
    work().then(
      (value) => {
        if (debug) {
          const ms = Math.round((performance.now() - started) * 10) / 10;
          log.info({ op, path, ...range, ms }, 'fuse operation');
        }
        answer(cb, value);
      },
      (error: unknown) => {
        const { name, errno, logged } = errnoOf(error);
        if (logged || debug) {
          const message = error instanceof Error ? error.message : String(error);
          log.warn({ op, path, ...range, errno: name }, message);
        }
        cb(errno);
      },
    );
  };
  const ok = (cb: Callback) => cb(0);
  const value = (cb: Callback, v: unknown) => cb(0, v);
  const count = (cb: Callback, n: number) => cb(n);
  return {
    getattr: (path: string, cb: Callback) => run('getattr', path, () => ops.getattr(path), value, cb),
    fgetattr: (path: string, _fd: number, cb: Callback) =>
      run('fgetattr', path, () => ops.getattr(path), value, cb),
    readdir: (path: string, cb: Callback) =>
      run(
        'readdir',
        path,
        () => ops.readdir(path),
        (done, dir) => done(0, dir.names, dir.stats),
        cb,
      ),
    statfs: (path: string, cb: Callback) => run('statfs', path, () => ops.statfs(), value, cb),
    // The patched binding keeps the kernel's pages of the file when told to (the prebuild ignores it).
    open: (path: string, flags: number, cb: Callback) =>
      run(
        'open',
        path,
        () => ops.open(path, flags),
        (done, file) => done(0, file.handle, file.keepCache),
        cb,
      ),
    // The caller is asked for now, while the binding dispatches this operation.
    create: (path: string, mode: number, cb: Callback) => {
      const caller = binding.caller();
      run('create', path, () => ops.create(path, mode, caller), value, cb);
    },
    read: (path: string, fd: number, buffer: Buffer, length: number, position: number, cb: Callback) =>
      run('read', path, () => ops.read(fd, buffer.subarray(0, length), position), count, cb, {
        offset: position,
        length,
      }),
    write: (path: string, fd: number, buffer: Buffer, length: number, position: number, cb: Callback) =>
      run('write', path, () => ops.write(fd, buffer.subarray(0, length), position), count, cb, {
        offset: position,
        length,
      }),
    flush: (path: string, fd: number, cb: Callback) => run('flush', path, () => ops.flush(fd), ok, cb),
    fsync: (path: string, _datasync: boolean, fd: number, cb: Callback) =>
      run('fsync', path, () => ops.fsync(fd), ok, cb),
    release: (path: string, fd: number, cb: Callback) => run('release', path, () => ops.release(fd), ok, cb),
    // The patched binding answers the flush and release of read-only handles on libfuse's thread
    // and hands the released ones over here, many at a time (the prebuild ignores this).
    releaseReadOnly: (fds: number[]) => {
      if (debug) log.info({ op: 'release', handles: fds.length }, 'fuse operation');
      try {
        ops.releaseReadOnly(fds);
      } catch (error) {
        log.warn({ op: 'release' }, error instanceof Error ? error.message : String(error));
      }
    },
    truncate: (path: string, size: number, cb: Callback) =>
      run('truncate', path, () => ops.truncate(path, size), ok, cb),
    ftruncate: (path: string, fd: number, size: number, cb: Callback) =>
      run('ftruncate', path, () => ops.ftruncate(fd, size), ok, cb),
    unlink: (path: string, cb: Callback) => run('unlink', path, () => ops.unlink(path), ok, cb),
    mkdir: (path: string, mode: number, cb: Callback) => {
      const caller = binding.caller();
      run('mkdir', path, () => ops.mkdir(path, mode, caller), ok, cb);
    },
    rmdir: (path: string, cb: Callback) => run('rmdir', path, () => ops.rmdir(path), ok, cb),
    rename: (from: string, to: string, cb: Callback) =>
      run('rename', from, () => ops.rename(from, to), ok, cb),
    chmod: (path: string, mode: number, cb: Callback) =>
      run('chmod', path, () => ops.chmod(path, mode), ok, cb),
    chown: (path: string, uid: number, gid: number, cb: Callback) =>
      run('chown', path, () => ops.chown(path, uid, gid), ok, cb),
    utimens: (path: string, atime: number, mtime: number, cb: Callback) =>
      run('utimens', path, () => ops.utimens(path, Number(atime), Number(mtime)), ok, cb),
    symlink: (target: string, path: string, cb: Callback) =>
      run('symlink', path, async () => ops.unsupported(`a symbolic link (to ${target})`, path), ok, cb),
    link: (from: string, path: string, cb: Callback) =>
      run('link', path, async () => ops.unsupported(`a hard link (to ${from})`, path), ok, cb),
    mknod: (path: string, mode: number, _dev: number, cb: Callback) => {
      const caller = binding.caller();
      run('mknod', path, () => ops.mknod(path, mode, caller), ok, cb);
    },
  };
}
