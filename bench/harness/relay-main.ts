/**
 * The delay relay as a process of its own, so it can run inside the bench's network namespace and
 * does not share an event loop with the tools it delays:
 *   node --import tsx bench/harness/relay-main.ts <listen host> <listen port> <target host> <target port> <one-way ms>
 * Prints `ready <port>` once it listens; SIGTERM stops it.
 */
import { startDelayRelay } from './relay.js';

const [host, port, targetHost, targetPort, delay] = process.argv.slice(2);
if (!host || !port || !targetHost || !targetPort || delay === undefined) {
  process.stderr.write(
    'usage: relay-main <listen host> <listen port> <target host> <target port> <one-way ms>\n',
  );
  process.exit(2);
}
const relay = await startDelayRelay({
  host,
  port: Number(port),
  target: { host: targetHost, port: Number(targetPort) },
  oneWayDelayMs: Number(delay),
});
process.stdout.write(`ready ${relay.port}\n`);
process.once('SIGTERM', () => {
  void relay.close().finally(() => process.exit(0));
});
