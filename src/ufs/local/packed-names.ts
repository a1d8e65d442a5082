/**
 * Sorted names packed into one buffer of their UTF-8 bytes, back to back, and the offset where each
 * ends. A million names take one buffer outside the JavaScript heap and 4 MB of offsets instead of
 * a million string objects (about 70 MB of heap): the garbage collector has nothing to trace while
 * a listing goes on page by page, and the heap, which V8 lets grow to a multiple of what it holds,
 * does not grow with the directory.
 */
export class PackedNames {
  private constructor(
    /** Every name's UTF-8 bytes, back to back. */
    private readonly bytes: Buffer,
    /** Where each name ends in `bytes`. */
    private readonly ends: Uint32Array,
  ) {}

  /** Packs names already sorted by compareNames. */
  static of(sorted: readonly string[]): PackedNames {
    const ends = new Uint32Array(sorted.length);
    const joined = sorted.join('');
    if (Buffer.byteLength(joined, 'utf8') === joined.length) {
      // ASCII only (the common case): a name's bytes are its characters, copied in one call.
      let at = 0;
      for (let i = 0; i < sorted.length; i++) ends[i] = at += sorted[i]!.length;
      return new PackedNames(Buffer.from(joined, 'latin1'), ends);
    }
    const bytes = Buffer.from(joined, 'utf8');
    let at = 0;
    for (let i = 0; i < sorted.length; i++) ends[i] = at += Buffer.byteLength(sorted[i]!, 'utf8');
    return new PackedNames(bytes, ends);
  }

  get length(): number {
    return this.ends.length;
  }

  /** The name at a position (0 <= index < length). */
  at(index: number): string {
    return this.bytes.toString('utf8', index === 0 ? 0 : this.ends[index - 1]!, this.ends[index]);
  }

  /** The position of the first name not before `name`. */
  lowerBound(name: string): number {
    let [low, high] = [0, this.length];
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareNames(this.at(middle), name) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/**
 * The order of a local listing: UTF-16 code units, which is JavaScript's default sort (no call per
 * comparison) and stable across pages, which is all pagination needs.
 */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
