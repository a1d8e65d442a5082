/**
 * A plain `tierfs fs ls [-R] [-h] <path...>` asks for its first page, and a plain
 * `tierfs fs cat <path...>` opens its first file, at once, and both run without commander and the
 * `fs` command group (issue 17): the command line is recognised here, the client is made from the
 * same configuration the command would read (defaults, site file, environment, -D), and the first
 * request leaves before the command's own modules are loaded (fs-ls.ts, fs-cat.ts), so the
 * master's work on it (a cold directory's lookup and first store page, a file's open) overlaps the
 * rest of the start-up. Failures are reported as the command reports them (fs-ls.ts and fs-cat.ts
 * are its code). Any other command line (help, another option, a path starting with `-`), or a
 * configuration or path that does not load, starts nothing here: commander then runs the command,
 * and it fails, exactly as without this.
 */

import type { Readable } from 'node:stream';
import type { LsEntry, TierfsClient } from '../client/client.js';
import type { Configuration } from '../config/configuration.js';
import { parseTierfsPath } from './fs-paths.js';

/** What a plain `fs ls` command line asks for. */
export interface PlainLs {
  readonly paths: readonly string[];
  readonly recursive: boolean;
  readonly human: boolean;
}

/** What both early commands hold: the first path as typed, the master it names, its client. */
interface EarlyStart {
  /** The path as typed: the first path of the command line. */
  readonly raw: string;
  /** The master the path names (`tierfs://host:port/...`), undefined for the configured one. */
  readonly master: string | undefined;
  readonly client: TierfsClient;
}

/** A listing started before the command line was parsed. */
export interface EarlyLs extends EarlyStart {
  readonly kind: 'ls';
  readonly command: PlainLs;
  readonly pages: AsyncGenerator<readonly LsEntry[]>;
  /** The first page; a failure is handled by whoever awaits it (never an unhandled rejection). */
  readonly first: Promise<IteratorResult<readonly LsEntry[]>>;
}

/** A read opened before the command line was parsed. */
export interface EarlyCat extends EarlyStart {
  readonly kind: 'cat';
  readonly command: { readonly paths: readonly string[] };
  /** The first file's open; a failure is handled by whoever awaits it (never an unhandled rejection). */
  readonly opening: Promise<Readable>;
}

/**
 * A plain `fs ls` command line (after the -D properties) as commander would read it, or undefined
 * for any other (another command, help, an option `ls` does not take, a path starting with `-`,
 * `--`, no path).
 */
export function plainFsLs(argv: readonly string[]): PlainLs | undefined {
  if (argv[0] !== 'fs' || argv[1] !== 'ls') return undefined;
  const paths: string[] = [];
  let recursive = false;
  let human = false;
  for (const arg of argv.slice(2)) {
    if (/^-[Rh]+$/.test(arg)) {
      recursive ||= arg.includes('R');
      human ||= arg.includes('h');
    } else if (arg === '--recursive') recursive = true;
    else if (arg === '--human') human = true;
    else if (arg.startsWith('-') || arg === '') return undefined;
    else paths.push(arg);
  }
  return paths.length > 0 ? { paths, recursive, human } : undefined;
}

/** A plain `fs cat <path...>` command line (after the -D properties): no option, one path at least. */
export function plainFsCat(argv: readonly string[]): { readonly paths: readonly string[] } | undefined {
  if (argv[0] !== 'fs' || argv[1] !== 'cat') return undefined;
  const paths = argv.slice(2);
  if (paths.length === 0 || paths.some((arg) => arg.startsWith('-') || arg === '')) return undefined;
  return { paths };
}

/** The client and namespace path of `raw`, or undefined when the configuration or the path does not load. */
async function earlyTarget(
  raw: string,
  configuration: () => Configuration,
): Promise<(EarlyStart & { path: string }) | undefined> {
  const { TierfsClient } = await import('../client/client.js');
  try {
    const parsed = parseTierfsPath(raw);
    const conf = configuration();
    const client = parsed.master
      ? TierfsClient.fromConfiguration(conf, { masterAddress: parsed.master })
      : TierfsClient.fromConfiguration(conf);
    return { raw, client, path: parsed.path, master: parsed.master };
  } catch {
    return undefined;
  }
}

/**
 * For a plain `fs ls`, its first path's first page asked for; for a plain `fs cat`, its first
 * path opened; undefined for any other command line, or when the configuration, the client or the
 * path cannot be made (the command then meets the same failure where it always did, and reports it
 * as it always did).
 */
export async function startEarlyFs(
  argv: readonly string[],
  configuration: () => Configuration,
): Promise<EarlyLs | EarlyCat | undefined> {
  const ls = plainFsLs(argv);
  const cat = ls ? undefined : plainFsCat(argv);
  const command = ls ?? cat;
  if (command === undefined) return undefined;
  const target = await earlyTarget(command.paths[0]!, configuration);
  if (target === undefined) return undefined;
  const { path, ...start } = target;
  if (ls) {
    const pages = start.client.listLsPages(path, { cached: true });
    const first = pages.next();
    first.catch(() => undefined);
    return { ...start, kind: 'ls', command: ls, pages, first };
  }
  const opening = start.client.openFile(path, {});
  opening.catch(() => undefined);
  return { ...start, kind: 'cat', command, opening };
}
