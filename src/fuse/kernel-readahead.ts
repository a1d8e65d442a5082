/**
 * The kernel's read-ahead on a FUSE mount. libfuse hands the kernel `max_readahead`, but the kernel
 * keeps the smaller of that and its backing device's own setting, which starts at 128 KiB for
 * every FUSE mount: a sequential read then has one or two 128 KiB requests in flight, each a round
 * trip through the mount process. The device's setting is
 * `/sys/class/bdi/<major>:<minor>/read_ahead_kb` (root may write it), so after mounting it is set
 * to `max_readahead`, and the kernel keeps several requests in flight (up to its
 * `max_background`, 12) while the mount answers the one before.
 */
import { readFile, writeFile } from 'node:fs/promises';

/** The `major:minor` of the file system mounted at `mountPoint` (from mountinfo), or undefined. */
export function deviceOf(mountinfo: string, mountPoint: string): string | undefined {
  let found: string | undefined;
  for (const line of mountinfo.split('\n')) {
    // 36 35 0:44 / /mnt/tierfs rw,... - fuse.tierfs tierfs rw,...
    const fields = line.split(' ');
    if (fields.length < 5) continue;
    const point = fields[4]!.replace(/\\([0-7]{3})/g, (_, o: string) =>
      String.fromCharCode(Number.parseInt(o, 8)),
    );
    if (point === mountPoint) found = fields[2]; // the last one mounted there is the one on top
  }
  return found;
}

export interface ReadaheadResult {
  readonly device?: string;
  /** The read-ahead the kernel had, in KiB. */
  readonly was?: number;
  /** What it is now, in KiB (unchanged when it could not be set). */
  readonly now?: number;
  /** Why it was not set, if it was not. */
  readonly reason?: string;
}

/**
 * Sets the kernel's read-ahead for the mount at `mountPoint` to `bytes` (rounded down to KiB, at
 * least 128 KiB), when the kernel's is smaller. Never throws: says what happened.
 */
export async function raiseKernelReadahead(
  mountPoint: string,
  bytes: number,
  sys: { readonly mountinfo?: string; readonly bdi?: string } = {},
): Promise<ReadaheadResult> {
  const mountinfo = await readFile(sys.mountinfo ?? '/proc/self/mountinfo', 'utf8').catch(() => '');
  const device = deviceOf(mountinfo, mountPoint);
  if (!device) return { reason: `${mountPoint} is not in /proc/self/mountinfo` };
  const file = `${sys.bdi ?? '/sys/class/bdi'}/${device}/read_ahead_kb`;
  const was = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (!Number.isFinite(was) || was <= 0) return { device, reason: `cannot read ${file}` };
  const wanted = Math.max(128, Math.floor(bytes / 1024));
  if (was >= wanted) return { device, was, now: was };
  try {
    await writeFile(file, `${wanted}\n`);
  } catch (error) {
    return {
      device,
      was,
      now: was,
      reason: `cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    };
  }
  return { device, was, now: wanted };
}
