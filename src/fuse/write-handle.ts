/**
 * One file being written through the mount: a new file (create, or an existing one truncated to
 * zero) streamed to its worker with the mount's write type, sequentially. The file appears in
 * tierfs when the handle is committed (close, or fsync), and `commit` returns once the master has
 * completed it, that is once the data is as durable as the write type promises.
 *
 * Writing on at the end of a complete file (O_APPEND on an existing file, or writing after an fsync
 * or a close committed it) rewrites it, as s3fs and rclone's cached mounts do: a new version is
 * streamed that starts with the file's bytes, read back from tierfs, and goes on with the new
 * writes; readers see the old version until the new one is committed. Only files up to
 * `appendRewriteMax` bytes are rewritten (Alluxio's FUSE refuses appends outright); a larger one,
 * and what an object store cannot do at all (writing anywhere but at the end), fail with ENOTSUP
 * and one log line. Attributes set while the file is written (tar and cp set mode and times before
 * closing) are applied once it exists.
 */
import type { Writable } from 'node:stream';
import type { TierfsClient, WriteType } from '../client/client.js';
import { isTierfsError } from '../errors.js';
import { FuseError } from './errno.js';

export interface PendingAttributes {
  mode?: number;
  owner?: string;
  group?: string;
  mtimeMs?: number;
}

export interface WriteHandleOptions {
  readonly writeType: WriteType;
  /** Permission bits of a file this handle creates. */
  readonly mode: number;
  /** The file's size when it was opened without truncation (0 for a new file). */
  readonly existingSize: number;
  /** Largest complete file that writing on at its end rewrites (tierfs.fuse.append.rewrite.max). */
  readonly appendRewriteMax: number;
  /**
   * The process that created the file, when it is not the mount's user: the file is given to it
   * once complete, unless a chown came first. Best effort: `refused` hears why it was not.
   */
  readonly creator?: Creator;
  readonly refused?: (path: string, error: unknown) => void;
}

/** Who a file or directory created through the mount belongs to: tierfs names and shown ids. */
export interface Creator {
  readonly owner: string;
  readonly group: string;
  readonly uid: number;
  readonly gid: number;
}

type State = 'idle' | 'writing' | 'committing' | 'committed' | 'failed';

export class WriteHandle {
  private state: State = 'idle';
  private stream: Writable | undefined;
  private failure: Error | undefined;
  private committing: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** The file is replaced (create, O_TRUNC, truncate to 0): no byte of the old one is kept. */
  private replacing: boolean;
  readonly attributes: PendingAttributes = {};
  /** Bytes written so far: the size `stat` shows on this mount while the file is written. */
  written = 0;
  readonly openedMs = Date.now();

  constructor(
    private readonly client: TierfsClient,
    readonly path: string,
    private readonly options: WriteHandleOptions,
  ) {
    this.replacing = false;
  }

  /** A new file: created in tierfs at once (so permissions are checked now), visible at commit. */
  static async create(client: TierfsClient, path: string, options: WriteHandleOptions): Promise<WriteHandle> {
    const handle = new WriteHandle(client, path, options);
    handle.replacing = true;
    await handle.start();
    return handle;
  }

  get mode(): number {
    return this.attributes.mode ?? this.options.mode;
  }

  /** Whether the file is still being written (not yet committed or failed). */
  get open(): boolean {
    return this.state === 'idle' || this.state === 'writing';
  }

  /** Whether this handle will replace the file, rather than leave the existing one as it is. */
  get replaces(): boolean {
    return this.replacing;
  }

  write(data: Buffer, offset: number): Promise<number> {
    const result = this.queue.then(() => this.writeNow(data, offset));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** ftruncate: to zero starts the file afresh; to its current size changes nothing. */
  async truncate(size: number): Promise<void> {
    await this.queue;
    if (size === (this.replacing ? this.written : this.options.existingSize)) return;
    if (size === 0 && this.state === 'idle') {
      // O_TRUNC: the file is written anew; created now, so a refusal comes with the open.
      this.replacing = true;
      await this.start();
      return;
    }
    throw new FuseError(
      'ENOTSUP',
      `cannot truncate ${this.path} to ${size} bytes while it is written (${this.written} written): an object store only writes a file whole`,
      true,
    );
  }

  /**
   * Completes the file (once: close after fsync does nothing more). A handle that never wrote and
   * never replaced the file leaves it as it was.
   */
  commit(): Promise<void> {
    this.committing ??= this.queue.then(() => this.commitNow());
    return this.committing;
  }

  /** Drops the file being written: nothing of it is left in tierfs. */
  abort(reason: string): void {
    if (this.state === 'committed') return;
    this.state = 'failed';
    this.failure = new FuseError('EIO', reason);
    this.stream?.destroy(this.failure);
  }

  private async writeNow(data: Buffer, offset: number): Promise<number> {
    if (this.failure) throw this.failure;
    if (this.state === 'committed' && this.replacing && offset === this.written) {
      // Writing on after fsync, or after a close of another descriptor: a new version goes on.
      await this.continueFile(this.written, 'after it was completed by fsync or close');
    } else if (!this.open) {
      throw new FuseError(
        'ENOTSUP',
        `cannot write ${this.path} at byte ${offset} after it was completed by fsync or close with ${this.written} bytes: only writing on at its end is possible`,
        true,
      );
    }
    // Writing from the start of an empty file is writing it anew.
    if (!this.replacing && this.options.existingSize === 0 && offset === 0) this.replacing = true;
    // Writing at the end of an existing file (O_APPEND): it goes on in a new version.
    if (!this.replacing && this.state === 'idle' && offset === this.options.existingSize) {
      await this.continueFile(this.options.existingSize, 'at its end (O_APPEND)');
    }
    if (!this.replacing) {
      throw new FuseError(
        'ENOTSUP',
        `cannot write into the existing ${this.options.existingSize} bytes of ${this.path}: an object store has no random writes; truncate it first (O_TRUNC) to write it anew`,
        true,
      );
    }
    if (offset !== this.written) {
      throw new FuseError(
        'ENOTSUP',
        `cannot write ${this.path} at byte ${offset}: it is written sequentially and ${this.written} bytes are written so far`,
        true,
      );
    }
    const stream = await this.start();
    // The kernel reuses its buffer once the call returns: the stream gets a copy.
    const accepted = stream.write(Buffer.from(data));
    this.written += data.length;
    if (!accepted) await drained(stream);
    if (this.failure) throw this.failure;
    return data.length;
  }

  /**
   * Starts a new version of the complete file of `size` bytes that begins with those bytes, read
   * back from tierfs; the writes that follow go on after them.
   */
  private async continueFile(size: number, how: string): Promise<void> {
    const limit = this.options.appendRewriteMax;
    if (size > limit) {
      throw new FuseError(
        'ENOTSUP',
        `cannot write on ${this.path} ${how}: an object store keeps a file whole, so writing on rewrites it, and its ${size} bytes are over tierfs.fuse.append.rewrite.max (${limit}); write a new file instead`,
        true,
      );
    }
    // The version read back is opened first: creating the new one must not hide it.
    const old = await this.client.openFile(this.path);
    this.state = 'idle';
    this.stream = undefined;
    this.committing = undefined;
    this.replacing = true;
    this.written = 0;
    const stream = await this.start().catch((error: unknown) => {
      old.destroy();
      throw error;
    });
    try {
      for await (const chunk of old as AsyncIterable<Buffer>) {
        this.written += chunk.length;
        if (!stream.write(chunk)) await drained(stream);
        if (this.failure) throw this.failure;
      }
    } catch (error) {
      this.abort(`cannot read ${this.path} back to write on: ${(error as Error).message}`);
      throw error;
    }
    if (this.written !== size) {
      const message = `${this.path} changed while it was read back to write on (${size} bytes expected, ${this.written} read)`;
      this.abort(message);
      throw new FuseError('ESTALE', message, true);
    }
  }

  private async start(): Promise<Writable> {
    if (this.stream) return this.stream;
    const stream = await this.client.createFile(this.path, {
      writeType: this.options.writeType,
      overwrite: true,
      mode: this.mode,
    });
    stream.on('error', (error) => {
      this.state = 'failed';
      this.failure ??= error;
    });
    this.stream = stream;
    this.state = 'writing';
    return stream;
  }

  private async commitNow(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.state === 'committed') return;
    if (!this.replacing && !this.stream) {
      this.state = 'committed';
      return this.applyAttributes();
    }
    const stream = await this.start();
    this.state = 'committing';
    await new Promise<void>((resolve, reject) => {
      stream.once('error', reject);
      stream.end(() => resolve());
    });
    if (this.failure) throw this.failure;
    this.state = 'committed';
    await this.applyAttributes();
  }

  /** The uid and gid `stat` shows while the file is written (the creator's, or `mountOwner`). */
  shownOwner(mountOwner: { uid: number; gid: number }): { uid: number; gid: number } {
    const creator = this.options.creator;
    return creator ? { uid: creator.uid, gid: creator.gid } : mountOwner;
  }

  private async applyAttributes(): Promise<void> {
    const creator = this.options.creator;
    if (creator && this.attributes.owner === undefined && this.attributes.group === undefined) {
      await giveTo(this.client, this.path, creator, this.options.refused);
    }
    const { mode, owner, group, mtimeMs } = this.attributes;
    const change = {
      ...(mode === undefined ? {} : { mode }),
      ...(owner === undefined ? {} : { owner }),
      ...(group === undefined ? {} : { group }),
      ...(mtimeMs === undefined ? {} : { mtimeMs }),
    };
    if (Object.keys(change).length > 0) await this.client.setAttribute(this.path, change);
  }
}

function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('error', done);
    stream.on('close', done);
  });
}

/**
 * Gives what the mount created to the process that created it. Only tierfs's superuser may change
 * an owner: a mount acting as another user leaves it to that user, and `refused` says so.
 */
export async function giveTo(
  client: TierfsClient,
  path: string,
  creator: Creator,
  refused?: (path: string, error: unknown) => void,
): Promise<void> {
  try {
    await client.setAttribute(path, { owner: creator.owner, group: creator.group });
  } catch (error) {
    if (!isTierfsError(error, 'PERMISSION_DENIED')) throw error;
    refused?.(path, error);
  }
}
