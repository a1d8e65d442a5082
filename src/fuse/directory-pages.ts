/**
 * Where each page of a directory this mount listed begins and ends, so that a file whose cached
 * attributes have expired is looked up again with its whole page (one master call for up to a
 * page of names, with the capability to read each) rather than alone: `find | xargs cat` of a
 * directory walks its files in listing order, seconds after the listing, and each would otherwise
 * cost a status and an open at the master. What a page refresh answers is as fresh as a status
 * (the master's now); a name the page no longer holds is asked for alone.
 */

interface PageMark {
  /** The continuation token the page was fetched with (undefined: the first page). */
  readonly token: string | undefined;
  /** The page's names, in listing order. */
  readonly names: readonly string[];
  /** Where each name is in `names`, made at the first look-up (every open of a walk asks). */
  at?: Map<string, number>;
}

export class DirectoryPages {
  private readonly dirs = new Map<string, PageMark[]>();

  constructor(private readonly maxDirs = 1000) {}

  /** Starts a new listing of `dir`: its earlier page marks go. */
  restart(dir: string): void {
    this.dirs.delete(dir);
  }

  /**
   * Notes a page of `dir` fetched with `token` and its names, in listing order (a page fetched
   * again replaces its mark).
   */
  add(dir: string, token: string | undefined, names: readonly string[]): void {
    if (names.length === 0) return;
    let marks = this.dirs.get(dir);
    if (!marks) {
      marks = [];
      this.dirs.set(dir, marks);
      if (this.dirs.size > this.maxDirs) this.dirs.delete(this.dirs.keys().next().value!);
    }
    const mark: PageMark = { token, names };
    const same = marks.findIndex((m) => m.token === token);
    if (same >= 0) marks[same] = mark;
    else marks.push(mark);
  }

  /** The page of `dir` whose names span `name`, by its token; undefined when none does. */
  pageOf(dir: string, name: string): { token: string | undefined } | undefined {
    const marks = this.dirs.get(dir);
    if (!marks) return undefined;
    return marks.find((m) => m.names[0]! <= name && name <= m.names.at(-1)!);
  }

  /**
   * The name before `name` in `dir`'s listing and up to `count` names after it (on its page and
   * the pages noted after it); undefined when no page holds `name`.
   */
  around(dir: string, name: string, count: number): { before?: string; after: string[] } | undefined {
    const marks = this.dirs.get(dir);
    if (!marks) return undefined;
    for (const [m, mark] of marks.entries()) {
      mark.at ??= new Map(mark.names.map((n, i) => [n, i]));
      const at = mark.at.get(name);
      if (at === undefined) continue;
      const before = at > 0 ? mark.names[at - 1] : marks[m - 1]?.names.at(-1);
      const after = mark.names.slice(at + 1, at + 1 + count);
      for (let next = m + 1; after.length < count && next < marks.length; next++) {
        after.push(...marks[next]!.names.slice(0, count - after.length));
      }
      return { before, after };
    }
    return undefined;
  }

  /** Forgets `dir` and every directory below it (renamed or removed). */
  forgetTree(dir: string): void {
    const prefix = dir === '/' ? '/' : `${dir}/`;
    for (const key of this.dirs.keys()) if (key === dir || key.startsWith(prefix)) this.dirs.delete(key);
  }
}
