/**
 * A directory's children being loaded from its under store, page by page, while callers list it:
 * the under store lists in byte order (S3, OSS, Kodo; the local store sorts), the metadata store
 * lists in byte order too, so once the load has mirrored the child named N, every page of the
 * listing that ends at or before N is complete and can be returned, and so is the part up to N of
 * a page that goes further (returned as a shorter page). A listing of a directory of a million
 * objects returns its first page after the first batch, not after the last, and later pages as
 * the batches land.
 *
 * When the under store turns out not to list in byte order, pages wait for the whole load.
 */
/** A load's progress at one moment (DirectoryLoad.coverage). */
export interface Coverage {
  readonly finished: boolean;
  /** Whether every child named up to `name` (byte order) was in the metadata store. */
  covers(name: string): boolean;
}

export class DirectoryLoad {
  /** The last child mirrored so far (byte order), undefined before the first batch. */
  private progress: string | undefined;
  private ordered = true;
  private finishedFlag = false;
  private failure: unknown;
  private waiters: (() => void)[] = [];
  readonly done: Promise<void>;

  constructor(run: (load: DirectoryLoad) => Promise<void>) {
    this.done = run(this).then(
      () => this.finish(undefined),
      (error: unknown) => this.finish(error ?? new Error('directory load failed')),
    );
  }

  get finished(): boolean {
    return this.finishedFlag;
  }

  /** Rejects with the load's error, if it failed. */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** A batch up to `lastName` is in the metadata store. */
  advanced(lastName: string): void {
    this.progress = lastName;
    this.wake();
  }

  /** The under store listed a name before one it already listed: no page is complete before the end. */
  unordered(): void {
    this.ordered = false;
  }

  /** Whether every child named up to `name` (byte order) is in the metadata store. */
  covers(name: string): boolean {
    if (this.finishedFlag) return true;
    return this.ordered && this.progress !== undefined && compareBytes(name, this.progress) <= 0;
  }

  /**
   * What `finished` and `covers` say now, kept: for a page of the metadata store read after this
   * call, whatever batches land while the page is read.
   */
  coverage(): Coverage {
    const { finishedFlag: finished, ordered, progress } = this;
    return {
      finished,
      covers: (name) => finished || (ordered && progress !== undefined && compareBytes(name, progress) <= 0),
    };
  }

  /** Resolves at the next batch, or when the load ends. */
  changed(): Promise<void> {
    if (this.finishedFlag) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private finish(error: unknown): void {
    this.failure = error;
    this.finishedFlag = true;
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

/**
 * Byte order of the UTF-8 encodings, as the metadata stores compare names. UTF-16 code unit order
 * is the same except where a surrogate (a character above U+FFFF) meets a character from U+E000
 * to U+FFFF, so only then are the names encoded: a load of a million names compares each with the
 * one before, and two buffers per comparison were garbage for the collector to sweep.
 */
export function compareBytes(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
