/** `tierfs gateway --protocol s3` over a local directory, as a separate process on the link's far end. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { TIERFS_BIN } from '../../test/support/cli.js';
import type { Link } from './netns.js';

export const ACCESS_KEY = 'AKIATIERFSBENCH';
export const SECRET_KEY = 'tierfs-bench-secret-0123456789';
export const BUCKET = 'bench';
export const REGION = 'us-east-1';

export interface S3Target {
  readonly endpoint: string;
  readonly bucket: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region: string;
}

export interface RunningS3Server {
  readonly target: S3Target;
  readonly pid: number;
  stop(): Promise<void>;
}

/** `bin`: the tierfs build to run (default this checkout's). */
export function gatewayArgs(options: {
  root: string;
  state: string;
  host: string;
  port: number;
  bin?: string;
}): string[] {
  return [
    options.bin ?? TIERFS_BIN,
    `-Dtierfs.proxy.s3.users=${ACCESS_KEY}:${SECRET_KEY}:bench`,
    `-Dtierfs.proxy.s3.state.dir=${options.state}`,
    'gateway',
    '--protocol',
    's3',
    '--root',
    options.root,
    '--port',
    String(options.port),
    '--host',
    options.host,
  ];
}

export async function startS3Server(
  link: Link,
  root: string,
  state: string,
  port = 9800,
): Promise<RunningS3Server> {
  const argv = link.wrap([process.execPath, ...gatewayArgs({ root, state, host: link.serverAddr, port })]);
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const endpoint = await endpointOf(child);
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    target: { endpoint, bucket: BUCKET, accessKey: ACCESS_KEY, secretKey: SECRET_KEY, region: REGION },
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** The endpoint a starting gateway prints on its ready line; its exit, or 30 s without, fails. */
export function endpointOf(child: ChildProcess): Promise<string> {
  let out = '';
  return new Promise<string>((resolve, reject) => {
    const onData = (text: Buffer) => {
      out += text.toString();
      const m = /on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`the S3 gateway exited with ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`the S3 gateway did not start in 30 s: ${out}`)), 30_000).unref();
  });
}
