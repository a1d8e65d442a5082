/**
 * `tierfs gateway --protocol s3 --root <uri> --port <n> [--host 127.0.0.1]`: serves a protocol
 * gateway over any under store until SIGINT or SIGTERM.
 */
import { once } from 'node:events';
import type { Command } from 'commander';
import {
  PROXY_S3_ANONYMOUS_ENABLED,
  PROXY_S3_USERS,
  PROXY_WEB_BIND_HOST,
  PROXY_WEB_PORT,
} from '../config/keys/core.js';
import { TierfsError } from '../errors.js';
import { startS3Gateway } from '../gateway/s3/server.js';
import type { CliContext } from './main.js';

const PROTOCOLS = ['s3'] as const;

interface GatewayOptions {
  protocol: string;
  root?: string;
  port?: string;
  host?: string;
}

export function registerGatewayCommand(program: Command, context: CliContext): void {
  program
    .command('gateway')
    .description('Serve an S3-compatible API over an under store (buckets are its top-level directories)')
    .option('--protocol <name>', `protocol to speak: ${PROTOCOLS.join(', ')}`, 's3')
    .option('--root <uri>', 'under store to serve (default: tierfs.master.mount.table.root.ufs)')
    .option('--port <n>', `port to listen on, 0 for any free port (default: ${PROXY_WEB_PORT.key})`)
    .option('--host <address>', `address to listen on (default: ${PROXY_WEB_BIND_HOST.key})`)
    .action(async (options: GatewayOptions) => {
      if (!(PROTOCOLS as readonly string[]).includes(options.protocol)) {
        throw new TierfsError(
          'INVALID_ARGUMENT',
          `unsupported gateway protocol '${options.protocol}'; supported protocols: ${PROTOCOLS.join(', ')}`,
        );
      }
      const conf = context.configuration();
      const port = options.port === undefined ? conf.require(PROXY_WEB_PORT) : Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new TierfsError('INVALID_ARGUMENT', `--port must be a port number, got '${options.port}'`);
      }
      const root = options.root ?? conf.getRaw('tierfs.master.mount.table.root.ufs')!;
      const host = options.host ?? conf.require(PROXY_WEB_BIND_HOST);
      if ((conf.get(PROXY_S3_USERS) ?? []).length === 0 && !conf.require(PROXY_S3_ANONYMOUS_ENABLED)) {
        process.stderr.write(
          `warning: no S3 users are configured (${PROXY_S3_USERS.key}) and anonymous access is off: every request will be refused\n`,
        );
      }
      const { gateway, address } = await startS3Gateway(conf, {
        root,
        port,
        host,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      process.stdout.write(`tierfs S3 gateway serving ${root} at http://${shown}:${address.port}\n`);
      const signal = await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
      process.stdout.write(`received ${String(signal[0] ?? 'signal')}, stopping\n`);
      await gateway.close();
    });
}
