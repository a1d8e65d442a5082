/**
 * The Qiniu etag ("qetag"): the data is cut into 4 MiB blocks and each block is hashed with SHA-1.
 * One block or fewer: url-safe base64 of 0x16 ‖ sha1(data). More: 0x96 ‖ sha1(sha1(b1) ‖ sha1(b2) ‖ …).
 * Computed incrementally, so a stream of any size is hashed with one block's state in memory.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { toUrlSafeBase64 } from './url-safe-base64.js';

export const QETAG_BLOCK_SIZE = 4 * 1024 * 1024;

export class QetagHasher {
  private readonly blockDigests: Buffer[] = [];
  private block: Hash = createHash('sha1');
  private inBlock = 0;
  private total = 0;
  private result: string | undefined;

  update(data: Buffer): this {
    if (this.result !== undefined) throw new Error('qetag: update after digest');
    let offset = 0;
    while (offset < data.length) {
      const take = Math.min(QETAG_BLOCK_SIZE - this.inBlock, data.length - offset);
      this.block.update(data.subarray(offset, offset + take));
      this.inBlock += take;
      offset += take;
      if (this.inBlock === QETAG_BLOCK_SIZE) {
        this.blockDigests.push(this.block.digest());
        this.block = createHash('sha1');
        this.inBlock = 0;
      }
    }
    this.total += data.length;
    return this;
  }

  /** Bytes hashed so far. */
  get size(): number {
    return this.total;
  }

  /** The etag of everything hashed; later calls return the same value. */
  digest(): string {
    this.result ??= this.compute();
    return this.result;
  }

  private compute(): string {
    const digests =
      this.inBlock > 0 || this.blockDigests.length === 0
        ? [...this.blockDigests, this.block.digest()]
        : this.blockDigests;
    if (digests.length === 1) return toUrlSafeBase64(Buffer.concat([Buffer.from([0x16]), digests[0]!]));
    const outer = createHash('sha1');
    for (const digest of digests) outer.update(digest);
    return toUrlSafeBase64(Buffer.concat([Buffer.from([0x96]), outer.digest()]));
  }
}

export function qetag(data: Buffer): string {
  return new QetagHasher().update(data).digest();
}

/** A pass-through stream that hashes what flows through it; read `hasher` once it has ended. */
export class QetagStream extends Transform {
  readonly hasher = new QetagHasher();

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hasher.update(chunk);
    callback(null, chunk);
  }
}
