/**
 * `tierfs fs ls` asks for its first page before the CLI has loaded commander and the `fs` command
 * group (issue 17): a plain `fs ls [-R] [-h] <path...>` is recognised here without commander, the
 * client is made from the same configuration the command would read (defaults, site file,
 * environment, -D), and the first page's request leaves at once. The master's work on it (a cold
 * directory's lookup and first store page) then overlaps the rest of the start-up; the `ls` action
 * takes the started listing for its first path (fs.ts) and reports its failure as it reports its
 * own. Anything else on the command line, or a configuration or path that does not load, starts
 * nothing here: the command then runs, and fails, exactly as without this.
 */
import type { LsEntry, TierfsClient } from '../client/client.js';
import type { Configuration } from '../config/configuration.js';
import { parseTierfsPath } from './fs-paths.js';

/** A listing started before the command line was parsed. */
export interface EarlyLs {
  /** The path as typed: the first path of the `ls` command line. */
  readonly raw: string;
  /** The master the path names (`tierfs://host:port/...`), undefined for the configured one. */
  readonly master: string | undefined;
  readonly client: TierfsClient;
  readonly pages: AsyncGenerator<readonly LsEntry[]>;
  /** The first page; a failure is handled by whoever awaits it (never an unhandled rejection). */
  readonly first: Promise<IteratorResult<readonly LsEntry[]>>;
}

/** The options `fs ls` takes that change nothing about its first request. */
const LS_FLAGS = /^(-R|-h|-Rh|-hR|--recursive|--human)$/;

/**
 * The first path of a plain `fs ls` command line (after the -D properties), or undefined for any
 * other command line (another command, help, an unknown option, a path starting with `-`, `--`).
 */
export function plainFsLsFirstPath(argv: readonly string[]): string | undefined {
  if (argv[0] !== 'fs' || argv[1] !== 'ls') return undefined;
  let first: string | undefined;
  for (const arg of argv.slice(2)) {
    if (LS_FLAGS.test(arg)) continue;
    if (arg.startsWith('-') || arg === '') return undefined;
    first ??= arg;
  }
  return first;
}

/**
 * Starts the first page of `fs ls`'s first path when `argv` is a plain `fs ls`; undefined when it
 * is not, or when the configuration, the client or the path cannot be made (the command then meets
 * the same failure where it always did, and reports it as it always did).
 */
export async function startEarlyLs(
  argv: readonly string[],
  configuration: () => Configuration,
): Promise<EarlyLs | undefined> {
  const raw = plainFsLsFirstPath(argv);
  if (raw === undefined) return undefined;
  const { TierfsClient } = await import('../client/client.js');
  let client: TierfsClient;
  let path: string;
  let master: string | undefined;
  try {
    const parsed = parseTierfsPath(raw);
    const conf = configuration();
    master = parsed.master;
    path = parsed.path;
    client = master
      ? TierfsClient.fromConfiguration(conf, { masterAddress: master })
      : TierfsClient.fromConfiguration(conf);
  } catch {
    return undefined;
  }
  const pages = client.listLsPages(path, { cached: true });
  const first = pages.next();
  first.catch(() => undefined);
  return { raw, master, client, pages, first };
}
