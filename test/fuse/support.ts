/** Shell commands and FUSE prerequisites for the mount tests. */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect } from 'vitest';

export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command` with sh -c; never throws. */
export function sh(
  command: string,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<ShellResult> {
  return new Promise((resolve) => {
    execFile(
      'sh',
      ['-c', command],
      { cwd: options.cwd, maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 600_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Fails (never skips) with the reason when this machine cannot run the mount tests: no /dev/fuse,
 * or a tool missing.
 */
export function requireFuse(): void {
  if (!existsSync('/dev/fuse')) {
    throw new Error(
      '/dev/fuse is missing: the FUSE tests mount a real file system; load the fuse module (modprobe fuse) or give the container --device /dev/fuse',
    );
  }
  for (const tool of ['fusermount', 'rsync', 'tar', 'diff', 'sha256sum', 'find', 'runuser', 'fincore']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      throw new Error(
        `${tool} is missing: the FUSE tests drive it (apt-get install fuse rsync; see .ci/run)`,
      );
    }
  }
}

/** sha256sum of `file` through the mount, and the bytes of it the kernel's page cache holds after. */
export async function readThrough(file: string): Promise<{ sha256: string; resident: number }> {
  const r = await sh(`sha256sum ${file} && fincore -b -n -o RES ${file}`);
  expect(r.code, r.stderr).toBe(0);
  const [sum, resident] = r.stdout.trim().split('\n');
  return { sha256: sum!.split(' ')[0]!, resident: Number(resident) };
}
