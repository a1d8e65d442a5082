/**
 * Consistent hashing of files to workers (Alluxio's CONSISTENT policy): each worker owns several
 * points on a 32-bit ring; a key belongs to the first worker point at or after its hash. Losing or
 * adding a worker moves only the keys next to its points.
 */
import { hash } from 'node:crypto';

/** The first 32 bits of the key's MD5 (one call: no Hash object per key). */
function hash32(text: string): number {
  return (hash('md5', text, 'buffer') as Buffer).readUInt32BE(0);
}

export class HashRing<W extends { readonly id: string }> {
  private readonly points: { hash: number; worker: W }[];

  constructor(workers: readonly W[], virtualNodes = 100) {
    this.points = workers
      .flatMap((worker) =>
        Array.from({ length: virtualNodes }, (_, i) => ({ hash: hash32(`${worker.id}#${i}`), worker })),
      )
      .sort((a, b) => a.hash - b.hash || a.worker.id.localeCompare(b.worker.id));
  }

  get size(): number {
    return this.points.length;
  }

  /** The worker owning `key`, or undefined when the ring is empty. */
  owner(key: string): W | undefined {
    if (this.points.length === 0) return undefined;
    const h = hash32(key);
    let low = 0;
    let high = this.points.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.points[mid]!.hash < h) low = mid + 1;
      else high = mid;
    }
    return (this.points[low] ?? this.points[0]!).worker;
  }
}

/**
 * The ring of the current membership: rebuilt only when the set of workers changes, so a lookup
 * costs one hash and a binary search, not a ring of 100 points per worker.
 */
export class MembershipRing<W extends { readonly id: string; readonly address: string }> {
  private signature: string | undefined;
  private ring = new HashRing<W>([]);
  /** The workers the signature was last taken of: the same objects again need no new signature. */
  private last: readonly W[] = [];

  constructor(private readonly virtualNodes = 100) {}

  /** The worker of `workers` owning `key`, or undefined when there is none. */
  owner(workers: readonly W[], key: string): W | undefined {
    // A lookup per file of a directory: the membership's signature (a sort and a join) only when
    // the workers are not the very objects of the last lookup.
    if (!this.sameAsLast(workers)) this.follow(workers);
    // One worker owns every key: no hash needed to say so.
    if (workers.length === 1) return workers[0];
    return this.ring.owner(key);
  }

  private sameAsLast(workers: readonly W[]): boolean {
    if (workers.length !== this.last.length || this.signature === undefined) return false;
    for (let i = 0; i < workers.length; i++) if (workers[i] !== this.last[i]) return false;
    return true;
  }

  private follow(workers: readonly W[]): void {
    this.last = [...workers];
    const signature = workers
      .map((w) => `${w.id}@${w.address}`)
      .sort()
      .join(',');
    if (signature !== this.signature) {
      this.ring = new HashRing(workers, this.virtualNodes);
      this.signature = signature;
    }
  }
}
