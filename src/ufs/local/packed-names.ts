/**
 * The sorted names of a directory, packed: one string holding every name back to back and the
 * offset where each ends. A million names take one flat string of their characters and 4 MB of
 * offsets instead of a million string objects (about 70 MB of heap), and the garbage collector
 * has two objects to trace instead of a million while a listing goes on page by page.
 */
export class PackedNames {
  private constructor(
    /** Names CHUNK at a time, each chunk's names back to back in one string. */
    private readonly texts: readonly string[],
    /** Where each name ends in its chunk's text. */
    private readonly ends: Uint32Array,
  ) {}

  /** Packs names already sorted by compareNames. */
  static of(sorted: readonly string[]): PackedNames {
    const ends = new Uint32Array(sorted.length);
    const texts: string[] = [];
    for (let from = 0; from < sorted.length; from += CHUNK) {
      const chunk = sorted.slice(from, from + CHUNK);
      let at = 0;
      for (let i = 0; i < chunk.length; i++) {
        at += chunk[i]!.length;
        ends[from + i] = at;
      }
      // join('') makes one flat string: the names sliced from it later are views, not copies.
      texts.push(chunk.join(''));
    }
    return new PackedNames(texts, ends);
  }

  get length(): number {
    return this.ends.length;
  }

  /** The name at a position (0 <= index < length). */
  at(index: number): string {
    const start = index % CHUNK === 0 ? 0 : this.ends[index - 1]!;
    return this.texts[Math.floor(index / CHUNK)]!.slice(start, this.ends[index]);
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

/** Names per packed string: a chunk of the longest names (255 bytes) stays far below V8's string limit. */
const CHUNK = 65_536;

/**
 * The order of a local listing: UTF-16 code units, which is JavaScript's default sort (no call per
 * comparison) and stable across pages, which is all pagination needs.
 */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
