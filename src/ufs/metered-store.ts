/**
 * A layer around any UnderStore that reports every operation (its duration and whether it
 * failed) and the bytes read through `open`, to an observer. It knows nothing about how the
 * figures are kept: the master and the worker bind it to their Prometheus registries. Other
 * layers (retry, timeout, logging) wrap stores the same way and stack with it.
 */
import { type Readable, Transform } from 'node:stream';
import type {
  CreateOptions,
  DeleteOptions,
  ListOptions,
  ListPage,
  MkdirsOptions,
  MoveOverOptions,
  OpenOptions,
  SpaceInfo,
  UfsStatus,
  UfsWriteStream,
  UnderStore,
  UnderStoreCapabilities,
} from './contract.js';
import { WholeBody } from './whole-body.js';

export const UFS_OPERATIONS = [
  'getStatus',
  'exists',
  'list',
  'open',
  'create',
  'upload',
  'mkdirs',
  'delete',
  'rename',
  'getSpace',
] as const;
export type UfsOperation = (typeof UFS_OPERATIONS)[number];

export interface UfsObserver {
  /** One call finished (for `open` and `create`: the stream was handed out, or refused). */
  operation(scheme: string, operation: UfsOperation, seconds: number, failed: boolean): void;
  /** Bytes that flowed out of a stream returned by `open`. */
  bytesRead(scheme: string, bytes: number): void;
}

export class MeteredUnderStore implements UnderStore {
  readonly uri: string;
  readonly scheme: string;
  readonly capabilities: UnderStoreCapabilities;
  /** The inner store's cleanup, when it has one (a layer must not hide it). */
  readonly cleanup?: () => Promise<number>;
  /** The inner store's moveOver, when it has one (timed as a rename). */
  readonly moveOver?: (source: string, destination: string, options?: MoveOverOptions) => Promise<UfsStatus>;
  /** The inner store's upload from a local file, when it has one (timed as 'upload'). */
  readonly upload?: UnderStore['upload'];
  /** The inner store's completion and abort of open uploads, when it has them (timed as a rename). */
  readonly completeUpload?: UnderStore['completeUpload'];
  readonly abortUpload?: UnderStore['abortUpload'];
  /** The inner store's listing of names, when it has one (statuses read later are not timed). */
  readonly listNames?: UnderStore['listNames'];

  constructor(
    private readonly inner: UnderStore,
    private readonly observer: UfsObserver,
  ) {
    this.uri = inner.uri;
    this.scheme = inner.scheme;
    this.capabilities = inner.capabilities;
    if (inner.cleanup) this.cleanup = () => inner.cleanup!();
    if (inner.moveOver) {
      this.moveOver = (source, destination, options) =>
        this.timed('rename', () => inner.moveOver!(source, destination, options));
    }
    if (inner.completeUpload) {
      this.completeUpload = (path, upload, options) =>
        this.timed('rename', () => inner.completeUpload!(path, upload, options));
    }
    if (inner.listNames) this.listNames = (path) => inner.listNames!(path);
    if (inner.abortUpload) this.abortUpload = (path, upload) => inner.abortUpload!(path, upload);
    if (inner.upload) {
      this.upload = (path, localPath, size, options) =>
        this.timed('upload', () => inner.upload!(path, localPath, size, options));
    }
  }

  private async timed<T>(operation: UfsOperation, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let failed = true;
    try {
      const result = await call();
      failed = false;
      return result;
    } finally {
      this.observer.operation(this.scheme, operation, (performance.now() - started) / 1000, failed);
    }
  }

  getStatus(path: string): Promise<UfsStatus> {
    return this.timed('getStatus', () => this.inner.getStatus(path));
  }

  exists(path: string): Promise<boolean> {
    return this.timed('exists', () => this.inner.exists(path));
  }

  list(path: string, options?: ListOptions): Promise<ListPage> {
    return this.timed('list', () => this.inner.list(path, options));
  }

  async open(path: string, options?: OpenOptions): Promise<Readable> {
    const source = await this.timed('open', () => this.inner.open(path, options));
    const { observer, scheme } = this;
    // A body received whole has come from the store already: counted now, handed over as it is.
    if (source instanceof WholeBody) {
      observer.bytesRead(scheme, source.bytes.length);
      return source;
    }
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        observer.bytesRead(scheme, chunk.length);
        callback(null, chunk);
      },
    });
    // Errors of the source reach the reader; destroying the reader releases the source. Wired by
    // hand: stream.pipeline would cost every read an AbortController aborted (a DOMException and
    // its stack) when it finishes, a measurable share of a small cold read.
    source.on('error', (error) => counted.destroy(error));
    counted.on('close', () => source.destroy());
    source.pipe(counted);
    return counted;
  }

  create(path: string, options?: CreateOptions): Promise<UfsWriteStream> {
    return this.timed('create', () => this.inner.create(path, options));
  }

  mkdirs(path: string, options?: MkdirsOptions): Promise<void> {
    return this.timed('mkdirs', () => this.inner.mkdirs(path, options));
  }

  delete(path: string, options?: DeleteOptions): Promise<void> {
    return this.timed('delete', () => this.inner.delete(path, options));
  }

  rename(source: string, destination: string): Promise<void> {
    return this.timed('rename', () => this.inner.rename(source, destination));
  }

  getSpace(): Promise<SpaceInfo | undefined> {
    return this.timed('getSpace', () => this.inner.getSpace());
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
