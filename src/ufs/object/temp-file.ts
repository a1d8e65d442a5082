/** Local temp files that stage object uploads (under `tierfs.tmp.dirs`). */
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { TierfsError } from '../../errors.js';

export interface TempFile {
  readonly path: string;
  readonly handle: FileHandle;
  size: number;
}

/** Creates an empty temp file, owner-only, in one of `dirs` (picked at random to spread the load). */
export async function createTempFile(dirs: readonly string[]): Promise<TempFile> {
  const dir = dirs[Math.floor(Math.random() * dirs.length)] ?? '/tmp';
  await mkdir(dir, { recursive: true });
  const path = join(dir, `tierfs-upload-${randomBytes(8).toString('hex')}.tmp`);
  return { path, handle: await open(path, 'wx', 0o600), size: 0 };
}

/** Appends every byte of `buffer`; writes may be short (a full disk reports it on the next call). */
export async function appendAll(file: TempFile, buffer: Buffer): Promise<void> {
  let at = 0;
  while (at < buffer.length) {
    const { bytesWritten } = await file.handle.write(buffer, at, buffer.length - at, file.size);
    if (bytesWritten === 0)
      throw new TierfsError('UNAVAILABLE', `the disk accepted no bytes for ${file.path}`);
    at += bytesWritten;
    file.size += bytesWritten;
  }
}
