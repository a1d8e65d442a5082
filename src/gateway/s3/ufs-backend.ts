/** The gateway backend over any UnderStore: `tierfs gateway --root s3://bucket/dir`. */
import type { Readable, Writable } from 'node:stream';
import { isTierfsError } from '../../errors.js';
import type { UfsStatus, UnderStore } from '../../ufs/contract.js';
import { walk } from '../../ufs/walk.js';
import type { BackendEntry, GatewayBackend } from './backend.js';

function entry(status: UfsStatus): BackendEntry {
  return {
    name: status.name,
    isDirectory: status.isDirectory,
    size: status.size,
    mtimeMs: status.mtimeMs,
    fingerprint: status.fingerprint,
  };
}

export class UfsBackend implements GatewayBackend {
  readonly description: string;
  private readonly store: UnderStore;

  constructor(store: UnderStore) {
    this.store = store;
    this.description = store.uri;
  }

  async stat(path: string): Promise<BackendEntry | undefined> {
    try {
      return entry(await this.store.getStatus(path));
    } catch (error) {
      if (isTierfsError(error, 'NOT_FOUND') || isTierfsError(error, 'NOT_A_DIRECTORY')) return undefined;
      throw error;
    }
  }

  async *children(path: string): AsyncIterable<BackendEntry> {
    for await (const status of walk(this.store, path)) yield entry(status);
  }

  open(path: string, range?: { offset: number; length: number }, version?: string): Promise<Readable> {
    return this.store.open(path, { ...range, version });
  }

  create(path: string): Promise<Writable> {
    return this.store.create(path, { overwrite: true, createParent: true });
  }

  mkdirs(path: string): Promise<void> {
    return this.store.mkdirs(path);
  }

  rename(source: string, destination: string): Promise<void> {
    return this.store.rename(source, destination);
  }

  delete(path: string, options?: { recursive?: boolean }): Promise<void> {
    return this.store.delete(path, options);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
