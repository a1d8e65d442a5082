/** Running a command line as a timed child process, counting what it writes to stdout. */
import { spawn } from 'node:child_process';

export interface ExecResult {
  readonly stdoutBytes: number;
  readonly stdout: string;
}

/**
 * Runs argv, resolves when it exits 0. stdout is counted (and kept as text only when `keep`), so
 * every command's output crosses the same pipe into this process, like a user's pipeline would.
 */
export function execCounted(
  argv: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; keep?: boolean; timeoutMs?: number } = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      env: options.env ?? (process.env as Record<string, string>),
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let bytes = 0;
    const kept: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (options.keep) kept.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 8192) stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30 * 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdoutBytes: bytes, stdout: Buffer.concat(kept).toString() });
      else reject(new Error(`${argv.join(' ')} exited with ${code ?? signal}: ${stderr.trim()}`));
    });
  });
}

/** Seconds taken by `body`, after an untimed `prepare`, `runs` times. */
export async function timeRuns(
  runs: number,
  body: (run: number) => Promise<void>,
  prepare?: (run: number) => Promise<void>,
): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    await prepare?.(i);
    const started = performance.now();
    await body(i);
    samples.push((performance.now() - started) / 1000);
  }
  return samples;
}
