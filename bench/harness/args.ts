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
  readonly smallBytes: number;
  readonly concurrency: number;
  readonly delayMs: number;
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
  --count <n>           number of small objects (default 10000)
  --small-bytes <n>     size of each small object (default 4096)
  --concurrency <n>     parallel requests for bulk work, the same for every tool (default 16)
  --delay <ms>          netem delay on each end of the link (default 10)
  --rate <tc rate>      netem rate on each end of the link (default 1gbit)
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
    count: 10_000,
    smallBytes: 4096,
    concurrency: 16,
    delayMs: 10,
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
      case '--delay': {
        const d = Number(value());
        if (!(d >= 0)) throw new Error('--delay needs a number of milliseconds >= 0');
        args = { ...args, delayMs: d };
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
