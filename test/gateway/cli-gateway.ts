/** A `tierfs gateway --protocol s3` child process (the built CLI) over `<base>/root`, state in `<base>/state`. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { ACCESS_KEY, SECRET_KEY } from './harness.js';

export const BIN = join(import.meta.dirname, '../../bin/tierfs.js');

export interface GatewayProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>` as the process printed it. */
  readonly endpoint: string;
  readonly port: number;
  /** SIGTERM unless it already exited, then waits for the exit. */
  stop(): Promise<void>;
}

/** Spawns the gateway as the harness's access key for `user`, with further `-D` properties. */
export async function spawnS3Gateway(
  base: string,
  user: string,
  properties: Record<string, string> = {},
): Promise<GatewayProcess> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      `-Dtierfs.proxy.s3.users=${ACCESS_KEY}:${SECRET_KEY}:${user}`,
      `-Dtierfs.proxy.s3.state.dir=${join(base, 'state')}`,
      ...Object.entries(properties).map(([key, value]) => `-D${key}=${value}`),
      'gateway',
      '--protocol',
      's3',
      '--root',
      join(base, 'root'),
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TIERFS_CONF_DIR: join(base, 'conf') } },
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  };
  let out = '';
  child.stdout!.setEncoding('utf8');
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (text: string) => {
        out += text;
        const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`tierfs gateway exited with ${code}: ${out}`)));
    });
    return { child, endpoint, port: Number(new URL(endpoint).port), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
