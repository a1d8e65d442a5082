/** Starts relay-main.ts on the server's side of the link (inside the namespace) in front of the S3 gateway. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Link } from './netns.js';

export interface RelayProcess {
  /** The endpoint a tool dials to reach the target through the delay. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** argv of the relay process (before Link.wrap). */
export function relayArgv(options: {
  host: string;
  port: number;
  target: { host: string; port: number };
  oneWayDelayMs: number;
}): string[] {
  return [
    process.execPath,
    '--import',
    'tsx',
    fileURLToPath(new URL('./relay-main.ts', import.meta.url)),
    options.host,
    String(options.port),
    options.target.host,
    String(options.target.port),
    String(options.oneWayDelayMs),
  ];
}

/** Runs a relay on `link`'s server address at `port` to `targetEndpoint` (http://host:port). */
export async function startRelayProcess(
  link: Link,
  port: number,
  targetEndpoint: string,
  oneWayDelayMs: number,
): Promise<RelayProcess> {
  const target = new URL(targetEndpoint);
  const argv = link.wrap(
    relayArgv({
      host: link.serverAddr,
      port,
      target: { host: target.hostname, port: Number(target.port) },
      oneWayDelayMs,
    }),
  );
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), {
    cwd: fileURLToPath(new URL('../..', import.meta.url)), // where `--import tsx` resolves
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (text: Buffer) => {
      out += text.toString();
      if (/^ready \d+/m.test(out)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`the delay relay exited with ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`the delay relay did not start in 30 s: ${out}`)), 30_000).unref();
  });
  child.stdout!.resume();
  child.stderr!.resume();
  const endpoint = new URL(targetEndpoint);
  endpoint.hostname = link.serverAddr;
  endpoint.port = String(port);
  return {
    endpoint: endpoint.toString().replace(/\/$/, ''),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
