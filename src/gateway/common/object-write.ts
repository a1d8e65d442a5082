/**
 * The write every dialect does for an object, written once: open the file where the key layout
 * puts the key, stream the bytes in (the caller hashes them on the way), then take the status the
 * store gave the file from the write itself (UfsWriteStream.written) rather than from a second
 * look, which could see another writer's bytes. A marker key (`a/`) with an empty body is its
 * directory alone. A failed write leaves nothing behind. The caller records the object with the
 * status: its fingerprint names these bytes, so a record never vouches for someone else's.
 */
import type { UfsStatus, UfsWriteStream, UnderStore } from '../../ufs/contract.js';
import { abortWrite } from '../../ufs/io.js';
import type { KeyLayout } from './key-layout.js';

export interface WrittenKey {
  /** Where the bytes went (the key's file, `<key>/<object file>` or a marker's body). */
  readonly target: string;
  /** The status to record: of the bytes written, or of the marker's directory when it has none. */
  readonly status: UfsStatus;
}

export interface KeyWrite {
  readonly store: UnderStore;
  readonly layout: KeyLayout<UfsStatus>;
  readonly bucket: string;
  /** The key's path below the bucket (without a marker's trailing `/`). */
  readonly path: string;
  /** The store path of `path` (the bucket's directory included). */
  readonly fullPath: string;
  readonly isMarker: boolean;
  /** Opens the store's write at the target the layout chose. */
  create(target: string): Promise<UfsWriteStream>;
  /** Sends every byte into `out` and ends it; a rejection aborts the write. */
  fill(out: UfsWriteStream): Promise<void>;
}

export async function writeKey(write: KeyWrite): Promise<WrittenKey> {
  const { store, layout, bucket, path, isMarker } = write;
  const { target, out } = await layout.openWriter(bucket, path, isMarker, (at) => write.create(at));
  try {
    await write.fill(out);
  } catch (error) {
    await abortWrite(out, error as Error);
    throw error;
  }
  // A store that cannot say what it wrote is asked; the answer may then be another writer's.
  const status = out.written ?? (await store.getStatus(target));
  if (!isMarker || status.size > 0) return { target, status };
  await layout.settleMarker(target, 0);
  return { target, status: await store.getStatus(write.fullPath) };
}
