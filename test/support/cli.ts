/** Runs the real `tierfs` command (bin/tierfs.js on the built dist/) as a child process. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const TIERFS_BIN = fileURLToPath(new URL('../../bin/tierfs.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runNode(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      {
        cwd: options.cwd ?? REPO_ROOT,
        // A clean environment: only what the test gives plus what node needs to run.
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...options.env },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export function runTierfs(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return runNode([TIERFS_BIN, ...args], options);
}

/** What a CLI run needs of a test cluster (support/cluster.ts's TestCluster has it). */
export interface CliCluster {
  readonly master: { readonly rpcAddress: string };
  readonly home: string;
}

/** The `-D` arguments that point a CLI run at a test cluster's master, logged in as `user`. */
export function clusterArgs(cluster: CliCluster, user = 'admin'): string[] {
  const master = new URL(cluster.master.rpcAddress);
  return [
    `-Dtierfs.master.hostname=${master.hostname}`,
    `-Dtierfs.master.rpc.port=${master.port}`,
    `-Dtierfs.security.login.username=${user}`,
  ];
}

/** The clean environment of a CLI run against a test cluster: PATH, and the cluster's home. */
export function clusterEnv(cluster: CliCluster): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: cluster.home };
}
