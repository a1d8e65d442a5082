/** Command line of `npm run bench`. */
import type { ScenarioId } from './results.js';

export const ALL_SCENARIOS: readonly ScenarioId[] = [
  'limits',
  'seq-read',
  'small-read',
  'list',
  'write',
  'fuse-read',
  'fuse-tree',
];

export interface BenchArgs {
  readonly sizeMiB: number;
  readonly runs: number;
  readonly count: number;
  /** Objects in the listed prefix. */
  readonly listCount: number;
  readonly smallBytes: number;
  readonly concurrency: number;
  /** Round-trip times to run every scenario at (0: no delay; else a relay adds half each way). */
  readonly rttMs: readonly number[];
  readonly rate: string;
  readonly netns: boolean;
  readonly scenarios: readonly ScenarioId[];
  /** Re-run the tierfs side of scenarios that missed a target with a CPU profiler in the daemons. */
  readonly profile: boolean;
  readonly out: string;
  readonly help: boolean;
}

export const USAGE = `npm run bench -- [options]
  --size <MiB>          size of the big object read and written (default 1024)
  --runs <n>            timed runs per tool and temperature; the median is reported (default 3)
  --count <n>           number of small objects read (default 4000)
  --list-count <n>      number of objects in the listed prefix (default 10000)
  --small-bytes <n>     size of each small object (default 4096)
  --concurrency <n>     parallel requests for bulk work, the same for every tool (default 16)
  --rtt <ms,ms>          round-trip times to run at, each a full set of scenarios; 0 is no delay,
                        any other is added by a user-space relay, half each way (default 0,20)
  --rate <tc rate>      tbf rate on each end of the link (default 1gbit)
  --no-netns            plain loopback instead of the shaped namespace link
  --only <a,b>          scenarios: ${ALL_SCENARIOS.join(', ')} (default all)
  --no-profile          do not re-run missed targets under the CPU profiler
  --out <dir>           where reports go (default bench/results)`;

function positive(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isFinite(n) || n <= 0)
    throw new Error(`${flag} needs a positive number, got '${value}'`);
  return n;
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  let args: BenchArgs = {
    sizeMiB: 1024,
    runs: 3,
    count: 4000,
    listCount: 10_000,
    smallBytes: 4096,
    concurrency: 16,
    rttMs: [0, 20],
    rate: '1gbit',
    netns: true,
    scenarios: ALL_SCENARIOS,
    profile: true,
    out: 'bench/results',
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => argv[++i];
    switch (flag) {
      case '--size':
        args = { ...args, sizeMiB: positive(flag, value()) };
        break;
      case '--runs':
        args = { ...args, runs: Math.round(positive(flag, value())) };
        break;
      case '--count':
        args = { ...args, count: Math.round(positive(flag, value())) };
        break;
      case '--small-bytes':
        args = { ...args, smallBytes: Math.round(positive(flag, value())) };
        break;
      case '--concurrency':
        args = { ...args, concurrency: Math.round(positive(flag, value())) };
        break;
      case '--list-count':
        args = { ...args, listCount: Math.round(positive(flag, value())) };
        break;
      case '--rtt': {
        const text = value() ?? '';
        const list = text.split(',').map((t) => (t.trim() === '' ? Number.NaN : Number(t)));
        if (list.length === 0 || list.some((d) => !(d >= 0))) {
          throw new Error(
            `--rtt needs round-trip times in milliseconds >= 0, comma-separated (e.g. 0,20), got '${text}'`,
          );
        }
        args = { ...args, rttMs: [...new Set(list)] };
        break;
      }
      case '--rate':
        args = { ...args, rate: value() ?? '' };
        break;
      case '--no-netns':
        args = { ...args, netns: false };
        break;
      case '--no-profile':
        args = { ...args, profile: false };
        break;
      case '--only': {
        const names = (value() ?? '').split(',').filter((s) => s !== '');
        const unknown = names.filter((n) => !ALL_SCENARIOS.includes(n as ScenarioId));
        if (names.length === 0 || unknown.length > 0) {
          throw new Error(
            `--only: unknown scenario(s) ${unknown.join(', ')}; known: ${ALL_SCENARIOS.join(', ')}`,
          );
        }
        args = { ...args, scenarios: ALL_SCENARIOS.filter((s) => names.includes(s)) };
        break;
      }
      case '--out':
        args = { ...args, out: value() ?? '' };
        break;
      case '-h':
      case '--help':
        args = { ...args, help: true };
        break;
      default:
        throw new Error(`unknown option '${flag}'\n${USAGE}`);
    }
  }
  return args;
}
