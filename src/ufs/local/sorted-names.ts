import { compareNames, PackedNames } from './packed-names.js';

/**
 * Names read and sorted per run. A run is the most a listing holds as separate strings at once:
 * 65,536 short names are a few MB of heap, where a whole directory of a million names read at once
 * (`readdir`) held about 70 MB of strings plus as much again in libuv's native copy of them, and
 * the master's heap stayed grown after it.
 */
export const RUN_LENGTH = 65_536;

/** What SortedNames reads names from: an open directory (`fs.Dir`). */
export interface DirentSource {
  /** The next entry, null after the last. */
  read(): Promise<{ readonly name: string } | null>;
}

/**
 * The names of a directory in compareNames order, kept as sorted runs of packed names and merged
 * as they are read: the directory is streamed (`opendir`), never held whole as strings (the packed
 * runs are UTF-8 bytes outside the JavaScript heap), and no second, merged copy is ever built.
 * Reading from a name costs a binary search per run.
 */
export class SortedNames {
  private constructor(private readonly runs: readonly PackedNames[]) {}

  /**
   * Sorts the names a directory handle gives in any order (those `keep` accepts), `runLength` at a
   * time (the default outside tests). Entries are read one `read()` at a time, not through async
   * iterators: a million entries through a chain of async generators cost twice the CPU time.
   */
  static async read(
    dir: DirentSource,
    keep: (name: string) => boolean,
    runLength: number = RUN_LENGTH,
  ): Promise<SortedNames> {
    const runs: PackedNames[] = [];
    let run: string[] = [];
    for (let entry = await dir.read(); entry !== null; entry = await dir.read()) {
      if (!keep(entry.name)) continue;
      run.push(entry.name);
      if (run.length >= runLength) {
        // The default order is compareNames's (UTF-16 code units), without a call per comparison.
        runs.push(PackedNames.of(run.sort()));
        run = [];
      }
    }
    if (run.length > 0) runs.push(PackedNames.of(run.sort()));
    return new SortedNames(runs);
  }

  static readonly empty = new SortedNames([]);

  get length(): number {
    let total = 0;
    for (const run of this.runs) total += run.length;
    return total;
  }

  /** Every name not before `from` (all of them without it), in order. */
  *from(from?: string): Generator<string> {
    const runs = this.runs;
    const positions = runs.map((run) => (from === undefined ? 0 : run.lowerBound(from)));
    const heads: string[] = [];
    // A binary heap of the runs still holding names, by their next name.
    const heap: number[] = [];
    for (let r = 0; r < runs.length; r++) {
      if (positions[r]! < runs[r]!.length) {
        heads[r] = runs[r]!.at(positions[r]!);
        heap.push(r);
      }
    }
    const before = (a: number, b: number) => compareNames(heads[a]!, heads[b]!) < 0;
    const down = (at: number) => {
      for (;;) {
        const left = 2 * at + 1;
        if (left >= heap.length) return;
        const right = left + 1;
        const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
        if (!before(heap[child]!, heap[at]!)) return;
        [heap[at], heap[child]] = [heap[child]!, heap[at]!];
        at = child;
      }
    };
    for (let at = (heap.length >> 1) - 1; at >= 0; at--) down(at);
    while (heap.length > 0) {
      const r = heap[0]!;
      yield heads[r]!;
      const next = ++positions[r]!;
      if (next < runs[r]!.length) heads[r] = runs[r]!.at(next);
      else {
        heap[0] = heap.at(-1)!;
        heap.pop();
      }
      down(0);
    }
  }
}
