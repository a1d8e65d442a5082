/** CPU time of processes and the number flags of the single-purpose bench scripts. */
import { readFileSync } from 'node:fs';

const TICKS = 100; // USER_HZ

/** utime + stime of a process in seconds (with `children`: of its waited-for children too). */
export function cpuSecondsOf(pid: number | 'self', children = false): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0)) / TICKS;
}

/** `--name <number>` from `argv`, else `fallback`. */
export function numberFlag(argv: readonly string[], name: string, fallback: number): number {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}
