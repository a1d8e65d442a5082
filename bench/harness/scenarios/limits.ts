/**
 * Scenario 5: the physical limits of this machine in the same run: `cat` of the big object's bytes
 * from local disk (page cache), and TCP throughput over loopback and over the shaped link.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import type { BenchContext } from '../context.js';
import { expectBytes } from '../context.js';
import { execCounted, timeRuns } from '../process.js';

/** A one-file TCP source: each connection gets `bytes` bytes, then the server closes it. */
export function tcpSourceScript(host: string, port: number, bytes: number): string {
  return [
    "const net = require('node:net');",
    'const block = Buffer.alloc(1 << 20, 7);',
    `const server = net.createServer((s) => { let left = ${bytes};`,
    '  const pump = () => { while (left > 0) { const n = Math.min(left, block.length); left -= n;',
    '    if (!s.write(n === block.length ? block : block.subarray(0, n))) return void s.once("drain", pump); }',
    '    s.end(); };',
    '  s.on("error", () => {}); pump(); });',
    `server.listen(${port}, '${host}', () => console.log('ready'));`,
  ].join('\n');
}

async function tcpThroughput(
  ctx: BenchContext,
  tool: string,
  wrap: (argv: string[]) => string[],
  host: string,
  port: number,
) {
  const size = ctx.sizeBytes;
  const argv = wrap([process.execPath, '-e', tcpSourceScript(host, port, size)]);
  const server = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await once(server.stdout!, 'data');
    const samples = await timeRuns(ctx.runs, async () => {
      const socket = connect(port, host);
      let bytes = 0;
      socket.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      await once(socket, 'end');
      socket.destroy();
      expectBytes(tool, bytes, size);
    });
    ctx.record({ scenario: 'limits', temperature: '-', tool, role: 'limit', samples, bytes: size });
  } finally {
    server.kill('SIGTERM');
    if (server.exitCode === null) await once(server, 'exit');
  }
}

export async function limits(ctx: BenchContext): Promise<void> {
  const size = ctx.sizeBytes;
  ctx.log('limits: cat');
  await execCounted(['cat', ctx.localBig]); // into the page cache
  const samples = await timeRuns(ctx.runs, async () => {
    expectBytes('cat', (await execCounted(['cat', ctx.localBig])).stdoutBytes, size);
  });
  ctx.record({
    scenario: 'limits',
    temperature: '-',
    tool: 'cat (local disk, page cache)',
    role: 'limit',
    samples,
    bytes: size,
  });
  ctx.log('limits: TCP over loopback');
  await tcpThroughput(ctx, 'TCP over loopback (node)', (argv) => argv, '127.0.0.1', 9801);
  if (ctx.link.shaped) {
    ctx.log('limits: TCP over the shaped link');
    await tcpThroughput(
      ctx,
      'TCP over the shaped link (node)',
      (argv) => ctx.link.wrap(argv),
      ctx.link.serverAddr,
      9802,
    );
  }
}
